#ifndef SEALPOST_SYNC_BATCH_H
#define SEALPOST_SYNC_BATCH_H

/*
 * A set of files to make durable together, in two ordered phases, on a
 * thread of the process while the caller's event loop goes on serving: the
 * group commit of a process that must not wait on the disk (imapd's logs;
 * smtpd's queue files and qmgr's outcome records, phase 1 only).
 *
 *   phase 1  new message files (fdatasync) and the folders holding their
 *            new names (fsync): what a log record will name
 *   phase 2  the mailbox logs (fdatasync): what makes a change durable
 *
 * Phase 2 starts only once every sync of phase 1 has returned, so a log is
 * never synced before the files it names.  That orders the syncs only: a
 * log record written before its files are durable may still reach the
 * disk first (early writeback), so new message files must not be left to
 * phase 1 when their records are already written.  imapd hands over an
 * append's new files and folder with its log, all in phase 2, whose
 * records are written already: one round, the recovery after a reboot
 * expunging a message whose record outlived its file (see
 * mbox_set_defer_hook()).  Within a phase the syncs run at once (sync_many()).  A file
 * added twice (two changes to one mailbox, two descriptors of one file)
 * is synced once: files are told apart by device and inode.
 *
 * The batch holds its own duplicates of the descriptors added, so the
 * caller may close its own at once, or go away.  When the thread is done
 * it writes to the descriptor given to sync_batch_start() (an eventfd or
 * a pipe), and the caller collects the outcome with sync_batch_finish();
 * a daemon with an event loop lets struct sync_batch_loop do both and
 * call it back from the loop.
 */

#include <stdbool.h>
#include <stddef.h>

enum sync_batch_phase {
	SYNC_BATCH_NAMES = 0,	/* files and folders */
	SYNC_BATCH_LOGS = 1,	/* the logs that name them */
};

struct sync_batch;

struct sync_batch *sync_batch_new(void);
/* Frees the batch, closing its descriptors.  Not while it runs. */
void sync_batch_free(struct sync_batch **b);

/* Adds a duplicate of `fd`: fdatasync'ed when `data_only`, else fsync'ed
 * (a folder).  Returns the item's number, for sync_batch_error(), or -1
 * with errno set when the descriptor cannot be duplicated or examined.
 * A file already in the batch returns the number it has. */
int sync_batch_add(struct sync_batch *b, int fd, enum sync_batch_phase phase,
		   bool data_only);
/* How many distinct files the batch syncs. */
size_t sync_batch_count(const struct sync_batch *b);

/* Runs both phases in the calling thread; 0, or -1 when any sync failed
 * (see sync_batch_error()). */
int sync_batch_run(struct sync_batch *b);

/* Runs sync_batch_run() on the process's sync thread (made at the first
 * call and kept: batches queue for it, one at a time); when it returns, 8
 * bytes (an eventfd count of 1) are written to `notify_fd`.  0, or -1
 * with errno when no thread could be made (the caller may then
 * sync_batch_run()). */
int sync_batch_start(struct sync_batch *b, int notify_fd);
/* Waits for the batch given to sync_batch_start() to be done (once it
 * has notified, this does not block); returns what sync_batch_run()
 * returned. */
int sync_batch_finish(struct sync_batch *b);

/* The errno of item `item`'s sync, or 0.  A phase 2 item whose phase 1
 * failed was still synced: each item's error is its own. */
int sync_batch_error(const struct sync_batch *b, int item);

/*
 * A batch off an event loop: sync_batch_start() with an eventfd the loop
 * watches, sync_batch_finish() when it fires, and the caller's done called
 * from the loop.  One batch at a time per struct sync_batch_loop.
 */
struct event_loop;
struct sync_batch_loop;

/* `result` is what sync_batch_run() returned; the batch is done's to
 * free (or keep).  done may start the next batch. */
typedef void sync_batch_done_fn(void *ctx, struct sync_batch *b, int result);

/* NULL with errno when no eventfd can be made or watched. */
struct sync_batch_loop *sync_batch_loop_new(struct event_loop *loop,
					    sync_batch_done_fn *done,
					    void *ctx);
/* Waits for a running batch without calling done (shutting down), frees
 * the batch and the loop's watch, and sets *lp to NULL; NULL is allowed. */
void sync_batch_loop_free(struct sync_batch_loop **lp);
/* Hands `b` to the sync thread; done is called from the loop, never
 * before this returns.  0, or -1 with errno when no thread could be made:
 * the syncs then ran here, and done is still called from the loop. */
int sync_batch_loop_start(struct sync_batch_loop *l, struct sync_batch *b);
/* Whether a batch was started and its done not yet called. */
bool sync_batch_loop_busy(const struct sync_batch_loop *l);
/* Waits for the running batch, if any, and calls its done now. */
void sync_batch_loop_drain(struct sync_batch_loop *l);

#endif
