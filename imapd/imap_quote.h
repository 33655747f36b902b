#ifndef SEALPOST_IMAP_QUOTE_H
#define SEALPOST_IMAP_QUOTE_H

/*
 * Writing strings into server responses (RFC 9051 section 4.3): as an atom
 * when that can't be misread, as a quoted string when every byte may appear
 * in one, and as a literal otherwise (CR, LF, NUL, or 8-bit data the client
 * has not agreed to see in quoted strings).  Server literals are always the
 * plain "{n}" form: the "+" of RFC 7888 is for clients only.
 */

#include <stddef.h>

#include "buf.h"

/* Quoted strings may carry UTF-8: the client speaks IMAP4rev2 or has
 * enabled UTF8=ACCEPT (RFC 6855 section 3).  Invalid UTF-8 still goes out
 * as a literal. */
#define IMAP_QUOTE_UTF8 0x01

/* string: quoted or literal. */
void imap_quote_string(struct buf *out, const void *data, size_t len,
		       unsigned int flags);

/* astring: an atom when the text is made of ASTRING-CHARs (and isn't
 * "NIL", which some clients would read as nil), else as imap_quote_string. */
void imap_quote_astring(struct buf *out, const void *data, size_t len,
			unsigned int flags);

/* nstring: NIL when data is NULL, else as imap_quote_string. */
void imap_quote_nstring(struct buf *out, const void *data, size_t len,
			unsigned int flags);

/* A literal: "{n}" CRLF data, or "~{n}" CRLF data (literal8, RFC 3516)
 * when the data holds NUL, which only BINARY responses may carry. */
void imap_quote_literal(struct buf *out, const void *data, size_t len);

#endif
