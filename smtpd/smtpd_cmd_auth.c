/* AUTH (RFC 4954): the SASL exchange is relayed to authd, which alone
 * holds the keytab; smtpd only frames it as 334 lines. */
#include "smtpd.h"
#include "auth_client.h"
#include "base64.h"
#include "buf.h"
#include "smtp_command.h"
#include "stream.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool smtpd_mech_offered(const struct smtpd_session *sess,
			       const char *mech)
{
	const char *p = sess->smtpd->auth_mechanisms;
	size_t len = strlen(mech);

	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == len && strncasecmp(p, mech, n) == 0)
			return true;
		p += n;
	}
	return false;
}

static void smtpd_auth_end(struct smtpd_session *sess)
{
	auth_client_free(&sess->auth);
	sess->state = SMTPD_STATE_COMMAND;
	smtpd_session_resume(sess);
}

static void smtpd_auth_callback(void *ctx, const struct auth_client_reply *reply,
				const char *error)
{
	struct smtpd_session *sess = ctx;
	struct buf b64 = BUF_INIT;

	log_set_ctx(&sess->log);
	if (reply == NULL) {
		log_error("auth_unavailable", "reason=%s", error);
		smtpd_reply(sess, 454, "4.7.0",
			    "Temporary authentication failure");
		smtpd_auth_end(sess);
	} else if (reply->status == AUTH_CLIENT_CONTINUE) {
		base64_encode(&b64, reply->challenge, reply->challenge_len);
		smtpd_reply(sess, 334, NULL, "%s", buf_cstr(&b64));
		sess->state = SMTPD_STATE_AUTH;
		smtpd_session_resume(sess);
	} else if (reply->status == AUTH_CLIENT_OK) {
		sess->user = xstrdup(reply->user);
		log_info("smtp_auth_ok", "user=%s mech=%s", sess->user,
			 sess->auth_mech);
		smtpd_reply(sess, 235, "2.7.0", "Authentication successful");
		smtpd_auth_end(sess);
	} else {
		log_info("smtp_auth_fail", "mech=%s reason=%s", sess->auth_mech,
			 auth_fail_name(reply->fail));
		if (reply->fail == AUTH_FAIL_TEMP)
			smtpd_reply(sess, 454, "4.7.0",
				    "Temporary authentication failure");
		else
			smtpd_reply(sess, 535, "5.7.8",
				    "Authentication credentials invalid");
		smtpd_session_error(sess);
		smtpd_auth_end(sess);
	}
	buf_free(&b64);
	log_set_ctx(NULL);
}

void smtpd_cmd_auth(struct smtpd_session *sess, struct smtp_command *cmd)
{
	struct smtpd *s = sess->smtpd;
	struct auth_client_request req;
	struct buf initial = BUF_INIT;
	const char *error;

	if (!sess->esmtp || sess->user != NULL || sess->txn != NULL) {
		smtpd_reply(sess, 503, "5.5.1", sess->user != NULL ?
			    "Already authenticated" :
			    "AUTH not allowed now");
		smtpd_session_error(sess);
		return;
	}
	if (!smtpd_mech_offered(sess, cmd->auth_mech)) {
		smtpd_reply(sess, 504, "5.5.4", "Unrecognized authentication type");
		smtpd_session_error(sess);
		return;
	}
	if (!sess->tls && strcmp(cmd->auth_mech, "GSSAPI") != 0) {
		/* RFC 4954 4: 538 when the mechanism needs encryption. */
		smtpd_reply(sess, 538, "5.7.11",
			    "Encryption required for requested authentication "
			    "mechanism");
		smtpd_session_error(sess);
		return;
	}
	if (cmd->auth_initial != NULL &&
	    base64_decode(&initial, cmd->auth_initial,
			  strlen(cmd->auth_initial), s->auth_max_token) < 0) {
		smtpd_reply(sess, 501, "5.5.2", "Invalid base64 data");
		smtpd_session_error(sess);
		return;
	}
	str_copy(sess->auth_mech, sizeof(sess->auth_mech), cmd->auth_mech);
	memset(&req, 0, sizeof(req));
	req.mech = cmd->auth_mech;
	req.service = "smtp";
	req.secured = sess->tls;
	req.client_addr = sess->peer_ip;
	req.session = sess->log.session;
	if (cmd->auth_initial != NULL) {
		req.initial_response = initial.data != NULL ? initial.data : "";
		req.initial_response_len = initial.len;
	}
	if (auth_client_begin(s->loop, s->auth_socket, s->auth_timeout,
			      s->auth_max_token, &req, smtpd_auth_callback,
			      sess, &sess->auth, &error) < 0) {
		log_error("auth_unavailable", "reason=%s", error);
		smtpd_reply(sess, 454, "4.7.0",
			    "Temporary authentication failure");
		buf_free(&initial);
		return;
	}
	buf_free(&initial);
	smtpd_session_wait(sess);
}

void smtpd_auth_response(struct smtpd_session *sess, const char *line,
			 size_t len)
{
	struct buf resp = BUF_INIT;

	if (len == 1 && line[0] == '*') {
		/* RFC 4954 4: the client cancelled. */
		auth_client_free(&sess->auth);
		sess->state = SMTPD_STATE_COMMAND;
		smtpd_reply(sess, 501, "5.0.0", "Authentication cancelled");
		smtpd_session_error(sess);
		return;
	}
	if (base64_decode(&resp, line, len, sess->smtpd->auth_max_token) < 0) {
		auth_client_free(&sess->auth);
		sess->state = SMTPD_STATE_COMMAND;
		smtpd_reply(sess, 501, "5.5.2", "Invalid base64 data");
		smtpd_session_error(sess);
		return;
	}
	auth_client_continue(sess->auth, resp.data != NULL ? resp.data : "",
			     resp.len);
	buf_free(&resp);
	smtpd_session_wait(sess);
}
