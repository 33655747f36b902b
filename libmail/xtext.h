#ifndef SEALPOST_XTEXT_H
#define SEALPOST_XTEXT_H

/*
 * xtext (RFC 3461 4), the encoding of the DSN parameters ENVID and ORCPT and
 * of the AUTH= parameter (RFC 4954 5), and the "utf-8" address type of
 * ORCPT (RFC 6533 3), whose \x{HEX} escapes carry Unicode.  Pure functions
 * over memory; none of them blocks.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;

/*
 * Appends the octets `s` (`len` octets of xtext) stands for to `out`.  Every
 * octet of `s` must be "!".."~" other than "=", and "+" must be followed by
 * two hex digits.  RFC 3461 asks for upper case hex; lower case is accepted
 * too, since the value is the same and we never re-send the spelling we
 * got.  The decoded octets may be anything, NUL included: callers check
 * them against what their parameter allows.  Returns 0, or -1 with a static
 * *error_r and `out` as it was.
 */
int xtext_decode(struct buf *out, const char *s, size_t len,
		 const char **error_r);

/* Appends the xtext form of `len` octets: "!".."~" other than "+" and "="
 * as themselves, everything else as "+XX" with upper case hex. */
void xtext_encode(struct buf *out, const void *data, size_t len);

/*
 * Decodes the value of ORCPT=utf-8; (RFC 6533 3, utf-8-addr-xtext and,
 * with `allow_utf8`, utf-8-addr-unitext) into UTF-8 appended to `out`.
 * Raw "+", "=", "\" and space are refused; "\x{HEX}" must use the shortest
 * spelling the RFC allows and name a Unicode scalar value.  Unlike the RFC,
 * escaped control characters are refused: the value ends up in DSN headers,
 * where a CR or LF would start a new field.  Raw UTF-8 (only with
 * `allow_utf8`, i.e. under SMTPUTF8) must be well formed.  Returns 0, or -1
 * with a static *error_r and `out` as it was.
 */
int xtext_utf8_addr_decode(struct buf *out, const char *s, size_t len,
			   bool allow_utf8, const char **error_r);

/* Appends the RFC 6533 form of the UTF-8 string `s`: printable ASCII other
 * than "+", "=", "\" as itself, and everything else as \x{HEX}, except that
 * with `allow_utf8` non-ASCII characters stay raw (unitext). */
void xtext_utf8_addr_encode(struct buf *out, const char *s, size_t len,
			    bool allow_utf8);

#endif
