/*
 * The postmaster's actions on messages: hold, release, requeue, delete.
 * They come over the queue socket (qmgr_control.c), so they run in the
 * queue manager's own loop and can never race a delivery.
 *
 * A message whose delivery attempt is running is not cut off: the
 * attempt may already have handed it to a peer that is about to answer,
 * and cutting it would leave that recipient's fate unknown.  Instead the
 * action is recorded on the message, and when the attempt ends (its
 * outcomes recorded durably, as always) the message goes to hold/ or is
 * removed instead of being deferred, and the command that asked is told
 * which recipients the attempt delivered.  So once a hold or delete has
 * answered, no attempt of the message is running and none will start
 * (a held one only after a release).
 */
#include "qmgr.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Logs `event` about message `id`, under the current session. */
static void qmgr_admin_log(const char *id, const char *event)
{
	const struct log_ctx *prev = log_get_ctx();
	struct log_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	if (prev != NULL)
		memcpy(ctx.session, prev->session, sizeof(ctx.session));
	str_copy(ctx.queue_id, sizeof(ctx.queue_id), id);
	log_set_ctx(&ctx);
	log_info(event, NULL);
	log_set_ctx(prev);
}

/* Moves `m` to `to` durably (both folders synced). */
static int qmgr_admin_move(struct qmgr *q, struct qmgr_msg *m,
			   enum queue_folder to, struct buf *result)
{
	enum queue_folder from = m->folder;
	const char *error;

	if (qmgr_msg_move(q, m, to) < 0) {
		buf_printf(result, "cannot move it to %s/: %s",
			   queue_folder_name(to), strerror(errno));
		return -1;
	}
	if (queue_dir_sync(q->queue_dir, to, &error) < 0 ||
	    queue_dir_sync(q->queue_dir, from, &error) < 0)
		log_error("queue_error", "reason=%s", error);
	return 0;
}

/* Sets the file's mtime, which is a deferred message's next attempt. */
static void qmgr_admin_touch(struct qmgr *q, const struct qmgr_msg *m,
			     time_t when)
{
	char *path = queue_path(q->queue_dir, m->folder, m->id);
	struct timespec times[2];

	times[0].tv_sec = times[1].tv_sec = when;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, times, 0) < 0)
		log_warn("queue_error", "path=%s reason=\"utimensat: %s\"",
			 path, strerror(errno));
	free(path);
}

static int qmgr_admin_wait(struct qmgr_msg *m, enum qmgr_action action,
			   qmgr_wait_fn *fn, void *ctx)
{
	struct qmgr_wait *w = xcalloc(1, sizeof(*w));

	/* A delete asked after a hold wins; a hold never undoes a delete. */
	if (m->action != QMGR_ACTION_DELETE)
		m->action = action;
	w->fn = fn;
	w->ctx = ctx;
	w->next = m->waits;
	m->waits = w;
	qmgr_admin_log(m->id, action == QMGR_ACTION_HOLD ?
		       "queue_hold_waiting" : "queue_delete_waiting");
	return 1;
}

int qmgr_admin_hold(struct qmgr *q, struct qmgr_msg *m, qmgr_wait_fn *fn,
		    void *ctx, struct buf *result)
{
	if (m->busy)
		return qmgr_admin_wait(m, QMGR_ACTION_HOLD, fn, ctx);
	if (m->folder == QUEUE_HOLD) {
		buf_append_str(result, "already on hold");
		return 0;
	}
	if (qmgr_admin_move(q, m, QUEUE_HOLD, result) < 0)
		return -1;
	q->counters.held++;
	qmgr_admin_log(m->id, "queue_held");
	buf_append_str(result, "held");
	return 0;
}

static int qmgr_admin_unlink(struct qmgr *q, struct qmgr_msg *m,
			     struct buf *result)
{
	char *path = queue_path(q->queue_dir, m->folder, m->id);
	const char *error;
	int ret = 0;

	/* Logged first, as for queue_removed: the line is never missing
	 * for a file that is gone. */
	qmgr_admin_log(m->id, "queue_deleted");
	if (unlink(path) < 0 && errno != ENOENT) {
		buf_printf(result, "cannot delete it: %s",
			   strerror(errno));
		ret = -1;
	} else {
		if (queue_dir_sync(q->queue_dir, m->folder, &error) < 0)
			log_error("queue_error", "reason=%s", error);
		q->counters.deleted++;
	}
	free(path);
	return ret;
}

