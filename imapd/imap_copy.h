#ifndef SEALPOST_IMAP_COPY_H
#define SEALPOST_IMAP_COPY_H

/*
 * Copying messages between mailboxes (COPY, MOVE, RENAME of INBOX): the
 * message file is hard-linked (the store is one filesystem and message
 * files never change), flags, keywords, INTERNALDATE and the cached
 * structure go along, and the destination commits them in one group.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbox.h"

/* Copies `count` records of `src` (whose keyword names `view` holds) to
 * `dst`; fills uids_r[i] with each copy's new UID.  Either every message
 * is copied or none.  With `count_quota` false the copies may pass the
 * quota (a move within the user's hierarchy frees what it takes).
 * Returns 0, or -1 with a reason; mbox_over_quota(dst) tells when the
 * quota refused it. */
int imap_copy_messages(struct mbox *src, const struct mbox_view *view,
		       const struct mbox_record *recs, size_t count,
		       struct mbox *dst, bool count_quota, uint32_t *uids_r,
		       const char **error_r);

/* Appends a UID set in compact form ("4:6,9") for COPYUID/APPENDUID;
 * `uids` need not be sorted but are written in the given order, merged
 * where consecutive. */
void imap_copy_uidset(const uint32_t *uids, size_t count, struct buf *out);

#endif
