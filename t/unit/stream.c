/* Unit tests for libmail/stream*.c: the readers (lines, bytes, SMTP DATA)
 * fed all at once and a byte at a time, in blocking and non-blocking
 * mode; then output, back-pressure, timeouts and errors. */
#include "tap.h"
#include "buf.h"
#include "event.h"
#include "stream.h"
#include "stream_data.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define NO_DATA UINT64_MAX

struct read_case {
	const char *input;
	size_t len;		/* 0: strlen(input) */
	size_t max_len;		/* line limit */
	uint64_t data_max;	/* NO_DATA, or read DATA first with this limit */
	size_t literal;		/* 0, or read this many raw bytes first */
	const char *want;
};

/*
 * The transcript: a line is "C:" (CRLF), "L:" (bare LF) or "N:" (no
 * terminator), with "!" after the letter when it holds a bare CR; then
 * its text and "|".  TOOLONG|, DATA:<body>| (DONE), BIGDATA| (too long),
 * BADDATA| (bare CR/LF), LIT:<bytes>|, and EOF or ERROR at the end.
 */
static const struct read_case read_cases[] = {
	{ "HELO x\r\nQUIT\r\n", 0, 10, NO_DATA, 0, "C:HELO x|C:QUIT|EOF" },
	{ "a\nb\r\n", 0, 10, NO_DATA, 0, "L:a|C:b|EOF" },
	{ "bare\rcr\r\nx\r\r\n", 0, 10, NO_DATA, 0,
	  "C!:bare\rcr|C!:x\r|EOF" },
	{ "0123456789\r\n", 0, 10, NO_DATA, 0, "C:0123456789|EOF" },
	{ "0123456789\n", 0, 10, NO_DATA, 0, "L:0123456789|EOF" },
	{ "0123456789A\r\nnext\r\n", 0, 10, NO_DATA, 0,
	  "TOOLONG|C:next|EOF" },
	{ "0123456789\r\r\nok\r\n", 0, 10, NO_DATA, 0, "TOOLONG|C:ok|EOF" },
	{ "0123456789012345678901234567890123456789012345678901234567890123"
	  "456789012345678901234567890123456789\r\nok\n", 0, 10, NO_DATA, 0,
	  "TOOLONG|L:ok|EOF" },
	{ "partial", 0, 10, NO_DATA, 0, "N:partial|EOF" },
	{ "0123456789\r", 0, 10, NO_DATA, 0, "TOOLONG|EOF" },
	{ "0123456789xyz", 0, 10, NO_DATA, 0, "TOOLONG|EOF" },
	{ "", 0, 10, NO_DATA, 0, "EOF" },
	{ "\r\n\n", 0, 10, NO_DATA, 0, "C:|L:|EOF" },
	{ "x\0y\r\n", 5, 10, NO_DATA, 0, "C:x\\0y|EOF" },
	{ "0123456789012345678901234567890123456789012345678901234567890\r\n",
	  0, 62, NO_DATA, 0, "C:0123456789012345678901234567890123456789"
	  "012345678901234567890|EOF" },

	/* SMTP DATA */
	{ "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", 0, 10, 100, 0,
	  "DATA:Subject: x\r\n\r\nbody\r\n|C:QUIT|EOF" },
	{ ".\r\n", 0, 10, 100, 0, "DATA:|EOF" },
	{ "\r\n.\r\n", 0, 10, 100, 0, "DATA:\r\n|EOF" },
	{ "..leading dot\r\n.\r\n", 0, 20, 100, 0,
	  "DATA:.leading dot\r\n|EOF" },
	{ "a\r\n..\r\n...\r\n.x\r\n.\r\n", 0, 10, 100, 0,
	  "DATA:a\r\n.\r\n..\r\nx\r\n|EOF" },
	{ "a.\r\n .\r\n.\r\n", 0, 10, 100, 0, "DATA:a.\r\n .\r\n|EOF" },
	/* Smuggling: none of these end the message early. */
	{ "a\r\n\n.\n\r\nMAIL FROM:<x>\r\n.\r\nNEXT\r\n", 0, 10, 100, 0,
	  "BADDATA|C:NEXT|EOF" },
	{ "a\r\n.\n\r\nRSET\r\n.\r\nNEXT\r\n", 0, 10, 100, 0,
	  "BADDATA|C:NEXT|EOF" },
	{ "a\r.\r\nRSET\r\n.\r\nNEXT\r\n", 0, 10, 100, 0,
	  "BADDATA|C:NEXT|EOF" },
	{ "a\n.\r\nRSET\r\n.\r\nNEXT\r\n", 0, 10, 100, 0,
	  "BADDATA|C:NEXT|EOF" },
	{ "a\r\n.\r.\r\n", 0, 10, 100, 0, "EOF" },
	{ "a\r\n.\r.\r\n.\r\n", 0, 10, 100, 0, "BADDATA|EOF" },
	{ "a\r\n.\r\r\n.\r\nX\n", 0, 10, 100, 0, "BADDATA|L:X|EOF" },
	{ "a\r\n.x\r.\r\n", 0, 10, 100, 0, "EOF" },
	{ "abc\r\n", 0, 10, 100, 0, "EOF" },
	{ "abc\r\n.", 0, 10, 100, 0, "EOF" },
	/* Size limit, counted after unstuffing. */
	{ "123456\r\n.\r\nNEXT\r\n", 0, 10, 5, 0, "BIGDATA|C:NEXT|EOF" },
	{ "123456\r\n.\r\n", 0, 10, 8, 0, "DATA:123456\r\n|EOF" },
	{ "..3456\r\n.\r\n", 0, 10, 8, 0, "DATA:.3456\r\n|EOF" },
	{ "1234567\r\n.\r\n", 0, 10, 8, 0, "BIGDATA|EOF" },
	{ "12345\r\n\n.\r\n", 0, 10, 5, 0, "EOF" },
	/* Both problems: the bare LF is reported, however split. */
	{ "12345\r\n\n\r\n.\r\n", 0, 10, 5, 0, "BADDATA|EOF" },
	{ "x\0y\r\n.\r\n", 8, 10, 100, 0, "DATA:x\\0y\r\n|EOF" },

	/* Raw bytes: an IMAP literal, then the rest of the command line. */
	{ "abcde)\r\n", 0, 10, NO_DATA, 5, "LIT:abcde|C:)|EOF" },
	{ "ab", 0, 10, NO_DATA, 5, "LIT:ab|EOF" },
	{ "a\r\nb\0c\r\n", 8, 10, NO_DATA, 6, "LIT:a\r\nb\\0c|C:|EOF" },
};

