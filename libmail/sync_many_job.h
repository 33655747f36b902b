#ifndef SEALPOST_SYNC_MANY_JOB_H
#define SEALPOST_SYNC_MANY_JOB_H

/*
 * sync_many() off an event loop: the syncs run on a thread of their own
 * while the loop goes on serving its connections, and the loop is told
 * when they are over.  For a daemon whose loop would otherwise stand
 * still for every batch of syncs.
 */

#include "sync_many.h"

struct event_loop;
struct sync_many_job;

typedef void sync_many_done_fn(void *ctx);

/* Syncs `items` (see sync_many()) and then calls done(ctx) from the
 * loop; each item's error is set by then.  `items` and their fds must stay
 * valid until done runs.  When no thread can be made, the syncs run here
 * and done is called before this returns (and NULL is returned). */
struct sync_many_job *sync_many_job_start(struct event_loop *loop,
					  struct sync_many_item *items,
					  size_t n, sync_many_done_fn *done,
					  void *ctx);
/* Waits for a job's syncs to end without calling its done (shutting
 * down), frees it, and sets *jobp to NULL; NULL is allowed. */
void sync_many_job_wait(struct sync_many_job **jobp);

#endif
