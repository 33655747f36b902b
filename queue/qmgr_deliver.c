/* One delivery attempt of one message: sort its pending recipients,
 * deliver the local ones over LMTP and the others by SMTP, one relay job
 * per domain (all at once), record every outcome durably, then send the
 * notices that are due (RFC 3461/3464: failure, delay, success), and
 * defer or remove. */
#include "qmgr.h"
#include "buf.h"
#include "event.h"
#include "smtp_params.h"
#include "sync_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct qmgr_delivery {
	struct qmgr *q;
	struct qmgr_msg *m;
	struct queue_file *qf;
	struct log_ctx log;
	struct qmgr_lmtp *lmtp;
	struct qmgr_delivery *lmtp_next;	/* in q->lmtp_waiting */
	struct qmgr_delivery *finish_next;	/* in q->finishing */
	bool lmtp_waiting, lmtp_holding;
	struct qmgr_relay **relays;
	size_t relay_count;
	unsigned int jobs;	/* LMTP and relay jobs still running */
	struct event_timer *finish_timer;
	size_t *local;
	size_t local_count;
	/* Per recipient: the success notice owed (QMGR_DSN_DELIVERED or
	 * _RELAYED) for NOTIFY=SUCCESS, decided in this attempt. */
	char *success;
	bool write_failed;
	/* Recipients not tried, their destination having no room, and the
	 * first of them: its destination is where the message is parked
	 * once the rest of the attempt is over (qmgr_park.c).  Looked up
	 * again then, since an unused destination may be freed meanwhile. */
	size_t parked, park_rcpt;
};

static void qmgr_lmtp_kick(struct qmgr *q);
static void qmgr_lmtp_done(void *ctx);

static void qmgr_delivery_free(struct qmgr_delivery *d)
{
	struct qmgr *q = d->q;
	size_t i;

	if (d->m != NULL)
		d->m->busy = false;
	q->running--;
	if (d->lmtp_waiting) {
		struct qmgr_delivery **pp;

		for (pp = &q->lmtp_waiting; *pp != NULL; pp = &(*pp)->lmtp_next) {
			if (*pp == d) {
				*pp = d->lmtp_next;
				break;
			}
		}
	}
	qmgr_lmtp_free(&d->lmtp);
	if (d->lmtp_holding) {
		q->lmtp_active--;
		qmgr_lmtp_kick(q);
	}
	for (i = 0; i < d->relay_count; i++)
		qmgr_relay_free(&d->relays[i]);
	free(d->relays);
	event_timer_remove(&d->finish_timer);
	queue_file_close(&d->qf);
	free(d->local);
	free(d->success);
	free(d);
	log_set_ctx(NULL);
}

static void qmgr_record(struct qmgr_delivery *d, size_t index, char state,
			const char *reply, const char *relay,
			const char *remote)
{
	const struct queue_rcpt *r = &d->qf->env.rcpts[index];
	const char *error;
	const char *event = state == 'D' ? "delivered" :
		state == 'F' ? "bounced" : "deferred";

	log_set_ctx(&d->log);
	if (queue_file_set_status_remote(d->qf, index, state, reply, remote,
					 &error) < 0) {
		log_error("queue_error", "reason=%s", error);
		d->write_failed = true;
	}
	log_info(event, "to=%s orig_to=%s relay=%s reason=%s", r->address,
		 r->orig, relay, reply);
	if (state == 'D')
		d->q->counters.delivered++;
	else if (state == 'F')
		d->q->counters.bounced++;
	else
		d->q->counters.deferred++;
}

static void qmgr_job_done(struct qmgr_delivery *d)
{
	/* Not from inside a client's own callback. */
	if (--d->jobs == 0)
		event_timer_reset(d->finish_timer);
}

static void qmgr_lmtp_rcpt(void *ctx, size_t index, char state,
			   const char *reply)
{
	struct qmgr_delivery *d = ctx;

	qmgr_record(d, index, state, reply, "lmtp", NULL);
	if (state == 'D' &&
	    (d->qf->env.rcpts[index].notify & SMTP_PARAMS_NOTIFY_SUCCESS))
		d->success[index] = QMGR_DSN_DELIVERED;
}

static void qmgr_relay_rcpt(void *ctx, size_t index, char state,
			    const char *reply, const char *remote,
			    bool dsn_passed)
{
	struct qmgr_delivery *d = ctx;

	qmgr_record(d, index, state, reply, remote != NULL ? remote : "none",
		    remote);
	/* RFC 3461 5.2.2: a next hop that took NOTIFY reports itself;
	 * otherwise we say "relayed". */
	if (state == 'D' && !dsn_passed &&
	    (d->qf->env.rcpts[index].notify & SMTP_PARAMS_NOTIFY_SUCCESS))
		d->success[index] = QMGR_DSN_RELAYED;
}

