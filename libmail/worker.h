#ifndef SEALPOST_WORKER_H
#define SEALPOST_WORKER_H

/*
 * What every daemon the master starts has in common.
 *
 * The master binds every listening socket, forks, drops the child's
 * privileges, and execs the daemon as
 *
 *     DAEMON --config FILE
 *
 * with its listening sockets as descriptors 3, 4, ... and the environment
 * variable SEALPOST_LISTENERS naming them in the same order, separated by
 * spaces (for example "imap imaps").  stdin is /dev/null; stderr is the
 * master's log channel.  SIGTERM asks the daemon to stop accepting, finish
 * (or drop) its sessions and exit 0; the master kills it after
 * shutdown_grace.  A daemon that exits non-zero is restarted.
 *
 * Privileges: a daemon without secrets of its own is exec'd already running
 * as mail_user.  A daemon that must read a TLS private key first is exec'd
 * as root with SEALPOST_RUN_AS naming the user to become; it loads its keys
 * and then calls worker_drop_privileges() before it reads from the network.
 */

#include "config.h"

#include <stddef.h>

#define WORKER_MAX_LISTENERS 16

struct worker_listener {
	const char *name;	/* the listener's name in SEALPOST_LISTENERS */
	int fd;			/* non-blocking, close-on-exec */
};

struct worker {
	const char *ident;	/* the program's name, for logs */
	struct config *config;	/* the validated config file */
	struct worker_listener listeners[WORKER_MAX_LISTENERS];
	size_t listener_count;
};

/*
 * Parses the daemon's arguments and environment, loads and validates the
 * config, opens the log as the config says, and collects the listeners.
 * On any error it logs and exits with EX_TEMPFAIL, since a daemon with a
 * bad environment cannot do anything useful.  `argv` may also carry
 * `--set KEY=VALUE` overrides (used by tests that run a daemon alone).
 */
void worker_init(struct worker *w, const char *ident, int argc, char **argv);

/* The listener of that name, or NULL. */
const struct worker_listener *worker_listener(const struct worker *w,
					      const char *name);

/* Resolves a path from the config: absolute paths stay, relative ones are
 * taken from state_dir.  Returns a new string. */
char *worker_path(const struct worker *w, const char *path);

/* Becomes the user in SEALPOST_RUN_AS (and its primary group, with no
 * supplementary groups) when started as root; a no-op otherwise.  Failure
 * is fatal: a network daemon must never go on running as root.
 *
 * Then binds the worker's life to its master's (SEALPOST_MASTER_PID): a
 * worker whose master is gone is killed by the kernel, so a master that
 * crashed or was killed leaves no orphan holding its ports and store, and
 * a new one can start at once.  Dropping privileges clears that binding,
 * which is why it is made here, after the drop. */
void worker_drop_privileges(const struct worker *w);

void worker_deinit(struct worker *w);

#endif
