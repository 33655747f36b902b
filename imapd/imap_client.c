/* One IMAP session: connection, input modes, command dispatch, replies. */
#include "imapd/imap_client.h"
#include "imapd/imap_commit.h"
#include "imapd/imap_append.h"
#include "imapd/imap_commands.h"
#include "imapd/imap_list.h"
#include "imapd/imap_quote.h"
#include "imapd/imap_selected.h"
#include "imapd/imap_session_slot.h"
#include "imapd/imapd.h"
#include "auth_client.h"
#include "auth_name.h"
#include "event.h"
#include "server.h"
#include "stream.h"
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes taken from the stream at a time. */
#define IMAP_CLIENT_READ_CHUNK 16384
/* The longest bare line (a SASL response): a base64 token of
 * auth_max_token_size plus slack. */
#define IMAP_CLIENT_LINE_SLACK 1024

static void imap_client_process(struct imap_client *c);
static void imap_client_kick(struct imap_client *c);

/* ---- lifetime ---- */

static void imap_client_free(struct imap_client *c)
{
	struct imapd *d = c->daemon;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		d->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	imap_append_abort(c);
	imap_commit_forget(c);
	if (c->cmd_ctx_free != NULL)
		c->cmd_ctx_free(c);
	imap_command_free(&c->cmd);
	imap_selected_free(&c->sel);
	auth_client_free(&c->auth);
	event_timer_remove(&c->timer);
	event_timer_remove(&c->kick_timer);
	imap_parser_free(&c->parser);
	stream_free(&c->stream);
	if (c->session_slot_fd >= 0)
		close(c->session_slot_fd);
	server_conn_done(&c->conn);
	buf_free(&c->in);
	free(c->user);
	if (log_get_ctx() == &c->log)
		log_set_ctx(NULL);
	free(c);
}

/* Frees now, or once the callback that holds the client returns. */
static void imap_client_destroy(struct imap_client *c)
{
	c->destroyed = true;
	if (c->refs == 0)
		imap_client_free(c);
}

/* The client a callback runs for is also the one whose command's syncs
 * the mailbox writers hand over (imap_commit.h). */
void imap_client_ref(struct imap_client *c)
{
	c->refs++;
	log_set_ctx(&c->log);
	imap_commit_set_current(c->daemon->commit, c);
}

bool imap_client_unref(struct imap_client *c)
{
	/* A nested callback for another client ends with nobody current:
	 * the writers then sync at once, which is always correct. */
	if (imap_commit_current(c->daemon->commit) == c)
		imap_commit_set_current(c->daemon->commit, NULL);
	if (--c->refs > 0)
		return !c->destroyed;
	if (c->destroyed) {
		imap_client_free(c);
		log_set_ctx(NULL);
		return false;
	}
	log_set_ctx(NULL);
	return true;
}

static void imap_client_disconnected(struct imap_client *c, const char *why)
{
	if (c->destroyed)
		return;
	log_info("disconnect", "user=%s reason=%s",
		 c->user != NULL ? c->user : "", why);
	imap_client_destroy(c);
}

/* ---- output ---- */

void imap_client_write(struct imap_client *c, const void *data, size_t len)
{
	(void)stream_write(c->stream, data, len);
}

void imap_client_send(struct imap_client *c, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	buf_append(&line, "\r\n", 2);
	(void)stream_write(c->stream, line.data, line.len);
	buf_free(&line);
}

unsigned int imap_client_quote_flags(const struct imap_client *c)
{
	return (c->enabled & (IMAP_ENABLED_IMAP4REV2 | IMAP_ENABLED_UTF8)) ?
		IMAP_QUOTE_UTF8 : 0;
}

size_t imap_client_output_queued(const struct imap_client *c)
{
	return stream_output_queued(c->stream);
}

static void imap_client_flush(struct imap_client *c)
{
	int r = stream_flush(c->stream);

	if (r < 0) {
		imap_client_disconnected(c, stream_error(c->stream));
		return;
	}
	if (r > 0 && c->closing)
		imap_client_disconnected(c, "closed");
}

bool imap_client_wait_output(struct imap_client *c, imap_client_resume_fn *fn)
{
	int r = stream_flush(c->stream);

	if (r < 0) {
		imap_client_disconnected(c, stream_error(c->stream));
		return true;
	}
	if (r > 0 && stream_output_queued(c->stream) == 0)
		return false;
	c->resume_fn = fn;
	return true;
}

