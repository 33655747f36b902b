#ifndef SEALPOST_STREAM_H
#define SEALPOST_STREAM_H

/*
 * The one I/O abstraction: a buffered, bounded, non-blocking stream over a
 * socket or pipe, driven by the event loop.  A stream created without a
 * loop is in blocking mode (for CLI tools and tests): the same calls then
 * wait, with the same timeouts, instead of returning STREAM_WAIT.
 *
 * Layers.  Bytes move through a stack of transports (struct
 * stream_transport): the fd at the bottom, TLS (tls.h) or a later GSSAPI
 * security layer pushed on top.  The stream's buffers hold application
 * bytes, above every layer.  Filters that interpret the byte stream (SMTP
 * DATA, stream_data.h) sit above the stream and read through it.
 *
 * Output.  stream_write() and stream_printf() queue bytes; stream_flush()
 * sends them.  The first error is kept: later writes are dropped and
 * report -1, so a caller may write a whole reply and check once at flush.
 * Writing never fails because the peer is slow; only queueing more than
 * output_max (a bug in the producer, not the peer) is an error.
 *
 * Input.  The readers (stream_read_line(), stream_read_bytes(), the DATA
 * reader) hand out pointers into the input buffer, never copies; a pointer
 * is valid until the next call on the stream or the return to the loop.  Input is bounded by
 * input_max.  While more than output_limit bytes are queued for the peer,
 * the readers return STREAM_WAIT and the stream stops reading from the fd:
 * a client that pipelines commands without reading the replies is paced
 * by its own receive window (back-pressure), not by our memory.
 *
 * Errors from the peer (resets, timeouts, garbage) end the stream, never
 * the process.  Misuse by the caller is a panic.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct event_loop;
struct stream;

/* ---- transports ---- */

/* Transport results besides a byte count (> 0) and 0 for end of file. */
#define STREAM_IO_ERROR		(-1)
#define STREAM_IO_WANT_READ	(-2)	/* retry when the fd is readable */
#define STREAM_IO_WANT_WRITE	(-3)	/* retry when the fd is writable */

struct stream_transport;

struct stream_transport_vfuncs {
	const char *name;
	/* Like read(2)/write(2) on a non-blocking fd: bytes moved (> 0),
	 * 0 at end of file (read only), or a STREAM_IO_* code; on
	 * STREAM_IO_ERROR *error_r says why (valid until the next call).
	 * A write that returned WANT_* is retried with at least the same
	 * bytes, possibly at another address. */
	ssize_t (*read)(struct stream_transport *t, void *data, size_t size,
			const char **error_r);
	ssize_t (*write)(struct stream_transport *t, const void *data,
			 size_t size, const char **error_r);
	/* Optional.  Runs the layer's handshake: 1 when done, a WANT_* code,
	 * or STREAM_IO_ERROR.  The stream calls it until it returns 1
	 * before any read or write through this layer. */
	int (*handshake)(struct stream_transport *t, const char **error_r);
	/* Optional.  Bytes the layer has decoded that the fd's readiness
	 * will not announce again (TLS records already read). */
	size_t (*pending)(struct stream_transport *t);
	/* Frees this layer only (the stream frees the ones below after). */
	void (*free)(struct stream_transport *t);
};

struct stream_transport {
	const struct stream_transport_vfuncs *v;
	struct stream_transport *lower;	/* NULL for the fd at the bottom */
};

/* ---- creation ---- */

struct stream_settings {
	/* Unread input kept at most; no line or unit can be longer. */
	size_t input_max;
	/* Stop reading from the peer while more output than this waits. */
	size_t output_limit;
	/* Queueing more output than this is an error (ENOBUFS); it catches
	 * a producer that ignores back-pressure. */
	size_t output_max;
	/* Idle limits in milliseconds, 0 for none.  Reading: no progress
	 * (a complete line, a piece of DATA or of a chunk, or what the
	 * owner reports with stream_read_progress()) while waiting for
	 * input; bytes that arrive without completing anything do not count,
	 * so a client sending one byte at a time cannot hold a session
	 * (slowloris).  Writing: no progress while output waits. */
	unsigned int read_timeout_ms;
	unsigned int write_timeout_ms;
};

/* 64 KiB input, 128 KiB output limit, 4 MiB output maximum, 5 minute
 * timeouts. */
extern const struct stream_settings stream_default_settings;

struct stream_callbacks {
	/* New input is buffered, or the end of input was reached: call the
	 * readers until they return STREAM_WAIT.  Input left in the buffer
	 * is not announced again until more arrives or stream_resume(). */
	void (*input)(void *ctx);
	/* Optional: all output queued by stream_flush() has been sent. */
	void (*drained)(void *ctx);
	/* Optional: the stream failed while nobody was calling it (I/O
	 * error, timeout); stream_error() says why.  Called at most once.
	 * Without it, `input` is called and the readers return
	 * STREAM_ERROR. */
	void (*error)(void *ctx);
	/* Optional: a pushed layer finished its handshake (tls.h reports
	 * what was negotiated). */
	void (*ready)(void *ctx);
};

/*
 * Makes a stream over `fd`, which the stream then owns (closes at free).
 * With a loop the fd is made non-blocking and `cb` (copied; `input` is
 * required) is called from the loop with `ctx`.  With loop NULL the stream
 * is in blocking mode and `cb` may be NULL; the fd's mode is left alone,
 * since it may be a descriptor shared with other processes.
 * `set` is copied; NULL means stream_default_settings.
 */
struct stream *stream_new(struct event_loop *loop, int fd,
			  const struct stream_settings *set,
			  const struct stream_callbacks *cb, void *ctx);

