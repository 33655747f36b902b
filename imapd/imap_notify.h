#ifndef SEALPOST_IMAP_NOTIFY_H
#define SEALPOST_IMAP_NOTIFY_H

/*
 * Change notification for selected mailboxes: one inotify descriptor per
 * process watches the change log of every selected mailbox (mbox.h), so a
 * delivery or a flag change by any process reaches IDLE sessions at once,
 * with no polling.  Sessions on the same mailbox share the kernel's watch.
 */

#include <stdbool.h>

struct event_loop;
struct imap_notify;
struct imap_notify_watch;

typedef void imap_notify_fn(void *ctx);

/* With `poll`, every watch is polled (see imap_notify_add()). */
struct imap_notify *imap_notify_new(struct event_loop *loop, bool poll);
void imap_notify_free(struct imap_notify **n);

/* Calls `fn` from the loop whenever the file at `path` is written.  When
 * the kernel refuses a watch (its per-user inotify limits), the file is
 * polled once a second instead, and `fn` is called at each poll. */
struct imap_notify_watch *imap_notify_add(struct imap_notify *n,
					  const char *path, imap_notify_fn *fn,
					  void *ctx);
/* The file at `path` was replaced by another (reconstruct, or a
 * checkpoint's rewrite, puts a new change log in place): `w` watches the
 * new one from now on.  Call it before
 * reading the new file, so that no write after the read goes unheard.
 * NULL is allowed. */
void imap_notify_rewatch(struct imap_notify_watch *w, const char *path);
/* Safe from inside any notify callback.  NULL is allowed. */
void imap_notify_remove(struct imap_notify_watch **w);

#endif