void imap_client_bye(struct imap_client *c, const char *text)
{
	if (c->closing)
		return;
	imap_client_send(c, "* BYE %s", text);
	c->closing = true;
	c->mode = IMAP_INPUT_NONE;
	imap_client_flush(c);
}

void imap_client_fail(struct imap_client *c, const char *what,
		      const char *error)
{
	log_error("imap_error", "cmd=%s reason=%s",
		  c->cmd != NULL ? c->cmd->name : "", error);
	if (c->cmd != NULL)
		imap_client_done(c, "NO [SERVERBUG] %s failed; please quote "
				 "session %s", what, c->log.session);
}

/* Back to reading commands once the running one has answered. */
static void imap_client_command_end(struct imap_client *c, bool bad)
{
	if (c->cmd_ctx_free != NULL)
		c->cmd_ctx_free(c);
	c->cmd_ctx_free = NULL;
	c->cmd_ctx = NULL;
	c->resume_fn = NULL;
	c->notify_fn = NULL;
	c->line_fn = NULL;
	imap_command_free(&c->cmd);
	if (c->closing)
		return;
	if (bad) {
		if (++c->bad_commands >= c->daemon->set.imap_max_bad_commands) {
			log_info("too_many_errors", "count=%u", c->bad_commands);
			imap_client_bye(c, "Too many invalid commands");
			return;
		}
	} else {
		c->bad_commands = 0;
	}
	c->mode = IMAP_INPUT_COMMAND;
	if (c->state == IMAP_STATE_LOGOUT) {
		c->closing = true;
		c->mode = IMAP_INPUT_NONE;
	}
	imap_client_kick(c);
}

static void imap_client_vdone(struct imap_client *c, bool announce,
			      const char *fmt, va_list ap)
{
	struct buf text = BUF_INIT;

	if (c->cmd == NULL)
		log_panic("imap_client_done without a command");
	buf_vprintf(&text, fmt, ap);
	/* Not answered before its change is durable (imap_commit.h). */
	if (!imap_commit_hold(c, announce, buf_cstr(&text)))
		imap_client_finish(c, announce, buf_cstr(&text));
	buf_free(&text);
}

void imap_client_finish(struct imap_client *c, bool announce,
			const char *text)
{
	struct buf line = BUF_INIT;
	const char *error;

	if (announce && c->sel != NULL && c->state == IMAP_STATE_SELECTED) {
		bool allow = !(c->cmd_flags & IMAP_CMD_NO_EXPUNGE) ||
			c->cmd->uid;

		if (imap_selected_sync(c->sel, &error) < 0)
			log_error("mailbox_sync_failed", "mailbox=%s reason=%s",
				  c->sel->info.name, error);
		imap_selected_announce(c, allow);
	}
	buf_printf(&line, "%s %s\r\n", c->cmd->tag, text);
	imap_client_write(c, line.data, line.len);
	imap_client_command_end(c, strncmp(text, "BAD", 3) == 0);
	buf_free(&line);
	if (!c->destroyed)
		imap_client_flush(c);
}

void imap_client_done(struct imap_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imap_client_vdone(c, true, fmt, ap);
	va_end(ap);
}

void imap_client_done_plain(struct imap_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imap_client_vdone(c, false, fmt, ap);
	va_end(ap);
}

void imap_client_read_lines(struct imap_client *c, imap_client_line_fn *fn)
{
	c->line_fn = fn;
	c->mode = IMAP_INPUT_LINE;
	imap_client_kick(c);
}

/* ---- capabilities ---- */

