#ifndef SEALPOST_MBOX_LOG_H
#define SEALPOST_MBOX_LOG_H

/* Reading and writing a mailbox's change log (internal to mbox.c). */

#include "buf.h"
#include "mbox_format.h"

#include <stdint.h>

/* Appends one record to `out` (header, payload, CRC). */
void mbox_log_add(struct buf *out, enum mbox_log_type type, uint64_t modseq,
		  const void *payload, size_t payload_size);

/* Called for each record of a complete batch, in order. */
typedef int mbox_log_apply_fn(void *ctx, const struct mbox_log_record *rec,
			      const void *payload, size_t payload_size);

/*
 * Reads the log in `fd` from `offset`, calling `fn` for every record of
 * every batch that ends with a COMMIT record.  *end_r is the offset just
 * after the last complete batch; *torn_r is set when bytes follow it (a
 * batch being written right now, or the remains of a crashed writer: only
 * the lock holder can tell which).  -1 on a read error or when `fn` fails.
 */
int mbox_log_scan(int fd, uint64_t offset, mbox_log_apply_fn *fn, void *ctx,
		  uint64_t *end_r, bool *torn_r, const char **error_r);

/* Creates a log file with its header. */
int mbox_log_create(const char *path, uint32_t uidvalidity, uint64_t log_seq,
		    const char **error_r);

/* Checks the header of an open log; -1 with a reason when it is not ours
 * or of a version we do not know. */
int mbox_log_check_header(int fd, const char **error_r);

#endif
