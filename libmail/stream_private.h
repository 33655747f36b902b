#ifndef SEALPOST_STREAM_PRIVATE_H
#define SEALPOST_STREAM_PRIVATE_H

/* The stream's insides, shared by stream.c and the readers built on it
 * (stream_read.c, stream_data.c).  Nothing else includes this. */

#include "buf.h"
#include "stream.h"

struct event_io;
struct event_timer;

struct stream {
	struct event_loop *loop;	/* NULL in blocking mode */
	int fd;
	struct stream_transport *transport;
	struct stream_settings set;
	struct stream_callbacks cb;
	void *ctx;

	/* Unread input is in.data[in_pos .. in.len).  Readers consume by
	 * moving in_pos; the bytes are moved to the front only before the
	 * next read from the transport, so pointers handed out stay valid
	 * until the next call on the stream. */
	struct buf in;
	size_t in_pos;
	/* Line reader: bytes past in_pos already searched for LF, so
	 * input arriving a byte at a time is scanned once, not n^2. */
	size_t line_scanned;
	bool line_skipping;
	/* The last read filled what it asked for, or brought more than a
	 * small read's worth: input is streaming in. */
	bool in_streaming;

	/* Unsent output is out.data[out_pos .. out.len); the first
	 * out_below bytes of it go through transport->lower. */
	struct buf out;
	size_t out_pos;
	size_t out_below;

	struct event_io *io;
	unsigned int io_events;
	struct event_timer *read_timer, *write_timer, *kick_timer;
	bool read_timer_armed, write_timer_armed;
	/* What the transport asked for to go on reading / writing /
	 * handshaking (EVENT_READ or EVENT_WRITE). */
	unsigned int read_wants, write_wants, handshake_wants;

	bool handshaking;
	bool eof;
	bool paused;
	bool flush_pending;	/* call `drained` when output empties */
	bool failed;
	bool timed_out;
	bool error_reported;	/* the owner was told, once */
	char *error;

	/* Callbacks may free the stream: it is destroyed when the
	 * outermost callback returns. */
	int busy;
	bool freed;
};

static inline size_t stream_in_unread(const struct stream *s)
{
	return s->in.len - s->in_pos;
}

static inline char *stream_in_ptr(struct stream *s)
{
	/* An input buffer never filled has no storage, and NULL + 0 is not
	 * C: give the callers an empty string instead. */
	static char empty[1];

	return s->in.data != NULL ? s->in.data + s->in_pos : empty;
}

static inline void stream_in_consume(struct stream *s, size_t n)
{
	s->in_pos += n;
}

/* The bottom layer: read(2)/send(2) on `fd`, which it closes when freed. */
struct stream_transport *stream_fd_transport_new(int fd);

/* Checked first by every reader: STREAM_OK to go on, else what the reader
 * returns (STREAM_ERROR after a failure, STREAM_WAIT under back-pressure
 * or pause). */
enum stream_result stream_reader_begin(struct stream *s);

/* A reader needs more than is buffered.  Blocking mode reads (waiting)
 * and returns STREAM_OK to retry; non-blocking mode returns STREAM_WAIT.
 * STREAM_EOF and STREAM_ERROR pass through.  The reader must have left
 * room: a full buffer here is a panic. */
enum stream_result stream_need_input(struct stream *s);

#endif
