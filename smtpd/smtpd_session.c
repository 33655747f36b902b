/* One SMTP session: reading commands, dispatching them, replies, limits
 * and the end of the session. */
#include "smtpd.h"
#include "auth_client.h"
#include "buf.h"
#include "event.h"
#include "queue_message.h"
#include "server.h"
#include "smtp_address.h"
#include "smtp_command.h"
#include "smtp_ext.h"
#include "smtp_reply.h"
#include "stream.h"
#include "stream_data.h"
#include "tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void smtpd_session_input(void *ctx);
static void smtpd_session_free(struct smtpd_session *sess);

void smtpd_reply(struct smtpd_session *sess, unsigned int code,
		 const char *enhanced, const char *fmt, ...)
{
	struct buf text = BUF_INIT, out = BUF_INIT;
	const char *error;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	if (smtp_reply_write(&out, code, enhanced, buf_cstr(&text),
			     &error) < 0)
		log_panic("reply %u %s: %s", code, buf_cstr(&text), error);
	stream_write(sess->stream, out.data, out.len);
	buf_free(&text);
	buf_free(&out);
}

void smtpd_session_close(struct smtpd_session *sess, unsigned int code,
			 const char *enhanced, const char *text)
{
	if (sess->state == SMTPD_STATE_CLOSING)
		return;
	if (code != 0)
		smtpd_reply(sess, code, enhanced, "%s %s", sess->smtpd->hostname,
			    text);
	sess->state = SMTPD_STATE_CLOSING;
	stream_pause(sess->stream);
	/* Once the replies are out (or the peer is gone) the session ends. */
	if (stream_flush(sess->stream) != 0)
		sess->free_pending = true;
}

void smtpd_session_error(struct smtpd_session *sess)
{
	if (++sess->errors >= sess->smtpd->set.smtpd_hard_error_limit) {
		log_info("smtp_error_limit", "count=%u", sess->errors);
		smtpd_session_close(sess, 421, "4.7.0",
				    "Too many errors, closing connection");
	}
}

const char *smtpd_session_protocol(const struct smtpd_session *sess)
{
	static char proto[16];
	bool utf8 = sess->txn != NULL && sess->txn->env.smtputf8;

	/* RFC 3848 and RFC 6531 4.3. */
	snprintf(proto, sizeof(proto), "%s%s%s",
		 utf8 ? "UTF8SMTP" : sess->esmtp ? "ESMTP" : "SMTP",
		 sess->tls && (utf8 || sess->esmtp) ? "S" : "",
		 sess->user != NULL && (utf8 || sess->esmtp) ? "A" : "");
	return proto;
}

void smtpd_txn_free(struct smtpd_session *sess)
{
	struct smtpd_txn *t = sess->txn;

	if (t == NULL)
		return;
	stream_data_free(&t->data);
	smtpd_dkim_txn_free(t);
	smtpd_mailauth_txn_free(t);
	queue_message_free(&t->message);
	queue_writer_abort(&t->writer);
	queue_envelope_deinit(&t->env);
	free(t->first_rcpt);
	free(t->message_id);
	free(t);
	sess->txn = NULL;
	log_set_ctx(&sess->log);
}

void smtpd_session_wait(struct smtpd_session *sess)
{
	sess->state = SMTPD_STATE_WAIT;
	stream_pause(sess->stream);
	stream_flush(sess->stream);
}

void smtpd_session_resume(struct smtpd_session *sess)
{
	if (sess->state == SMTPD_STATE_CLOSING) {
		if (sess->free_pending)
			smtpd_session_free(sess);
		return;
	}
	stream_resume(sess->stream);
	stream_flush(sess->stream);
}

static void smtpd_cmd_rset(struct smtpd_session *sess)
{
	smtpd_txn_free(sess);
	smtpd_reply(sess, 250, "2.0.0", "Ok");
}

