#include "stream_private.h"
#include "event.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* One read takes at most this much, so one busy peer cannot hold the loop
 * for long and memory grows only as input is really kept. */
#define STREAM_READ_CHUNK (64 * 1024)
/* What an interactive session reads or writes at a time (a command line,
 * a reply, a TLS record of one).  A read asks for no more than the buffer
 * holds already, or this much, unless the read before filled what it asked
 * for or brought more: bulk input soon reads STREAM_READ_CHUNK at a time.
 * Buffers are let go after small reads and writes, kept while bulk flows. */
#define STREAM_SMALL_IO (4 * 1024 - 1)

const struct stream_settings stream_default_settings = {
	.input_max = 64 * 1024,
	.output_limit = 128 * 1024,
	.output_max = 4 * 1024 * 1024,
	.read_timeout_ms = 300 * 1000,
	.write_timeout_ms = 300 * 1000,
};

/* ---- state helpers ---- */

static size_t stream_out_queued(const struct stream *s)
{
	return s->out.len - s->out_pos;
}

static bool stream_over_limit(const struct stream *s)
{
	return stream_out_queued(s) > s->set.output_limit;
}

static bool stream_wants_input(const struct stream *s)
{
	return !s->failed && !s->eof && !s->paused && !s->handshaking &&
		!stream_over_limit(s) &&
		stream_in_unread(s) < s->set.input_max;
}

