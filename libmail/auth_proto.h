#ifndef SEALPOST_AUTH_PROTO_H
#define SEALPOST_AUTH_PROTO_H

/*
 * The auth protocol: how a protocol daemon (smtpd, imapd, pop3d) or the
 * `sealpost auth test` command relays one SASL exchange (RFC 4422) to authd,
 * the only process that can read the Kerberos keytab (DESIGN principle 1).
 *
 * Transport: a unix stream socket, `auth_socket` under state_dir.  One
 * connection carries one handshake and one exchange; authd closes it after
 * OK or FAIL.  A connection is cheap on a unix socket, and an idle daemon
 * can then never hold an authd worker.
 *
 * Framing: each message is one line ending in LF (no CR), at most
 * auth_proto_max_line() bytes including the LF; a longer line is refused as
 * soon as the limit is passed, before it is complete.  A line is a message
 * type followed by fields, separated by one TAB each.  Every message type has
 * a fixed number of fields; a missing or extra field, an empty field where a
 * value is required, or a byte outside a field's alphabet rejects the whole
 * message, and a peer that sends a bad message is disconnected.
 *
 * Tokens (SASL challenges and responses) are canonical base64 (RFC 4648,
 * see base64.h) of at most `max_token` decoded bytes; "=" is the empty token
 * and, for the optional initial response only, "-" means none (RFC 4422
 * section 4 keeps "no initial response" and "empty initial response"
 * apart).
 *
 *   daemon -> authd                      authd -> daemon
 *   HELLO <version>
 *                                        WELCOME <version> <max_token> <mechs>
 *   START <mech> <service> <secured>
 *         <client_addr> <session> <ir>
 *                                        CONTINUE <challenge>
 *   RESPONSE <response>
 *                                        ...
 *                                        OK <user> <authn_user>
 *                                     or FAIL <reason>
 *
 * <version>     decimal; this is version 1.  authd answers a HELLO of any
 *               other version with FAIL version and closes.  The daemon may
 *               send HELLO and START back to back.
 * <max_token>   decimal, the largest decoded token authd accepts.
 * <mechs>       the enabled mechanisms, separated by single spaces.
 * <mech>        a SASL mechanism name (RFC 4422 section 3.1: A-Z 0-9 - _,
 *               at most 20).
 * <service>     the GSS service name of the daemon: smtp, imap or pop
 *               (lower-case letters, at most 16).
 * <secured>     "tls" when the client connection is inside TLS, "plain"
 *               when it is not; authd refuses plaintext mechanisms on
 *               "plain" itself, whatever the daemon advertised.
 * <client_addr> the client's IP address (hex digits, '.', ':'), or "-".
 * <session>     the daemon's session ID (letters and digits, at most 23);
 *               authd logs it, so one search finds both sides.
 * <user>        the user to log in as (the authorization identity).
 * <authn_user>  the user whose credentials were checked; differs from
 *               <user> only when an admin authorized as someone else.
 * <reason>      auth (bad credentials, unknown user, refused authzid:
 *               indistinguishable on purpose), temp (KDC unreachable or
 *               authd misconfigured: try later), mech (mechanism unknown,
 *               disabled, or plaintext outside TLS), proto (malformed
 *               SASL message from the client), version.
 */

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>

#define AUTH_PROTO_VERSION 1
#define AUTH_PROTO_MECH_MAX 20
#define AUTH_PROTO_SERVICE_MAX 16
#define AUTH_PROTO_ADDR_MAX 45
#define AUTH_PROTO_SESSION_MAX 23
#define AUTH_PROTO_MECHS_MAX 200
#define AUTH_PROTO_USER_MAX 321
/* The hard ceiling on max_token, whatever the config says. */
#define AUTH_PROTO_TOKEN_HARD_MAX (1024 * 1024)

enum auth_msg_type {
	AUTH_MSG_HELLO,
	AUTH_MSG_WELCOME,
	AUTH_MSG_START,
	AUTH_MSG_CONTINUE,
	AUTH_MSG_RESPONSE,
	AUTH_MSG_OK,
	AUTH_MSG_FAIL,
};

