#ifndef SEALPOST_BASE64_H
#define SEALPOST_BASE64_H

/*
 * Base64 as RFC 4648 section 4 defines it: the standard alphabet, padding
 * required, no line breaks, no whitespace.  SASL (RFC 4422 section 4) and the
 * auth protocol use exactly this form, so the decoder is strict: any other
 * byte, missing or extra padding, or non-zero bits in the unused tail of the
 * last group is an error, which means every encoding has one accepted form.
 */

#include "buf.h"

#include <stddef.h>

/* The encoded length of `len` bytes; the caller checks its own limits
 * first, since this does not guard against overflow near SIZE_MAX. */
static inline size_t base64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

/* Appends the encoding of `data` to `out`.  Cannot fail. */
void base64_encode(struct buf *out, const void *data, size_t len);

/*
 * Appends the decoding of `in` (`len` bytes) to `out`.  Returns 0, or -1
 * when the input is not canonical base64 or would decode to more than
 * `max_out` bytes; in both cases `out` is left as it was.  The length is
 * checked before anything is decoded.
 */
int base64_decode(struct buf *out, const char *in, size_t len, size_t max_out);

#endif
