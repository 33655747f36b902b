#ifndef SEALPOST_SMTP_UTF8_H
#define SEALPOST_SMTP_UTF8_H

/*
 * UTF-8 checks for SMTPUTF8 (RFC 6531 3.3 uses the UTF8-non-ascii of
 * RFC 6532 3.1, which is RFC 3629's well-formed UTF-8): no overlong forms,
 * no surrogates, nothing above U+10FFFF.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the well-formed multi-octet sequence at `p` (2-4), or 0 if the
 * octets there (at most `len`) are not one.  ASCII gives 0 too: callers
 * handle ASCII themselves and call this only for octets >= 0x80. */
size_t smtp_utf8_seq_len(const unsigned char *p, size_t len);

/* Whether `len` octets are well-formed UTF-8 (ASCII included). */
bool smtp_utf8_valid(const void *data, size_t len);

/* Decodes the sequence of `seq_len` octets smtp_utf8_seq_len() accepted. */
uint32_t smtp_utf8_decode(const unsigned char *p, size_t seq_len);

/* Appends the UTF-8 form of a Unicode scalar value (not a surrogate, at most
 * U+10FFFF) to `out` (room for 4 octets); returns the octet count, or 0 if
 * `cp` is not a scalar value. */
size_t smtp_utf8_encode(uint32_t cp, unsigned char out[4]);

#endif
