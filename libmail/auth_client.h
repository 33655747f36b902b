#ifndef SEALPOST_AUTH_CLIENT_H
#define SEALPOST_AUTH_CLIENT_H

/*
 * The daemon side of the auth protocol (auth_proto.h): relays one SASL
 * exchange between a client of smtpd, imapd or pop3d (or the sealpost
 * command) and authd.  The caller does the protocol-specific part, turning
 * "AUTHENTICATE GSSAPI" or "AUTH PLAIN ..." into a request and challenges
 * into "+ ..." or "334 ..." lines; this module does not know which protocol
 * it serves.
 *
 * One struct auth_client is one connection and one exchange.  There are
 * two ways to drive it:
 *
 *   blocking   auth_client_connect(), auth_client_start(),
 *              auth_client_respond(): each call waits for authd's answer,
 *              bounded by the timeout.  For the sealpost command and tests.
 *
 *   event loop auth_client_begin(), auth_client_continue(): never block;
 *              the callback gets each challenge and the verdict.  For the
 *              daemons (see the second half of this header).
 *
 * A FAIL verdict is the client's fault or lack of credentials, and the
 * daemon answers with the protocol's "authentication failed"; -1 or an
 * error callback means authd could not be asked, and the daemon answers
 * with a temporary failure.  Neither ever tells the client why.
 */

#include "auth_proto.h"

#include <stdbool.h>
#include <stddef.h>

struct auth_client;
struct event_loop;

struct auth_client_request {
	const char *mech;	/* "GSSAPI", "PLAIN", "LOGIN" */
	const char *service;	/* "imap", "smtp", "pop" */
	bool secured;		/* the client's connection is inside TLS */
	const char *client_addr; /* IP address text, or NULL */
	const char *session;	/* the daemon's session ID, for both logs */
	/* The SASL initial response (RFC 4422 section 4), NULL for none;
	 * a non-NULL pointer with length 0 is an empty one. */
	const void *initial_response;
	size_t initial_response_len;
};

enum auth_client_status {
	AUTH_CLIENT_CONTINUE,	/* send `challenge` to the client */
	AUTH_CLIENT_OK,		/* logged in as `user` */
	AUTH_CLIENT_FAIL,	/* refused; `fail` says how, for logs only */
};

/* Valid until the next call on the same client. */
struct auth_client_reply {
	enum auth_client_status status;
	const unsigned char *challenge;	/* CONTINUE */
	size_t challenge_len;
	const char *user;		/* OK: the user to log in as */
	const char *authn_user;		/* OK: whose credentials were used */
	enum auth_fail fail;		/* FAIL */
};

/* ---- blocking ---- */

/*
 * Connects to authd at `socket_path` and performs the version handshake.
 * Every later call on this client must finish within `timeout_secs` of this
 * one.  `max_token` bounds what the client accepts from authd (use
 * auth_max_token_size).  Returns 0, or -1 with a static or client-owned
 * reason in *error_r.  Blocks.
 */
int auth_client_connect(const char *socket_path, unsigned int timeout_secs,
			size_t max_token, struct auth_client **client_r,
			const char **error_r);

/* The mechanisms authd offers (space-separated), and whether `mech` is one
 * of them; daemons advertise only those, and only GSSAPI outside TLS. */
const char *auth_client_mechs(const struct auth_client *client);
bool auth_client_has_mech(const struct auth_client *client, const char *mech);

/*
 * Sends the START of the exchange and waits for the first reply.  Returns
 * 0 with *reply_r filled, or -1 when authd could not be reached, broke the
 * protocol, or timed out.  Blocks.
 */
int auth_client_start(struct auth_client *client,
		      const struct auth_client_request *request,
		      struct auth_client_reply *reply_r, const char **error_r);

/*
 * Sends the client's response to the last CONTINUE and waits for the next
 * reply.  A response larger than authd's max_token gives a FAIL proto
 * reply without asking authd.  Returns as auth_client_start().  Blocks.
 */
int auth_client_respond(struct auth_client *client, const void *response,
			size_t len, struct auth_client_reply *reply_r,
			const char **error_r);

/* ---- event loop ---- */

/*
 * Called from the event loop with each answer: CONTINUE (answer with
 * auth_client_continue()), or the final OK or FAIL; or, finally too, with
 * reply == NULL and a static reason in `error` when authd could not be
 * asked (connection refused or lost, protocol violation, timeout).  The
 * reply is valid only during the call.  The callback may call
 * auth_client_free() on its client.
 */
typedef void auth_client_callback(void *ctx,
				  const struct auth_client_reply *reply,
				  const char *error);

/*
 * Starts an exchange without blocking: connects, sends HELLO and START
 * together, and reports through `callback`.  The whole exchange must end
 * within `timeout_secs`.  Returns 0, or -1 with a static reason when it
 * cannot even start (socket unreachable, request not expressible in the
 * protocol); the callback is then never called.
 */
int auth_client_begin(struct event_loop *loop, const char *socket_path,
		      unsigned int timeout_secs, size_t max_token,
		      const struct auth_client_request *request,
		      auth_client_callback *callback, void *ctx,
		      struct auth_client **client_r, const char **error_r);

/*
 * Sends the client's response to the CONTINUE just reported.  Never
 * blocks; the next answer comes through the callback (a response larger
 * than the limit gives a FAIL proto answer from the loop).
 */
void auth_client_continue(struct auth_client *client, const void *response,
			  size_t len);

/* ---- both ---- */

/* Closes the connection (aborting an unfinished exchange) and frees.
 * Safe from inside the callback; NULL is allowed. */
void auth_client_free(struct auth_client **client);

#endif
