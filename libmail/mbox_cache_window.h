#ifndef SEALPOST_MBOX_CACHE_WINDOW_H
#define SEALPOST_MBOX_CACHE_WINDOW_H

/*
 * Reading many cache or fields entries of a mailbox in a row (a SEARCH
 * going through every message): instead of two pread()s and a copy for
 * each entry, as mbox_cache_read() does, the file is read a window of
 * MBOX_CACHE_WINDOW_SIZE bytes at a time and the entries are checked
 * (length, CRC-32C) and handed out in place.  Entries are written in UID
 * order, so one window holds the entries of many messages in a row.  The
 * cache and the fields file (mbox_format.h) each have a window of their
 * own, so a header search reads only the fields file.
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

struct mbox_window_span {
	struct buf buf;		/* bytes of the file */
	uint64_t offset;	/* where buf.data[0] is in the file */
};

struct mbox_cache_window {
	struct mbox_window_span cache;
	struct mbox_window_span fields;
};

#define MBOX_CACHE_WINDOW_INIT { { BUF_INIT, 0 }, { BUF_INIT, 0 } }

/* The cache entry of `rec`: *data_r points into the window and stays
 * valid until the next call.  0 with *len_r == 0 when the message has no
 * entry; -1 with a reason when the entry is bad (the caller parses the
 * message instead, as with mbox_cache_read()). */
int mbox_cache_window_read(struct mbox *mb, const struct mbox_record *rec,
			   struct mbox_cache_window *w, const char **data_r,
			   size_t *len_r, const char **error_r);

/* The same for the fields entry of `rec` (valid until the next call of
 * this function): 0 with *len_r == 0 when it has none, -1 when it is bad
 * or the fields file cannot be read.  Either way the caller reads the
 * cache entry instead. */
int mbox_fields_window_read(struct mbox *mb, const struct mbox_record *rec,
			    struct mbox_cache_window *w, const char **data_r,
			    size_t *len_r, const char **error_r);

void mbox_cache_window_free(struct mbox_cache_window *w);

#endif
