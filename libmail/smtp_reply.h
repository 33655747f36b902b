#ifndef SEALPOST_SMTP_REPLY_H
#define SEALPOST_SMTP_REPLY_H

/*
 * SMTP and LMTP replies (RFC 5321 4.2): the parsed form the client side gets
 * from smtp_reply_parser, and the writer the server side sends with.
 *
 * The writer keeps every reply inside RFC 5321's limits and never lets text
 * break the framing: control characters in the text (a CR or LF that came
 * from a client's address, say) are replaced with "?", and a line longer
 * than 512 octets is refused rather than cut.  When the server advertises
 * ENHANCEDSTATUSCODES the enhanced code goes on every line (RFC 2034 3),
 * except in the greeting and the EHLO/LHLO reply, where callers pass NULL.
 */

#include <stdbool.h>
#include <stddef.h>

#include "smtp_status.h"

struct buf;

/* RFC 5321 4.5.3.1.5: a reply line, CRLF included. */
#define SMTP_REPLY_LINE_MAX 512

struct smtp_reply {
	unsigned int code;
	/* The enhanced code of the first line ("" when it has none); the
	 * same code is stripped from the later lines' text. */
	char enhanced[SMTP_STATUS_ENHANCED_SIZE];
	/* The text of each line, after the code, the separator and the
	 * enhanced code; at least one line. */
	char **lines;
	size_t line_count;
};

/* The reply classes of RFC 5321 4.2.1, by first digit. */
enum smtp_reply_class {
	SMTP_REPLY_POSITIVE = 2,
	SMTP_REPLY_INTERMEDIATE = 3,
	SMTP_REPLY_TRANSIENT = 4,
	SMTP_REPLY_PERMANENT = 5,
};

static inline enum smtp_reply_class smtp_reply_class(unsigned int code)
{
	return (enum smtp_reply_class)(code / 100);
}

/*
 * Appends a complete reply to `out`: one line per "\n"-separated line of
 * `text`, "code-" on all but the last, "code " on the last, each followed
 * by `enhanced` when it is not NULL.  Returns 0; or -1 with a static
 * *error_r and `out` unchanged when `code` is not 200-599, `enhanced` is not
 * a code whose class matches it (RFC 2034 4), or a line would pass 512
 * octets.  Those are caller bugs: the server decides every reply's shape.
 */
int smtp_reply_write(struct buf *out, unsigned int code, const char *enhanced,
		     const char *text, const char **error_r);

/* The same with printf-style text. */
int smtp_reply_printf(struct buf *out, unsigned int code, const char *enhanced,
		      const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Appends a parser's error reply, with its enhanced code when
 * `enhanced_codes` (ENHANCEDSTATUSCODES advertised).  The statuses from the
 * parsers are always well formed, so this cannot fail. */
void smtp_reply_write_status(struct buf *out, const struct smtp_status *status,
			     bool enhanced_codes);

/* Releases the lines of a reply the caller owns and zeroes it. */
void smtp_reply_deinit(struct smtp_reply *reply);

#endif
