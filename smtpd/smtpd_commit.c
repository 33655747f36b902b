/* The end of a message, with group commit.  A finished queue file is
 * written but not yet durable; the sessions that finish a message in the
 * same loop round wait together, and then, once for all of them: their
 * files are made durable (a sync_batch: their fsyncs issued at once, on
 * the sync thread, while the loop goes on reading the other sessions), linked
 * into incoming/, and that folder fsynced.  Only then does each of them
 * say 250 (principle 3: a 250 is never lost).  The messages that end while
 * a group's files are synced make up the next group, so the busier smtpd
 * is, the more messages share each sync. */
#include "smtpd.h"
#include "buf.h"
#include "event.h"
#include "queue_message.h"
#include "stream.h"
#include "sync_batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* After the files of the group are durable (or not: t->failed): link
 * them, sync incoming/, and answer each session. */
static void smtpd_commit_finish(struct smtpd *s, struct smtpd_session *head)
{
	struct smtpd_session *sess, *next;
	const char *error = NULL;
	size_t linked = 0;

	/* Durable first, visible second: qmgr never sees a file a machine
	 * crash could still take back. */
	for (sess = head; sess != NULL; sess = sess->commit_next) {
		struct smtpd_txn *t = sess->txn;

		if (t->failed)
			continue;
		log_set_ctx(&t->log);
		if (queue_writer_link(&t->writer, QUEUE_INCOMING, &error) < 0) {
			log_error("queue_error", "reason=%s", error);
			t->failed = true;
		} else {
			linked++;
		}
	}
	if (linked > 0 &&
	    queue_dir_sync(s->queue_dir, QUEUE_INCOMING, &error) < 0) {
		log_error("queue_error", "reason=%s", error);
		for (sess = head; sess != NULL; sess = sess->commit_next)
			sess->txn->failed = true;
	}
	for (sess = head; sess != NULL; sess = next) {
		struct smtpd_txn *t = sess->txn;

		next = sess->commit_next;
		sess->commit_next = NULL;
		log_set_ctx(&t->log);
		if (!t->failed) {
			log_info("smtp_queued", "size=%llu count=%zu "
				 "message_id=%s", (unsigned long long)t->size,
				 t->env.rcpt_count, t->message_id != NULL ?
				 t->message_id : "");
			smtpd_reply(sess, 250, "2.0.0", "Ok: queued as %s",
				    t->id);
		} else {
			smtpd_reply(sess, 451, "4.3.0",
				    "Temporary failure, try again later [%s]",
				    sess->log.session);
		}
		smtpd_txn_free(sess);
		sess->state = SMTPD_STATE_COMMAND;
		smtpd_session_resume(sess);
	}
	log_set_ctx(NULL);
}

/* Forgets the group. */
static void smtpd_commit_group_free(struct smtpd *s)
{
	free(s->commit_items);
	free(s->commit_group);
	s->commit_items = NULL;
	s->commit_group = NULL;
	s->commit_count = 0;
}

/* The group's files are synced: a session whose file could not be made
 * durable gets t->failed; the sessions still there go on together. */
static void smtpd_commit_synced(void *ctx, struct sync_batch *b, int result)
{
	struct smtpd *s = ctx;
	struct smtpd_session *head = NULL, **tail = &head;
	size_t i;

	for (i = 0; i < s->commit_count; i++) {
		struct smtpd_session *sess = s->commit_group[i];
		/* EBADF for a file the batch could not take. */
		int e = sync_batch_error(b, s->commit_items[i]);

		if (sess == NULL)
			continue;	/* went away meanwhile */
		if (e != 0) {
			log_set_ctx(&sess->txn->log);
			log_error("queue_error", "reason=\"fsync: %s\"",
				  strerror(e));
			sess->txn->failed = true;
		}
		sess->commit_next = NULL;
		*tail = sess;
		tail = &sess->commit_next;
	}
	sync_batch_free(&b);
	smtpd_commit_group_free(s);
	log_set_ctx(NULL);
	if (head != NULL)
		smtpd_commit_finish(s, head);
	if (s->commit_head != NULL)
		event_timer_reset(s->commit_timer);
}

/* Starts the group commit of the waiting sessions, unless one runs (its
 * end starts the next).  Their fsyncs run at once (the first phase of a
 * sync_batch): the file system's journal merges the calls that arrive
 * while one of its commits runs, and nothing else on the file system is
 * flushed. */
static void smtpd_commit_run(void *ctx)
{
	struct smtpd *s = ctx;
	struct smtpd_session *sess;
	struct sync_batch *b;
	size_t i, count = 0;

	if (s->commit_group != NULL || s->commit_head == NULL)
		return;
	for (sess = s->commit_head; sess != NULL; sess = sess->commit_next)
		count++;
	s->commit_group = xcalloc(count, sizeof(*s->commit_group));
	s->commit_items = xcalloc(count, sizeof(*s->commit_items));
	s->commit_count = count;
	b = sync_batch_new();
	for (sess = s->commit_head, i = 0; sess != NULL;
	     sess = sess->commit_next, i++) {
		s->commit_group[i] = sess;
		/* The batch syncs a copy of the fd, so a session that goes
		 * away meanwhile leaves it a valid one.  A copy fails only
		 * for want of descriptors: that file's sync then fails
		 * (EBADF) and its session says 451. */
		s->commit_items[i] = sync_batch_add(
			b, queue_writer_fd(sess->txn->writer),
			SYNC_BATCH_NAMES, true);
	}
	s->commit_head = NULL;
	if (s->commit_sync == NULL)
		s->commit_sync = sync_batch_loop_new(s->loop,
						     smtpd_commit_synced, s);
	if (s->commit_sync != NULL)
		(void)sync_batch_loop_start(s->commit_sync, b);
	else		/* no eventfd: the same syncs, here */
		smtpd_commit_synced(s, b, sync_batch_run(b));
}

void smtpd_commit_deinit(struct smtpd *s)
{
	sync_batch_loop_free(&s->commit_sync);
	smtpd_commit_group_free(s);
	event_timer_remove(&s->commit_timer);
}

void smtpd_commit_message(struct smtpd_session *sess)
{
	struct smtpd *s = sess->smtpd;
	struct smtpd_txn *t = sess->txn;
	const char *error;

	if (t->message != NULL && queue_message_id(t->message) != NULL)
		t->message_id = xstrdup(queue_message_id(t->message));
	queue_message_free(&t->message);
	if (t->size == 0)
		t->size = queue_writer_size(t->writer);
	if (queue_writer_end(t->writer, &error) < 0) {
		log_error("queue_error", "reason=%s", error);
		smtpd_reply(sess, 451, "4.3.0",
			    "Temporary failure, try again later [%s]",
			    sess->log.session);
		smtpd_txn_free(sess);
		return;
	}
	sess->commit_next = s->commit_head;
	s->commit_head = sess;
	if (s->commit_timer == NULL)
		s->commit_timer = event_timer_add(s->loop, 0, 0,
						  smtpd_commit_run, s);
	else if (s->commit_group == NULL)
		event_timer_reset(s->commit_timer);
	smtpd_session_wait(sess);
}

void smtpd_commit_forget(struct smtpd_session *sess)
{
	struct smtpd *s = sess->smtpd;
	struct smtpd_session **pp;
	size_t i;

	for (i = 0; i < s->commit_count; i++) {
		if (s->commit_group[i] == sess)
			s->commit_group[i] = NULL;
	}
	for (pp = &sess->smtpd->commit_head; *pp != NULL;
	     pp = &(*pp)->commit_next) {
		if (*pp == sess) {
			*pp = sess->commit_next;
			break;
		}
	}
}
