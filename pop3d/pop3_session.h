#ifndef SEALPOST_POP3_SESSION_H
#define SEALPOST_POP3_SESSION_H

/*
 * One POP3 connection: the states of RFC 1939 section 3, reading commands
 * one line at a time (pipelined commands are taken in order, RFC 2449
 * section 6.6), and the replies.
 *
 * A command that cannot finish at once (AUTH and PASS wait for authd, RETR
 * and TOP send a message as the socket drains, a failed login waits out
 * its delay) marks the session busy: no further command is read until it
 * calls pop3_session_done().  The UPDATE state has no resting place here:
 * QUIT in TRANSACTION commits the deletions and closes in one step, and a
 * session that ends any other way deletes nothing.
 *
 * Every client-visible failure is an -ERR with an RFC 2449/3206 response
 * code where one applies; internal errors name only the session ID, the
 * detail goes to the log.
 */

#include "log.h"

#include <stdbool.h>
#include <stddef.h>

struct auth_client;
struct event_timer;
struct pop3_maildrop;
struct pop3_send;
struct pop3_server;
struct server_conn;
struct stream;

enum pop3_state {
	POP3_STATE_AUTHORIZATION,
	POP3_STATE_TRANSACTION,
};

enum pop3_listener_kind {
	POP3_LISTENER_POP3,	/* 110: plain text, STLS */
	POP3_LISTENER_POP3S,	/* 995: implicit TLS */
	POP3_LISTENER_KPOP,	/* 1109: Kerberos only */
};

/* Longest command line taken, CRLF excluded.  RFC 2449 section 4 keeps
 * clients to 255 octets; more is accepted for clients that put a large
 * GSSAPI initial response on the AUTH line. */
#define POP3_MAX_COMMAND_LINE 8190
/* Consecutive unknown or malformed commands before we hang up. */
#define POP3_MAX_BAD_COMMANDS 20

struct pop3_session {
	struct pop3_server *server;
	struct server_conn *conn;
	struct stream *stream;
	struct log_ctx log;
	enum pop3_listener_kind kind;
	enum pop3_state state;
	bool tls;		/* inside TLS (after STLS, or on 995) */
	bool busy;		/* a command is in progress */
	bool closing;		/* the last reply is going out */
	bool shutdown;		/* SIGTERM came: end after this command */

	char *user;		/* USER's argument, then the logged-in user */
	struct pop3_maildrop *maildrop;	/* TRANSACTION only */
	unsigned int auth_failures;
	unsigned int bad_commands;

	/* An exchange with authd (AUTH, or PASS as PLAIN). */
	struct auth_client *auth;
	char auth_mech[24];
	bool auth_want_response;	/* "+ ..." sent, the next line is
					   the client's answer */
	bool auth_rate_checked;		/* the name was counted already */

	struct event_timer *delay_timer;	/* after a failed login */
	char delayed_reply[128];		/* sent when it fires */
	struct event_timer *close_timer;	/* frees a closed session */
	struct pop3_send *send;		/* RETR or TOP in progress */

	struct pop3_session *prev, *next;
};

/* A new connection from the server (server.h).  Cannot fail: a session
 * that cannot be set up answers -ERR and closes. */
void pop3_session_accept(struct pop3_server *srv, struct server_conn *conn);

/* Queues one reply line; CRLF is added.  Errors show at flush. */
void pop3_session_reply(struct pop3_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "-ERR [SYS/TEMP] ..." naming the session; the caller logs why. */
void pop3_session_reply_internal(struct pop3_session *s);

/* Marks the session busy (a command goes on after the return to the
 * loop) and, later, done: reading resumes with the next command. */
void pop3_session_busy(struct pop3_session *s);
void pop3_session_done(struct pop3_session *s);

/* Sends what is queued and closes once it is out.  Nothing is deleted. */
void pop3_session_close(struct pop3_session *s);

/* Whether passwords (USER/PASS, PLAIN, LOGIN) may be used now: inside TLS
 * and not on KPOP. */
bool pop3_session_password_allowed(const struct pop3_session *s);

/* The client proved to be `user`: applies LOGIN-DELAY, opens and locks the
 * maildrop and enters TRANSACTION, or answers why not. */
void pop3_session_login(struct pop3_session *s, const char *user);

/* A login failed: counts it, waits pop3_auth_fail_delay, then sends
 * `reply` (and closes after too many).  The session stays busy until
 * then. */
void pop3_session_login_failed(struct pop3_session *s, const char *reply);

/* SIGTERM: an idle session ends now, a busy one after its command. */
void pop3_session_shutdown(struct pop3_session *s);

/* Frees everything at once (the fd is closed, nothing is deleted). */
void pop3_session_destroy(struct pop3_session *s);

#endif
