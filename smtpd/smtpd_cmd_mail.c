/* MAIL FROM (RFC 5321 4.1.1.2): the start of a transaction. */
#include "smtpd.h"
#include "buf.h"
#include "smtp_address.h"
#include "smtp_command.h"

#include <stdlib.h>
#include <string.h>

void smtpd_cmd_mail(struct smtpd_session *sess, struct smtp_command *cmd)
{
	struct smtpd_txn *t;
	struct buf sender = BUF_INIT;

	if (sess->helo == NULL) {
		smtpd_reply(sess, 503, "5.5.1", "Send HELO or EHLO first");
		smtpd_session_error(sess);
		return;
	}
	if (sess->txn != NULL) {
		smtpd_reply(sess, 503, "5.5.1", "Nested MAIL command");
		smtpd_session_error(sess);
		return;
	}
	/* RFC 6409 4.3: submission needs an authenticated user. */
	if (sess->role != SMTPD_ROLE_MX && sess->user == NULL) {
		smtpd_reply(sess, 530, "5.7.0", "Authentication required");
		smtpd_session_error(sess);
		return;
	}
	if (sess->user != NULL &&
	    !smtpd_policy_sender_ok(sess->smtpd, sess->user, cmd->path)) {
		smtp_address_write(&sender, cmd->path);
		log_info("smtp_sender_refused", "user=%s from=%s",
			 sess->user, buf_cstr(&sender));
		smtpd_reply(sess, 553, "5.7.1",
			    "Sender address not owned by the authenticated user");
		smtpd_session_error(sess);
		buf_free(&sender);
		return;
	}
	smtp_address_write(&sender, cmd->path);
	t = xcalloc(1, sizeof(*t));
	sess->txn = t;
	t->log = sess->log;
	queue_id_new(t->id);
	str_copy(t->log.queue_id, sizeof(t->log.queue_id), t->id);
	log_set_ctx(&t->log);
	memcpy(t->env.id, t->id, sizeof(t->id));
	t->env.sender = buf_steal(&sender);
	t->env.ret = cmd->mail.ret;
	t->env.body = cmd->mail.body;
	t->env.smtputf8 = cmd->mail.smtputf8;
	if (cmd->mail.envid != NULL)
		t->env.envid = xstrdup(cmd->mail.envid);
	if (sess->user != NULL)
		t->env.auth_user = xstrdup(sess->user);
	t->env.client = xstrdup(sess->peer_ip);
	/* The relay signs (DKIM) only what our own users sent. */
	t->env.trusted = sess->trusted;
	log_info("smtp_mail", "from=%s size=%llu", t->env.sender,
		 (unsigned long long)cmd->mail.size);
	smtpd_mailauth_mail(sess);
	smtpd_reply(sess, 250, "2.1.0", "Ok");
}