static void qmgr_relay_done(void *ctx)
{
	qmgr_job_done(ctx);
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

/* Removes the file of a message whose recipients are all final.  The
 * removal is made durable (a sync of active/) only when this attempt sent
 * a notice about the message (a bounce, a success notice): a file that
 * came back after a crash would send it again, since only the file's
 * absence says it went.  Otherwise a file that comes back holds only
 * final recipients, durable since qmgr_finish, and is removed again
 * without a delivery, or local ones whose outcomes were not synced
 * (qmgr_outcomes_need_sync), which lmtpd de-duplicates: the sync would
 * buy nothing. */
static void qmgr_remove(struct qmgr_delivery *d, bool sync_dir)
{
	struct qmgr *q = d->q;
	char *path = queue_path(q->queue_dir, QUEUE_ACTIVE, d->m->id);
	const char *error;

	/* Said before the unlink: a qmgr killed in between finds the file
	 * again, every recipient final, and removes it (and says so) once
	 * more; a file that is gone always has its line. */
	log_info("queue_removed", "delay_s=%lld",
		 (long long)(time(NULL) - d->qf->env.arrival));
	if (unlink(path) < 0) {
		log_error("queue_error", "path=%s reason=\"unlink: %s\"", path,
			  strerror(errno));
	} else {
		if (sync_dir)
			(void)queue_dir_sync(q->queue_dir, QUEUE_ACTIVE, &error);
		q->counters.removed++;
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
		qmgr_record(d, i, 'F', buf_cstr(&reply), "none", NULL);
	}
	buf_free(&reply);
}

/* A delay notice, once, for the recipients still pending after
 * delay_warning_time that did not say NOTIFY=NEVER or leave DELAY out
 * (RFC 3461 4.1). */
static void qmgr_delay_notice(struct qmgr_delivery *d, time_t now)
{
	struct qmgr *q = d->q;
	struct queue_envelope *env = &d->qf->env;
	char *actions = xcalloc(env->rcpt_count + 1, 1);
	const char *error;
	size_t i, due = 0;

	for (i = 0; i < env->rcpt_count; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];

		if (r->state == QUEUE_RCPT_PENDING && !r->warned &&
		    (r->notify == 0 || (r->notify & SMTP_PARAMS_NOTIFY_DELAY))) {
			actions[i] = QMGR_DSN_DELAYED;
			due++;
		}
	}
	if (due > 0 && qmgr_dsn(q, d->qf, actions, QMGR_DSN_KIND_DELAY,
				&error) < 0) {
		log_error("delay_notice_failed", "reason=%s", error);
	} else if (due > 0) {
		/* After the notice is durable: a crash between the two sends
		 * it twice, never not at all. */
		for (i = 0; i < env->rcpt_count; i++) {
			if (actions[i] != QMGR_DSN_NONE &&
			    queue_file_set_status_remote(d->qf, i, 'W', "", NULL,
							 &error) < 0)
				d->write_failed = true;
		}
		if (queue_file_sync(d->qf, &error) < 0)
			d->write_failed = true;
	}
	free(actions);
	(void)now;
}

/* The notices this attempt owes besides bounces: success (NOTIFY=SUCCESS)
 * and delay.  Bounces wait until the message is done (qmgr_finish). */
static void qmgr_notices(struct qmgr_delivery *d, time_t now, size_t pending)
{
	struct qmgr *q = d->q;
	struct queue_envelope *env = &d->qf->env;
	const char *error;
	size_t i, owed = 0;

	for (i = 0; i < env->rcpt_count; i++)
		owed += d->success[i] != QMGR_DSN_NONE;
	if (owed > 0 && qmgr_dsn(q, d->qf, d->success, QMGR_DSN_KIND_SUCCESS,
				 &error) < 0)
		log_error("success_notice_failed", "reason=%s", error);
	if (pending > 0 && q->set.delay_warning_time > 0 &&
	    env->sender[0] != '\0' &&
	    now - env->arrival >= (time_t)q->set.delay_warning_time)
		qmgr_delay_notice(d, now);
}

/* Whether a message has been in the queue past its lifetime (a bounce's
 * own is shorter): its pending recipients then fail for good. */
static bool qmgr_expired(const struct qmgr *q,
			 const struct queue_envelope *env, time_t now)
{
	time_t lifetime = env->sender[0] == '\0' ?
		q->set.bounce_queue_lifetime : q->set.maximal_queue_lifetime;

	return now - env->arrival >= lifetime;
}

