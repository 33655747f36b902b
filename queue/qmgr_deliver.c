/* One delivery attempt of one message: sort its pending recipients,
 * deliver the local ones over LMTP, record every outcome durably, then
 * bounce, defer or remove. */
#include "qmgr.h"
#include "buf.h"
#include "event.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct qmgr_delivery {
	struct qmgr *q;
	struct qmgr_msg *m;
	struct queue_file *qf;
	struct log_ctx log;
	struct qmgr_lmtp *lmtp;
	struct event_timer *finish_timer;
	size_t *local;
	size_t local_count;
	bool write_failed;
};

static void qmgr_delivery_free(struct qmgr_delivery *d)
{
	if (d->m != NULL)
		d->m->busy = false;
	d->q->running--;
	qmgr_lmtp_free(&d->lmtp);
	event_timer_remove(&d->finish_timer);
	queue_file_close(&d->qf);
	free(d->local);
	free(d);
	log_set_ctx(NULL);
}

static void qmgr_record(struct qmgr_delivery *d, size_t index, char state,
			const char *reply, const char *relay)
{
	const struct queue_rcpt *r = &d->qf->env.rcpts[index];
	const char *error;
	const char *event = state == 'D' ? "delivered" :
		state == 'F' ? "bounced" : "deferred";

	log_set_ctx(&d->log);
	if (queue_file_set_status(d->qf, index, state, reply, &error) < 0) {
		log_error("queue_error", "reason=%s", error);
		d->write_failed = true;
	}
	log_info(event, "to=%s orig_to=%s relay=%s reason=%s", r->address,
		 r->orig, relay, reply);
}

static void qmgr_lmtp_rcpt(void *ctx, size_t index, char state,
			   const char *reply)
{
	qmgr_record(ctx, index, state, reply, "lmtp");
}

static time_t qmgr_backoff(const struct qmgr *q, time_t arrival, time_t now)
{
	time_t delay = now - arrival;

	/* Postfix's rule: wait about as long as the message has waited,
	 * within the bounds. */
	if (delay > (time_t)q->set.maximal_backoff_time)
		delay = q->set.maximal_backoff_time;
	if (delay < (time_t)q->set.minimal_backoff_time)
		delay = q->set.minimal_backoff_time;
	return delay;
}

static void qmgr_defer(struct qmgr_delivery *d, time_t now)
{
	struct qmgr *q = d->q;
	time_t delay = qmgr_backoff(q, d->qf->env.arrival, now);
	struct timespec times[2];

	d->m->next_attempt = now + delay;
	times[0].tv_sec = times[1].tv_sec = d->m->next_attempt;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	/* The next attempt time lives in the file's mtime (as in Postfix),
	 * so a restart keeps the schedule. */
	if (futimens(d->qf->fd, times) < 0)
		log_warn("queue_error", "reason=\"futimens: %s\"",
			 strerror(errno));
	if (qmgr_msg_move(q, d->m, QUEUE_DEFERRED) == 0)
		log_info("queue_deferred", "next_s=%lld", (long long)delay);
}

static void qmgr_remove(struct qmgr_delivery *d)
{
	struct qmgr *q = d->q;
	char *path = queue_path(q->queue_dir, QUEUE_ACTIVE, d->m->id);
	const char *error;

	if (unlink(path) < 0) {
		log_error("queue_error", "path=%s reason=\"unlink: %s\"", path,
			  strerror(errno));
	} else {
		(void)queue_dir_sync(q->queue_dir, QUEUE_ACTIVE, &error);
		log_info("queue_removed", "delay_s=%lld",
			 (long long)(time(NULL) - d->qf->env.arrival));
		qmgr_msg_remove(q, d->m);
		d->m = NULL;
	}
	free(path);
}

/* Pending recipients of a message past its lifetime fail for good. */
static void qmgr_expire(struct qmgr_delivery *d)
{
	struct queue_envelope *env = &d->qf->env;
	struct buf reply = BUF_INIT;
	size_t i;

	for (i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].state != QUEUE_RCPT_PENDING)
			continue;
		buf_clear(&reply);
		buf_printf(&reply, "554 5.4.7 Delivery time expired%s%s%s",
			   env->rcpts[i].reply != NULL ? " (" : "",
			   env->rcpts[i].reply != NULL ? env->rcpts[i].reply : "",
			   env->rcpts[i].reply != NULL ? ")" : "");
		qmgr_record(d, i, 'F', buf_cstr(&reply), "none");
	}
	buf_free(&reply);
}