static void smtpd_dispatch(struct smtpd_session *sess, struct smtp_command *cmd)
{
	switch (cmd->verb) {
	case SMTP_COMMAND_HELO: smtpd_cmd_helo(sess, cmd); break;
	case SMTP_COMMAND_EHLO: smtpd_cmd_ehlo(sess, cmd); break;
	case SMTP_COMMAND_MAIL: smtpd_cmd_mail(sess, cmd); break;
	case SMTP_COMMAND_RCPT: smtpd_cmd_rcpt(sess, cmd); break;
	case SMTP_COMMAND_DATA: smtpd_cmd_data(sess); break;
	case SMTP_COMMAND_BDAT: smtpd_cmd_bdat(sess, cmd); break;
	case SMTP_COMMAND_RSET: smtpd_cmd_rset(sess); break;
	case SMTP_COMMAND_STARTTLS: smtpd_cmd_starttls(sess); break;
	case SMTP_COMMAND_AUTH: smtpd_cmd_auth(sess, cmd); break;
	case SMTP_COMMAND_NOOP:
		smtpd_reply(sess, 250, "2.0.0", "Ok");
		break;
	case SMTP_COMMAND_QUIT:
		smtpd_reply(sess, 221, "2.0.0", "Bye");
		smtpd_session_close(sess, 0, NULL, NULL);
		break;
	case SMTP_COMMAND_VRFY:
		/* Never say whether a user exists (RFC 5321 3.5.3). */
		smtpd_reply(sess, 252, "2.5.0",
			    "Cannot VRFY user, but will accept message");
		break;
	case SMTP_COMMAND_EXPN:
		smtpd_reply(sess, 502, "5.5.1", "EXPN not available");
		smtpd_session_error(sess);
		break;
	case SMTP_COMMAND_HELP:
		smtpd_reply(sess, 214, "2.0.0", "See RFC 5321");
		break;
	default:
		smtpd_reply(sess, 502, "5.5.1", "Command not supported");
		smtpd_session_error(sess);
		break;
	}
}

static void smtpd_command_line(struct smtpd_session *sess,
			       const struct stream_line *line)
{
	struct smtp_command_opts opts;
	struct smtp_command *cmd;
	struct smtp_command_error err;

	if (line->eol != STREAM_EOL_CRLF || line->bare_cr) {
		/* A lone CR or LF is how command smuggling starts. */
		log_info("smtp_bad_line", "reason=%s",
			 line->bare_cr ? "bare CR" : "bare LF");
		smtpd_reply(sess, 500, "5.5.2",
			    "Bare CR or LF in command not allowed");
		smtpd_session_error(sess);
		return;
	}
	memset(&opts, 0, sizeof(opts));
	opts.extensions = smtpd_extensions(sess);
	opts.smtputf8 = sess->txn != NULL && sess->txn->env.smtputf8;
	if (smtp_command_parse(line->data, line->len, &opts,
			       &sess->smtpd->limits, &cmd, &err) < 0) {
		log_info("smtp_bad_command", "cmd=%s reason=%s",
			 smtp_command_verb_name(err.verb), err.reason);
		smtpd_reply_status(sess, &err.status);
		if (err.verb == SMTP_COMMAND_BDAT) {
			/* The chunk's octets follow and nobody knows how
			 * many: RFC 3030 gives no way back in step. */
			smtpd_session_close(sess, 421, "4.5.0",
					    "Invalid BDAT, closing connection");
			return;
		}
		smtpd_session_error(sess);
		return;
	}
	smtpd_dispatch(sess, cmd);
	smtp_command_free(&cmd);
}

/* The parsers' statuses with the enhanced code: we always advertise
 * ENHANCEDSTATUSCODES. */
void smtpd_reply_status(struct smtpd_session *sess,
			const struct smtp_status *status)
{
	struct buf out = BUF_INIT;

	smtp_reply_write_status(&out, status, true);
	stream_write(sess->stream, out.data, out.len);
	buf_free(&out);
}

