#ifndef SEALPOST_IMAPD_H
#define SEALPOST_IMAPD_H

/*
 * The imapd process: its settings, the shared objects every session uses
 * (event loop, store, TLS context, change notifications), and the list of
 * live sessions.  One process serves many sessions from one event loop.
 */

#include "imapd/imap_parser.h"
#include "imapd/imapd_settings.h"
#include "master/authd_settings.h"
#include "master/master_settings.h"

struct event_loop;
struct imap_client;
struct imap_commit;
struct imap_notify;
struct server;
struct store;
struct tls_ctx;
struct worker;

struct imapd {
	struct worker *worker;
	struct imapd_settings set;
	struct authd_settings auth;
	struct master_settings master;
	char *auth_socket;		/* resolved against state_dir */
	char *sessions_dir;		/* per-user session slots */
	const char *hostname;
	struct tls_ctx *tls;		/* NULL: no TLS configured */
	struct event_loop *loop;
	struct server *server;
	struct store *store;
	struct imap_notify *notify;
	struct imap_parser_limits parser_limits;
	struct imap_client *clients;	/* every live session */
	struct imap_commit *commit;	/* NULL: group commit off */
};

/* Runs the daemon: settings, TLS key, privilege drop, store, then the
 * event loop until the master's SIGTERM has ended every session.  Returns
 * the exit status. */
int imapd_run(struct worker *w);

#endif