static void qmgr_finish(struct qmgr_delivery *d)
{
	struct qmgr *q = d->q;
	struct queue_envelope *env = &d->qf->env;
	time_t now = time(NULL), lifetime;
	size_t i, pending = 0, failed = 0;
	const char *error;
	struct qmgr_msg *m = d->m;

	log_set_ctx(&d->log);
	qmgr_lmtp_free(&d->lmtp);
	if (!d->write_failed && queue_file_sync(d->qf, &error) < 0) {
		log_error("queue_error", "reason=\"fsync: %s\"", error);
		d->write_failed = true;
	}
	lifetime = env->sender[0] == '\0' ? q->set.bounce_queue_lifetime :
		q->set.maximal_queue_lifetime;
	for (i = 0; i < env->rcpt_count; i++)
		pending += env->rcpts[i].state == QUEUE_RCPT_PENDING;
	if (!d->write_failed && pending > 0 && now - env->arrival >= lifetime) {
		qmgr_expire(d);
		pending = 0;
		if (queue_file_sync(d->qf, &error) < 0)
			d->write_failed = true;
	}
	for (i = 0; i < env->rcpt_count; i++)
		failed += env->rcpts[i].state == QUEUE_RCPT_FAILED;
	if (d->write_failed || pending > 0) {
		qmgr_defer(d, now);
	} else if (failed > 0 && !qmgr_has_origin(q, m->id) &&
		   qmgr_bounce(q, d->qf, &error) < 0) {
		log_error("bounce_failed", "reason=%s", error);
		qmgr_defer(d, now);
	} else {
		qmgr_remove(d);
	}
	qmgr_delivery_free(d);
	qmgr_schedule(q);
}

static void qmgr_lmtp_done(void *ctx)
{
	struct qmgr_delivery *d = ctx;

	/* Not from inside the LMTP client's own callback. */
	event_timer_reset(d->finish_timer);
}

static void qmgr_on_finish(void *ctx)
{
	qmgr_finish(ctx);
}

static void qmgr_open_failed(struct qmgr *q, struct qmgr_msg *m,
			     bool corrupt, const char *error)
{
	struct log_ctx log;

	memset(&log, 0, sizeof(log));
	str_copy(log.queue_id, sizeof(log.queue_id), m->id);
	log_set_ctx(&log);
	if (corrupt || errno != ENOENT) {
		/* Never crash on a bad or unreadable file: keep it for the
		 * postmaster. */
		log_error("queue_corrupt", "reason=%s", error);
		if (qmgr_msg_move(q, m, QUEUE_CORRUPT) == 0)
			qmgr_msg_remove(q, m);
	} else {
		qmgr_msg_remove(q, m);
	}
	log_set_ctx(NULL);
}

void qmgr_deliver(struct qmgr *q, struct qmgr_msg *m)
{
	struct qmgr_delivery *d;
	struct queue_file *qf;
	const char *error;
	char *path = queue_path(q->queue_dir, QUEUE_ACTIVE, m->id);
	bool corrupt;
	size_t i;

	if (queue_file_open(path, true, NULL, &qf, &corrupt, &error) < 0) {
		int e = errno;

		free(path);
		errno = e;
		qmgr_open_failed(q, m, corrupt, error);
		return;
	}
	free(path);
	d = xcalloc(1, sizeof(*d));
	d->q = q;
	d->m = m;
	d->qf = qf;
	str_copy(d->log.queue_id, sizeof(d->log.queue_id), m->id);
	log_set_ctx(&d->log);
	m->busy = true;
	q->running++;
	d->finish_timer = event_timer_add(q->loop, 0, 0, qmgr_on_finish, d);
	event_timer_stop(d->finish_timer);
	log_info("queue_active", "from=%s size=%llu count=%zu", qf->env.sender,
		 (unsigned long long)qf->env.message_size, qf->env.rcpt_count);
	d->local = xcalloc(qf->env.rcpt_count, sizeof(*d->local));
	for (i = 0; i < qf->env.rcpt_count; i++) {
		const struct queue_rcpt *r = &qf->env.rcpts[i];
		const char *at = strrchr(r->address, '@');

		if (r->state != QUEUE_RCPT_PENDING)
			continue;
		if (r->flags & QUEUE_RCPT_FLAG_LOOP)
			qmgr_record(d, i, 'F', "554 5.4.6 Mail loop: the "
				    "aliases for this address form a cycle", "none");
		else if (at != NULL && qmgr_domain_is_local(q, at + 1))
			d->local[d->local_count++] = i;
		else
			qmgr_record(d, i, 'T', "451 4.4.0 Delivery to other "
				    "domains is not available on this host yet",
				    "none");
	}
	if (d->local_count == 0) {
		event_timer_reset(d->finish_timer);
		log_set_ctx(NULL);
		return;
	}
	d->lmtp = qmgr_lmtp_start(q, qf, d->local, d->local_count,
				  qmgr_lmtp_rcpt, qmgr_lmtp_done, d);
	log_set_ctx(NULL);
}
