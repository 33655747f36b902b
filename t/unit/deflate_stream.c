/* Unit tests for libmail/deflate_stream.c: the layer driven directly over
 * a fake lower layer that moves a byte at a time and says "would block"
 * every other call (split reads and writes), the sync flush at the end of
 * each write batch, a decompression bomb (bounded by the caller's room and
 * by the stream's line limit), corrupt input, and two real streams over a
 * socketpair. */
#include "tap.h"
#include "buf.h"
#include "deflate_stream.h"
#include "stream.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

struct fake {
	struct stream_transport t;
	struct buf data;	/* read source, or write sink */
	size_t pos;
	size_t step;		/* bytes per call at most */
	bool stall;		/* alternate: would block, then move */
	bool stalled;
};

static ssize_t fake_read(struct stream_transport *t, void *data, size_t size,
			 const char **error_r)
{
	struct fake *f = (struct fake *)t;
	size_t n = f->data.len - f->pos;

	if (f->stall && (f->stalled = !f->stalled))
		return STREAM_IO_WANT_READ;
	if (n > f->step)
		n = f->step;
	if (n > size)
		n = size;
	memcpy(data, f->data.data + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

static ssize_t fake_write(struct stream_transport *t, const void *data,
			  size_t size, const char **error_r)
{
	struct fake *f = (struct fake *)t;
	size_t n = size < f->step ? size : f->step;

	if (f->stall && (f->stalled = !f->stalled))
		return STREAM_IO_WANT_WRITE;
	buf_append(&f->data, data, n);
	return (ssize_t)n;
}

static void fake_free(struct stream_transport *t)
{
}

static const struct stream_transport_vfuncs fake_vfuncs = {
	.name = "fake", .read = fake_read, .write = fake_write,
	.free = fake_free,
};

/* Raw deflate of `len` bytes of `data` repeated `times`, sync-flushed. */
static void zip(const void *data, size_t len, size_t times, struct buf *out)
{
	z_stream z;
	unsigned char o[65536];
	size_t i;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	for (i = 0; i < times; i++) {
		z.next_in = (Bytef *)(uintptr_t)data;
		z.avail_in = (uInt)len;
		do {
			z.next_out = o;
			z.avail_out = sizeof(o);
			deflate(&z, i + 1 == times ? Z_SYNC_FLUSH : Z_NO_FLUSH);
			buf_append(out, o, sizeof(o) - z.avail_out);
		} while (z.avail_in > 0 || z.avail_out == 0);
	}
	deflateEnd(&z);
}

/* Inflates all of `in`; -1 if zlib complains. */
static int unzip(const struct buf *in, struct buf *out)
{
	z_stream z;
	unsigned char o[65536];
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		abort();
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	do {
		z.next_out = o;
		z.avail_out = sizeof(o);
		r = inflate(&z, Z_SYNC_FLUSH);
		buf_append(out, o, sizeof(o) - z.avail_out);
	} while (r == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
	inflateEnd(&z);
	return r == Z_OK || r == Z_BUF_ERROR || r == Z_STREAM_END ? 0 : -1;
}

static struct stream_transport *layer_over(struct fake *f)
{
	const char *error;
	struct stream_transport *t = deflate_transport_new(&error);

	if (t == NULL)
		abort();
	f->t.v = &fake_vfuncs;
	t->lower = &f->t;
	return t;
}

static const char text[] =
	"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS ())\r\n"
	"a1 OK FETCH completed\r\n";

static void test_split_reads(void)
{
	struct fake f;
	struct stream_transport *t;
	struct buf got = BUF_INIT;
	char piece[7];
	const char *error = NULL;
	unsigned int waits = 0, rounds = 0;
	bool bounded = true;
	ssize_t n;

	memset(&f, 0, sizeof(f));
	zip(text, strlen(text), 1, &f.data);
	f.step = 1;
	f.stall = true;
	t = layer_over(&f);
	while ((n = t->v->read(t, piece, sizeof(piece), &error)) != 0 &&
	       rounds++ < 100000) {
		if (n == STREAM_IO_WANT_READ) {
			waits++;
			continue;
		}
		if (n < 0)
			break;
		bounded &= n <= (ssize_t)sizeof(piece);
		buf_append(&got, piece, (size_t)n);
	}
	ok(bounded, "never more than asked for");
	is_int(n, 0, "end of input comes through");
	ok(waits > 0, "would-block from below comes through");
	is_int(got.len, strlen(text), "split reads: every byte");
	ok(memcmp(got.data, text, got.len) == 0, "split reads: the same bytes");
	t->v->free(t);
	buf_free(&f.data);
	buf_free(&got);
}

/* Writes like stream.c does: the whole rest each time, again after a
 * would-block. */
static void write_all(struct stream_transport *t, const char *data, size_t len)
{
	const char *error = NULL;
	size_t pos = 0;
	unsigned int rounds = 0;

	while (pos < len && rounds++ < 1000000) {
		ssize_t n = t->v->write(t, data + pos, len - pos, &error);

		if (n == STREAM_IO_WANT_WRITE)
			continue;
		if (n <= 0)
			break;
		pos += (size_t)n;
	}
	is_int(pos, len, "write batch accepted whole");
}

static void test_split_writes(void)
{
	struct fake f;
	struct stream_transport *t;
	struct buf plain = BUF_INIT, big = BUF_INIT;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.step = 3;
	f.stall = true;
	t = layer_over(&f);
	write_all(t, "+ idling\r\n", 10);
	/* The batch ended: what went below is complete by itself (sync
	 * flush), or an IDLE update would wait in the compressor. */
	ok(unzip(&f.data, &plain) == 0 && plain.len == 10 &&
	   memcmp(plain.data, "+ idling\r\n", 10) == 0,
	   "a batch is flushed whole to the layer below");
	/* A batch larger than the layer's chunk, with data that repeats. */
	for (i = 0; i < 5000; i++)
		buf_append_str(&big, text);
	write_all(t, big.data, big.len);
	write_all(t, "* 3 EXISTS\r\n", 12);
	buf_clear(&plain);
	ok(unzip(&f.data, &plain) == 0, "the output inflates");
	is_int(plain.len, 10 + big.len + 12, "split writes: every byte");
	ok(plain.len == 10 + big.len + 12 &&
	   memcmp(plain.data + 10, big.data, big.len) == 0 &&
	   memcmp(plain.data + 10 + big.len, "* 3 EXISTS\r\n", 12) == 0,
	   "split writes: the same bytes, in order");
	ok(f.data.len < big.len / 10, "and compressed");
	t->v->free(t);
	buf_free(&f.data);
	buf_free(&plain);
	buf_free(&big);
}

static void test_bomb_direct(void)
{
	static char a[1 << 20];
	struct fake f;
	struct stream_transport *t;
	char piece[4096];
	const char *error = NULL;
	uint64_t total = 0;
	bool bounded = true;
	ssize_t n;

	memset(a, 'A', sizeof(a));
	memset(&f, 0, sizeof(f));
	zip(a, sizeof(a), 64, &f.data);
	ok(f.data.len < 128 * 1024, "64 MiB compress to little");
	f.step = 1 << 20;
	t = layer_over(&f);
	while ((n = t->v->read(t, piece, sizeof(piece), &error)) > 0) {
		bounded &= n <= (ssize_t)sizeof(piece);
		total += (uint64_t)n;
	}
	ok(bounded, "a bomb inflates no more than the caller has room for");
	ok(total == (uint64_t)64 << 20, "all of it, a piece at a time");
	t->v->free(t);
	buf_free(&f.data);
}

static void test_corrupt(void)
{
	struct fake f;
	struct stream_transport *t;
	char piece[64];
	const char *error = NULL;

	memset(&f, 0, sizeof(f));
	buf_append(&f.data, "\xff\xff\xff\xff garbage", 12);
	f.step = 100;
	t = layer_over(&f);
	is_int(t->v->read(t, piece, sizeof(piece), &error), STREAM_IO_ERROR,
	       "corrupt input is an error");
	ok(error != NULL && strstr(error, "inflate") != NULL,
	   "... that says so");
	t->v->free(t);
	buf_free(&f.data);
}

/* Through a real stream: the bomb is one over-long line, skipped, and the
 * next line is read as usual; input never exceeds the stream's limit. */
static void test_bomb_stream(void)
{
	static char a[1 << 20];
	struct stream_settings set = stream_default_settings;
	struct buf wire = BUF_INIT;
	struct stream *s;
	struct stream_line line;
	const char *error;
	int fds[2];
	pid_t pid;
	enum stream_result r;

	struct buf all = BUF_INIT;
	size_t i;

	memset(a, 'A', sizeof(a));
	for (i = 0; i < 16; i++)
		buf_append(&all, a, sizeof(a));
	buf_append_str(&all, "\r\nnext\r\n");
	zip(all.data, all.len, 1, &wire);
	buf_free(&all);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		size_t pos = 0;

		close(fds[0]);
		while (pos < wire.len) {
			ssize_t n = write(fds[1], wire.data + pos, wire.len - pos);

			if (n <= 0)
				_exit(1);
			pos += (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	set.input_max = 4096;
	s = stream_new(NULL, fds[0], &set, NULL, NULL);
	is_int(deflate_stream_start(s, &error), 0, "push the layer");
	ok(deflate_stream_active(s), "the stream knows it is compressed");
	r = stream_read_line(s, 1000, &line);
	is_int(r, STREAM_TOO_LONG, "16 MiB line: too long");
	r = stream_read_line(s, 1000, &line);
	ok(r == STREAM_OK && line.len == 4 && memcmp(line.data, "next", 4) == 0,
	   "the next line after it");
	r = stream_read_line(s, 1000, &line);
	is_int(r, STREAM_EOF, "then the end");
	stream_free(&s);
	buf_free(&wire);
	waitpid(pid, NULL, 0);
}

/* Two streams over a socketpair, both compressed. */
static void test_roundtrip(void)
{
	struct stream *a, *b;
	struct stream_line line;
	const char *error;
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	a = stream_new(NULL, fds[0], NULL, NULL, NULL);
	b = stream_new(NULL, fds[1], NULL, NULL, NULL);
	stream_write_str(a, "z1 OK DEFLATE active\r\n");
	/* Queued before the push: goes out plain. */
	is_int(deflate_stream_start(a, &error), 0, "push on a");
	ok(!deflate_stream_active(b), "b is not compressed yet");
	is_int(stream_flush(a), 1, "flush a");
	is_int(stream_read_line(b, 100, &line), STREAM_OK, "plain line on b");
	is_str(line.data, "z1 OK DEFLATE active", "it was sent before the layer");
	/* Like an IMAP client, b pushes its layer once it has the OK; a
	 * sends nothing more before (input buffered at the push is
	 * dropped, stream.h). */
	is_int(deflate_stream_start(b, &error), 0, "push on b");
	stream_write_str(a, "* OK compressed now\r\n");
	is_int(stream_flush(a), 1, "flush a again");
	is_int(stream_read_line(b, 100, &line), STREAM_OK, "compressed line");
	is_str(line.data, "* OK compressed now", "... reads back");
	stream_write_str(b, "a2 NOOP\r\n");
	is_int(stream_flush(b), 1, "flush b");
	is_int(stream_read_line(a, 100, &line), STREAM_OK, "and the other way");
	is_str(line.data, "a2 NOOP", "... too");
	stream_free(&a);
	stream_free(&b);
}

int main(void)
{
	test_split_reads();
	test_split_writes();
	test_bomb_direct();
	test_corrupt();
	test_bomb_stream();
	test_roundtrip();
	return tap_done();
}
