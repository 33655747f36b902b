#ifndef SEALPOST_IMAP_MAILBOX_NAME_H
#define SEALPOST_IMAP_MAILBOX_NAME_H

/*
 * Mailbox names at the protocol edge.  The store keeps UTF-8 names with
 * "/" as separator; a client that has not enabled UTF8=ACCEPT or
 * IMAP4rev2 (RFC 6855 section 3, RFC 9051 section 5.1) speaks modified
 * UTF-7 (RFC 3501 section 5.1.3).
 */

#include "buf.h"
#include "store.h"

struct imap_client;

/* The store name for what the client sent: decoded, checked and
 * normalised (INBOX in any case is INBOX).  Returns 0, or -1 with a fixed
 * *error_r fit for a NO. */
int imap_mailbox_name_in(const struct imap_client *c, const char *name,
			 char out[STORE_MAILBOX_NAME_MAX + 1],
			 const char **error_r);

/* Appends a store name as the client expects it (an astring). */
void imap_mailbox_name_out(const struct imap_client *c, const char *name,
			   struct buf *out);

#endif