/* ---- the transcript recorder, shared by all modes ---- */

struct reader {
	const struct read_case *c;
	struct buf out;
	struct buf body;
	struct stream_data *data;
	size_t literal_left;
	bool done;
	struct event_loop *loop;
};

static void append_escaped(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\0')
			buf_append_str(b, "\\0");
		else
			buf_append_char(b, p[i]);
	}
}

static void reader_end(struct reader *r, const char *what)
{
	buf_append_str(&r->out, what);
	r->done = true;
	if (r->loop != NULL)
		event_loop_stop(r->loop);
}

/* Returns false when the reader must wait for more input. */
static bool reader_data_step(struct reader *r, struct stream *s)
{
	const char *p;
	size_t n;

	switch (stream_data_read(r->data, &p, &n)) {
	case STREAM_WAIT:
		return false;
	case STREAM_OK:
		append_escaped(&r->body, p, n);
		return true;
	case STREAM_DONE:
		buf_append_str(&r->out, "DATA:");
		buf_append(&r->out, r->body.data ? r->body.data : "",
			   r->body.len);
		buf_append_str(&r->out, "|");
		break;
	case STREAM_TOO_LONG:
		buf_append_str(&r->out, "BIGDATA|");
		break;
	case STREAM_INVALID:
		buf_append_str(&r->out, "BADDATA|");
		break;
	case STREAM_EOF:
		reader_end(r, "EOF");
		break;
	default:
		reader_end(r, "ERROR");
		break;
	}
	stream_data_free(&r->data);
	return true;
}

