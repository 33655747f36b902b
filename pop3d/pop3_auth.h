#ifndef SEALPOST_POP3_AUTH_H
#define SEALPOST_POP3_AUTH_H

/*
 * The SASL relay of POP3 (RFC 5034): AUTH and PASS hand the exchange to
 * authd through auth_client.h, turn its challenges into "+ base64" lines,
 * and the client's answers back into responses.  The session is busy
 * while authd thinks, and reads exactly one line (the answer) after each
 * challenge.
 *
 * Before a password goes to authd, the name it is for is counted against
 * the login rate limit (pop3_login_rate.h); over the limit the password
 * is never checked.
 */

#include <stdbool.h>
#include <stddef.h>

struct pop3_session;

/* Whether `mech` (upper case) may be used on this connection now: authd
 * offers it, and for password mechanisms the session is inside TLS and
 * not on KPOP. */
bool pop3_auth_mech_allowed(const struct pop3_session *s, const char *mech);

/* Counts a login attempt for `name`; false (after answering -ERR
 * [LOGIN-DELAY]) when over the limit. */
bool pop3_auth_rate_check(struct pop3_session *s, const char *name);

/* The authentication identity of a PLAIN message (RFC 4616 section 2)
 * into `out`; -1 when the message is malformed or the name too long. */
int pop3_auth_plain_authcid(const unsigned char *msg, size_t len, char *out,
			    size_t size);

/*
 * Starts the exchange for `mech` with an initial response (`ir` NULL for
 * none; non-NULL with length 0 for an empty one).  The session becomes
 * busy; the outcome is a reply and pop3_session_done(), or a login.
 */
void pop3_auth_begin(struct pop3_session *s, const char *mech,
		     const void *ir, size_t ir_len);

/* The client's line after a "+" challenge: base64, or "*" to cancel. */
void pop3_auth_response(struct pop3_session *s, const char *line,
			size_t len);

/* Ends the exchange now with `reply` (an -ERR line). */
void pop3_auth_abort(struct pop3_session *s, const char *reply);

#endif