/*
 * Closes the fd and frees everything, queued output included (flush and
 * wait for `drained` first to send it).  Safe from the stream's own
 * callbacks.  Sets *s to NULL; NULL is allowed.
 */
void stream_free(struct stream **s);

void stream_set_callbacks(struct stream *s, const struct stream_callbacks *cb,
			  void *ctx);
/* Changes the idle limits (SMTP allows longer in DATA than between
 * commands); takes effect from now. */
void stream_set_timeouts(struct stream *s, unsigned int read_timeout_ms,
			 unsigned int write_timeout_ms);

/* The owner made progress with what it read (an IMAP command parsed from
 * raw bytes, a literal's data taken): restarts the read idle limit.  The
 * line and DATA readers do this themselves; stream_read_bytes() does not,
 * since only its caller knows whether the bytes completed anything. */
void stream_read_progress(struct stream *s);

/* ---- state ---- */

/* The first error ("timeout", "read: Connection reset by peer", ...) or
 * NULL.  For logs, never for the peer. */
const char *stream_error(const struct stream *s);
bool stream_timed_out(const struct stream *s);
/* The peer closed its side (buffered input may remain). */
bool stream_is_eof(const struct stream *s);
int stream_fd(const struct stream *s);
struct stream_transport *stream_transport(const struct stream *s);

/* ---- output ---- */

/* Queues bytes.  0, or -1 if the stream has failed (the bytes are
 * dropped).  Never blocks in non-blocking mode; in blocking mode it sends
 * once more than output_limit is queued. */
int stream_write(struct stream *s, const void *data, size_t size);
int stream_write_str(struct stream *s, const char *str);
int stream_printf(struct stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Sends the queued output.  Returns 1 when everything is sent, 0 when the
 * rest will go out as the socket drains (then `drained` is called), or -1
 * if the stream has failed (now or earlier; stream_error() says why).  In
 * blocking mode it waits, bounded by the write timeout, and returns 1 or
 * -1.
 */
int stream_flush(struct stream *s);
/* Bytes queued and not yet accepted by the transport. */
size_t stream_output_queued(const struct stream *s);
/* Memory the input and output buffers hold: none once the output is sent
 * and the input used up (an idle connection costs no buffer). */
size_t stream_buffer_size(const struct stream *s);

/* ---- input ---- */

enum stream_result {
	STREAM_WAIT,	 /* nothing complete yet; `input` is called later */
	STREAM_OK,	 /* a line or piece was returned */
	STREAM_DONE,	 /* DATA: the end marker came and the message is good */
	STREAM_TOO_LONG, /* over a limit; see the reader */
	STREAM_INVALID,	 /* DATA: bare CR or LF; see stream_data.h */
	STREAM_EOF,	 /* the peer closed and the buffer is empty */
	STREAM_ERROR,	 /* the stream failed: stream_error() */
};

enum stream_eol {
	STREAM_EOL_NONE,	/* the last line before end of file */
	STREAM_EOL_LF,		/* bare LF: SMTP must refuse it */
	STREAM_EOL_CRLF,
};

struct stream_line {
	/* The line without its terminator, NUL-terminated in place (it may
	 * hold NUL bytes; `len` counts them).  Valid until the next call on
	 * the stream. */
	char *data;
	size_t len;
	enum stream_eol eol;
	/* The line holds a CR that is not part of its CRLF. */
	bool bare_cr;
};

/*
 * Returns the next line (terminated by LF or CRLF) of at most `max_len`
 * bytes, terminator excluded (SMTP's 512 octets with CRLF is max_len 510).
 * A longer line gives STREAM_TOO_LONG as soon as the limit is passed,
 * without buffering it, and the rest of it up to its LF is then skipped
 * silently, so the caller can answer and go on with the next line.
 * Unterminated bytes before end of file come back as a last line with
 * STREAM_EOL_NONE.  Otherwise STREAM_WAIT, STREAM_EOF or STREAM_ERROR.
 * `max_len` + 2 must not exceed input_max (a panic otherwise).
 */
enum stream_result stream_read_line(struct stream *s, size_t max_len,
				    struct stream_line *line_r);

/*
 * Returns between 1 and `max` bytes of raw input, as much as is buffered
 * (IMAP literals, BDAT chunks: the caller counts down the announced size
 * and passes what is left, so the whole never sits in memory).
 * STREAM_OK, STREAM_WAIT, STREAM_EOF or STREAM_ERROR.  `max` > 0.
 */
enum stream_result stream_read_bytes(struct stream *s, size_t max,
				     const char **data_r, size_t *size_r);

/* Drops all buffered unread input, and any line being skipped.  After
 * STARTTLS, bytes the client pipelined before the handshake must not be
 * taken as commands (CVE-2011-0411). */
void stream_discard_input(struct stream *s);

/* Stops reading and calling `input` (while the owner waits on something
 * else, say the auth service); resume calls `input` from the loop soon if
 * input is already buffered.  Both are no-ops in blocking mode. */
void stream_pause(struct stream *s);
void stream_resume(struct stream *s);

/*
 * Puts `t` on top of the stream's transports (t->lower is set here); the
 * stream frees it.  Buffered input is discarded (it was read through the
 * old top, see stream_discard_input()).  Output already queued is still
 * sent through the old top first: the "220 Ready to start TLS" a server
 * queued before calling this goes out in plain text.  If `t` has a
 * handshake, it runs before anything else passes through it: from the
 * loop in non-blocking mode, `ready` is called when it is done; inside
 * the next read or flush in blocking mode.  Only one layer at a time may
 * have output queued below it (a panic otherwise).
 */
void stream_push_transport(struct stream *s, struct stream_transport *t);

/* Blocking mode: runs a pending handshake now.  0, or -1 on failure. */
int stream_handshake(struct stream *s);

#endif
