#include "deflate_stream.h"
#include "buf.h"
#include "stream.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Compressed bytes read from below at a time. */
#define DEFLATE_IN_CHUNK (16 * 1024)
/* Uncompressed bytes taken per write: bounds the compressed output held
 * while the layer below is busy. */
#define DEFLATE_OUT_CHUNK (32 * 1024)
/* RFC 4978 section 4: raw deflate needs windowBits -8 to -15. */
#define DEFLATE_WINDOW_BITS (-15)

struct deflate_transport {
	struct stream_transport t;
	z_stream in, out;
	unsigned char ibuf[DEFLATE_IN_CHUNK];
	/* Compressed output not yet taken by the layer below, and how many
	 * bytes of the caller's data it holds: they are reported as written
	 * only once it has all gone (stream.h: a write that said WANT_* is
	 * retried with at least the same bytes). */
	struct buf obuf;
	size_t opos;
	size_t taken;
	/* The last inflate filled the caller's buffer: zlib may hold more
	 * output without any more input. */
	bool in_more;
	bool in_end;
	char error[128];
};

static ssize_t deflate_fail(struct deflate_transport *dt, const char *what,
			    const z_stream *z, const char **error_r)
{
	(void)str_format(dt->error, sizeof(dt->error), "%s: %s", what,
			 z->msg != NULL ? z->msg : "corrupt data");
	*error_r = dt->error;
	return STREAM_IO_ERROR;
}

static ssize_t deflate_read(struct stream_transport *t, void *data,
			    size_t size, const char **error_r)
{
	struct deflate_transport *dt = (struct deflate_transport *)t;
	struct stream_transport *lower = t->lower;

	for (;;) {
		ssize_t n;

		if (dt->in.avail_in > 0 || dt->in_more) {
			uInt room = size < UINT32_MAX ? (uInt)size : UINT32_MAX;
			size_t produced;
			int r;

			dt->in.next_out = data;
			dt->in.avail_out = room;
			r = inflate(&dt->in, Z_SYNC_FLUSH);
			produced = room - dt->in.avail_out;
			if (r == Z_STREAM_END)
				dt->in_end = true;
			else if (r != Z_OK && r != Z_BUF_ERROR)
				return deflate_fail(dt, "inflate", &dt->in,
						    error_r);
			dt->in_more = r == Z_OK && dt->in.avail_out == 0;
			if (produced > 0)
				return (ssize_t)produced;
		}
		/* The peer ended its deflate stream: nothing more can come
		 * that we could read. */
		if (dt->in_end)
			return 0;
		n = lower->v->read(lower, dt->ibuf, sizeof(dt->ibuf), error_r);
		if (n <= 0)
			return n;
		dt->in.next_in = dt->ibuf;
		dt->in.avail_in = (uInt)n;
	}
}

/* Compresses `size` bytes into obuf; a sync flush when `flush`. */
static int deflate_compress(struct deflate_transport *dt, const void *data,
			    size_t size, bool flush, const char **error_r)
{
	int r;

	dt->out.next_in = (Bytef *)(uintptr_t)data;
	dt->out.avail_in = (uInt)size;
	do {
		buf_reserve(&dt->obuf, 4096 + size / 2);
		dt->out.next_out = (Bytef *)dt->obuf.data + dt->obuf.len;
		dt->out.avail_out = (uInt)(dt->obuf.cap - dt->obuf.len - 1);
		r = deflate(&dt->out, flush ? Z_SYNC_FLUSH : Z_NO_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR) {
			(void)deflate_fail(dt, "deflate", &dt->out, error_r);
			return -1;
		}
		dt->obuf.len = (size_t)((char *)dt->out.next_out - dt->obuf.data);
		dt->obuf.data[dt->obuf.len] = '\0';
		/* Output space ran out: there may be more to come. */
	} while (dt->out.avail_in > 0 || dt->out.avail_out == 0);
	return 0;
}

static ssize_t deflate_write(struct stream_transport *t, const void *data,
			     size_t size, const char **error_r)
{
	struct deflate_transport *dt = (struct deflate_transport *)t;
	struct stream_transport *lower = t->lower;
	size_t n;

	if (dt->taken == 0) {
		/* The last piece of what is queued ends the batch: flush
		 * it, so nothing waits in the compressor. */
		n = size < DEFLATE_OUT_CHUNK ? size : DEFLATE_OUT_CHUNK;
		if (deflate_compress(dt, data, n, n == size, error_r) < 0)
			return STREAM_IO_ERROR;
		dt->taken = n;
	}
	while (dt->opos < dt->obuf.len) {
		ssize_t w = lower->v->write(lower, dt->obuf.data + dt->opos,
					    dt->obuf.len - dt->opos, error_r);

		if (w <= 0)
			return w == 0 ? STREAM_IO_ERROR : w;
		dt->opos += (size_t)w;
	}
	buf_clear(&dt->obuf);
	dt->opos = 0;
	n = dt->taken;
	dt->taken = 0;
	return (ssize_t)n;
}

static size_t deflate_pending(struct stream_transport *t)
{
	struct deflate_transport *dt = (struct deflate_transport *)t;
	struct stream_transport *lower = t->lower;
	size_t n = dt->in.avail_in + (dt->in_more ? 1 : 0);

	if (!dt->in_end && lower->v->pending != NULL)
		n += lower->v->pending(lower);
	return n;
}

static void deflate_free(struct stream_transport *t)
{
	struct deflate_transport *dt = (struct deflate_transport *)t;

	inflateEnd(&dt->in);
	deflateEnd(&dt->out);
	buf_free(&dt->obuf);
	free(dt);
}

static const struct stream_transport_vfuncs deflate_vfuncs = {
	.name = "deflate",
	.read = deflate_read,
	.write = deflate_write,
	.pending = deflate_pending,
	.free = deflate_free,
};

struct stream_transport *deflate_transport_new(const char **error_r)
{
	struct deflate_transport *dt = xcalloc(1, sizeof(*dt));

	if (inflateInit2(&dt->in, DEFLATE_WINDOW_BITS) != Z_OK) {
		*error_r = "inflateInit2 failed";
		free(dt);
		return NULL;
	}
	if (deflateInit2(&dt->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
			 DEFLATE_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		*error_r = "deflateInit2 failed";
		inflateEnd(&dt->in);
		free(dt);
		return NULL;
	}
	dt->t.v = &deflate_vfuncs;
	return &dt->t;
}

int deflate_stream_start(struct stream *s, const char **error_r)
{
	struct stream_transport *t = deflate_transport_new(error_r);

	if (t == NULL)
		return -1;
	stream_push_transport(s, t);
	return 0;
}

bool deflate_stream_active(struct stream *s)
{
	const struct stream_transport *t;

	for (t = stream_transport(s); t != NULL; t = t->lower) {
		if (t->v == &deflate_vfuncs)
			return true;
	}
	return false;
}