static void qmgr_finish(struct qmgr_delivery *d)
{
	struct qmgr *q = d->q;
	struct queue_envelope *env = &d->qf->env;
	time_t now = time(NULL);
	size_t i, pending = 0, failed = 0, notices = 0;
	const char *error;
	struct qmgr_msg *m = d->m;
	struct qmgr_dest *park = NULL;

	log_set_ctx(&d->log);
	for (i = 0; i < env->rcpt_count; i++)
		pending += env->rcpts[i].state == QUEUE_RCPT_PENDING;
	if (!d->write_failed && pending > 0 && qmgr_expired(q, env, now)) {
		qmgr_expire(d);
		pending = 0;
		if (queue_file_sync(d->qf, &error) < 0)
			d->write_failed = true;
	}
	for (i = 0; i < env->rcpt_count; i++) {
		failed += env->rcpts[i].state == QUEUE_RCPT_FAILED;
		notices += d->success[i] != QMGR_DSN_NONE;
	}
	if (!d->write_failed)
		qmgr_notices(d, now, pending);
	if (qmgr_admin_attempt_over(q, &d->m, d->qf,
				    d->write_failed || pending > 0)) {
		/* Held or deleted by the postmaster meanwhile. */
	} else if (!d->write_failed && pending > 0 && pending == d->parked) {
		/* Only recipients that were not tried: no backoff.  Parked
		 * once the attempt is over and the message no longer busy,
		 * so that a wake at once can take it up again. */
		park = qmgr_relay_dest(q, strrchr(
			env->rcpts[d->park_rcpt].address, '@') + 1);
	} else if (d->write_failed || pending > 0) {
		qmgr_defer(d, now);
	} else if (failed > 0 && !qmgr_has_origin(q, m->id) &&
		   qmgr_bounce(q, d->qf, &error) < 0) {
		log_error("bounce_failed", "reason=%s", error);
		qmgr_defer(d, now);
	} else {
		qmgr_remove(d, failed > 0 || notices > 0);
	}
	qmgr_delivery_free(d);
	if (park != NULL)
		qmgr_park(q, m, park);
	qmgr_schedule(q);
}

static void qmgr_lmtp_start_one(struct qmgr_delivery *d)
{
	d->lmtp_holding = true;
	d->q->lmtp_active++;
	log_set_ctx(&d->log);
	d->lmtp = qmgr_lmtp_start(d->q, d->qf, d->local, d->local_count,
				  qmgr_lmtp_rcpt, qmgr_lmtp_done, d);
	log_set_ctx(NULL);
}

/* Starts waiting LMTP deliveries while lmtpd has room.  Guarded, since
 * a start that fails at once finishes (and kicks) inside the loop. */
static void qmgr_lmtp_kick(struct qmgr *q)
{
	static bool kicking, again;

	if (kicking) {
		again = true;
		return;
	}
	kicking = true;
	do {
		again = false;
		while (q->lmtp_waiting != NULL &&
		       q->lmtp_active < q->set.lmtp_destination_concurrency_limit) {
			struct qmgr_delivery *d = q->lmtp_waiting;

			q->lmtp_waiting = d->lmtp_next;
			d->lmtp_waiting = false;
			qmgr_lmtp_start_one(d);
		}
	} while (again);
	kicking = false;
}

static void qmgr_lmtp_done(void *ctx)
{
	struct qmgr_delivery *d = ctx;
	struct qmgr *q = d->q;

	if (d->lmtp_holding) {
		d->lmtp_holding = false;
		q->lmtp_active--;
	}
	qmgr_job_done(d);
	qmgr_lmtp_kick(q);
}

static void qmgr_lmtp_queue(struct qmgr_delivery *d)
{
	struct qmgr_delivery **pp;

	d->jobs++;
	for (pp = &d->q->lmtp_waiting; *pp != NULL; pp = &(*pp)->lmtp_next)
		;
	*pp = d;
	d->lmtp_waiting = true;
	qmgr_lmtp_kick(d->q);
}

/* One relay job per domain (or one for everything, via a relayhost),
 * for the destinations that have room; the others' recipients wait for
 * the message's next attempt, from the park. */
