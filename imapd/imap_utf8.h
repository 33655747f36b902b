#ifndef SEALPOST_IMAP_UTF8_H
#define SEALPOST_IMAP_UTF8_H

/*
 * UTF-8 validation for IMAP strings (RFC 3629 as profiled by RFC 9051
 * section 9, UTF8-2 / UTF8-3 / UTF8-4): no overlong forms, no surrogates,
 * nothing above U+10FFFF.  The incremental form lets the command parser check
 * a quoted string one byte at a time as input arrives.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decoder state; a zeroed struct is the state between characters. */
struct imap_utf8_state {
	uint32_t cp;		/* code point so far */
	uint8_t need;		/* continuation bytes still expected */
	uint8_t len;		/* length of the current sequence */
};

/* Feeds one byte.  Returns 1 when a character is complete (its code point is
 * in state->cp), 0 when more bytes are needed, -1 when the sequence is
 * invalid (the state is then reset). */
int imap_utf8_step(struct imap_utf8_state *state, unsigned char c);

/* True when the decoder sits between characters (no sequence cut short). */
static inline bool imap_utf8_complete(const struct imap_utf8_state *state)
{
	return state->need == 0;
}

/* True when `data` is entirely valid UTF-8 (NUL bytes count as valid: callers
 * that forbid them check separately). */
bool imap_utf8_valid(const void *data, size_t len);

/* Appends the UTF-8 encoding of `cp` (at most 4 bytes) to out; returns the
 * number of bytes written, 0 if cp is not a Unicode scalar value. */
size_t imap_utf8_encode(uint32_t cp, char out[4]);

#endif
