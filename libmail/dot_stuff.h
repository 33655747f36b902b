#ifndef SEALPOST_DOT_STUFF_H
#define SEALPOST_DOT_STUFF_H

/*
 * The sending side of dot-stuffing: a message becomes a multi-line
 * response (POP3, RFC 1939 section 3) or DATA body (SMTP and LMTP, RFC
 * 5321 section 4.5.2) by doubling every "." that starts a line and ending
 * with CRLF "." CRLF.  The encoder is incremental: the message may be fed
 * in pieces split at any byte, so it can be sent from a file in chunks
 * without ever being whole in memory.
 *
 * Line ends go out as CRLF: a bare LF becomes CRLF, so what the peer sees
 * always parses, and a message without a final line end gets one before
 * the terminator.  The store keeps messages in CRLF already; then the
 * output is the input with dots doubled.
 */

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>

struct dot_stuff {
	bool line_start;	/* the next byte starts a line */
	bool after_cr;		/* the last byte was a CR */
};

/* Starts a message (the encoder is at the start of a line). */
void dot_stuff_init(struct dot_stuff *d);

/* Appends the encoding of `data` to `out`.  Cannot fail. */
void dot_stuff_append(struct dot_stuff *d, struct buf *out, const void *data,
		      size_t len);

/* Appends the end of the message: a CRLF if the last line lacks one, then
 * ".\r\n".  The encoder is then at the start of a new message. */
void dot_stuff_finish(struct dot_stuff *d, struct buf *out);

#endif
