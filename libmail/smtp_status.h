#ifndef SEALPOST_SMTP_STATUS_H
#define SEALPOST_SMTP_STATUS_H

/*
 * Reply codes with enhanced status codes (RFC 3463, RFC 2034) and the
 * table of the enhanced codes sealpost uses, with their standard texts.
 */

#include <stdbool.h>
#include <stddef.h>

/* A reply a parser asks its caller to send.  `enhanced` is "c.s.d" with the
 * class matching the code's first digit; `text` is fixed, static and safe
 * to send: it never echoes what the peer sent. */
struct smtp_status {
	unsigned int code;
	const char *enhanced;
	const char *text;
};

/* The longest enhanced code, "5.999.999", with its NUL. */
#define SMTP_STATUS_ENHANCED_SIZE 10

/*
 * Recognises an enhanced status code at the start of `s` (RFC 3463 2:
 * class "." subject "." detail, class 2, 4 or 5, subject and detail 1-3
 * digits without leading zeros beyond a lone 0).  It must be followed by
 * the end of `s` or a space.  Returns its length (5-9), or 0 if `s` does
 * not start with one.  With `out` non-NULL the code is copied there.
 */
size_t smtp_status_enhanced_parse(const char *s, size_t len,
				  char out[SMTP_STATUS_ENHANCED_SIZE]);

/* Whether `enhanced` is a whole valid code whose class agrees with `code`
 * (RFC 2034 4: a 2xx reply carries 2.X.X, and so on; 3xx carries none). */
bool smtp_status_enhanced_matches(unsigned int code, const char *enhanced);

/* The RFC 3463 (or RFC 4954, 5248, 6531, 7504) text of an enhanced code,
 * looked up by subject and detail; NULL if it is not one we use. */
const char *smtp_status_enhanced_text(const char *enhanced);

#endif
