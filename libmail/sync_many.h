#ifndef SEALPOST_SYNC_MANY_H
#define SEALPOST_SYNC_MANY_H

/*
 * Syncs many files at once, each in its own call, from a few threads at the
 * same time: the file system's journal takes the calls that arrive while a
 * commit runs into the next one, so n files cost about two journal commits
 * instead of n, without flushing anything else of the file system (which
 * syncfs(2) does, whatever else is dirty on it).
 */

#include <stdbool.h>
#include <stddef.h>

/* At most this many threads besides the caller's. */
#define SYNC_MANY_THREADS 7

struct sync_many_item {
	int fd;
	bool data_only;		/* fdatasync; else fsync (a folder) */
	int error;		/* out: 0, or the errno of the call */
};

/* Syncs every item; 0 when all succeeded, else -1 (see each error).
 * Two or more items are synced at once, a file and its folder too. */
int sync_many(struct sync_many_item *items, size_t n);
/* The same, while the caller's own thread runs beside(arg) (work that
 * must stay on that thread, such as a flush through a library handle
 * that is not shared between threads); -1 also when beside() returned a
 * value below 0.  The items are synced by the helping threads meanwhile,
 * and by the caller's thread once beside() is done. */
int sync_many_beside(struct sync_many_item *items, size_t n,
		     int (*beside)(void *arg), void *arg);

/* The helping threads this process keeps for sync_many() (made by the
 * first calls that needed them, at most SYNC_MANY_THREADS). */
unsigned int sync_many_kept_threads(void);

#endif
