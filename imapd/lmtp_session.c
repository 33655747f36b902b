#include "lmtp_session.h"
#include "buf.h"
#include "event.h"
#include "lmtp_deliver.h"
#include "log.h"
#include "server.h"
#include "smtp_address.h"
#include "smtp_command.h"
#include "smtp_ext.h"
#include "smtp_ehlo.h"
#include "smtp_limits.h"
#include "smtp_reply.h"
#include "acl.h"
#include "store.h"
#include "stream.h"
#include "stream_data.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* After this many bad commands in a row the client is not ours. */
#define LMTP_MAX_BAD_COMMANDS 20

#define LMTP_EXTENSIONS (SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | \
			 SMTP_EXT_8BITMIME | SMTP_EXT_ENHANCEDSTATUSCODES)

enum lmtp_state {
	LMTP_STATE_NEW,		/* before LHLO */
	LMTP_STATE_READY,	/* after LHLO, no transaction */
	LMTP_STATE_MAIL,	/* MAIL given */
	LMTP_STATE_DATA,	/* reading the message */
	LMTP_STATE_COMMIT,	/* message read, waiting for the group commit */
	LMTP_STATE_QUIT,
};

struct lmtp_session {
	struct lmtp_server *srv;
	struct server_conn *conn;
	struct stream *s;
	struct log_ctx log;
	enum lmtp_state state;
	char *sender;
	struct lmtp_rcpt *rcpts;
	size_t rcpt_count, rcpt_alloc;
	struct stream_data *data;
	/* The message: in spool_mem while it fits lmtp_spool_memory, then
	 * in the file spool_path (spool_fd while it is written). */
	struct buf spool_mem;
	int spool_fd;
	struct buf spool_path;
	bool spool_failed;
	unsigned int bad_commands;
	struct lmtp_delivery delivery;	/* in LMTP_STATE_COMMIT */
	struct lmtp_session *prev, *next;
	struct lmtp_session *commit_next;
};

static struct lmtp_session *lmtp_sessions;
/* The sessions waiting for the group commit, oldest first. */
static struct lmtp_session *lmtp_commit_head, **lmtp_commit_tail =
	&lmtp_commit_head;
static struct event_timer *lmtp_commit_timer;
static unsigned int lmtp_spool_seq;
static bool lmtp_shutting_down;

static void lmtp_session_end(struct lmtp_session *ls);

static void lmtp_reply(struct lmtp_session *ls, unsigned int code,
		       const char *enhanced, const char *text)
{
	struct buf out = BUF_INIT;
	const char *error;

	if (smtp_reply_write(&out, code, enhanced, text, &error) < 0)
		log_panic("lmtp reply: %s", error);
	stream_write(ls->s, out.data, out.len);
	buf_free(&out);
}

static void lmtp_reply_status(struct lmtp_session *ls,
			      const struct smtp_status *status)
{
	struct buf out = BUF_INIT;

	smtp_reply_write_status(&out, status, true);
	stream_write(ls->s, out.data, out.len);
	buf_free(&out);
}

static void lmtp_transaction_reset(struct lmtp_session *ls)
{
	size_t i;

	free(ls->sender);
	ls->sender = NULL;
	for (i = 0; i < ls->rcpt_count; i++) {
		free(ls->rcpts[i].address);
		free(ls->rcpts[i].user);
		free(ls->rcpts[i].detail);
		buf_free(&ls->rcpts[i].reply);
	}
	ls->rcpt_count = 0;
	stream_data_free(&ls->data);
	buf_free(&ls->spool_mem);
	if (ls->spool_fd >= 0) {
		close(ls->spool_fd);
		ls->spool_fd = -1;
	}
	if (ls->spool_path.len > 0) {
		(void)unlink(buf_cstr(&ls->spool_path));
		buf_clear(&ls->spool_path);
	}
	ls->spool_failed = false;
	if (ls->state != LMTP_STATE_NEW && ls->state != LMTP_STATE_QUIT)
		ls->state = LMTP_STATE_READY;
}

