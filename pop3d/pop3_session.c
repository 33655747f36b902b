#include "pop3_session.h"
#include "auth_client.h"
#include "base64.h"
#include "buf.h"
#include "event.h"
#include "pop3_auth.h"
#include "pop3_commands.h"
#include "pop3_login_rate.h"
#include "pop3_maildrop.h"
#include "pop3_send.h"
#include "pop3_server.h"
#include "server.h"
#include "stream.h"
#include "tls.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void pop3_session_input(void *ctx);

static void pop3_session_link(struct pop3_session *s)
{
	struct pop3_server *srv = s->server;

	s->next = srv->sessions;
	if (srv->sessions != NULL)
		srv->sessions->prev = s;
	srv->sessions = s;
}

static void pop3_session_unlink(struct pop3_session *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		s->server->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

void pop3_session_destroy(struct pop3_session *s)
{
	log_set_ctx(&s->log);
	log_info("pop3_disconnect", "user=%s reason=%s",
		 s->user != NULL && s->state == POP3_STATE_TRANSACTION ?
		 s->user : "",
		 s->stream != NULL && stream_error(s->stream) != NULL ?
		 stream_error(s->stream) : "closed");
	log_set_ctx(NULL);
	pop3_session_unlink(s);
	auth_client_free(&s->auth);
	pop3_send_free(&s->send);
	event_timer_remove(&s->delay_timer);
	event_timer_remove(&s->close_timer);
	/* Whatever brought us here, only QUIT deletes: the marks go with
	 * the maildrop and its lock (RFC 1939 section 6). */
	pop3_maildrop_free(&s->maildrop);
	stream_free(&s->stream);
	server_conn_done(&s->conn);
	if (s->user != NULL) {
		explicit_bzero(s->user, strlen(s->user));
		free(s->user);
	}
	free(s);
}

static void pop3_session_close_timeout(void *ctx)
{
	pop3_session_destroy(ctx);
}

/* Frees the session from the loop, never from inside a callback of its
 * own stream or auth client. */
static void pop3_session_destroy_soon(struct pop3_session *s)
{
	s->closing = true;
	if (s->close_timer == NULL)
		s->close_timer = event_timer_add(s->server->loop, 0, 0,
						 pop3_session_close_timeout, s);
}

void pop3_session_close(struct pop3_session *s)
{
	if (s->closing)
		return;
	s->closing = true;
	stream_pause(s->stream);
	/* 0: the rest goes out as the socket drains, then `drained`. */
	if (stream_flush(s->stream) != 0)
		pop3_session_destroy_soon(s);
}

void pop3_session_reply(struct pop3_session *s, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	buf_append_str(&line, "\r\n");
	(void)stream_write(s->stream, line.data, line.len);
	buf_free(&line);
}

void pop3_session_reply_internal(struct pop3_session *s)
{
	pop3_session_reply(s, "-ERR [SYS/TEMP] Internal error, try again "
			   "later (session %s)", s->log.session);
}

void pop3_session_busy(struct pop3_session *s)
{
	s->busy = true;
	stream_pause(s->stream);
}

void pop3_session_done(struct pop3_session *s)
{
	s->busy = false;
	if (s->closing)
		return;
	if (s->shutdown) {
		pop3_session_reply(s, "-ERR [SYS/TEMP] Server shutting down");
		pop3_session_close(s);
		return;
	}
	if (stream_flush(s->stream) < 0) {
		pop3_session_destroy_soon(s);
		return;
	}
	stream_resume(s->stream);
}

bool pop3_session_password_allowed(const struct pop3_session *s)
{
	return s->tls && s->kind != POP3_LISTENER_KPOP;
}

static void pop3_session_greet(struct pop3_session *s)
{
	/* No APOP timestamp: APOP is not offered (see pop3_user_login). */
	pop3_session_reply(s, "+OK %s POP3 ready (session %s)",
			   s->server->hostname, s->log.session);
	(void)stream_flush(s->stream);
}

/* ---- the stream's callbacks ---- */

static void pop3_session_on_drained(void *ctx)
{
	struct pop3_session *s = ctx;

	log_set_ctx(&s->log);
	if (s->closing)
		pop3_session_destroy_soon(s);
	else if (s->send != NULL)
		pop3_send_continue(s);
	log_set_ctx(NULL);
}

static void pop3_session_on_error(void *ctx)
{
	struct pop3_session *s = ctx;

	/* A dropped connection or an idle timeout: RFC 1939 section 3 says
	 * the session ends without UPDATE, so nothing is deleted. */
	pop3_session_destroy_soon(s);
}

static void pop3_session_on_ready(void *ctx)
{
	struct pop3_session *s = ctx;
	struct tls_info info;

	log_set_ctx(&s->log);
	s->tls = true;
	if (tls_stream_info(s->stream, &info) == 0)
		log_info("pop3_tls", "tls=\"%s %s\"", info.protocol,
			 info.cipher);
	if (s->kind == POP3_LISTENER_POP3S)
		pop3_session_greet(s);
	else
		pop3_session_done(s);	/* STLS finished */
	log_set_ctx(NULL);
}

static const struct stream_callbacks pop3_session_callbacks = {
	.input = pop3_session_input,
	.drained = pop3_session_on_drained,
	.error = pop3_session_on_error,
	.ready = pop3_session_on_ready,
};

/* ---- commands ---- */

static void pop3_session_bad_command(struct pop3_session *s, const char *why)
{
	pop3_session_reply(s, "-ERR %s", why);
	if (++s->bad_commands >= POP3_MAX_BAD_COMMANDS) {
		log_info("pop3_bad_commands", "count=%u", s->bad_commands);
		pop3_session_reply(s, "-ERR Too many bad commands, closing");
		pop3_session_close(s);
	}
}

static void pop3_session_command(struct pop3_session *s, char *line,
				 size_t len)
{
	const struct pop3_command *cmd;
	char *args;

	switch (pop3_command_parse(line, len, &cmd, &args)) {
	case POP3_COMMAND_OK:
		break;
	case POP3_COMMAND_NUL:
		pop3_session_bad_command(s, "NUL in command");
		return;
	case POP3_COMMAND_UNKNOWN:
		pop3_session_bad_command(s, "Unknown command");
		return;
	}
	if ((cmd->states & (s->state == POP3_STATE_AUTHORIZATION ?
			    POP3_IN_AUTHORIZATION :
			    POP3_IN_TRANSACTION)) == 0) {
		pop3_session_bad_command(s, "Command not valid in this state");
		return;
	}
	s->bad_commands = 0;
	log_debug("pop3_command", "cmd=%s", cmd->name);
	cmd->fn(s, args);
}

static size_t pop3_session_max_line(const struct pop3_session *s)
{
	if (s->auth_want_response)
		return base64_encoded_len(s->server->auth_set.auth_max_token_size);
	return POP3_MAX_COMMAND_LINE;
}

static void pop3_session_input(void *ctx)
{
	struct pop3_session *s = ctx;
	struct stream_line line;

	log_set_ctx(&s->log);
	while (!s->busy && !s->closing) {
		switch (stream_read_line(s->stream, pop3_session_max_line(s),
					 &line)) {
		case STREAM_WAIT:
			if (stream_flush(s->stream) < 0)
				pop3_session_destroy_soon(s);
			log_set_ctx(NULL);
			return;
		case STREAM_TOO_LONG:
			if (s->auth_want_response) {
				pop3_auth_abort(s, "-ERR [AUTH] Response too "
						"long");
				break;
			}
			pop3_session_bad_command(s, "Line too long");
			break;
		case STREAM_OK:
			if (s->auth_want_response)
				pop3_auth_response(s, line.data, line.len);
			else
				pop3_session_command(s, line.data, line.len);
			break;
		default:
			/* EOF or error: the client is gone; nothing it
			 * marked is deleted. */
			pop3_session_destroy_soon(s);
			break;
		}
	}
	if (!s->closing && stream_flush(s->stream) < 0)
		pop3_session_destroy_soon(s);
	log_set_ctx(NULL);
}

/* ---- login ---- */

void pop3_session_login(struct pop3_session *s, const char *user)
{
	struct pop3_server *srv = s->server;
	const char *error;
	time_t now = time(NULL);

	/* GSSAPI names the user only now; password logins were counted
	 * before authd was asked. */
	if (!s->auth_rate_checked &&
	    !pop3_login_rate_attempt(srv->login_rate, user, now,
				     srv->set.pop3_login_rate_limit,
				     srv->set.pop3_login_rate_window)) {
		log_info("pop3_login_refused", "user=%s reason=\"rate limit\"",
			 user);
		pop3_session_reply(s, "-ERR [LOGIN-DELAY] Too many logins, "
				   "try again later");
		pop3_session_done(s);
		return;
	}
	if (!pop3_login_rate_login(srv->login_rate, user, now,
				   srv->set.pop3_login_delay)) {
		log_info("pop3_login_refused", "user=%s reason=\"login delay\"",
			 user);
		pop3_session_reply(s, "-ERR [LOGIN-DELAY] Logged in less than "
				   "%u seconds ago", srv->set.pop3_login_delay);
		pop3_session_done(s);
		return;
	}
	switch (pop3_maildrop_open(srv->store, user, &s->maildrop, &error)) {
	case POP3_MAILDROP_OK:
		break;
	case POP3_MAILDROP_IN_USE:
		log_info("pop3_login_refused", "user=%s reason=\"in use\"",
			 user);
		pop3_session_reply(s, "-ERR [IN-USE] Mailbox is locked by "
				   "another POP3 session");
		pop3_session_done(s);
		return;
	case POP3_MAILDROP_NO_MAILBOX:
		/* The client has proved who it is, so telling it that it
		 * has no mailbox reveals nothing to a stranger. */
		log_warn("pop3_login_refused", "user=%s reason=\"no INBOX\"",
			 user);
		pop3_session_reply(s, "-ERR [SYS/PERM] No mailbox for this "
				   "user (session %s)", s->log.session);
		pop3_session_done(s);
		return;
	case POP3_MAILDROP_ERROR:
		log_error("pop3_maildrop_error", "user=%s error=%s", user,
			  error);
		pop3_session_reply_internal(s);
		pop3_session_done(s);
		return;
	}
	free(s->user);
	s->user = xstrdup(user);
	s->state = POP3_STATE_TRANSACTION;
	log_info("pop3_login", "user=%s mech=%s count=%zu",
		 user, s->auth_mech, pop3_maildrop_count(s->maildrop));
	pop3_session_reply(s, "+OK Logged in, %zu messages (%llu octets)",
			   pop3_maildrop_live_count(s->maildrop),
			   (unsigned long long)
			   pop3_maildrop_live_size(s->maildrop));
	pop3_session_done(s);
}

static void pop3_session_delay_over(void *ctx)
{
	struct pop3_session *s = ctx;
	struct pop3_server *srv = s->server;

	log_set_ctx(&s->log);
	event_timer_remove(&s->delay_timer);
	pop3_session_reply(s, "%s", s->delayed_reply);
	if (s->auth_failures >= srv->set.pop3_max_auth_failures) {
		log_info("pop3_auth_failures", "count=%u", s->auth_failures);
		pop3_session_reply(s, "-ERR [AUTH] Too many failed logins, "
				   "closing");
		pop3_session_close(s);
	} else {
		pop3_session_done(s);
	}
	log_set_ctx(NULL);
}

void pop3_session_login_failed(struct pop3_session *s, const char *reply)
{
	unsigned int delay_ms = s->server->set.pop3_auth_fail_delay * 1000;

	s->auth_failures++;
	if (str_copy(s->delayed_reply, sizeof(s->delayed_reply), reply) < 0)
		log_panic("pop3 reply too long: %s", reply);
	/* Busy already (a login was in progress); it stays so until the
	 * delay is over, so pipelined guesses wait too. */
	pop3_session_busy(s);
	s->delay_timer = event_timer_add(s->server->loop, delay_ms, 0,
					 pop3_session_delay_over, s);
}

/* ---- life cycle ---- */

static enum pop3_listener_kind pop3_session_kind(const char *listener)
{
	if (strcmp(listener, "pop3s") == 0)
		return POP3_LISTENER_POP3S;
	if (strcmp(listener, "kpop") == 0)
		return POP3_LISTENER_KPOP;
	return POP3_LISTENER_POP3;
}

void pop3_session_accept(struct pop3_server *srv, struct server_conn *conn)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));
	struct stream_settings set = stream_default_settings;
	size_t sasl_line = base64_encoded_len(srv->auth_set.auth_max_token_size);
	const char *error;

	s->server = srv;
	s->conn = conn;
	s->kind = pop3_session_kind(conn->listener);
	log_new_session_id(s->log.session);
	pop3_session_link(s);
	log_set_ctx(&s->log);
	set.input_max = (sasl_line > POP3_MAX_COMMAND_LINE ?
			 sasl_line : POP3_MAX_COMMAND_LINE) + 64;
	set.read_timeout_ms = srv->set.pop3_idle_timeout * 1000;
	set.write_timeout_ms = srv->set.pop3_idle_timeout * 1000;
	s->stream = stream_new(srv->loop, conn->fd, &set,
			       &pop3_session_callbacks, s);
	log_info("pop3_connect", "client=%s listener=%s", conn->peer_ip,
		 conn->listener);
	if (server_conn_over_limit(conn)) {
		pop3_session_reply(s, "-ERR [SYS/TEMP] Too many connections, "
				   "try again later");
		pop3_session_close(s);
	} else if (s->kind == POP3_LISTENER_POP3S) {
		/* The greeting waits for the handshake (on_ready); bytes
		 * the client sent before it are never commands. */
		if (tls_stream_start(s->stream, srv->tls, NULL, &error) < 0) {
			log_error("pop3_tls_error", "error=%s", error);
			pop3_session_destroy_soon(s);
		}
	} else {
		pop3_session_greet(s);
	}
	log_set_ctx(NULL);
}

void pop3_session_shutdown(struct pop3_session *s)
{
	s->shutdown = true;
	if (s->busy || s->closing)
		return;
	log_set_ctx(&s->log);
	pop3_session_reply(s, "-ERR [SYS/TEMP] Server shutting down");
	pop3_session_close(s);
	log_set_ctx(NULL);
}