int qmgr_admin_delete(struct qmgr *q, struct qmgr_msg *m, qmgr_wait_fn *fn,
		      void *ctx, struct buf *result)
{
	if (m->busy)
		return qmgr_admin_wait(m, QMGR_ACTION_DELETE, fn, ctx);
	if (qmgr_admin_unlink(q, m, result) < 0)
		return -1;
	buf_append_str(result, "deleted");
	qmgr_msg_remove(q, m);
	return 0;
}

int qmgr_admin_release(struct qmgr *q, struct qmgr_msg *m, struct buf *result)
{
	if (m->folder != QUEUE_HOLD) {
		buf_append_str(result, "not on hold");
		return -1;
	}
	if (qmgr_admin_move(q, m, QUEUE_DEFERRED, result) < 0)
		return -1;
	/* Due now, here and after a restart. */
	m->next_attempt = 0;
	qmgr_admin_touch(q, m, time(NULL));
	q->counters.released++;
	qmgr_admin_log(m->id, "queue_released");
	buf_append_str(result, "released");
	return 0;
}

int qmgr_admin_requeue(struct qmgr *q, struct qmgr_msg *m, struct buf *result)
{
	if (m->folder == QUEUE_HOLD) {
		buf_append_str(result, "on hold (release it first)");
		return -1;
	}
	if (m->busy) {
		buf_append_str(result, "being delivered now");
		return 0;
	}
	if (m->parked_on != NULL) {
		/* Trying it sooner would only park it again. */
		buf_printf(result, "waiting for room at %s", m->parked_on->name);
		return 0;
	}
	if (m->folder == QUEUE_DEFERRED) {
		m->next_attempt = 0;
		qmgr_admin_touch(q, m, time(NULL));
	}
	qmgr_admin_log(m->id, "queue_requeued");
	buf_append_str(result, "requeued");
	return 0;
}

void qmgr_admin_forget(struct qmgr *q, void *ctx)
{
	struct qmgr_msg *m;

	for (m = q->msgs; m != NULL; m = m->next) {
		struct qmgr_wait **pp = &m->waits;

		while (*pp != NULL) {
			struct qmgr_wait *w = *pp;

			if (w->ctx == ctx) {
				*pp = w->next;
				free(w);
			} else {
				pp = &w->next;
			}
		}
	}
}

static void qmgr_admin_notify(struct qmgr_msg *m, bool ok, const char *text)
{
	struct qmgr_wait *w;

	while ((w = m->waits) != NULL) {
		m->waits = w->next;
		w->fn(w->ctx, m->id, ok, text);
		free(w);
	}
}

bool qmgr_admin_attempt_over(struct qmgr *q, struct qmgr_msg **mp,
			     const struct queue_file *qf, bool pending)
{
	struct qmgr_msg *m = *mp;
	enum qmgr_action action = m->action;
	struct buf result = BUF_INIT, delivered = BUF_INIT;
	bool took = false, ok = true;
	size_t i;

	m->action = QMGR_ACTION_NONE;
	if (action == QMGR_ACTION_NONE)
		return false;
	for (i = 0; i < qf->env.rcpt_count; i++) {
		if (qf->env.rcpts[i].state != QUEUE_RCPT_DELIVERED)
			continue;
		buf_printf(&delivered, "%s%s", delivered.len > 0 ? ", " : "",
			   qf->env.rcpts[i].address);
	}
	if (!pending) {
		buf_printf(&result, "every recipient had its final outcome "
			   "in the attempt that was running; nothing left to %s",
			   action == QMGR_ACTION_HOLD ? "hold" : "delete");
	} else if (action == QMGR_ACTION_HOLD) {
		ok = qmgr_admin_move(q, m, QUEUE_HOLD, &result) == 0;
		if (ok) {
			q->counters.held++;
			qmgr_admin_log(m->id, "queue_held");
			buf_printf(&result, "held once the attempt that "
				   "was running ended");
		}
		took = ok;
	} else {
		ok = qmgr_admin_unlink(q, m, &result) == 0;
		if (ok)
			buf_printf(&result, "deleted once the attempt that "
				   "was running ended");
		took = ok;
	}
	if (delivered.len > 0)
		buf_printf(&result, " (delivered to %s)", buf_cstr(&delivered));
	qmgr_admin_notify(m, ok, buf_cstr(&result));
	if (took && action == QMGR_ACTION_DELETE) {
		qmgr_msg_remove(q, m);
		*mp = NULL;
	}
	buf_free(&result);
	buf_free(&delivered);
	return took;
}
