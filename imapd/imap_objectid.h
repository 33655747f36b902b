#ifndef SEALPOST_IMAP_OBJECTID_H
#define SEALPOST_IMAP_OBJECTID_H

/*
 * Object IDs (RFC 8474).  MAILBOXID is the mailbox's random store ID: kept
 * by RENAME, new for every CREATE.  EMAILID must stay with a message's
 * content through COPY and MOVE; the store hard-links one file into every
 * mailbox a message is copied to and never changes it, so the file's inode
 * number and modification time (to the nanosecond, which tells apart a
 * later file that reuses the inode number) name the content.  A store
 * copied file by file to another filesystem gets new EMAILIDs.  THREADID
 * is not computed: NIL, and a THREADID search matches nothing.
 */

#include <stdbool.h>
#include <stddef.h>

#include "mbox.h"

/* "M" and up to 16 + 1 + 16 + 8 hex digits and a dash, with the NUL. */
#define IMAP_EMAILID_SIZE 48

/* The EMAILID of a message of `mb` into `out`; false when its file is
 * gone (expunged). */
bool imap_emailid(struct mbox *mb, uint32_t uid,
		  char out[IMAP_EMAILID_SIZE]);

#endif