/* Reads and acts on commands until input runs out or the session waits. */
static bool smtpd_command_input(struct smtpd_session *sess)
{
	struct stream_line line;
	size_t max = smtp_limits_line_max(&sess->smtpd->limits) - 2;
	enum stream_result r = stream_read_line(sess->stream, max, &line);

	switch (r) {
	case STREAM_OK:
		if (sess->state == SMTPD_STATE_AUTH)
			smtpd_auth_response(sess, line.data, line.len);
		else
			smtpd_command_line(sess, &line);
		return true;
	case STREAM_TOO_LONG:
		log_info("smtp_bad_line", "reason=\"line too long\"");
		smtpd_reply(sess, 500, "5.5.2", "Line too long");
		smtpd_session_error(sess);
		return true;
	case STREAM_WAIT:
		return false;
	case STREAM_EOF:
		log_info("smtp_disconnect", "reason=eof");
		smtpd_session_close(sess, 0, NULL, NULL);
		return false;
	default:
		log_info("smtp_disconnect", "reason=%s",
			 stream_error(sess->stream) != NULL ?
			 stream_error(sess->stream) : "error");
		smtpd_session_close(sess, 0, NULL, NULL);
		return false;
	}
}

static void smtpd_session_input(void *ctx)
{
	struct smtpd_session *sess = ctx;
	bool more = true;

	log_set_ctx(sess->txn != NULL ? &sess->txn->log : &sess->log);
	while (more) {
		switch (sess->state) {
		case SMTPD_STATE_COMMAND:
		case SMTPD_STATE_AUTH:
			more = smtpd_command_input(sess);
			break;
		case SMTPD_STATE_DATA:
			more = smtpd_data_input(sess);
			break;
		case SMTPD_STATE_BDAT:
			more = smtpd_bdat_input(sess);
			break;
		default:
			more = false;
			break;
		}
		if (sess->txn == NULL)
			log_set_ctx(&sess->log);
	}
	if (sess->state == SMTPD_STATE_CLOSING) {
		if (sess->free_pending)
			smtpd_session_free(sess);
		return;
	}
	/* Replies to a pipelined batch go out together (RFC 2920 3.2). */
	stream_flush(sess->stream);
	log_set_ctx(NULL);
}

static void smtpd_session_drained(void *ctx)
{
	struct smtpd_session *sess = ctx;

	if (sess->state == SMTPD_STATE_CLOSING)
		smtpd_session_free(sess);
}

static void smtpd_session_stream_error(void *ctx)
{
	struct smtpd_session *sess = ctx;

	log_set_ctx(&sess->log);
	log_info("smtp_disconnect", "reason=%s",
		 stream_timed_out(sess->stream) ? "timeout" :
		 stream_error(sess->stream) != NULL ?
		 stream_error(sess->stream) : "error");
	smtpd_session_free(sess);
	log_set_ctx(NULL);
}

static void smtpd_session_ready(void *ctx)
{
	struct smtpd_session *sess = ctx;

	log_set_ctx(&sess->log);
	smtpd_tls_ready(sess);
	stream_flush(sess->stream);
	log_set_ctx(NULL);
}

static void smtpd_session_timeout(void *ctx)
{
	struct smtpd_session *sess = ctx;

	log_set_ctx(&sess->log);
	log_info("smtp_session_limit", "limit=smtpd_max_session_time");
	if (sess->state == SMTPD_STATE_WAIT)
		return;
	smtpd_session_close(sess, 421, "4.4.2", "Session time limit exceeded");
	if (sess->free_pending)
		smtpd_session_free(sess);
	log_set_ctx(NULL);
}

static const struct stream_callbacks smtpd_stream_cb = {
	.input = smtpd_session_input,
	.drained = smtpd_session_drained,
	.error = smtpd_session_stream_error,
	.ready = smtpd_session_ready,
};

