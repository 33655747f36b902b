#ifndef SEALPOST_MBOX_CACHE_WINDOW_H
#define SEALPOST_MBOX_CACHE_WINDOW_H

/*
 * Reading many cache entries of a mailbox in a row (a SEARCH going through
 * every message): instead of two pread()s and a copy for each entry, as
 * mbox_cache_read() does, the cache file is read a window of
 * MBOX_CACHE_WINDOW_SIZE bytes at a time and the entries are checked
 * (length, CRC-32C) and handed out in place.  Entries are written in UID
 * order, so one window holds the entries of many messages in a row.
 *
 * Bytes read stay as they were read: a window lives for one command, and
 * the CRC check still refuses an entry that was being written.
 */

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct mbox;
struct mbox_record;

#define MBOX_CACHE_WINDOW_SIZE (128 * 1024)

struct mbox_cache_window {
	struct buf buf;		/* bytes of the cache file */
	uint64_t offset;	/* where buf.data[0] is in the file */
};

#define MBOX_CACHE_WINDOW_INIT { BUF_INIT, 0 }

/* The cache entry of `rec`: *data_r points into the window and stays
 * valid until the next call.  0 with *len_r == 0 when the message has no
 * entry; -1 with a reason when the entry is bad (the caller parses the
 * message instead, as with mbox_cache_read()). */
int mbox_cache_window_read(struct mbox *mb, const struct mbox_record *rec,
			   struct mbox_cache_window *w, const char **data_r,
			   size_t *len_r, const char **error_r);

void mbox_cache_window_free(struct mbox_cache_window *w);

#endif