enum auth_fail {
	AUTH_FAIL_AUTH,
	AUTH_FAIL_TEMP,
	AUTH_FAIL_MECH,
	AUTH_FAIL_PROTO,
	AUTH_FAIL_VERSION,
};

struct auth_proto_limits {
	/* The largest decoded SASL token, in bytes. */
	size_t max_token;
};

/*
 * One parsed message.  Only the fields of its type are meaningful.  A
 * zeroed struct is valid; auth_msg_deinit() frees the token.
 */
struct auth_msg {
	enum auth_msg_type type;
	unsigned int version;				/* HELLO, WELCOME */
	size_t max_token;				/* WELCOME */
	char mechs[AUTH_PROTO_MECHS_MAX + 1];		/* WELCOME */
	char mech[AUTH_PROTO_MECH_MAX + 1];		/* START */
	char service[AUTH_PROTO_SERVICE_MAX + 1];	/* START */
	bool secured;					/* START */
	char client_addr[AUTH_PROTO_ADDR_MAX + 1];	/* START, "" if none */
	char session[AUTH_PROTO_SESSION_MAX + 1];	/* START */
	/* START (initial response, may be absent), CONTINUE, RESPONSE */
	bool has_token;
	struct buf token;
	char user[AUTH_PROTO_USER_MAX + 1];		/* OK */
	char authn_user[AUTH_PROTO_USER_MAX + 1];	/* OK */
	enum auth_fail fail;				/* FAIL */
};

void auth_msg_deinit(struct auth_msg *msg);

/* The longest line, LF included, that `limits` allows. */
size_t auth_proto_max_line(const struct auth_proto_limits *limits);

/*
 * Parses one line (without its LF).  Returns 0, or -1 with a static reason
 * in *error_r.  The token is decoded into msg->token, which the caller owns
 * (cleared first, so one msg can be reused).
 */
int auth_proto_parse(const char *line, size_t len,
		     const struct auth_proto_limits *limits,
		     struct auth_msg *msg, const char **error_r);

/*
 * Whether every field of `msg` may be written, with its token at most
 * `max_token` bytes: 0, or -1 with a static reason.  Callers that fill a
 * message from outside input (a daemon relaying a client's mechanism name)
 * check with this before writing.
 */
int auth_proto_check(const struct auth_msg *msg, size_t max_token,
		     const char **error_r);

/*
 * Appends `msg` as a line to `out`.  A message that auth_proto_check()
 * refuses is a panic: writing a field outside its alphabet would let one
 * side forge a message to the other.
 */
void auth_proto_write(struct buf *out, const struct auth_msg *msg);

const char *auth_fail_name(enum auth_fail fail);

/* Whether a mechanism sends a reusable password and so needs TLS
 * (RFC 4616 section 6; the same holds for LOGIN). */
bool auth_proto_mech_is_plaintext(const char *mech);

/*
 * An incremental line splitter: bytes go in as they arrive, split at any
 * point; complete lines come out.  Lines are bounded by `max_line` (LF
 * included), so a peer cannot make it buffer more than max_line plus one
 * read.  NUL and CR bytes are refused: they have no place in the protocol
 * and are the usual tools of smuggling.
 */
struct auth_proto_reader {
	struct buf in;
	size_t consumed;	/* bytes of `in` already returned */
	size_t scanned;		/* bytes after those known to hold no LF */
	size_t max_line;
};

void auth_proto_reader_init(struct auth_proto_reader *r, size_t max_line);
void auth_proto_reader_deinit(struct auth_proto_reader *r);
void auth_proto_reader_feed(struct auth_proto_reader *r, const void *data,
			    size_t len);
/*
 * Returns 1 with the next line (without its LF) in *line_r and *len_r, valid
 * until the next call; 0 when no complete line is buffered; -1 with a
 * static reason when the buffered input can no longer be a valid line.
 * After -1 the stream is unusable.
 */
int auth_proto_reader_next(struct auth_proto_reader *r, const char **line_r,
			   size_t *len_r, const char **error_r);
/* Whether bytes beyond the returned lines are buffered (for peers that
 * must not send anything after their last message). */
bool auth_proto_reader_has_leftover(const struct auth_proto_reader *r);

#endif