static void stream_fail(struct stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Keeps the first error only: later ones are consequences of it. */
static void stream_fail(struct stream *s, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	if (s->failed)
		return;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	s->failed = true;
	s->error = buf_steal(&msg);
}

const char *stream_error(const struct stream *s)
{
	return s->error;
}

bool stream_timed_out(const struct stream *s)
{
	return s->timed_out;
}

bool stream_is_eof(const struct stream *s)
{
	return s->eof;
}

int stream_fd(const struct stream *s)
{
	return s->fd;
}

struct stream_transport *stream_transport(const struct stream *s)
{
	return s->transport;
}

size_t stream_output_queued(const struct stream *s)
{
	return stream_out_queued(s);
}

size_t stream_buffer_size(const struct stream *s)
{
	return s->in.cap + s->out.cap;
}

/* ---- moving bytes through the transports ---- */

/* Nothing unread: an idle connection holds no input buffer (thousands of
 * idle IMAP sessions would otherwise each keep one).  Not while paused:
 * the owner may still hold pointers into input it has consumed.  Not
 * while input streams in: the buffer would only be allocated again at
 * once. */
static void stream_in_release(struct stream *s)
{
	if (s->paused || s->in_streaming || stream_in_unread(s) > 0 ||
	    s->in.data == NULL)
		return;
	buf_free(&s->in);
	s->in_pos = 0;
	s->line_scanned = 0;
}

/* Reads once.  1: got bytes; 0: would block (read_wants says on what);
 * -1: end of file or failure (s->eof / s->failed). */
static int stream_read_once(struct stream *s)
{
	size_t unread = stream_in_unread(s), room;
	const char *error = NULL;
	ssize_t n;

	/* Move the unread tail to the front.  Only here, so pointers the
	 * readers handed out stay valid until the next call. */
	if (s->in_pos > 0) {
		if (unread > 0)
			memmove(s->in.data, s->in.data + s->in_pos, unread);
		s->in.len = unread;
		s->in_pos = 0;
		s->in.data[unread] = '\0';
	}
	room = s->set.input_max - unread;
	if (room > STREAM_READ_CHUNK)
		room = STREAM_READ_CHUNK;
	if (!s->in_streaming) {
		size_t have = s->in.cap > s->in.len + 1 ?
			s->in.cap - s->in.len - 1 : 0;

		if (have < STREAM_SMALL_IO)
			have = STREAM_SMALL_IO;
		if (room > have)
			room = have;
	}
	buf_reserve(&s->in, room);
	n = s->transport->v->read(s->transport, s->in.data + s->in.len, room,
				  &error);
	if (n > 0) {
		s->in_streaming = (size_t)n == room ||
			(size_t)n > STREAM_SMALL_IO;
		s->in.len += (size_t)n;
		s->in.data[s->in.len] = '\0';
		s->read_wants = EVENT_READ;
		return 1;
	}
	if (n == 0) {
		s->eof = true;
		return -1;
	}
	if (n == STREAM_IO_WANT_READ || n == STREAM_IO_WANT_WRITE) {
		s->read_wants = n == STREAM_IO_WANT_READ ? EVENT_READ :
			EVENT_WRITE;
		if (unread == 0)
			stream_in_release(s);
		return 0;
	}
	stream_fail(s, "%s", error != NULL ? error : "read failed");
	return -1;
}

/* Sends queued output.  1: all sent; 0: would block (write_wants); -1:
 * failed.  While a handshake runs only the bytes queued below the new
 * layer may go. */
static int stream_send(struct stream *s)
{
	while (stream_out_queued(s) > 0) {
		struct stream_transport *t = s->transport;
		size_t size = stream_out_queued(s);
		const char *error = NULL;
		ssize_t n;

		if (s->out_below > 0) {
			t = t->lower;
			size = s->out_below;
		} else if (s->handshaking) {
			return 0;
		}
		n = t->v->write(t, s->out.data + s->out_pos, size, &error);
		if (n > 0) {
			s->out_pos += (size_t)n;
			if (s->out_below > 0)
				s->out_below -= (size_t)n;
			s->write_wants = EVENT_WRITE;
			if (s->write_timer_armed)
				event_timer_reset(s->write_timer);
			continue;
		}
		if (n == STREAM_IO_WANT_READ || n == STREAM_IO_WANT_WRITE) {
			s->write_wants = n == STREAM_IO_WANT_READ ?
				EVENT_READ : EVENT_WRITE;
			return 0;
		}
		stream_fail(s, "%s", error != NULL ? error : "write failed");
		return -1;
	}
	/* All sent: after a small write (an interactive reply) the buffer
	 * goes too, as the input's does when idle; after a large one more
	 * is likely coming (a long FETCH), and growing a buffer again from
	 * nothing for every part of it costs more than keeping it. */
	if (s->out.len <= STREAM_SMALL_IO)
		buf_free(&s->out);
	else
		buf_clear(&s->out);
	s->out_pos = 0;
	return 1;
}

/* 1: the handshake is done; 0: waiting (handshake_wants or write_wants
 * for the plain bytes still queued below); -1: failed. */
static int stream_handshake_step(struct stream *s)
{
	struct stream_transport *t = s->transport;
	const char *error = NULL;
	int r;

	if (s->out_below > 0) {
		if (stream_send(s) < 0)
			return -1;
		if (s->out_below > 0)
			return 0;
	}
	r = t->v->handshake(t, &error);
	if (r == 1) {
		s->handshaking = false;
		return 1;
	}
	if (r == STREAM_IO_WANT_READ || r == STREAM_IO_WANT_WRITE) {
		s->handshake_wants = r == STREAM_IO_WANT_READ ? EVENT_READ :
			EVENT_WRITE;
		return 0;
	}
	stream_fail(s, "%s", error != NULL ? error : "handshake failed");
	return -1;
}

/* ---- blocking mode ---- */

/* Waits until the fd is ready for `wants`; -1 (stream failed) on timeout. */
static int stream_poll(struct stream *s, unsigned int wants,
		       unsigned int timeout_ms)
{
	struct pollfd pfd;
	int r, timeout = -1;

	if (timeout_ms > 0)
		timeout = timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms;
	memset(&pfd, 0, sizeof(pfd));
	pfd.fd = s->fd;
	pfd.events = (short)(((wants & EVENT_READ) != 0 ? POLLIN : 0) |
			     ((wants & EVENT_WRITE) != 0 ? POLLOUT : 0));
	do {
		r = poll(&pfd, 1, timeout);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		stream_fail(s, "poll: %s", strerror(errno));
		return -1;
	}
	if (r == 0) {
		stream_fail(s, "timeout");
		s->timed_out = true;
		return -1;
	}
	/* POLLERR and POLLHUP included: the next I/O call says what. */
	return 0;
}

int stream_handshake(struct stream *s)
{
	if (s->loop != NULL)
		log_panic("stream_handshake on a non-blocking stream");
	while (s->handshaking && !s->failed) {
		unsigned int wants;
		int r = stream_handshake_step(s);

		if (r != 0)
			break;
		wants = s->out_below > 0 ? s->write_wants : s->handshake_wants;
		(void)stream_poll(s, wants, (wants & EVENT_WRITE) != 0 ?
				  s->set.write_timeout_ms :
				  s->set.read_timeout_ms);
	}
	return s->failed ? -1 : 0;
}

static int stream_flush_blocking(struct stream *s)
{
	if (stream_handshake(s) < 0)
		return -1;
	for (;;) {
		int r = stream_send(s);

		if (r != 0)
			return r;
		if (stream_poll(s, s->write_wants, s->set.write_timeout_ms) < 0)
			return -1;
	}
}

/* ---- non-blocking mode: interest, timers, dispatch ---- */

static void stream_timer_set(struct stream *s, struct event_timer **timer,
			     bool *armed, unsigned int msecs, bool on,
			     event_timer_fn *fn)
{
	if (!on || msecs == 0) {
		if (*armed)
			event_timer_stop(*timer);
		*armed = false;
		return;
	}
	if (*armed)
		return;
	if (*timer == NULL)
		*timer = event_timer_add(s->loop, msecs, 0, fn, s);
	else
		event_timer_reset(*timer);
	*armed = true;
}

static void stream_read_timeout(void *ctx);
static void stream_write_timeout(void *ctx);
static void stream_io_cb(void *ctx, unsigned int events);

/* Makes the fd watcher and the idle timers match the state.  The watcher
 * is dropped entirely when nothing is wanted: epoll reports a hang-up
 * even with no interest, and a paused stream must not spin on it. */
static void stream_update(struct stream *s)
{
	unsigned int ev = 0;
	bool reading = false, writing = false;

	if (s->loop == NULL || s->freed)
		return;
	if (s->failed) {
		event_io_remove(&s->io);
		stream_timer_set(s, &s->read_timer, &s->read_timer_armed, 0,
				 false, NULL);
		stream_timer_set(s, &s->write_timer, &s->write_timer_armed,
				 0, false, NULL);
		return;
	}
	if (s->handshaking) {
		ev = s->out_below > 0 ? s->write_wants : s->handshake_wants;
		reading = (ev & EVENT_READ) != 0;
		writing = (ev & EVENT_WRITE) != 0;
	} else {
		if (stream_wants_input(s)) {
			ev |= s->read_wants;
			reading = true;
		}
		if (stream_out_queued(s) > 0) {
			ev |= s->write_wants;
			writing = true;
		}
	}
	if (ev == 0) {
		event_io_remove(&s->io);
	} else if (s->io == NULL) {
		s->io = event_io_add(s->loop, s->fd, ev, stream_io_cb, s);
		if (s->io == NULL) {
			stream_fail(s, "epoll: %s", strerror(errno));
			event_timer_reset(s->kick_timer);
			stream_update(s);
			return;
		}
	} else {
		event_io_set(s->io, ev);
	}
	stream_timer_set(s, &s->read_timer, &s->read_timer_armed,
			 s->set.read_timeout_ms, reading, stream_read_timeout);
	stream_timer_set(s, &s->write_timer, &s->write_timer_armed,
			 s->set.write_timeout_ms, writing,
			 stream_write_timeout);
}

static void stream_destroy(struct stream *s)
{
	struct stream_transport *t = s->transport;

	while (t != NULL) {
		struct stream_transport *lower = t->lower;

		t->v->free(t);
		t = lower;
	}
	buf_free(&s->in);
	buf_free(&s->out);
	free(s->error);
	free(s);
}

static void stream_hold(struct stream *s)
{
	s->busy++;
}

/* Ends a stretch of callbacks: a stream freed inside them goes now. */
static void stream_release(struct stream *s)
{
	if (--s->busy > 0)
		return;
	if (s->freed)
		stream_destroy(s);
	else
		stream_update(s);
}

static bool stream_gone(const struct stream *s)
{
	return s->freed;
}

static bool stream_call(struct stream *s, void (*fn)(void *ctx))
{
	if (fn != NULL)
		fn(s->ctx);
	return !stream_gone(s);
}

/* Tells the owner about a failure found from the loop, once. */
static void stream_report(struct stream *s)
{
	if (s->error_reported)
		return;
	s->error_reported = true;
	(void)stream_call(s, s->cb.error != NULL ? s->cb.error : s->cb.input);
}

static bool stream_has_input(const struct stream *s)
{
	return stream_in_unread(s) > 0 || s->eof;
}

/* The owner's input callback, repeated while a layer holds decoded bytes
 * that the fd will not announce. */
static void stream_feed(struct stream *s)
{
	for (;;) {
		struct stream_transport *t = s->transport;

		if (!stream_call(s, s->cb.input) || s->failed)
			return;
		if (!stream_wants_input(s) || t->v->pending == NULL ||
		    t->v->pending(t) == 0)
			return;
		if (stream_read_once(s) < 0 && s->failed) {
			stream_report(s);
			return;
		}
	}
}

static void stream_dispatch(struct stream *s, unsigned int events,
			    bool force_input)
{
	bool call_input = force_input;

	if (s->failed) {
		stream_report(s);
		return;
	}
	if (s->handshaking) {
		int r = stream_handshake_step(s);

		if (r < 0)
			stream_report(s);
		if (r <= 0)
			return;
		if (!stream_call(s, s->cb.ready) || s->failed)
			return;
		/* The layer may already hold application data, and output
		 * may be waiting for the handshake: try both now. */
		events |= s->read_wants | s->write_wants;
	}
	if (stream_out_queued(s) > 0 &&
	    (events & (s->write_wants | EVENT_ERROR)) != 0) {
		bool was_over = stream_over_limit(s);
		int r = stream_send(s);

		if (r < 0) {
			stream_report(s);
			return;
		}
		if (r > 0 && s->flush_pending) {
			s->flush_pending = false;
			if (!stream_call(s, s->cb.drained) || s->failed)
				return;
		}
		if (was_over && !stream_over_limit(s) && stream_has_input(s))
			call_input = true;
	}
	if (stream_wants_input(s) &&
	    (events & (s->read_wants | EVENT_ERROR)) != 0) {
		int r = stream_read_once(s);

		if (r < 0 && s->failed) {
			stream_report(s);
			return;
		}
		if (r != 0)
			call_input = true;
	}
	if (call_input && !s->paused && !stream_over_limit(s))
		stream_feed(s);
	/* Only from the outermost callback: an owner's callback further
	 * up may still hold pointers into the input. */
	if (!s->failed && !s->freed && s->busy <= 1)
		stream_in_release(s);
}

static void stream_io_cb(void *ctx, unsigned int events)
{
	struct stream *s = ctx;

	stream_hold(s);
	stream_dispatch(s, events, false);
	stream_release(s);
}

/* Runs from the loop soon after a state change made outside it (resume,
 * a pushed layer, a failure to report). */
static void stream_kick(void *ctx)
{
	struct stream *s = ctx;

	stream_hold(s);
	stream_dispatch(s, s->read_wants | s->write_wants,
			stream_has_input(s));
	stream_release(s);
}

static void stream_timeout(struct stream *s, const char *what)
{
	stream_hold(s);
	stream_fail(s, "%s timeout", what);
	s->timed_out = true;
	stream_report(s);
	stream_release(s);
}

static void stream_read_timeout(void *ctx)
{
	struct stream *s = ctx;

	s->read_timer_armed = false;
	stream_timeout(s, "read");
}

static void stream_write_timeout(void *ctx)
{
	struct stream *s = ctx;

	s->write_timer_armed = false;
	stream_timeout(s, "write");
}

/* ---- life cycle ---- */

struct stream *stream_new(struct event_loop *loop, int fd,
			  const struct stream_settings *set,
			  const struct stream_callbacks *cb, void *ctx)
{
	struct stream *s = xcalloc(1, sizeof(*s));
	int flags;

	s->set = set != NULL ? *set : stream_default_settings;
	if (s->set.input_max < 16 || s->set.output_limit > s->set.output_max)
		log_panic("stream_new: bad settings");
	s->transport = stream_fd_transport_new(fd);
	s->loop = loop;
	s->fd = fd;
	s->read_wants = EVENT_READ;
	s->write_wants = EVENT_WRITE;
	s->handshake_wants = EVENT_READ;
	if (cb != NULL)
		s->cb = *cb;
	s->ctx = ctx;
	if (loop == NULL)
		return s;
	if (s->cb.input == NULL)
		log_panic("stream_new: no input callback");
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		log_panic("stream_new: fcntl(%d): %s", fd, strerror(errno));
	s->kick_timer = event_timer_add(loop, 0, 0, stream_kick, s);
	event_timer_stop(s->kick_timer);
	stream_update(s);
	return s;
}

void stream_free(struct stream **sp)
{
	struct stream *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	if (s->freed)
		log_panic("stream freed twice");
	event_io_remove(&s->io);
	event_timer_remove(&s->read_timer);
	event_timer_remove(&s->write_timer);
	event_timer_remove(&s->kick_timer);
	if (s->busy > 0) {
		s->freed = true;
		return;
	}
	stream_destroy(s);
}

void stream_set_callbacks(struct stream *s, const struct stream_callbacks *cb,
			  void *ctx)
{
	if (s->loop != NULL && cb->input == NULL)
		log_panic("stream_set_callbacks: no input callback");
	s->cb = *cb;
	s->ctx = ctx;
}

void stream_set_timeouts(struct stream *s, unsigned int read_timeout_ms,
			 unsigned int write_timeout_ms)
{
	s->set.read_timeout_ms = read_timeout_ms;
	s->set.write_timeout_ms = write_timeout_ms;
	if (s->loop == NULL)
		return;
	/* New lengths need new timers; stream_update() arms them. */
	event_timer_remove(&s->read_timer);
	event_timer_remove(&s->write_timer);
	s->read_timer_armed = s->write_timer_armed = false;
	stream_update(s);
}

void stream_read_progress(struct stream *s)
{
	if (s->read_timer_armed)
		event_timer_reset(s->read_timer);
}

/* ---- output ---- */

/* Shared tail of every write: limits, and pacing in blocking mode. */
static int stream_wrote(struct stream *s)
{
	if (stream_out_queued(s) > s->set.output_max) {
		stream_fail(s, "output buffer over %zu bytes",
			    s->set.output_max);
		buf_clear(&s->out);
		s->out_pos = s->out_below = 0;
		stream_update(s);
		return -1;
	}
	if (!stream_over_limit(s))
		return 0;
	if (s->loop == NULL)
		return stream_flush_blocking(s) < 0 ? -1 : 0;
	if (stream_send(s) < 0) {
		stream_update(s);
		return -1;
	}
	stream_update(s);
	return 0;
}

static void stream_out_compact(struct stream *s)
{
	/* Sent bytes are dropped from the front only once they are the
	 * larger part, so the copy is amortised over the sends. */
	if (s->out_pos > 0 && s->out_pos >= s->out.len / 2) {
		buf_consume(&s->out, s->out_pos);
		s->out_pos = 0;
	}
}

int stream_write(struct stream *s, const void *data, size_t size)
{
	if (s->failed)
		return -1;
	stream_out_compact(s);
	buf_append(&s->out, data, size);
	return stream_wrote(s);
}

int stream_write_str(struct stream *s, const char *str)
{
	return stream_write(s, str, strlen(str));
}

int stream_printf(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return -1;
	stream_out_compact(s);
	va_start(ap, fmt);
	buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	return stream_wrote(s);
}

int stream_flush(struct stream *s)
{
	int r;

	if (s->failed)
		return -1;
	if (s->loop == NULL)
		return stream_flush_blocking(s);
	if (stream_out_queued(s) == 0)
		return 1;
	r = stream_send(s);
	if (r == 0)
		s->flush_pending = true;
	stream_update(s);
	return r;
}

/* ---- input control ---- */

enum stream_result stream_reader_begin(struct stream *s)
{
	if (s->failed)
		return STREAM_ERROR;
	if (s->loop != NULL && stream_over_limit(s))
		return STREAM_WAIT;
	if (s->loop == NULL && s->handshaking && stream_handshake(s) < 0)
		return STREAM_ERROR;
	return STREAM_OK;
}

enum stream_result stream_need_input(struct stream *s)
{
	if (s->failed)
		return STREAM_ERROR;
	if (s->eof)
		return STREAM_EOF;
	if (stream_in_unread(s) >= s->set.input_max)
		log_panic("stream reader left the input buffer full");
	if (s->loop != NULL)
		return STREAM_WAIT;
	for (;;) {
		struct stream_transport *t = s->transport;
		int r = stream_read_once(s);

		if (r > 0)
			return STREAM_OK;
		if (r < 0)
			return s->failed ? STREAM_ERROR : STREAM_EOF;
		if (t->v->pending != NULL && t->v->pending(t) > 0)
			continue;
		if (stream_poll(s, s->read_wants, s->set.read_timeout_ms) < 0)
			return STREAM_ERROR;
	}
}

void stream_discard_input(struct stream *s)
{
	buf_clear(&s->in);
	s->in_pos = 0;
	s->line_scanned = 0;
	s->line_skipping = false;
}

void stream_pause(struct stream *s)
{
	if (s->loop == NULL)
		return;
	s->paused = true;
	stream_update(s);
}

void stream_resume(struct stream *s)
{
	if (s->loop == NULL || !s->paused)
		return;
	s->paused = false;
	if (stream_has_input(s) || s->failed)
		event_timer_reset(s->kick_timer);
	stream_update(s);
}

void stream_push_transport(struct stream *s, struct stream_transport *t)
{
	if (s->out_below > 0)
		log_panic("stream_push_transport: output still queued below "
			  "the previous layer");
	if (s->handshaking)
		log_panic("stream_push_transport during a handshake");
	t->lower = s->transport;
	s->transport = t;
	s->out_below = stream_out_queued(s);
	stream_discard_input(s);
	s->read_wants = EVENT_READ;
	s->write_wants = EVENT_WRITE;
	if (t->v->handshake != NULL) {
		s->handshaking = true;
		s->handshake_wants = EVENT_READ;
		/* Nothing may be readable yet (a client speaks first in
		 * TLS): start the handshake from the loop right away. */
		if (s->loop != NULL)
			event_timer_reset(s->kick_timer);
	}
	stream_update(s);
}
