/* The greeting, HELO and EHLO (RFC 5321 4.1.1.1, 4.3.1). */
#include "smtpd.h"
#include "buf.h"
#include "smtp_command.h"
#include "smtp_ehlo.h"
#include "smtp_ext.h"
#include "stream.h"

#include <stdlib.h>
#include <string.h>

void smtpd_greet(struct smtpd_session *sess)
{
	smtpd_reply(sess, 220, NULL, "%s ESMTP sealpost", sess->smtpd->hostname);
}

/* What this session may use.  STARTTLS only before TLS and when a key
 * is configured; AUTH is listed by smtpd_auth_mechs(). */
unsigned int smtpd_extensions(const struct smtpd_session *sess)
{
	unsigned int ext;

	if (!sess->esmtp)
		return 0;
	ext = SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
		SMTP_EXT_CHUNKING | SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8 |
		SMTP_EXT_ENHANCEDSTATUSCODES | SMTP_EXT_AUTH;
	if (!sess->tls && sess->smtpd->tls != NULL)
		ext |= SMTP_EXT_STARTTLS;
	return ext;
}

/* The mechanisms to offer: those authd has, and outside TLS only those
 * that send no password (RFC 4954 4, our principle 2). */
static void smtpd_auth_mechs(const struct smtpd_session *sess,
			     struct buf *out)
{
	const char *p = sess->smtpd->auth_mechanisms;

	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		if (sess->tls || (n == 6 && strncmp(p, "GSSAPI", 6) == 0)) {
			if (out->len > 0)
				buf_append_char(out, ' ');
			buf_append(out, p, n);
		}
		p += n;
	}
}

static void smtpd_set_helo(struct smtpd_session *sess,
			   const struct smtp_command *cmd, bool esmtp)
{
	/* RFC 5321 4.1.4: EHLO again resets the transaction. */
	smtpd_txn_free(sess);
	free(sess->helo);
	sess->helo = xstrdup(cmd->helo);
	sess->esmtp = esmtp;
}

void smtpd_cmd_helo(struct smtpd_session *sess, struct smtp_command *cmd)
{
	smtpd_set_helo(sess, cmd, false);
	smtpd_reply(sess, 250, NULL, "%s", sess->smtpd->hostname);
}

void smtpd_cmd_ehlo(struct smtpd_session *sess, struct smtp_command *cmd)
{
	struct buf out = BUF_INIT, mechs = BUF_INIT;
	const char *error;

	smtpd_set_helo(sess, cmd, true);
	if (sess->user == NULL)
		smtpd_auth_mechs(sess, &mechs);
	if (smtp_ehlo_write_reply(&out, sess->smtpd->hostname, "Hello",
				  smtpd_extensions(sess),
				  sess->smtpd->set.message_size_limit,
				  buf_cstr(&mechs), &error) < 0)
		log_panic("EHLO reply: %s", error);
	stream_write(sess->stream, out.data, out.len);
	buf_free(&out);
	buf_free(&mechs);
}
