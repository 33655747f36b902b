#ifndef SEALPOST_IMAP_STATUS_H
#define SEALPOST_IMAP_STATUS_H

/*
 * STATUS data items (RFC 9051 section 6.3.11; SIZE from RFC 8438,
 * HIGHESTMODSEQ from RFC 7162, DELETED-STORAGE from RFC 9208, MAILBOXID
 * from RFC 8474), shared by STATUS and LIST's RETURN
 * (STATUS (...)) of RFC 5819.
 */

#include "buf.h"
#include "imapd/imap_arg.h"
#include "store.h"

struct imap_client;

#define IMAP_STATUS_MESSAGES	0x01
#define IMAP_STATUS_UIDNEXT	0x02
#define IMAP_STATUS_UIDVALIDITY	0x04
#define IMAP_STATUS_UNSEEN	0x08
#define IMAP_STATUS_DELETED	0x10
#define IMAP_STATUS_SIZE	0x20
#define IMAP_STATUS_RECENT	0x40
#define IMAP_STATUS_HIGHESTMODSEQ 0x80
#define IMAP_STATUS_DELETED_STORAGE 0x100	/* RFC 9208 */
#define IMAP_STATUS_MAILBOXID	0x200	/* RFC 8474 */

/* Parses a list of item names; 0, or -1 for an unknown or empty list. */
int imap_status_parse(const struct imap_arg *list, size_t count,
		      unsigned int *items_r);

/* Appends "* STATUS name (ITEM n ...)\r\n" for an existing mailbox.
 * Returns 0, or -1 with a reason (the mailbox could not be read). */
int imap_status_write(struct imap_client *c, const struct store_mailbox *mb,
		      unsigned int items, struct buf *out,
		      const char **error_r);

#endif