void imap_client_capabilities(const struct imap_client *c, struct buf *out)
{
	const struct imapd *d = c->daemon;

	buf_append_str(out, "IMAP4rev1 IMAP4rev2 LITERAL+ ENABLE ID IDLE "
		       "SASL-IR UTF8=ACCEPT");
	if (c->state == IMAP_STATE_NOT_AUTH) {
		bool plain_ok = c->tls;

		if (!c->tls && d->tls != NULL)
			buf_append_str(out, " STARTTLS");
		if (!plain_ok)
			buf_append_str(out, " LOGINDISABLED");
		if (strstr(d->auth.auth_mechanisms, "GSSAPI") != NULL)
			buf_append_str(out, " AUTH=GSSAPI");
		if (plain_ok && strstr(d->auth.auth_mechanisms, "PLAIN") != NULL)
			buf_append_str(out, " AUTH=PLAIN");
		return;
	}
	buf_printf(out, " NAMESPACE UNSELECT UIDPLUS MULTIAPPEND MOVE "
		   "CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE "
		   "CREATE-SPECIAL-USE ESEARCH SEARCHRES BINARY STATUS=SIZE "
		   "QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTASET OBJECTID SAVEDATE "
		   "METADATA METADATA-SERVER "
		   "APPENDLIMIT=%zu",
		   d->set.imap_max_append_size);
	buf_append_str(out, " ACL RIGHTS=texk");
	buf_append_str(out, " CONDSTORE QRESYNC COMPRESS=DEFLATE");
	buf_append_str(out, " SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT "
		       "THREAD=REFERENCES ESORT WITHIN");
}

/* ---- login ---- */

static void imap_client_set_idle_timeout(struct imap_client *c)
{
	unsigned int secs = c->state == IMAP_STATE_NOT_AUTH ?
		c->daemon->set.imap_login_timeout :
		c->daemon->set.imap_idle_timeout;

	stream_set_timeouts(c->stream, secs * 1000, secs * 1000);
}

void imap_client_login(struct imap_client *c, const char *user,
		       const char *authn_user, const char *mech)
{
	struct imapd *d = c->daemon;
	struct buf caps = BUF_INIT;
	const char *error;
	int ret;

	ret = store_user_exists(d->store, user, &error);
	if (ret < 0) {
		imap_client_fail(c, "Login", error);
		return;
	}
	if (ret == 0) {
		/* Kerberos knows the user but the postmaster has not made a
		 * mailbox for them: say so without a reason to retry. */
		log_warn("login_no_store_user", "user=%s mech=%s", user, mech);
		imap_client_login_failed(c, mech, "no store user");
		return;
	}
	ret = imap_session_slot_take(d->sessions_dir, user,
				     d->set.imap_max_user_sessions,
				     &c->session_slot_fd, &error);
	if (ret <= 0) {
		if (ret < 0)
			log_error("session_slot_failed", "user=%s reason=%s",
				  user, error);
		else
			log_warn("session_limit", "user=%s limit=%u", user,
				 d->set.imap_max_user_sessions);
		imap_client_done_plain(c, ret < 0 ?
			"NO [UNAVAILABLE] Login not possible now" :
			"NO [LIMIT] Too many sessions for this user");
		return;
	}
	c->user = xstrdup(user);
	c->admin = auth_name_list_contains(d->auth.auth_admins,
					   authn_user != NULL ? authn_user :
					   user);
	c->state = IMAP_STATE_AUTH;
	imap_client_set_idle_timeout(c);
	if (authn_user != NULL && strcmp(authn_user, user) != 0)
		log_info("login", "user=%s authn_user=%s mech=%s client=%s",
			 user, authn_user, mech, c->conn->peer_ip);
	else
		log_info("login", "user=%s mech=%s client=%s", user, mech,
			 c->conn->peer_ip);
	imap_client_capabilities(c, &caps);
	imap_client_done_plain(c, "OK [CAPABILITY %s] Logged in",
			       buf_cstr(&caps));
	buf_free(&caps);
}

static void imap_client_fail_delay_done(void *ctx)
{
	struct imap_client *c = ctx;

	imap_client_ref(c);
	if (c->auth_failures >= c->daemon->set.imap_max_auth_failures) {
		imap_client_done_plain(c, "NO [AUTHENTICATIONFAILED] "
				       "Authentication failed");
		if (!c->destroyed)
			imap_client_bye(c, "Too many failed logins");
	} else {
		imap_client_done_plain(c, "NO [AUTHENTICATIONFAILED] "
				       "Authentication failed");
	}
	imap_client_unref(c);
}

void imap_client_login_failed(struct imap_client *c, const char *mech,
			      const char *reason)
{
	c->auth_failures++;
	log_info("login_failed", "mech=%s reason=%s client=%s count=%u", mech,
		 reason, c->conn->peer_ip, c->auth_failures);
	/* The same answer after the same delay whatever went wrong, so
	 * neither words nor timing tell whether the user exists. */
	c->mode = IMAP_INPUT_NONE;
	event_timer_remove(&c->timer);
	c->timer = event_timer_add(c->daemon->loop,
				   c->daemon->set.imap_auth_fail_delay * 1000,
				   0, imap_client_fail_delay_done, c);
}