void smtpd_session_accept(void *ctx, struct server_conn *conn)
{
	struct smtpd *s = ctx;
	struct smtpd_session *sess = xcalloc(1, sizeof(*sess));
	struct stream_settings set = stream_default_settings;
	const char *error;

	sess->smtpd = s;
	sess->conn = conn;
	log_new_session_id(sess->log.session);
	log_set_ctx(&sess->log);
	str_copy(sess->peer_ip, sizeof(sess->peer_ip), conn->peer_ip);
	sess->role = strcmp(conn->listener, "submissions") == 0 ?
		SMTPD_ROLE_SUBMISSIONS :
		strcmp(conn->listener, "submission") == 0 ?
		SMTPD_ROLE_SUBMISSION : SMTPD_ROLE_MX;
	sess->trusted = smtpd_policy_trusted(s, conn->peer_ip);
	set.read_timeout_ms = s->set.smtpd_timeout * 1000;
	set.write_timeout_ms = s->set.smtpd_timeout * 1000;
	if (s->set.smtpd_max_line_length + 2 > set.input_max)
		set.input_max = s->set.smtpd_max_line_length + 2;
	sess->stream = stream_new(s->loop, conn->fd, &set, &smtpd_stream_cb,
				  sess);
	sess->next = s->sessions;
	if (s->sessions != NULL)
		s->sessions->prev = sess;
	s->sessions = sess;
	sess->session_timer = event_timer_add(s->loop,
					      s->set.smtpd_max_session_time * 1000,
					      0, smtpd_session_timeout, sess);
	log_info("smtp_connect", "client=%s listener=%s", conn->peer_ip,
		 conn->listener);
	if (server_conn_over_limit(conn)) {
		smtpd_session_close(sess, 421, "4.7.0",
				    "Too many connections, try again later");
	} else if (server_shutting_down(s->server)) {
		smtpd_session_close(sess, 421, "4.3.2",
				    "Shutting down, try again later");
	} else if (sess->role == SMTPD_ROLE_SUBMISSIONS) {
		/* RFC 8314 3.3: TLS first; the greeting comes after. */
		sess->state = SMTPD_STATE_TLS;
		if (tls_stream_start(sess->stream, s->tls, NULL, &error) < 0) {
			log_error("tls_error", "error=%s", error);
			smtpd_session_close(sess, 0, NULL, NULL);
		}
	} else {
		sess->state = SMTPD_STATE_COMMAND;
		smtpd_greet(sess);
		stream_flush(sess->stream);
	}
	if (sess->free_pending)
		smtpd_session_free(sess);
	log_set_ctx(NULL);
}

static void smtpd_session_free(struct smtpd_session *sess)
{
	struct smtpd *s = sess->smtpd;

	smtpd_commit_forget(sess);
	log_set_ctx(&sess->log);
	log_info("smtp_close", "count=%u", sess->errors);
	auth_client_free(&sess->auth);
	smtpd_txn_free(sess);
	event_timer_remove(&sess->session_timer);
	if (sess->prev != NULL)
		sess->prev->next = sess->next;
	else
		s->sessions = sess->next;
	if (sess->next != NULL)
		sess->next->prev = sess->prev;
	stream_free(&sess->stream);
	server_conn_done(&sess->conn);
	free(sess->helo);
	free(sess->user);
	free(sess);
	log_set_ctx(NULL);
}

void smtpd_session_shutdown(void *ctx)
{
	struct smtpd *s = ctx;
	struct smtpd_session *sess, *next;

	/* Idle sessions go now; a session in the middle of a message or a
	 * commit finishes it (the master's grace period bounds that). */
	for (sess = s->sessions; sess != NULL; sess = next) {
		next = sess->next;
		if (sess->state != SMTPD_STATE_COMMAND || sess->txn != NULL)
			continue;
		log_set_ctx(&sess->log);
		smtpd_session_close(sess, 421, "4.3.2",
				    "Shutting down, try again later");
		if (sess->free_pending)
			smtpd_session_free(sess);
	}
	log_set_ctx(NULL);
}
