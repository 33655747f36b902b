/* The end of a message, with group commit.  A finished queue file is
 * written but not yet durable; the sessions that finish a message in the
 * same loop round wait together, and then, once for all of them: their
 * files are made durable (their fsyncs issued at once, see
 * smtpd_commit_sync()), linked into incoming/, and that folder fsynced.
 * Only then does each of them say 250 (principle 3: a 250 is never lost).
 * While a round's syncs run, the next round's messages arrive, so the
 * busier smtpd is, the more messages share each sync. */
#include "smtpd.h"
#include "buf.h"
#include "event.h"
#include "queue_message.h"
#include "stream.h"
#include "sync_many.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Makes the files of the waiting sessions durable; a session whose file
 * could not be gets t->failed.  Their fsyncs run at once (sync_many()):
 * the file system's journal merges the calls that arrive while one of its
 * commits runs, and nothing else on the file system is flushed. */
static void smtpd_commit_sync(struct smtpd_session *head, size_t count)
{
	struct sync_many_item *items = xcalloc(count, sizeof(*items));
	struct smtpd_session *sess;
	size_t i = 0;

	for (sess = head; sess != NULL; sess = sess->commit_next)
		items[i++].fd = queue_writer_fd(sess->txn->writer);
	(void)sync_many(items, count);
	for (sess = head, i = 0; sess != NULL; sess = sess->commit_next, i++) {
		if (items[i].error == 0)
			continue;
		log_set_ctx(&sess->txn->log);
		log_error("queue_error", "reason=\"fsync: %s\"",
			  strerror(items[i].error));
		sess->txn->failed = true;
	}
	free(items);
}

static void smtpd_commit_run(void *ctx)
{
	struct smtpd *s = ctx;
	struct smtpd_session *head = s->commit_head, *sess, *next;
	const char *error = NULL;
	size_t count = 0, linked = 0;

	s->commit_head = NULL;
	for (sess = head; sess != NULL; sess = sess->commit_next)
		count++;
	if (count == 0)
		return;
	smtpd_commit_sync(head, count);
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
	else
		event_timer_reset(s->commit_timer);
	smtpd_session_wait(sess);
}

void smtpd_commit_forget(struct smtpd_session *sess)
{
	struct smtpd_session **pp;

	for (pp = &sess->smtpd->commit_head; *pp != NULL;
	     pp = &(*pp)->commit_next) {
		if (*pp == sess) {
			*pp = sess->commit_next;
			break;
		}
	}
}
