#ifndef SEALPOST_CHARSET_H
#define SEALPOST_CHARSET_H

/*
 * Conversion of text in a MIME charset to UTF-8, for RFC 2047 words, RFC
 * 2231 parameters and body SEARCH.
 *
 * UTF-8, US-ASCII and ISO-8859-1 are converted here.  Every other charset
 * goes through glibc's iconv, which knows the ones mail uses (the Windows
 * code pages, KOI8-R, ISO-2022-JP, GB18030, Shift_JIS, ...) and needs no
 * extra package.  Text labelled US-ASCII that carries 8-bit bytes is read
 * as UTF-8 when it is valid UTF-8: mislabelled mail is the common case and
 * this is what readers expect.  Invalid sequences become U+FFFD, so the
 * output is always valid UTF-8 without NUL bytes.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Longest charset name accepted; IANA names are under 40 bytes. */
#define CHARSET_NAME_MAX 64

/* Appends `data` converted from `charset` to UTF-8.  Returns 0, or -1 when
 * the charset is not known (the bytes are then appended as by
 * charset_utf8_sanitize(), so the caller still has readable text).  May
 * load iconv modules from the system's gconv directory on first use of a
 * charset; it never blocks otherwise. */
int charset_to_utf8(const char *charset, const void *data, size_t len,
		    struct buf *out);

/* Appends `data`, replacing each byte that does not start a valid UTF-8
 * sequence (overlong forms and surrogates included) with U+FFFD and
 * dropping NUL bytes. */
void charset_utf8_sanitize(const void *data, size_t len, struct buf *out);

/* True when `data` is valid UTF-8 (NUL bytes allowed). */
bool charset_is_valid_utf8(const void *data, size_t len);

#endif
