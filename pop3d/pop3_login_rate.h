#ifndef SEALPOST_POP3_LOGIN_RATE_H
#define SEALPOST_POP3_LOGIN_RATE_H

/*
 * Per-user login accounting shared by every pop3d process of the host:
 * the login rate limit (attempts per window) and LOGIN-DELAY (RFC 2449
 * section 6.5, time since the last successful login).
 *
 * The counters live in a small fixed-size file under state_dir, mapped
 * shared by all workers and updated under flock, so a client cannot
 * multiply its allowance by landing on different workers.  A name is kept
 * only as a keyed hash of it (the key is random per file), so the file
 * neither lists user names nor can be filled with chosen collisions; when
 * the table is full the least recently used slot is taken over, which
 * only ever forgets, never blocks.  Counters are transient: a file of
 * another version or size is reset rather than upgraded.
 *
 * Names are compared case-insensitively and without a realm ("Alice",
 * "alice@REALM" and "alice" share counters), so varying the spelling does
 * not buy more attempts.
 *
 * Every call may block briefly on the file lock; none reads from the
 * network.
 */

#include <stdbool.h>
#include <time.h>

struct pop3_login_rate;

/* Opens (creating or resetting as needed) the table at `path`.  0, or -1
 * with a static reason. */
int pop3_login_rate_open(const char *path, struct pop3_login_rate **rate_r,
			 const char **error_r);
void pop3_login_rate_close(struct pop3_login_rate **rate);

/* Counts one login attempt for `name` at `now`.  Returns false when it is
 * more than `limit` in the current `window` seconds (the attempt is
 * refused, and still counted).  `limit` 0 allows everything. */
bool pop3_login_rate_attempt(struct pop3_login_rate *rate, const char *name,
			     time_t now, unsigned int limit,
			     unsigned int window);

/* A login of `name` succeeded at `now`.  Returns false when the previous
 * one was less than `delay` seconds ago (the login must be refused and is
 * not recorded); otherwise records it and returns true.  `delay` 0 always
 * allows. */
bool pop3_login_rate_login(struct pop3_login_rate *rate, const char *name,
			   time_t now, unsigned int delay);

#endif