void imap_client_unselect(struct imap_client *c)
{
	imap_selected_free(&c->sel);
	if (c->state == IMAP_STATE_SELECTED)
		c->state = IMAP_STATE_AUTH;
}

/*
 * Another session may have deleted or renamed the selected mailbox.
 *
 * Deleted: the session ends with BYE.  RFC 9051 has no response that
 * moves a session out of the selected state by itself ([CLOSED] only
 * marks the boundary when SELECT or EXAMINE replaces a mailbox), so a
 * client told anything else would go on sending FETCHes to get BAD; every
 * client knows what BYE means, and the mailbox is gone when it logs in
 * again.  This is also what Dovecot does.
 *
 * Renamed: the messages, UIDs and UIDVALIDITY are unchanged, so the
 * session goes on.  An IMAP4rev2 client hears the new name as a LIST
 * response with OLDNAME, as after SELECT it heard the name as a LIST
 * response; IMAP4rev1 has no way to say it.
 */
bool imap_client_check_selected(struct imap_client *c)
{
	char old_name[STORE_MAILBOX_NAME_MAX + 1];
	enum imap_selected_fate fate;
	const char *error;

	if (imap_selected_check(c, &fate, old_name, &error) < 0) {
		log_error("mailbox_check_failed", "mailbox=%s reason=%s",
			  c->sel->info.name, error);
		return true;
	}
	if (fate == IMAP_SELECTED_DELETED) {
		log_info("selected_mailbox_deleted", "mailbox=%s",
			 c->sel->info.name);
		imap_client_bye(c, "Selected mailbox was deleted by another "
				"session");
		return false;
	}
	if (fate == IMAP_SELECTED_RENAMED) {
		log_info("selected_mailbox_renamed", "mailbox=%s from=%s",
			 c->sel->info.name, old_name);
		if (c->enabled & IMAP_ENABLED_IMAP4REV2) {
			struct buf line = BUF_INIT;
			struct store_mailbox mb;

			imap_selected_record(c->sel, &mb);
			imap_list_mailbox_line(c, &mb, old_name, &line);
			imap_client_write(c, line.data, line.len);
			buf_free(&line);
		}
	}
	return true;
}

/* ---- TLS ---- */

void imap_client_discard_input(struct imap_client *c)
{
	buf_clear(&c->in);
	c->in_pos = 0;
	imap_parser_free(&c->parser);
	c->parser = imap_parser_new(&c->daemon->parser_limits);
}

int imap_client_start_tls(struct imap_client *c, const char **error_r)
{
	if (tls_stream_start(c->stream, c->daemon->tls, NULL, error_r) < 0)
		return -1;
	c->tls_pending = true;
	/* Whatever the client pipelined after STARTTLS was sent in the clear
	 * and must not be taken as commands (CVE-2011-0411). */
	imap_client_discard_input(c);
	return 0;
}

static void imap_client_on_ready(void *ctx)
{
	struct imap_client *c = ctx;
	struct tls_info info;

	imap_client_ref(c);
	c->tls_pending = false;
	c->tls = true;
	if (tls_stream_info(c->stream, &info) == 0) {
		struct buf desc = BUF_INIT;

		buf_printf(&desc, "%s %s", info.protocol, info.cipher);
		log_info("tls", "tls=%s", buf_cstr(&desc));
		buf_free(&desc);
	}
	imap_client_process(c);
	imap_client_unref(c);
}

/* ---- input ---- */

static void imap_client_parse_error(struct imap_client *c)
{
	const struct imap_parse_error *err = imap_parser_error(c->parser);

	imap_append_abort(c);
	log_info("command_refused", "reason=%s", err->text);
	imap_client_send(c, "%s %s %s", err->tag != NULL ? err->tag : "*",
			 err->reply, err->text);
	if (err->disconnect) {
		imap_client_bye(c, "Too much data to discard");
		return;
	}
	if (++c->bad_commands >= c->daemon->set.imap_max_bad_commands) {
		log_info("too_many_errors", "count=%u", c->bad_commands);
		imap_client_bye(c, "Too many invalid commands");
	}
}