static void qmgr_relay_queue(struct qmgr_delivery *d, size_t *remote,
			     size_t count)
{
	struct qmgr *q = d->q;
	const struct queue_envelope *env = &d->qf->env;
	size_t *group = xcalloc(count, sizeof(*group));
	bool *taken = xcalloc(count, sizeof(*taken));
	bool one = q->relay.relayhost[0] != '\0';
	size_t i, j, n;

	d->relays = xcalloc(count, sizeof(*d->relays));
	for (i = 0; i < count; i++) {
		struct qmgr_dest *dest;
		const char *dom;

		if (taken[i])
			continue;
		dom = strrchr(env->rcpts[remote[i]].address, '@') + 1;
		for (n = 0, j = i; j < count; j++) {
			const char *other = strrchr(env->rcpts[remote[j]].address,
						    '@') + 1;

			if (!taken[j] && (one || strcasecmp(dom, other) == 0)) {
				taken[j] = true;
				group[n++] = remote[j];
			}
		}
		dest = qmgr_relay_dest(q, dom);
		if (!qmgr_park_has_room(q, dest)) {
			if (d->parked == 0)
				d->park_rcpt = group[0];
			d->parked += n;
			continue;
		}
		d->jobs++;
		d->relays[d->relay_count++] = qmgr_relay_start(
			q, d->qf, dom, group, n, qmgr_relay_rcpt,
			qmgr_relay_done, d);
	}
	free(group);
	free(taken);
}

/*
 * Group commit of outcomes.  The attempts whose jobs end in one loop round
 * make their outcome records durable together: one fdatasync per queue
 * file, all issued at once (a sync_batch) on the sync thread, while
 * the loop goes on reading LMTP and SMTP replies.  Only when its file is
 * durable does an attempt go on (qmgr_finish): the notices, the removal or
 * the deferral all come after its outcomes are durable, exactly as when
 * each attempt synced alone from the loop, so a crash at any point leaves
 * what it left before.  Attempts that end while a commit runs wait for the
 * next one, which starts when this one is over.
 */
static void qmgr_commit_done(void *ctx, struct sync_batch *b, int result)
{
	struct qmgr *q = ctx;
	struct qmgr_delivery *d, *next;
	int *items = q->commit_items;
	size_t i = 0;
	int e;

	d = q->committing;
	q->committing = NULL;
	q->commit_items = NULL;
	for (; d != NULL; d = next) {
		next = d->finish_next;
		d->finish_next = NULL;
		/* Its sync failed, or an item the batch could not take
		 * (EBADF): no outcome of it may be trusted. */
		e = d->write_failed ? 0 : sync_batch_error(b, items[i++]);
		if (e != 0) {
			log_set_ctx(&d->log);
			log_error("queue_error", "reason=\"fsync: %s\"",
				  strerror(e));
			d->write_failed = true;
		}
		qmgr_finish(d);
	}
	sync_batch_free(&b);
	free(items);
	if (q->finishing != NULL)
		event_timer_reset(q->commit_timer);
}

static void qmgr_commit_run(void *ctx)
{
	struct qmgr *q = ctx;
	struct qmgr_delivery *d;
	struct sync_batch *b;
	size_t i = 0, count = 0;

	if (q->committing != NULL || q->finishing == NULL)
		return;		/* qmgr_commit_done starts the next */
	q->committing = q->finishing;
	q->finishing = NULL;
	for (d = q->committing; d != NULL; d = d->finish_next)
		count += !d->write_failed;
	q->commit_items = xcalloc(count + 1, sizeof(*q->commit_items));
	b = sync_batch_new();
	for (d = q->committing; d != NULL; d = d->finish_next) {
		if (!d->write_failed)
			q->commit_items[i++] = sync_batch_add(
				b, d->qf->fd, SYNC_BATCH_NAMES, true);
	}
	if (q->commit_sync == NULL)
		q->commit_sync = sync_batch_loop_new(q->loop,
						     qmgr_commit_done, q);
	if (q->commit_sync != NULL)
		(void)sync_batch_loop_start(q->commit_sync, b);
	else		/* no eventfd: the same syncs, here */
		qmgr_commit_done(q, b, sync_batch_run(b));
}

/*
 * Whether an attempt's outcomes must be durable before it goes on.  Not
 * when it delivered every recipient the message has left over LMTP, and
 * owes no notice: the file is then removed without a sync (qmgr_remove),
 * and if a crash brings it back with those recipients still pending,
 * the repeated delivery finds lmtpd's record of the first within
 * lmtp_dedup_window and stores nothing twice.  That saves a write and a
 * sync of the queue file for nearly every local message.  Mail relayed
 * (a remote server would take it twice), failed or held keeps the sync.
 */
static bool qmgr_outcomes_need_sync(const struct qmgr_delivery *d)
{
	const struct queue_envelope *env = &d->qf->env;
	size_t i;

	if (d->write_failed || d->q->lmtp_dedup_window == 0 ||
	    d->relay_count > 0 || d->parked > 0 || d->local_count == 0 ||
	    d->m == NULL || d->m->action != QMGR_ACTION_NONE)
		return true;
	for (i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].state != QUEUE_RCPT_DELIVERED ||
		    d->success[i] != QMGR_DSN_NONE)
			return true;
	}
	return false;
}

