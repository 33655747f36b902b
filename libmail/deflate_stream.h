#ifndef SEALPOST_DEFLATE_STREAM_H
#define SEALPOST_DEFLATE_STREAM_H

/*
 * DEFLATE compression (RFC 1951, raw: no zlib header) as a stream
 * transport, for IMAP's COMPRESS=DEFLATE (RFC 4978).  It stacks like TLS
 * (stream.h): pushed on top of whatever the stream has, so after TLS the
 * data is compressed first and then encrypted, as RFC 4978 section 3
 * wants.
 *
 * Output: each batch the stream sends ends with a sync flush, so a
 * response queued by an idle session (an IDLE update) reaches the peer at
 * once instead of waiting in the compressor for more.  Bytes handed to
 * the layer count as sent only once their compressed form has gone to the
 * layer below, so the stream's back-pressure still sees the socket.
 *
 * Input: a read inflates at most as many bytes as the caller has room
 * for, which is the stream's input limit at most; a small input that
 * inflates to gigabytes (a decompression bomb) meets the same line and
 * literal limits as uncompressed input, a buffer at a time, and never
 * costs memory beyond the fixed window of the decompressor.
 */

#include <stdbool.h>

struct stream;
struct stream_transport;

/* Makes the transport (for tests that drive it directly, with their own
 * `lower`).  NULL with *error_r if zlib cannot start. */
struct stream_transport *deflate_transport_new(const char **error_r);

/* Pushes compression onto `s`: output queued before the call (the OK of
 * COMPRESS) still goes out uncompressed, everything after is compressed
 * both ways.  0, or -1 with *error_r. */
int deflate_stream_start(struct stream *s, const char **error_r);

/* Is this stream compressed already? */
bool deflate_stream_active(struct stream *s);

#endif
