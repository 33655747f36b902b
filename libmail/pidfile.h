#ifndef SEALPOST_PIDFILE_H
#define SEALPOST_PIDFILE_H

#include <sys/types.h>

/*
 * A pid file that is also the lock that keeps a second master off the same
 * state folder: the holder keeps an exclusive flock on it for its whole
 * life, so a stale file left by a crash never blocks a restart.
 */

/* Takes the lock and writes our pid.  Returns the fd to keep open, or -1:
 * with *holder_r set to the running holder's pid when someone has it (0
 * when the failure was something else, described by *error_r). */
int pidfile_lock(const char *path, pid_t *holder_r, const char **error_r);

/* The pid of a live holder of the lock, or 0 when nobody holds it. */
pid_t pidfile_holder(const char *path);

#endif