static bool reader_literal_step(struct reader *r, struct stream *s)
{
	const char *p;
	size_t n;

	switch (stream_read_bytes(s, r->literal_left, &p, &n)) {
	case STREAM_WAIT:
		return false;
	case STREAM_OK:
		if (r->literal_left == r->c->literal)
			buf_append_str(&r->out, "LIT:");
		append_escaped(&r->out, p, n);
		r->literal_left -= n;
		if (r->literal_left == 0)
			buf_append_str(&r->out, "|");
		return true;
	case STREAM_EOF:
		r->literal_left = 0;
		reader_end(r, "|EOF");
		return true;
	default:
		r->literal_left = 0;
		reader_end(r, "ERROR");
		return true;
	}
}

static void reader_step(struct reader *r, struct stream *s)
{
	struct stream_line line;

	while (!r->done) {
		if (r->data != NULL) {
			if (!reader_data_step(r, s))
				return;
			continue;
		}
		if (r->literal_left > 0) {
			if (!reader_literal_step(r, s))
				return;
			continue;
		}
		switch (stream_read_line(s, r->c->max_len, &line)) {
		case STREAM_WAIT:
			return;
		case STREAM_OK:
			buf_append_char(&r->out,
					line.eol == STREAM_EOL_CRLF ? 'C' :
					line.eol == STREAM_EOL_LF ? 'L' : 'N');
			if (line.bare_cr)
				buf_append_char(&r->out, '!');
			buf_append_char(&r->out, ':');
			if (line.data[line.len] != '\0')
				buf_append_str(&r->out, "NOT-TERMINATED");
			append_escaped(&r->out, line.data, line.len);
			buf_append_char(&r->out, '|');
			break;
		case STREAM_TOO_LONG:
			buf_append_str(&r->out, "TOOLONG|");
			break;
		case STREAM_EOF:
			reader_end(r, "EOF");
			break;
		default:
			reader_end(r, "ERROR");
			break;
		}
	}
}

static void reader_init(struct reader *r, const struct read_case *c,
			struct stream *s)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->literal_left = c->literal;
	if (c->data_max != NO_DATA)
		r->data = stream_data_new(s, c->data_max);
}

static void reader_deinit(struct reader *r)
{
	stream_data_free(&r->data);
	buf_free(&r->out);
	buf_free(&r->body);
}

/* ---- blocking mode over a memory transport that gives `chunk` bytes a
 * read ---- */

struct mem_transport {
	struct stream_transport t;
	const char *data;
	size_t len, pos, chunk;
};

