#ifndef SEALPOST_IMAP_STRING_H
#define SEALPOST_IMAP_STRING_H

/*
 * IMAP string output (RFC 3501 section 4.3, RFC 9051 section 4.3): a
 * quoted string when the data can be one, else a literal.  A quoted string
 * holds only 7-bit TEXT-CHARs (no CR or LF) with '"' and '\' escaped; data
 * with CR, LF or 8-bit bytes, or longer than IMAP_STRING_QUOTED_MAX, goes
 * out as "{n}\r\n" and the bytes.  NUL is allowed in neither form, so NUL
 * bytes are dropped (and the literal's length counts what is sent).
 */

#include <stddef.h>

struct buf;

/* Longer strings go out as literals: long quoted strings make long lines,
 * which some clients read into fixed buffers. */
#define IMAP_STRING_QUOTED_MAX 1024

/* Appends `data` as an IMAP string. */
void imap_string_append(struct buf *out, const char *data, size_t len);

/* Appends `s` as an IMAP string, or NIL when `s` is NULL. */
void imap_nstring_append(struct buf *out, const char *s);

#endif
