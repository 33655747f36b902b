/* The end of a message: its queue file is fsynced and linked into
 * incoming/ at once, and the folder fsync that makes the link durable is
 * shared by every session that got there in the same loop round.  Only
 * then does each of them say 250 (principle 3: a 250 is never lost). */
#include "smtpd.h"
#include "event.h"
#include "queue_message.h"
#include "stream.h"

#include <stdlib.h>

static void smtpd_commit_run(void *ctx)
{
	struct smtpd *s = ctx;
	struct smtpd_session *sess, *next;
	const char *error = NULL;
	int ret;

	ret = queue_dir_sync(s->queue_dir, QUEUE_INCOMING, &error);
	if (ret < 0)
		log_error("queue_error", "reason=%s", error);
	sess = s->commit_head;
	s->commit_head = NULL;
	for (; sess != NULL; sess = next) {
		next = sess->commit_next;
		sess->commit_next = NULL;
		log_set_ctx(&sess->txn->log);
		if (ret == 0) {
			log_info("smtp_queued", "size=%llu count=%zu",
				 (unsigned long long)sess->txn->size,
				 sess->txn->env.rcpt_count);
			smtpd_reply(sess, 250, "2.0.0", "Ok: queued as %s",
				    sess->txn->id);
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

	queue_message_free(&t->message);
	if (t->size == 0)
		t->size = queue_writer_size(t->writer);
	if (queue_writer_finish(&t->writer, QUEUE_INCOMING, &error) < 0) {
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
