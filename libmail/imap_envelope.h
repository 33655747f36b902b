#ifndef SEALPOST_IMAP_ENVELOPE_H
#define SEALPOST_IMAP_ENVELOPE_H

/*
 * The IMAP ENVELOPE of a message (RFC 3501 section 7.4.2, RFC 9051
 * section 7.5.2): date, subject, from, sender, reply-to, to, cc, bcc,
 * in-reply-to and message-id.
 *
 * The strings are the unfolded field values, trimmed, with RFC 2047 words
 * left as they are: the client decodes them.  An absent field is NIL; a
 * present but empty one is "" for the string members and NIL for the
 * address lists.  Sender and Reply-To default to From when absent or
 * empty, as the RFC asks.  When a field appears twice, the first wins.
 */

struct buf;
struct message_address;
struct message_header;

/* Appends the parenthesised ENVELOPE of the message whose header is
 * `hdr`. */
void imap_envelope_write(const struct message_header *hdr, struct buf *out);

/* Appends an address list: NIL when `list` is NULL, else "(" one
 * "(name adl mailbox host)" per address ")". */
void imap_envelope_write_addresses(const struct message_address *list,
				   struct buf *out);

#endif