static ssize_t mem_read(struct stream_transport *t, void *data, size_t size,
			const char **error_r)
{
	struct mem_transport *m = (struct mem_transport *)t;
	size_t n = m->len - m->pos;

	if (n > m->chunk)
		n = m->chunk;
	if (n > size)
		n = size;
	memcpy(data, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static ssize_t mem_write(struct stream_transport *t, const void *data,
			 size_t size, const char **error_r)
{
	return (ssize_t)size;
}

static void mem_free(struct stream_transport *t)
{
}

static const struct stream_transport_vfuncs mem_vfuncs = {
	.name = "mem", .read = mem_read, .write = mem_write, .free = mem_free,
};

static const struct stream_settings small_settings = {
	.input_max = 64, .output_limit = 1024, .output_max = 1 << 20,
	.read_timeout_ms = 5000, .write_timeout_ms = 5000,
};

static void run_blocking(const struct read_case *c, size_t len, size_t chunk,
			 struct buf *got)
{
	struct mem_transport m = { { &mem_vfuncs, NULL }, c->input, len, 0,
				   chunk };
	struct stream *s = stream_new(NULL, open("/dev/null", O_RDONLY),
				      &small_settings, NULL, NULL);
	struct reader r;

	stream_push_transport(s, &m.t);
	reader_init(&r, c, s);
	reader_step(&r, s);
	buf_append(got, r.out.data, r.out.len);
	reader_deinit(&r);
	stream_free(&s);
}

/* ---- non-blocking mode: a timer writes `chunk` bytes per loop round
 * into a socketpair, then shuts it down ---- */

struct feeder {
	int fd;
	const char *data;
	size_t len, pos, chunk;
	struct event_timer *timer;
};

static void feeder_tick(void *ctx)
{
	struct feeder *f = ctx;
	size_t n = f->len - f->pos;

	if (n > f->chunk)
		n = f->chunk;
	if (n > 0 && write(f->fd, f->data + f->pos, n) != (ssize_t)n)
		abort();
	f->pos += n;
	if (f->pos == f->len) {
		shutdown(f->fd, SHUT_WR);
		event_timer_stop(f->timer);
	}
}

static struct stream *nb_stream;

static void nb_input_cb(void *ctx)
{
	reader_step(ctx, nb_stream);
}

static void run_loop(const struct read_case *c, size_t len, size_t chunk,
		     struct buf *got)
{
	struct event_loop *loop = event_loop_new();
	struct stream_callbacks cb = { .input = nb_input_cb };
	struct feeder f = { -1, c->input, len, 0, chunk, NULL };
	struct reader r;
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	f.fd = fds[1];
	nb_stream = stream_new(loop, fds[0], &small_settings, &cb, &r);
	reader_init(&r, c, nb_stream);
	r.loop = loop;
	f.timer = event_timer_add(loop, 0, 1, feeder_tick, &f);
	event_loop_run(loop);
	buf_append(got, r.out.data, r.out.len);
	reader_deinit(&r);
	stream_free(&nb_stream);
	event_timer_remove(&f.timer);
	close(fds[1]);
	event_loop_free(&loop);
}

static void test_readers(void)
{
	static const char *const modes[] = {
		"blocking, all at once", "blocking, byte at a time",
		"event loop, all at once", "event loop, byte at a time",
	};

	for (size_t i = 0; i < sizeof(read_cases) / sizeof(read_cases[0]);
	     i++) {
		const struct read_case *c = &read_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->input);

		for (int mode = 0; mode < 4; mode++) {
			struct buf got = BUF_INIT;
			struct buf name = BUF_INIT;
			size_t chunk = (mode & 1) != 0 ? 1 : len + 1;

			if (mode < 2)
				run_blocking(c, len, chunk, &got);
			else
				run_loop(c, len, chunk, &got);
			buf_printf(&name, "case %zu, %s", i, modes[mode]);
			is_str(buf_cstr(&got), c->want, buf_cstr(&name));
			buf_free(&got);
			buf_free(&name);
		}
	}
}

/* ---- non-blocking behaviour ---- */

static struct event_loop *loop;

static void stop_cb(void *ctx)
{
	event_loop_stop(loop);
}

static void run_for(unsigned int msecs)
{
	struct event_timer *t = event_timer_add(loop, msecs, 0, stop_cb, NULL);

	event_loop_run(loop);
	event_timer_remove(&t);
}

struct bp {
	struct stream *s;
	int lines;
	int fd;
	size_t drained_bytes;
	struct event_io *io;
};

enum { BP_LINES = 100, BP_REPLY = 8192 };

static void bp_input(void *ctx)
{
	struct bp *b = ctx;
	struct stream_line line;
	static char reply[BP_REPLY];

	memset(reply, 'r', sizeof(reply));
	while (stream_read_line(b->s, 100, &line) == STREAM_OK) {
		b->lines++;
		stream_write(b->s, reply, sizeof(reply));
	}
	if (b->lines == BP_LINES)
		stream_flush(b->s);
}

static void bp_drain(void *ctx, unsigned int events)
{
	struct bp *b = ctx;
	char tmp[65536];
	ssize_t n = read(b->fd, tmp, sizeof(tmp));

	if (n > 0)
		b->drained_bytes += (size_t)n;
	if (b->drained_bytes == (size_t)BP_LINES * BP_REPLY)
		event_loop_stop(loop);
}

static void test_backpressure(void)
{
	struct stream_settings set = stream_default_settings;
	struct stream_callbacks cb = { .input = bp_input };
	struct bp b = { 0 };
	struct buf in = BUF_INIT;
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	set.output_limit = 16 * 1024;
	b.fd = fds[1];
	b.s = stream_new(loop, fds[0], &set, &cb, &b);
	for (int i = 0; i < BP_LINES; i++)
		buf_append_str(&in, "PING\r\n");
	if (write(fds[1], in.data, in.len) != (ssize_t)in.len)
		abort();
	run_for(50);
	ok(b.lines > 0 && b.lines < BP_LINES,
	   "a client that does not read its replies is paced");
	ok(stream_output_queued(b.s) <= set.output_limit + BP_REPLY,
	   "queued output stays near the limit");
	b.io = event_io_add(loop, fds[1], EVENT_READ, bp_drain, &b);
	run_for(5000);
	is_int(b.lines, BP_LINES, "all pipelined commands run once the "
	       "client reads");
	is_int(b.drained_bytes, (size_t)BP_LINES * BP_REPLY,
	       "every reply arrives");
	event_io_remove(&b.io);
	stream_free(&b.s);
	close(fds[1]);
	buf_free(&in);
}

struct watch {
	struct stream *s;
	int inputs, errors, lines;
	bool free_in_cb;
	bool pause_after_line;
	int stop_at_lines;		/* stop the loop after this many */
	struct buf got;
};

static void watch_input(void *ctx)
{
	struct watch *w = ctx;
	struct stream_line line;

	w->inputs++;
	while (stream_read_line(w->s, 100, &line) == STREAM_OK) {
		w->lines++;
		buf_printf(&w->got, "%s|", line.data);
		if (w->lines == w->stop_at_lines)
			event_loop_stop(loop);
		if (w->free_in_cb) {
			stream_free(&w->s);
			event_loop_stop(loop);
			return;
		}
		if (w->pause_after_line) {
			stream_pause(w->s);
			event_loop_stop(loop);
			return;
		}
	}
}

static void watch_error(void *ctx)
{
	struct watch *w = ctx;

	w->errors++;
	event_loop_stop(loop);
}

static const struct stream_callbacks watch_cb = {
	.input = watch_input, .error = watch_error,
};

static struct stream *watch_stream(struct watch *w, int *peer_r,
				   const struct stream_settings *set)
{
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	*peer_r = fds[1];
	w->s = stream_new(loop, fds[0], set, &watch_cb, w);
	return w->s;
}

static void test_timeout(void)
{
	struct stream_settings set = stream_default_settings;
	struct watch w = { 0 };
	int peer;

	set.read_timeout_ms = 30;
	watch_stream(&w, &peer, &set);
	run_for(5000);
	is_int(w.errors, 1, "idle input times out through the error "
	       "callback");
	ok(stream_timed_out(w.s), "stream_timed_out says so");
	is_str(stream_error(w.s), "read timeout", "error text");
	stream_free(&w.s);
	close(peer);
}

/* A peer writing on a timer: `text` from the start, `step` bytes every
 * `every_ms`, then it stays silent (it never closes). */
struct trickle {
	int fd;
	const char *text;
	size_t pos, step;
	struct event_timer *timer;
};

static void trickle_tick(void *ctx)
{
	struct trickle *t = ctx;
	size_t n = strlen(t->text) - t->pos;

	if (n > t->step)
		n = t->step;
	if (n > 0 && write(t->fd, t->text + t->pos, n) != (ssize_t)n)
		abort();
	t->pos += n;
}

/* The read limit counts progress, not bytes: a line trickled a byte at a
 * time well inside the limit still times out (slowloris), while whole
 * lines arriving inside the limit keep the stream alive well past it. */
static void test_timeout_counts_progress(void)
{
	struct stream_settings set = stream_default_settings;
	struct watch w = { 0 };
	struct trickle t = { 0 };
	int peer;

	set.read_timeout_ms = 300;
	watch_stream(&w, &peer, &set);
	t.fd = peer;
	t.text = "EHLO a-name-that-never-ends-because-the-client-is-slow-"
		 "on-purpose-and-would-hold-the-session-forever";
	t.step = 1;
	t.timer = event_timer_add(loop, 30, 30, trickle_tick, &t);
	run_for(10000);
	is_int(w.errors, 1, "a line trickled byte by byte times out");
	ok(t.pos < strlen(t.text), "before the line was complete");
	is_int(w.lines, 0, "and no line was handed out");
	event_timer_remove(&t.timer);
	stream_free(&w.s);
	close(peer);

	memset(&w, 0, sizeof(w));
	set.read_timeout_ms = 1000;
	watch_stream(&w, &peer, &set);
	t.fd = peer;
	t.text = "NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"
		 "NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n";
	t.pos = 0;
	t.step = 6;
	/* Twelve lines, one every 150 ms: 1.8 s in all, each well inside
	 * the 1 s limit; the stream times out only once they stop. */
	t.timer = event_timer_add(loop, 150, 150, trickle_tick, &t);
	run_for(10000);
	is_int(w.lines, 12, "lines arriving in time keep the stream alive");
	is_int(w.errors, 1, "then silence times out");
	event_timer_remove(&t.timer);
	stream_free(&w.s);
	buf_free(&w.got);
	close(peer);
}

static void test_first_error(void)
{
	struct watch w = { 0 };
	struct stream_settings set = stream_default_settings;
	int peer;

	watch_stream(&w, &peer, NULL);
	close(peer);
	is_int(stream_write_str(w.s, "250 ok\r\n"), 0,
	       "writes queue without I/O");
	is_int(stream_flush(w.s), -1, "flush to a closed peer fails");
	ok(strstr(stream_error(w.s), "Broken pipe") != NULL ||
	   strstr(stream_error(w.s), "reset") != NULL, "error says why");
	is_int(stream_write_str(w.s, "more"), -1, "later writes fail");
	ok(strstr(stream_error(w.s), "write") != NULL,
	   "the first error is kept");
	stream_free(&w.s);

	set.output_max = 100;
	set.output_limit = 50;
	watch_stream(&w, &peer, &set);
	stream_pause(w.s);
	{
		char big[200];

		memset(big, 'x', sizeof(big));
		is_int(stream_write(w.s, big, sizeof(big)), -1,
		       "queueing past output_max fails");
	}
	is_int(stream_flush(w.s), -1, "and the flush reports it");
	stream_free(&w.s);
	close(peer);
}

static void test_free_in_callback(void)
{
	struct watch w = { 0 };
	int peer;

	watch_stream(&w, &peer, NULL);
	w.free_in_cb = true;
	if (write(peer, "a\r\nb\r\nc\r\n", 9) != 9)
		abort();
	run_for(5000);
	ok(w.s == NULL && w.lines == 1, "stream freed from its own input "
	   "callback, with input left");
	close(peer);
	buf_free(&w.got);
}

static void resume_cb(void *ctx)
{
	struct watch *w = ctx;

	w->pause_after_line = false;
	stream_resume(w->s);
}

static void test_pause_resume(void)
{
	struct watch w = { 0 };
	struct event_timer *t;
	int peer;

	watch_stream(&w, &peer, NULL);
	w.pause_after_line = true;
	if (write(peer, "one\r\ntwo\r\n", 10) != 10)
		abort();
	run_for(5000);
	is_str(buf_cstr(&w.got), "one|", "paused after the first line");
	t = event_timer_add(loop, 10, 0, resume_cb, &w);
	w.inputs = 0;
	run_for(50);
	is_str(buf_cstr(&w.got), "one|two|",
	       "resume delivers input already buffered");
	is_int(w.inputs, 1, "with one input callback, no new data needed");
	event_timer_remove(&t);
	stream_free(&w.s);
	close(peer);
	buf_free(&w.got);
}

static void test_discard(void)
{
	static const char input[] = "STARTTLS\r\nINJECTED\r\n";
	struct mem_transport m = { { &mem_vfuncs, NULL }, input,
				   sizeof(input) - 1, 0, 1000 };
	struct stream *s = stream_new(NULL, open("/dev/null", O_RDONLY),
				      &small_settings, NULL, NULL);
	struct stream_line line;

	stream_push_transport(s, &m.t);
	ok(stream_read_line(s, 20, &line) == STREAM_OK &&
	   strcmp(line.data, "STARTTLS") == 0, "first line read");
	stream_discard_input(s);
	is_int(stream_read_line(s, 20, &line), STREAM_EOF,
	       "discarded input is gone");
	stream_free(&s);
}

static void test_blocking_output(void)
{
	int fds[2];
	struct stream *s;
	char got[64];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	s = stream_new(NULL, fds[0], NULL, NULL, NULL);
	stream_printf(s, "%s %d\r\n", "220", 42);
	is_int(stream_flush(s), 1, "blocking flush sends everything");
	n = read(fds[1], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	is_str(got, "220 42\r\n", "printf output arrives");
	stream_free(&s);
	close(fds[1]);
}

/* An idle connection holds no buffers: the input's goes once it is used
 * up (back to the loop), the output's once it is sent.  Thousands of idle
 * IMAP sessions depend on it. */
static void test_idle_buffers(void)
{
	struct watch w = { 0 };
	struct buf bulk = BUF_INIT, want = BUF_INIT;
	char got[8192];
	size_t total = 0;
	int peer, i;

	watch_stream(&w, &peer, NULL);
	w.stop_at_lines = 2;
	if (write(peer, "one\r\ntwo\r\n", 10) != 10)
		abort();
	run_for(5000);
	is_str(buf_cstr(&w.got), "one|two|", "lines read");
	is_int(stream_buffer_size(w.s), 0, "no input buffer once used up");

	/* More than one small read's worth at once: it all arrives. */
	for (i = 0; i < 300; i++) {
		buf_printf(&bulk, "line %03d %s\r\n", i,
			   "0123456789012345678901234567890123456789");
		buf_printf(&want, "line %03d %s|", i,
			   "0123456789012345678901234567890123456789");
	}
	buf_clear(&w.got);
	w.lines = 0;
	w.stop_at_lines = 300;
	if (write(peer, bulk.data, bulk.len) != (ssize_t)bulk.len)
		abort();
	run_for(5000);
	is_str(buf_cstr(&w.got), buf_cstr(&want), "bulk input read whole");
	/* The buffer stays while input streams in, and goes once a small
	 * read shows the peer has paused (an interactive client's next
	 * command). */
	w.stop_at_lines = 301;
	if (write(peer, "end\r\n", 5) != 5)
		abort();
	run_for(5000);
	is_int(w.lines, 301, "a small line after it");
	is_int(stream_buffer_size(w.s), 0, "and the buffer is gone");

	is_int(stream_write(w.s, bulk.data, bulk.len), 0, "output queued");
	ok(stream_buffer_size(w.s) >= bulk.len, "in a buffer");
	is_int(stream_flush(w.s), 1, "sent at once");
	ok(stream_buffer_size(w.s) > 0, "its buffer kept for more after it");
	is_int(stream_write(w.s, "OK\r\n", 4), 0, "a short reply");
	is_int(stream_flush(w.s), 1, "sent");
	is_int(stream_buffer_size(w.s), 0, "no output buffer once it is sent");
	while (total < bulk.len + 4) {
		ssize_t n = read(peer, got, sizeof(got));

		if (n <= 0)
			break;
		total += (size_t)n;
	}
	is_int(total, bulk.len + 4, "the peer got it all");
	stream_free(&w.s);
	close(peer);
	buf_free(&w.got);
	buf_free(&bulk);
	buf_free(&want);
}

static void test_behaviour(void)
{
	loop = event_loop_new();
	test_backpressure();
	test_timeout();
	test_timeout_counts_progress();
	test_first_error();
	test_free_in_callback();
	test_pause_resume();
	test_discard();
	test_blocking_output();
	test_idle_buffers();
	event_loop_free(&loop);
}

int main(void)
{
	test_readers();
	test_behaviour();
	return tap_done();
}