static void lmtp_cmd_lhlo(struct lmtp_session *ls, const struct smtp_command *cmd)
{
	struct buf out = BUF_INIT;
	const char *error;

	lmtp_transaction_reset(ls);
	if (smtp_ehlo_write_reply(&out, ls->srv->hostname, "LMTP",
				  LMTP_EXTENSIONS,
				  ls->srv->set->lmtp_max_message_size, NULL,
				  &error) < 0)
		log_panic("LHLO reply: %s", error);
	stream_write(ls->s, out.data, out.len);
	buf_free(&out);
	ls->state = LMTP_STATE_READY;
}

static void lmtp_cmd_mail(struct lmtp_session *ls, const struct smtp_command *cmd)
{
	struct buf path = BUF_INIT;

	if (ls->state == LMTP_STATE_NEW) {
		lmtp_reply(ls, 503, "5.5.1", "Send LHLO first");
		return;
	}
	if (ls->state != LMTP_STATE_READY) {
		lmtp_reply(ls, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (cmd->mail.size_set &&
	    cmd->mail.size > ls->srv->set->lmtp_max_message_size) {
		lmtp_reply(ls, 552, "5.3.4", "Message too big");
		return;
	}
	if (!cmd->path->null_path)
		smtp_address_write(&path, cmd->path);
	ls->sender = buf_steal(&path);
	ls->state = LMTP_STATE_MAIL;
	lmtp_reply(ls, 250, "2.1.0", "Ok");
}

static bool lmtp_is_board_address(const struct lmtp_session *ls,
				  const char *user)
{
	const char *prefix = ls->srv->set->bb_address_prefix;

	return prefix != NULL && prefix[0] != '\0' &&
		strcasecmp(user, prefix) == 0;
}

/* A board takes mail when it exists and its list lets anyone post (acl.h:
 * LMTP knows no authenticated sender).  1 yes, 0 no (a missing board
 * and a closed one answer alike), -1 error. */
static int lmtp_board_allows(struct lmtp_session *ls, const char *board,
			     const char **error_r)
{
	struct store_mailbox mb;
	int ret;

	if (board == NULL || *board == '\0')
		return 0;
	ret = store_mailbox_lookup(ls->srv->st, STORE_SHARED_OWNER, board, &mb,
				   error_r);
	if (ret <= 0)
		return ret;
	if (!acl_post_allowed(mb.acl)) {
		log_info("rcpt_refused", "mailbox=%s reason=%s", mb.name,
			 "no p right for anyone");
		return 0;
	}
	return 1;
}

static void lmtp_cmd_rcpt(struct lmtp_session *ls, const struct smtp_command *cmd)
{
	const struct smtp_address *a = cmd->path;
	struct lmtp_rcpt *r;
	struct buf user = BUF_INIT, addr = BUF_INIT;
	const char *detail = NULL, *error;
	size_t user_len, i;
	int exists;

	if (ls->state != LMTP_STATE_MAIL) {
		lmtp_reply(ls, 503, "5.5.1", "Need MAIL before RCPT");
		return;
	}
	if (ls->rcpt_count >= ls->srv->set->lmtp_max_recipients) {
		lmtp_reply(ls, 452, "4.5.3", "Too many recipients");
		return;
	}
	if (a->postmaster) {
		buf_append_str(&user, "postmaster");
	} else {
		if (!smtp_address_split_detail(a->local_part,
					       ls->srv->set->recipient_delimiter,
					       &user_len, &detail))
			user_len = strlen(a->local_part);
		buf_append(&user, a->local_part, user_len);
	}
	/* Local parts are matched without case: users are lower case. */
	for (i = 0; i < user.len; i++)
		user.data[i] = (char)tolower((unsigned char)user.data[i]);
	if (lmtp_is_board_address(ls, buf_cstr(&user))) {
		exists = lmtp_board_allows(ls, detail, &error);
		buf_clear(&user);
		buf_append_str(&user, STORE_SHARED_OWNER);
	} else {
		exists = store_user_name_check(buf_cstr(&user), &error) < 0 ?
			0 : store_user_exists(ls->srv->st, buf_cstr(&user),
					      &error);
	}
	if (exists < 0) {
		log_error("rcpt_failed", "user=%s reason=%s", buf_cstr(&user),
			  error);
		lmtp_reply(ls, 451, "4.3.0", "Temporary failure, try again later");
		buf_free(&user);
		return;
	}
	if (exists == 0) {
		log_info("rcpt_unknown", "user=%s", buf_cstr(&user));
		lmtp_reply(ls, 550, "5.1.1", "No such user here");
		buf_free(&user);
		return;
	}
	if (ls->rcpt_count == ls->rcpt_alloc) {
		ls->rcpt_alloc = ls->rcpt_alloc ? ls->rcpt_alloc * 2 : 8;
		ls->rcpts = xrealloc(ls->rcpts, ls->rcpt_alloc * sizeof(*ls->rcpts));
	}
	r = &ls->rcpts[ls->rcpt_count++];
	memset(r, 0, sizeof(*r));
	smtp_address_write(&addr, a);
	r->address = buf_steal(&addr);
	r->user = buf_steal(&user);
	r->detail = detail != NULL && *detail != '\0' ? xstrdup(detail) : NULL;
	lmtp_reply(ls, 250, "2.1.5", "Ok");
}

static void lmtp_cmd_data(struct lmtp_session *ls)
{
	if (ls->state != LMTP_STATE_MAIL) {
		lmtp_reply(ls, 503, "5.5.1", "Need MAIL before DATA");
		return;
	}
	if (ls->rcpt_count == 0) {
		lmtp_reply(ls, 503, "5.5.1", "No valid recipients");
		return;
	}
	ls->data = stream_data_new(ls->s, ls->srv->set->lmtp_max_message_size);
	ls->state = LMTP_STATE_DATA;
	lmtp_reply(ls, 354, NULL, "Go ahead, end with <CRLF>.<CRLF>");
}

/* One reply per accepted recipient, in RCPT order (RFC 2033 4.2). */
static void lmtp_reply_all(struct lmtp_session *ls, unsigned int code,
			   const char *enhanced, const char *text)
{
	size_t i;

	for (i = 0; i < ls->rcpt_count; i++)
		lmtp_reply(ls, code, enhanced, text);
}

static void lmtp_commit_run(void *ctx);
static void lmtp_session_continue(struct lmtp_session *ls);

/* A message that is complete waits for the end of this loop round: the
 * sessions whose messages complete in the same round are delivered
 * together and share their syncs (group commit).  The session reads no
 * more input until its replies are written. */
static void lmtp_commit_enqueue(struct lmtp_session *ls)
{
	struct lmtp_delivery *d = &ls->delivery;

	memset(d, 0, sizeof(*d));
	d->st = ls->srv->st;
	d->set = ls->srv->set;
	d->store_set = ls->srv->store_set;
	d->hostname = ls->srv->hostname;
	d->sender = ls->sender;
	if (ls->spool_fd < 0)
		d->spool_data = ls->spool_mem.data != NULL ?
			ls->spool_mem.data : "";
	else
		d->spool_path = buf_cstr(&ls->spool_path);
	d->size = stream_data_size(ls->data);
	d->rcpts = ls->rcpts;
	d->rcpt_count = ls->rcpt_count;
	d->enhanced_codes = true;
	d->log = &ls->log;
	ls->state = LMTP_STATE_COMMIT;
	ls->commit_next = NULL;
	*lmtp_commit_tail = ls;
	lmtp_commit_tail = &ls->commit_next;
	stream_pause(ls->s);
	if (lmtp_commit_timer == NULL)
		lmtp_commit_timer = event_timer_add(ls->srv->loop, 0, 0,
						    lmtp_commit_run, NULL);
	else
		event_timer_reset(lmtp_commit_timer);
}

static void lmtp_commit_forget(struct lmtp_session *ls)
{
	struct lmtp_session **pp;

	for (pp = &lmtp_commit_head; *pp != NULL; pp = &(*pp)->commit_next) {
		if (*pp == ls) {
			*pp = ls->commit_next;
			if (lmtp_commit_tail == &ls->commit_next)
				lmtp_commit_tail = pp;
			break;
		}
	}
}

/* Delivers up to lmtp_commit_max waiting transactions together; the
 * replies go out only after the commit, so a 250 is never sent for a
 * message a crash could still take back. */
static void lmtp_commit_run(void *ctx)
{
	struct lmtp_session *ls, *batch, *next;
	struct lmtp_delivery **ds;
	unsigned int max = lmtp_commit_head != NULL ?
		lmtp_commit_head->srv->set->lmtp_commit_max : 0;
	size_t n = 0, i;

	if (lmtp_commit_head == NULL)
		return;
	ds = xcalloc(max, sizeof(*ds));
	batch = lmtp_commit_head;
	for (ls = batch; ls != NULL && n < max; ls = ls->commit_next)
		ds[n++] = &ls->delivery;
	/* Cut the batch off the queue; the rest waits for the next run. */
	lmtp_commit_head = ls;
	if (ls == NULL)
		lmtp_commit_tail = &lmtp_commit_head;
	else
		event_timer_reset(lmtp_commit_timer);
	log_set_ctx(NULL);
	lmtp_deliver_batch(ds, n);
	free(ds);
	for (ls = batch, i = 0; i < n; ls = next, i++) {
		next = ls->commit_next;
		ls->commit_next = NULL;
		log_set_ctx(&ls->log);
		for (size_t k = 0; k < ls->rcpt_count; k++)
			stream_write(ls->s, ls->rcpts[k].reply.data,
				     ls->rcpts[k].reply.len);
		lmtp_transaction_reset(ls);
		ls->state = LMTP_STATE_READY;
		/* Commands pipelined behind the message are read now. */
		stream_resume(ls->s);
		lmtp_session_continue(ls);
	}
	log_set_ctx(NULL);
}

static void lmtp_data_end(struct lmtp_session *ls, enum stream_result r)
{
	if (r == STREAM_TOO_LONG) {
		lmtp_reply_all(ls, 552, "5.3.4", "Message too big");
	} else if (r == STREAM_INVALID) {
		lmtp_reply_all(ls, 550, "5.6.2",
			       "Bare CR or LF in message: line ends must be CRLF");
	} else if (ls->spool_failed) {
		lmtp_reply_all(ls, 451, "4.3.0", "Temporary failure, try again later");
	} else {
		lmtp_commit_enqueue(ls);
		return;
	}
	lmtp_transaction_reset(ls);
	ls->state = LMTP_STATE_READY;
}

/* Opens the spool file for a message that outgrew lmtp_spool_memory and
 * moves what memory held into it. */
static int lmtp_spool_open(struct lmtp_session *ls)
{
	buf_printf(&ls->spool_path, "%s/lmtp-in.%ld.%u",
		   store_tmp_dir(ls->srv->st), (long)getpid(), lmtp_spool_seq++);
	ls->spool_fd = open(buf_cstr(&ls->spool_path),
			    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (ls->spool_fd < 0) {
		buf_clear(&ls->spool_path);
		return -1;
	}
	if (ls->spool_mem.len > 0 &&
	    write(ls->spool_fd, ls->spool_mem.data, ls->spool_mem.len) !=
	    (ssize_t)ls->spool_mem.len)
		return -1;
	buf_free(&ls->spool_mem);
	return 0;
}

/* Keeps a piece of the message: in memory while the message fits
 * lmtp_spool_memory, else in the spool file. */
static void lmtp_spool_write(struct lmtp_session *ls, const char *piece,
			     size_t size)
{
	if (ls->spool_failed)
		return;
	if (ls->spool_fd < 0 &&
	    size <= ls->srv->set->lmtp_spool_memory - ls->spool_mem.len) {
		buf_append(&ls->spool_mem, piece, size);
		return;
	}
	if ((ls->spool_fd < 0 && lmtp_spool_open(ls) < 0) ||
	    write(ls->spool_fd, piece, size) != (ssize_t)size) {
		log_error("spool_failed", "path=%s reason=%s",
			  ls->spool_path.len > 0 ?
			  buf_cstr(&ls->spool_path) : store_tmp_dir(ls->srv->st),
			  strerror(errno));
		ls->spool_failed = true;
		buf_free(&ls->spool_mem);
	}
}

/* Feeds the message into memory or the spool file as it arrives.  Returns 1 when
 * the message is complete, 0 when the caller must wait for more input,
 * and -1 when the client went away and the session is freed (the caller
 * must not touch it again). */
static int lmtp_read_data(struct lmtp_session *ls)
{
	for (;;) {
		const char *piece;
		size_t size;
		enum stream_result r = stream_data_read(ls->data, &piece, &size);

		switch (r) {
		case STREAM_OK:
			lmtp_spool_write(ls, piece, size);
			continue;
		case STREAM_WAIT:
			return 0;
		case STREAM_DONE:
		case STREAM_TOO_LONG:
		case STREAM_INVALID:
			lmtp_data_end(ls, r);
			return 1;
		default:
			log_info("disconnected", "reason=%s", "in DATA");
			lmtp_session_end(ls);
			return -1;
		}
	}
}

static void lmtp_dispatch(struct lmtp_session *ls, const char *line, size_t len)
{
	static const struct smtp_limits *limits = &smtp_limits_default;
	struct smtp_command_opts opts = { true, LMTP_EXTENSIONS, false };
	struct smtp_command_error err;
	struct smtp_command *cmd;

	if (smtp_command_parse(line, len, &opts, limits, &cmd, &err) < 0) {
		lmtp_reply_status(ls, &err.status);
		ls->bad_commands++;
		return;
	}
	ls->bad_commands = 0;
	switch (cmd->verb) {
	case SMTP_COMMAND_LHLO: lmtp_cmd_lhlo(ls, cmd); break;
	case SMTP_COMMAND_MAIL: lmtp_cmd_mail(ls, cmd); break;
	case SMTP_COMMAND_RCPT: lmtp_cmd_rcpt(ls, cmd); break;
	case SMTP_COMMAND_DATA: lmtp_cmd_data(ls); break;
	case SMTP_COMMAND_RSET:
		lmtp_transaction_reset(ls);
		lmtp_reply(ls, 250, "2.0.0", "Ok");
		break;
	case SMTP_COMMAND_NOOP:
		lmtp_reply(ls, 250, "2.0.0", "Ok");
		break;
	case SMTP_COMMAND_VRFY:
		lmtp_reply(ls, 252, "2.5.2", "Cannot VRFY user");
		break;
	case SMTP_COMMAND_QUIT:
		lmtp_reply(ls, 221, "2.0.0", "Bye");
		ls->state = LMTP_STATE_QUIT;
		break;
	default:
		lmtp_reply(ls, 502, "5.5.1", "Command not supported");
		break;
	}
	smtp_command_free(&cmd);
}

static void lmtp_on_input(void *ctx)
{
	struct lmtp_session *ls = ctx;
	size_t max = smtp_limits_line_max(&smtp_limits_default) - 2;

	log_set_ctx(&ls->log);
	while (ls->state != LMTP_STATE_QUIT && ls->state != LMTP_STATE_COMMIT) {
		struct stream_line line;
		enum stream_result r;

		if (ls->state == LMTP_STATE_DATA) {
			int ret = lmtp_read_data(ls);

			if (ret < 0)
				return;
			if (ret == 0)
				break;
			continue;
		}
		r = stream_read_line(ls->s, max, &line);
		if (r == STREAM_WAIT)
			break;
		if (r == STREAM_EOF || r == STREAM_ERROR) {
			lmtp_session_end(ls);
			return;
		}
		if (ls->state == LMTP_STATE_QUIT)
			break;
		if (r == STREAM_TOO_LONG) {
			lmtp_reply(ls, 500, "5.5.2", "Line too long");
		} else if (line.eol != STREAM_EOL_CRLF || line.bare_cr) {
			lmtp_reply(ls, 500, "5.5.2", "Line ends must be CRLF");
			ls->bad_commands++;
		} else {
			lmtp_dispatch(ls, line.data, line.len);
		}
		if (ls->bad_commands >= LMTP_MAX_BAD_COMMANDS) {
			lmtp_reply(ls, 421, "4.7.0", "Too many errors, closing");
			ls->state = LMTP_STATE_QUIT;
		}
	}
	lmtp_session_continue(ls);
}

/* After a round of input or a commit: ends the session when it is
 * shutting down between transactions, sends what is queued. */
static void lmtp_session_continue(struct lmtp_session *ls)
{
	if (lmtp_shutting_down && ls->state == LMTP_STATE_READY) {
		lmtp_reply(ls, 421, "4.3.2", "Shutting down");
		ls->state = LMTP_STATE_QUIT;
	}
	if (stream_flush(ls->s) != 0 && ls->state == LMTP_STATE_QUIT)
		lmtp_session_end(ls);
	else
		log_set_ctx(NULL);
}

static void lmtp_on_drained(void *ctx)
{
	struct lmtp_session *ls = ctx;

	log_set_ctx(&ls->log);
	if (ls->state == LMTP_STATE_QUIT)
		lmtp_session_end(ls);
	else
		log_set_ctx(NULL);
}

static void lmtp_on_error(void *ctx)
{
	struct lmtp_session *ls = ctx;

	log_set_ctx(&ls->log);
	log_info("disconnected", "reason=%s", stream_error(ls->s));
	lmtp_session_end(ls);
}

static void lmtp_session_end(struct lmtp_session *ls)
{
	log_set_ctx(&ls->log);
	if (ls->state == LMTP_STATE_DATA || ls->state == LMTP_STATE_MAIL ||
	    ls->state == LMTP_STATE_COMMIT)
		log_info("transaction_aborted", "count=%zu", ls->rcpt_count);
	if (ls->state == LMTP_STATE_COMMIT)
		lmtp_commit_forget(ls);
	ls->state = LMTP_STATE_QUIT;
	lmtp_transaction_reset(ls);
	free(ls->rcpts);
	buf_free(&ls->spool_path);
	buf_free(&ls->spool_mem);
	stream_free(&ls->s);
	server_conn_done(&ls->conn);
	if (ls->prev != NULL)
		ls->prev->next = ls->next;
	else
		lmtp_sessions = ls->next;
	if (ls->next != NULL)
		ls->next->prev = ls->prev;
	log_set_ctx(NULL);
	free(ls);
}

void lmtp_session_start(struct lmtp_server *srv, struct server_conn *conn)
{
	static const struct stream_callbacks cb = {
		lmtp_on_input, lmtp_on_drained, lmtp_on_error, NULL,
	};
	struct lmtp_session *ls = xcalloc(1, sizeof(*ls));
	struct stream_settings set = stream_default_settings;
	struct buf greeting = BUF_INIT;

	ls->srv = srv;
	ls->conn = conn;
	ls->spool_fd = -1;
	log_new_session_id(ls->log.session);
	set.read_timeout_ms = srv->set->lmtp_timeout * 1000U;
	set.write_timeout_ms = srv->set->lmtp_timeout * 1000U;
	ls->s = stream_new(srv->loop, conn->fd, &set, &cb, ls);
	ls->next = lmtp_sessions;
	if (lmtp_sessions != NULL)
		lmtp_sessions->prev = ls;
	lmtp_sessions = ls;
	log_set_ctx(&ls->log);
	log_info("connect", "client=%s listener=%s", conn->peer_ip,
		 conn->listener);
	if (server_conn_over_limit(conn)) {
		lmtp_reply(ls, 421, "4.7.0", "Too many connections");
		ls->state = LMTP_STATE_QUIT;
	} else {
		buf_printf(&greeting, "%s LMTP sealpost ready", srv->hostname);
		lmtp_reply(ls, 220, NULL, buf_cstr(&greeting));
		buf_free(&greeting);
	}
	if (stream_flush(ls->s) != 0 && ls->state == LMTP_STATE_QUIT)
		lmtp_session_end(ls);
	log_set_ctx(NULL);
}

void lmtp_sessions_deinit(void)
{
	event_timer_remove(&lmtp_commit_timer);
}

void lmtp_sessions_shutdown(void)
{
	struct lmtp_session *ls, *next;

	lmtp_shutting_down = true;
	for (ls = lmtp_sessions; ls != NULL; ls = next) {
		next = ls->next;
		if (ls->state != LMTP_STATE_NEW && ls->state != LMTP_STATE_READY)
			continue;
		log_set_ctx(&ls->log);
		lmtp_reply(ls, 421, "4.3.2", "Shutting down");
		ls->state = LMTP_STATE_QUIT;
		if (stream_flush(ls->s) != 0)
			lmtp_session_end(ls);
		log_set_ctx(NULL);
	}
}
