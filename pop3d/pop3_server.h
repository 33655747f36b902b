#ifndef SEALPOST_POP3_SERVER_H
#define SEALPOST_POP3_SERVER_H

/*
 * One pop3d worker process: its settings, its TLS context, the store, the
 * shared login counters, the accepting side (server.h) and the list of
 * its sessions.  Set up in two steps around the privilege drop: the TLS
 * key is read as root, the store is opened as mail_user, so the Berkeley
 * DB files it creates belong to mail_user.
 */

#include "master/authd_settings.h"
#include "pop3_settings.h"

#include <stdbool.h>
#include <stddef.h>

struct event_loop;
struct pop3_login_rate;
struct pop3_session;
struct server;
struct store;
struct tls_ctx;
struct worker;

struct pop3_server {
	struct pop3_settings set;
	struct authd_settings auth_set;
	const struct worker *worker;
	struct event_loop *loop;
	struct server *server;
	struct tls_ctx *tls;		/* NULL: no TLS configured */
	struct store *store;
	struct pop3_login_rate *login_rate;
	char *auth_socket;
	char hostname[256];
	long expire_days;		/* POP3_EXPIRE_* or days */
	/* What authd is configured to offer (auth_mechanisms) among the
	 * mechanisms POP3 relays. */
	bool mech_gssapi, mech_plain, mech_login;
	struct pop3_session *sessions;
};

/* As root: reads the settings and loads the TLS key.  Fatal on a bad
 * environment (an implicit-TLS listener without a certificate, a bad
 * pop3_expire). */
void pop3_server_init(struct pop3_server *srv, const struct worker *w);

/* As mail_user: opens the store and the login counters and starts
 * accepting on `loop`.  Fatal when the store cannot be opened. */
void pop3_server_start(struct pop3_server *srv, struct event_loop *loop);

/* After the loop has stopped (every session is gone). */
void pop3_server_deinit(struct pop3_server *srv);

#endif