static void imap_client_run(struct imap_client *c, struct imap_command *cmd)
{
	const struct imap_cmd_def *def = imap_cmd_find(cmd->name);
	unsigned int state_flag;

	c->cmd = cmd;
	c->cmd_flags = def != NULL ? def->flags : 0;
	c->mode = IMAP_INPUT_NONE;
	if (def == NULL || (cmd->uid && !(def->flags & IMAP_CMD_UID))) {
		imap_client_done_plain(c, "BAD Unknown command");
		return;
	}
	state_flag = c->state == IMAP_STATE_NOT_AUTH ? IMAP_CMD_NOT_AUTH :
		c->state == IMAP_STATE_AUTH ? IMAP_CMD_AUTH : IMAP_CMD_SELECTED;
	if (!(def->flags & state_flag)) {
		imap_client_done_plain(c, "BAD %s",
			c->state == IMAP_STATE_NOT_AUTH ? "Log in first" :
			def->flags == IMAP_CMD_NOT_AUTH ? "Already logged in" :
			"Select a mailbox first");
		return;
	}
	if (c->state == IMAP_STATE_SELECTED && !(def->flags & IMAP_CMD_LEAVES) &&
	    !imap_client_check_selected(c))
		return;
	def->fn(c, cmd);
}

/* Feeds buffered input to the parser; false when it needs more. */
static bool imap_client_feed_parser(struct imap_client *c)
{
	size_t used;
	enum imap_parser_event ev;

	ev = imap_parser_run(c->parser, c->in.data + c->in_pos,
			     c->in.len - c->in_pos, &used);
	c->in_pos += used;
	switch (ev) {
	case IMAP_PARSER_MORE:
		return false;
	case IMAP_PARSER_CONTINUE:
		imap_client_send(c, "+ Ready for literal data");
		imap_client_flush(c);
		break;
	case IMAP_PARSER_LITERAL:
		imap_append_literal(c);
		break;
	case IMAP_PARSER_LITERAL_DATA: {
		const void *data;
		size_t size;

		imap_parser_chunk(c->parser, &data, &size);
		imap_append_data(c, data, size);
		break;
	}
	case IMAP_PARSER_LITERAL_END:
		imap_append_literal_end(c);
		break;
	case IMAP_PARSER_COMMAND:
		imap_client_run(c, imap_parser_take_command(c->parser));
		break;
	case IMAP_PARSER_ERROR:
		imap_client_parse_error(c);
		break;
	}
	/* A command, a literal's data or an error: not a byte trickling in
	 * (see stream_settings). */
	if (!c->destroyed)
		stream_read_progress(c->stream);
	return true;
}

/* Hands a complete bare line to line_fn; false when it needs more. */
static bool imap_client_feed_line(struct imap_client *c)
{
	const char *start = c->in.data + c->in_pos;
	const char *lf = memchr(start, '\n', c->in.len - c->in_pos);
	size_t max = c->daemon->auth.auth_max_token_size * 4 / 3 +
		IMAP_CLIENT_LINE_SLACK;
	size_t len;

	if (lf == NULL) {
		if (c->in.len - c->in_pos > max) {
			log_info("command_refused", "reason=%s", "line too long");
			imap_client_bye(c, "Line too long");
		}
		return false;
	}
	len = (size_t)(lf - start);
	c->in_pos += len + 1;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	c->mode = IMAP_INPUT_NONE;
	stream_read_progress(c->stream);
	c->line_fn(c, start, len);
	return true;
}

static void imap_client_process(struct imap_client *c)
{
	while (!c->destroyed && !c->closing && !c->tls_pending &&
	       c->mode != IMAP_INPUT_NONE) {
		const char *data;
		size_t size;
		enum stream_result r;
		bool progress = false;

		/* The parser may have an event pending (a continuation
		 * after a literal was accepted) even with no new input. */
		if (c->mode == IMAP_INPUT_COMMAND)
			progress = imap_client_feed_parser(c);
		else if (c->in_pos < c->in.len)
			progress = imap_client_feed_line(c);
		if (progress)
			continue;
		/* Need more: keep the unused tail and read. */
		buf_consume(&c->in, c->in_pos);
		c->in_pos = 0;
		r = stream_read_bytes(c->stream, IMAP_CLIENT_READ_CHUNK, &data,
				      &size);
		if (r == STREAM_WAIT)
			break;
		if (r != STREAM_OK) {
			imap_client_disconnected(c, r == STREAM_EOF ? "eof" :
				stream_timed_out(c->stream) ? "timeout" :
				stream_error(c->stream));
			return;
		}
		buf_append(&c->in, data, size);
	}
	if (!c->destroyed)
		imap_client_flush(c);
}

