#ifndef SEALPOST_MASTER_H
#define SEALPOST_MASTER_H

/*
 * The master: binds every listener, starts the configured number of worker
 * processes per service handing them the listening sockets, restarts those
 * that die (with backoff), reloads on SIGHUP and stops on SIGTERM.  It stays
 * root when started as root, because it must start the auth service as a
 * different user than the protocol daemons and rebind privileged ports on
 * reload; it never reads from the network itself.
 */

#include "config.h"
#include "master_settings.h"

#include <stdbool.h>
#include <sys/types.h>

struct event_loop;

#define MASTER_MAX_LISTEN_KEYS 4

/* A service as the master knows it: which program, as whom, how many, and
 * the config keys holding its listen addresses. */
struct master_service_def {
	const char *name;
	const char *program;
	const char *user_key;		/* "mail_user" or "auth_user" */
	const char *workers_key;	/* config key with the worker count */
	/* The daemon loads TLS keys as root and drops privileges itself. */
	bool drops_itself;
	struct {
		const char *key;	/* e.g. "imap_listen" */
		const char *name;	/* listener name given to the daemon */
	} listen[MASTER_MAX_LISTEN_KEYS];
};

extern const struct master_service_def master_service_defs[];
extern const size_t master_service_def_count;

struct master_listener {
	char *name;
	char *address;		/* as configured, to match on reload */
	char *unix_path;	/* for unlinking at exit; NULL for TCP */
	int fd;
};

/* Binds one address: "host:port", "[v6]:port", "*:port", or a unix socket
 * path (absolute, or relative to state_dir).  Unix sockets get mode 0660
 * and owner `uid`/`gid` (unless -1) so only the mail user can connect. */
int master_listen_bind(const char *address, const char *state_dir,
		       uid_t uid, gid_t gid, struct master_listener *l,
		       const char **error_r);
void master_listener_close(struct master_listener *l);

struct master;

struct master *master_new(struct event_loop *loop, struct config *cfg,
			  char **sets, int nsets);
/* Binds all listeners and starts all workers; -1 (logged) if a listener
 * cannot be bound. */
int master_start(struct master *m);
/* SIGHUP: rereads the config; keeps the old one if the new one is bad. */
void master_reload(struct master *m);
/* SIGTERM: stops every worker, then the loop. */
void master_stop(struct master *m);
/* SIGCHLD: reaps and restarts. */
void master_reap(struct master *m);
void master_free(struct master **m);

#endif
