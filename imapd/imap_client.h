#ifndef SEALPOST_IMAP_CLIENT_H
#define SEALPOST_IMAP_CLIENT_H

/*
 * One IMAP session: its connection, its state (RFC 9051 section 3), the
 * command being run and the way input is read (commands through the
 * parser, SASL responses and IDLE's DONE as bare lines).
 *
 * Commands run one at a time.  A command function either answers at once
 * (imap_client_done() before it returns) or goes on later from the event
 * loop (an AUTHENTICATE waiting for authd, a FETCH waiting for the client
 * to read, IDLE); until it is done no further input is read, so pipelined
 * commands simply wait in the socket and in our bounded buffer.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "log.h"
#include "imapd/imap_arg.h"

struct auth_client;
struct event_timer;
struct imap_append;
struct imap_commit_entry;
struct imap_selected;
struct imapd;
struct server_conn;
struct stream;

enum imap_client_state {
	IMAP_STATE_NOT_AUTH,
	IMAP_STATE_AUTH,
	IMAP_STATE_SELECTED,
	IMAP_STATE_LOGOUT,
};

/* How input is read. */
enum imap_input_mode {
	IMAP_INPUT_COMMAND,	/* through the command parser */
	IMAP_INPUT_LINE,	/* a bare line for `line_fn` (SASL, DONE) */
	IMAP_INPUT_NONE,	/* a command is running: read nothing */
};

/* ENABLE'd extensions (RFC 5161). */
#define IMAP_ENABLED_IMAP4REV2	0x01
#define IMAP_ENABLED_UTF8	0x02
#define IMAP_ENABLED_CONDSTORE	0x04	/* RFC 7162, also implicitly */
#define IMAP_ENABLED_QRESYNC	0x08

struct imap_client;

/* A line read in IMAP_INPUT_LINE mode, without its CRLF. */
typedef void imap_client_line_fn(struct imap_client *c, const char *line,
				 size_t len);
/* Called when output has drained, to produce more (long FETCHes). */
typedef void imap_client_resume_fn(struct imap_client *c);
/* Called when the selected mailbox changed under an IDLE command. */
typedef void imap_client_notify_fn(struct imap_client *c);

struct imap_client {
	struct imapd *daemon;
	struct server_conn *conn;
	struct stream *stream;
	struct log_ctx log;
	struct imap_parser *parser;
	struct buf in;			/* read, not yet used */
	size_t in_pos;

	enum imap_client_state state;
	enum imap_input_mode mode;
	bool tls;			/* inside TLS (either kind) */
	bool tls_pending;		/* handshake running */
	bool closing;			/* free once the output is sent */
	bool destroyed;
	unsigned int enabled;		/* IMAP_ENABLED_* */
	char *user;
	bool admin;			/* logged in by one of auth_admins */
	int session_slot_fd;
	unsigned int auth_failures;
	unsigned int bad_commands;

	/* The command being run, owned; NULL between commands. */
	struct imap_command *cmd;
	unsigned int cmd_flags;		/* IMAP_CMD_* of its table entry */
	imap_client_line_fn *line_fn;
	imap_client_resume_fn *resume_fn;
	imap_client_notify_fn *notify_fn;
	void *cmd_ctx;			/* the running command's state */
	void (*cmd_ctx_free)(struct imap_client *c);

	struct imap_selected *sel;	/* SELECTED state only */
	struct imap_append *append;	/* an APPEND being received */
	/* What the running command left to make durable (imap_commit.h). */
	struct imap_commit_entry *commit;
	struct auth_client *auth;
	struct event_timer *timer;	/* auth failure delay */
	struct event_timer *kick_timer;	/* go on reading from the loop */
	unsigned int refs;		/* callbacks running on it */

	struct imap_client *next, *prev;
};

/* Accepts a connection (see server.h). */
void imap_client_accept(void *ctx, struct server_conn *conn);
/* Ends every session for the master's SIGTERM. */
void imap_client_shutdown_all(void *ctx);

/* Callbacks from the loop hold the client while they run (it is freed at
 * the last unref if it was closed meanwhile) and make its log context
 * current.  unref returns false when the client is gone. */
void imap_client_ref(struct imap_client *c);
bool imap_client_unref(struct imap_client *c);

/* ---- output ---- */

/* Queues a line (CRLF added). */
void imap_client_send(struct imap_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Queues raw bytes (a response built in a buffer, CRLF included). */
void imap_client_write(struct imap_client *c, const void *data, size_t len);

/* Quoting flags for strings sent to this client (imap_quote.h). */
unsigned int imap_client_quote_flags(const struct imap_client *c);

/* Ends the running command: sends the untagged updates of the selected
 * mailbox that the command allows, then "tag <text>", where text starts
 * with OK, NO or BAD.  Input is read again afterwards. */
void imap_client_done(struct imap_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same without the mailbox updates (for errors before anything was
 * looked at, and BAD). */
void imap_client_done_plain(struct imap_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Both end here once the command's changes are durable: a command that
 * left syncs to run is held by imap_commit_hold() and finished from the
 * commit with the answer it gave. */
void imap_client_finish(struct imap_client *c, bool announce,
			const char *text);

/* A fixed message for internal failures: the detail goes to the log, the
 * client gets the session ID to quote. */
void imap_client_fail(struct imap_client *c, const char *what,
		      const char *error);

/* Sends "* BYE text" and closes once it is out. */
void imap_client_bye(struct imap_client *c, const char *text);

/* Switches input to bare lines for `fn` (SASL responses, IDLE's DONE). */
void imap_client_read_lines(struct imap_client *c, imap_client_line_fn *fn);

/* Flushes; when the output can't all go now, `fn` is called once it has
 * (and the command stays running).  Returns true when `fn` was queued,
 * false when everything is out and the caller may go on. */
bool imap_client_wait_output(struct imap_client *c, imap_client_resume_fn *fn);

/* Output queued but not yet sent: long responses stop producing above a
 * threshold and wait. */
size_t imap_client_output_queued(const struct imap_client *c);
#define IMAP_CLIENT_OUTPUT_CHUNK (256 * 1024)

/* The user has logged in (LOGIN or AUTHENTICATE): takes a session slot
 * and answers the command.  `authn_user` may be NULL. */
void imap_client_login(struct imap_client *c, const char *user,
		       const char *authn_user, const char *mech);
/* A login failed: answers NO after the configured delay, closes after too
 * many. */
void imap_client_login_failed(struct imap_client *c, const char *mech,
			      const char *reason);

/* Before a command in the selected state, and when IDLE is woken: when
 * another session deleted the selected mailbox, says BYE and returns
 * false (the session is closing); when it renamed it, takes the new name
 * (and tells an IMAP4rev2 client).  See imap_client.c for why. */
bool imap_client_check_selected(struct imap_client *c);

/* Leaves the selected state (CLOSE, UNSELECT, another SELECT). */
void imap_client_unselect(struct imap_client *c);

/* The capability list for this session's state, appended to `out`
 * (without "CAPABILITY"). */
void imap_client_capabilities(const struct imap_client *c, struct buf *out);

/* Forgets input read but not used (a new layer makes it meaningless). */
void imap_client_discard_input(struct imap_client *c);

/* Starts TLS on the connection (STARTTLS); 0 or -1. */
int imap_client_start_tls(struct imap_client *c, const char **error_r);

#endif
