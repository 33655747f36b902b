#ifndef SEALPOST_STREAM_DATA_H
#define SEALPOST_STREAM_DATA_H

/*
 * The SMTP DATA reader (RFC 5321 4.1.1.4, 4.5.2), a filter over a stream:
 * it removes dot-stuffing, finds the end of the message, counts its size,
 * and hands the message out in pieces as it arrives, pointing into the
 * stream's input buffer (no copy, and never the whole message in memory).
 *
 * The end is exactly CR LF "." CR LF, where the first CR LF ends the last
 * line of the message (or the DATA command: an empty message).  A bare LF
 * or a bare CR anywhere is invalid, so "\n.\n", "\r.\r" and "\n.\r\n" never
 * end a message: a client cannot smuggle a second message past us that
 * another server would see (the 2023 SMTP smuggling attacks).
 *
 * After a bare CR/LF or once the size limit is passed, no more pieces are
 * handed out; the reader keeps consuming up to the real end marker so the
 * session stays in step, then reports what went wrong.  The pieces already
 * handed out must then be thrown away by the caller.
 */

#include "stream.h"

#include <stdbool.h>
#include <stdint.h>

struct stream_data;

/* Starts reading a message body from `s` (after the 354 reply), refusing
 * more than `max_size` bytes after unstuffing (CR LF line ends counted). */
struct stream_data *stream_data_new(struct stream *s, uint64_t max_size);
void stream_data_free(struct stream_data **d);

/*
 * The next piece of the message, or its end:
 *   STREAM_OK        the next bytes are in data_r and size_r (size > 0), valid
 *                    until the next call on the stream;
 *   STREAM_DONE      the end marker came; the message is complete;
 *   STREAM_TOO_LONG  the end marker came; the message exceeded max_size;
 *   STREAM_INVALID   the end marker came; the message held a bare CR or LF
 *                    (reported rather than TOO_LONG when both apply);
 *   STREAM_WAIT, STREAM_EOF (the client left mid-message), STREAM_ERROR.
 * After an end result the stream is positioned on the next command, and
 * further calls return the same result.
 */
enum stream_result stream_data_read(struct stream_data *d,
				    const char **data_r, size_t *size_r);

/* Bytes of message handed out so far. */
uint64_t stream_data_size(const struct stream_data *d);

/* STREAM_TOO_LONG or STREAM_INVALID as soon as either is known (a caller
 * may choose to hang up at once rather than read to the end), else
 * STREAM_OK. */
enum stream_result stream_data_problem(const struct stream_data *d);

#endif
