#ifndef SEALPOST_LMTP_SESSION_H
#define SEALPOST_LMTP_SESSION_H

/* One LMTP connection (RFC 2033): LHLO, MAIL, RCPT, DATA with a reply per
 * recipient, RSET, NOOP, QUIT. */

#include "lmtpd_settings.h"
#include "store_settings.h"

struct event_loop;
struct server_conn;
struct store;

/* What every session of the process shares. */
struct lmtp_server {
	struct event_loop *loop;
	struct store *st;
	const struct lmtpd_settings *set;
	const struct store_settings *store_set;
	const char *hostname;
};

/* Starts a session on an accepted connection (takes it over). */
void lmtp_session_start(struct lmtp_server *srv, struct server_conn *conn);

/* Shutdown: ends sessions that are between transactions; the others end
 * after their current transaction. */
void lmtp_sessions_shutdown(void);

/* After the loop has ended: frees what the sessions shared. */
void lmtp_sessions_deinit(void);

#endif
