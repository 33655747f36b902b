#ifndef SEALPOST_QMGR_SMTP_H
#define SEALPOST_QMGR_SMTP_H

/*
 * One SMTP client session (RFC 5321) on a connected socket, for one
 * message and some of its recipients: greeting, EHLO (HELO when EHLO is
 * refused), STARTTLS (RFC 3207) as the TLS level asks, AUTH PLAIN
 * (RFC 4954) when configured, then MAIL, RCPT and DATA, pipelined when
 * the server offers PIPELINING (RFC 2920).  Every step has its own
 * timeout (RFC 5321 4.5.3.2).
 *
 * A session ends in one of two ways, reported once through done_fn from
 * the loop:
 *   - host failure (`try_next`): nothing was decided about any recipient
 *     (no greeting, EHLO refused, TLS required but missing, a drop before
 *     MAIL); the relay tries the next address or MX host;
 *   - otherwise every recipient got exactly one outcome through rcpt_fn.
 * After a successful transaction the session may be kept for the next
 * message to the same destination (qmgr_smtp_next()).
 */

#include "qmgr.h"

#include <stdbool.h>
#include <stddef.h>

struct qmgr_smtp;
struct tls_ctx;

enum qmgr_tls_level {
	QMGR_TLS_NONE,
	QMGR_TLS_MAY,
	QMGR_TLS_ENCRYPT,
	QMGR_TLS_VERIFY,
};

struct qmgr_smtp_peer {
	/* The host name (MX target or relayhost): SNI, verification, logs. */
	const char *host;
	/* "host[address]:port" for logs and Remote-MTA. */
	const char *relay;
	enum qmgr_tls_level tls;
	struct tls_ctx *tls_ctx;
	/* AUTH PLAIN credentials, or NULL. */
	const char *auth_user;
	const char *auth_pass;
};

/* Recipient `pos` (an index into the `idx` array given) has an outcome:
 * 'D', 'F' or 'T' with the reply.  `dsn_passed`: the server offered DSN,
 * so NOTIFY went on with the recipient and the next hop reports. */
typedef void qmgr_smtp_rcpt_fn(void *ctx, size_t pos, char state,
			       const char *reply, bool dsn_passed);
typedef void qmgr_smtp_done_fn(void *ctx, bool try_next, const char *reason);

/* Takes the connected socket `fd` (closed at free).  `peer` is copied. */
struct qmgr_smtp *qmgr_smtp_start(struct qmgr *q, int fd,
				  const struct qmgr_smtp_peer *peer,
				  struct queue_file *qf, const size_t *idx,
				  size_t count, qmgr_smtp_rcpt_fn *rcpt_fn,
				  qmgr_smtp_done_fn *done_fn, void *ctx);
/* Whether the session ended in a state where another MAIL may follow. */
bool qmgr_smtp_reusable(const struct qmgr_smtp *s);
/* Starts the next message on a reusable session (RSET first, since the
 * last transaction may have ended early); same callbacks contract. */
void qmgr_smtp_next(struct qmgr_smtp *s, struct queue_file *qf,
		    const size_t *idx, size_t count,
		    qmgr_smtp_rcpt_fn *rcpt_fn, qmgr_smtp_done_fn *done_fn,
		    void *ctx);
/* Sends QUIT (not waiting for its reply) and frees.  NULL is allowed. */
void qmgr_smtp_free(struct qmgr_smtp **s);
const char *qmgr_smtp_relay(const struct qmgr_smtp *s);

#endif