static void imap_client_on_input(void *ctx)
{
	struct imap_client *c = ctx;

	imap_client_ref(c);
	imap_client_process(c);
	imap_client_unref(c);
}

static void imap_client_on_kick(void *ctx)
{
	imap_client_on_input(ctx);
}

/* Processes buffered input from the loop soon: commands that end from a
 * callback must not recurse into the next command. */
static void imap_client_kick(struct imap_client *c)
{
	event_timer_reset(c->kick_timer);
}

static void imap_client_on_drained(void *ctx)
{
	struct imap_client *c = ctx;
	imap_client_resume_fn *fn = c->resume_fn;

	imap_client_ref(c);
	if (c->closing) {
		imap_client_disconnected(c, "closed");
	} else if (fn != NULL) {
		c->resume_fn = NULL;
		fn(c);
	}
	imap_client_unref(c);
}

static void imap_client_on_error(void *ctx)
{
	struct imap_client *c = ctx;

	imap_client_ref(c);
	if (stream_timed_out(c->stream) && !c->closing) {
		/* RFC 9051 section 5.4: the autologout timer. */
		imap_client_send(c, "* BYE Autologout; idle for too long");
		(void)stream_flush(c->stream);
		imap_client_disconnected(c, "timeout");
	} else {
		imap_client_disconnected(c, stream_error(c->stream));
	}
	imap_client_unref(c);
}

static const struct stream_callbacks imap_client_callbacks = {
	.input = imap_client_on_input,
	.drained = imap_client_on_drained,
	.error = imap_client_on_error,
	.ready = imap_client_on_ready,
};

void imap_client_accept(void *ctx, struct server_conn *conn)
{
	struct imapd *d = ctx;
	struct imap_client *c = xcalloc(1, sizeof(*c));
	struct stream_settings set = stream_default_settings;
	struct buf caps = BUF_INIT;
	const char *error;
	bool implicit_tls = strcmp(conn->listener, "imaps") == 0;

	c->daemon = d;
	c->conn = conn;
	c->session_slot_fd = -1;
	log_new_session_id(c->log.session);
	set.read_timeout_ms = d->set.imap_login_timeout * 1000;
	set.write_timeout_ms = d->set.imap_idle_timeout * 1000;
	c->stream = stream_new(d->loop, conn->fd, &set, &imap_client_callbacks,
			       c);
	c->parser = imap_parser_new(&d->parser_limits);
	c->kick_timer = event_timer_add(d->loop, 0, 0, imap_client_on_kick, c);
	event_timer_stop(c->kick_timer);
	c->next = d->clients;
	if (d->clients != NULL)
		d->clients->prev = c;
	d->clients = c;
	imap_client_ref(c);
	log_info("connect", "client=%s listener=%s", conn->peer_ip,
		 conn->listener);
	if (server_conn_over_limit(conn) || server_shutting_down(d->server)) {
		imap_client_bye(c, "[UNAVAILABLE] Too many connections, try "
				"again later");
		imap_client_unref(c);
		return;
	}
	if (implicit_tls) {
		if (d->tls == NULL ||
		    tls_stream_start(c->stream, d->tls, NULL, &error) < 0) {
			log_error("tls_failed", "reason=%s",
				  d->tls == NULL ? "no TLS configured" : error);
			imap_client_disconnected(c, "tls");
			imap_client_unref(c);
			return;
		}
		/* Nothing is read before the handshake is done, so the
		 * greeting may already offer what TLS allows. */
		c->tls_pending = true;
		c->tls = true;
	}
	imap_client_capabilities(c, &caps);
	imap_client_send(c, "* OK [CAPABILITY %s] %s IMAP server ready",
			 buf_cstr(&caps), d->hostname);
	buf_free(&caps);
	c->mode = IMAP_INPUT_COMMAND;
	imap_client_flush(c);
	imap_client_unref(c);
}

void imap_client_shutdown_all(void *ctx)
{
	struct imapd *d = ctx;
	struct imap_client *c, *next;

	for (c = d->clients; c != NULL; c = next) {
		next = c->next;
		imap_client_ref(c);
		imap_client_bye(c, "[UNAVAILABLE] Server shutting down");
		imap_client_unref(c);
	}
}
