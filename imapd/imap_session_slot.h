#ifndef SEALPOST_IMAP_SESSION_SLOT_H
#define SEALPOST_IMAP_SESSION_SLOT_H

/*
 * Bounds the sessions of one user across every imapd process.  Each user
 * has a file in `dir`; a session holds a lock on one byte of it (an open
 * file description lock, so two sessions of one process count twice).  The
 * kernel drops the lock when the session's descriptor closes, also when a
 * process dies, so a crash never leaves a slot taken.
 */

/* Takes one of `max` slots of `user` (a checked store user name).  Returns
 * 1 with *fd_r to close at logout, 0 when every slot is taken, or -1 with
 * a reason.  Does not block. */
int imap_session_slot_take(const char *dir, const char *user,
			   unsigned int max, int *fd_r, const char **error_r);

#endif