static void qmgr_on_finish(void *ctx)
{
	struct qmgr_delivery *d = ctx;
	struct qmgr *q = d->q;

	if (!qmgr_outcomes_need_sync(d)) {
		qmgr_finish(d);
		return;
	}
	d->finish_next = q->finishing;
	q->finishing = d;
	/* A timer armed in a round fires in the next one: every attempt
	 * whose finish timer fires in this round joins the same commit. */
	if (q->commit_timer == NULL)
		q->commit_timer = event_timer_add(q->loop, 0, 0,
						  qmgr_commit_run, q);
	else if (q->committing == NULL)
		event_timer_reset(q->commit_timer);
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

/* The domain a recipient is relayed to, or NULL for one that lmtpd
 * takes (no domain, or one of ours). */
static const char *qmgr_relay_domain(const struct qmgr *q,
				     const struct queue_rcpt *r)
{
	const char *at = strrchr(r->address, '@');

	if (at == NULL || at[1] == '\0' || qmgr_domain_is_local(q, at + 1))
		return NULL;
	return at + 1;
}

/* Whether every pending recipient of `qf` is one to relay to a
 * destination without room (the first of which goes in *dest): then the
 * message is parked without an attempt. */
static bool qmgr_all_parked(struct qmgr *q, const struct queue_file *qf,
			    struct qmgr_dest **dest)
{
	size_t i;

	*dest = NULL;
	/* Past its lifetime: the attempt bounces what is left. */
	if (qmgr_expired(q, &qf->env, time(NULL)))
		return false;
	for (i = 0; i < qf->env.rcpt_count; i++) {
		const struct queue_rcpt *r = &qf->env.rcpts[i];
		const char *domain = qmgr_relay_domain(q, r);
		struct qmgr_dest *rd;

		if (r->state != QUEUE_RCPT_PENDING)
			continue;
		if ((r->flags & QUEUE_RCPT_FLAG_LOOP) || domain == NULL)
			return false;
		rd = qmgr_relay_dest(q, domain);
		if (qmgr_park_has_room(q, rd))
			return false;
		if (*dest == NULL)
			*dest = rd;
	}
	return *dest != NULL;
}

void qmgr_deliver(struct qmgr *q, struct qmgr_msg *m)
{
	struct qmgr_delivery *d;
	struct queue_file *qf;
	struct qmgr_dest *park_on;
	const char *error;
	char *path = queue_path(q->queue_dir, QUEUE_ACTIVE, m->id);
	bool corrupt;
	size_t i, *remote, remote_count = 0;

	/* Woken from the park, or not: its place is its own from here. */
	qmgr_park_forget(q, m);
	if (queue_file_open(path, true, NULL, &qf, &corrupt, &error) < 0) {
		int e = errno;

		free(path);
		errno = e;
		qmgr_open_failed(q, m, corrupt, error);
		return;
	}
	free(path);
	if (qmgr_all_parked(q, qf, &park_on)) {
		queue_file_close(&qf);
		qmgr_park(q, m, park_on);
		return;
	}
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
	d->success = xcalloc(qf->env.rcpt_count + 1, 1);
	remote = xcalloc(qf->env.rcpt_count, sizeof(*remote));
	for (i = 0; i < qf->env.rcpt_count; i++) {
		const struct queue_rcpt *r = &qf->env.rcpts[i];

		if (r->state != QUEUE_RCPT_PENDING)
			continue;
		if (r->flags & QUEUE_RCPT_FLAG_LOOP)
			qmgr_record(d, i, 'F', "554 5.4.6 Mail loop: the "
				    "aliases for this address form a cycle",
				    "none", NULL);
		else if (qmgr_relay_domain(q, r) == NULL)
			d->local[d->local_count++] = i;
		else
			remote[remote_count++] = i;
	}
	/* Held until every job is queued, so none can finish the message
	 * while others are still being started. */
	d->jobs = 1;
	/* Signed before any job reads the message, so every recipient
	 * gets the same octets. */
	if (remote_count > 0)
		qmgr_dkim_sign(q, d->qf);
	if (d->local_count > 0)
		qmgr_lmtp_queue(d);
	if (remote_count > 0)
		qmgr_relay_queue(d, remote, remote_count);
	free(remote);
	qmgr_job_done(d);
	log_set_ctx(NULL);
	/* A woken message that started no job for its destination leaves
	 * the room it was counted against to the next parked one. */
	qmgr_park_wake(q);
}
