#ifndef SEALPOST_IMAP_LIST_H
#define SEALPOST_IMAP_LIST_H

/*
 * LIST and LSUB (RFC 9051 section 6.3.9, RFC 5258 LIST-EXTENDED, RFC
 * 5819 LIST-STATUS, RFC 6154 SPECIAL-USE, RFC 3348 CHILDREN) over the
 * user's mailbox list and subscriptions.
 */

#include <stdbool.h>

#include "buf.h"
#include "store.h"

struct imap_client;

/* Appends "* LIST (attributes) "/" name\r\n" for one mailbox (SELECT's
 * LIST response in IMAP4rev2), with accurate child attributes.  With
 * `old_name`, the mailbox was renamed from it, which the line says with
 * the OLDNAME extended data item (RFC 9051 section 7.3.1). */
void imap_list_mailbox_line(struct imap_client *c,
			    const struct store_mailbox *mb,
			    const char *old_name, struct buf *out);

/* Does `name` match the LIST pattern `pattern` ("*" anything, "%" anything
 * but the separator)?  Both are UTF-8 store names. */
bool imap_list_match(const char *pattern, const char *name);

#endif
