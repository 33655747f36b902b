#ifndef SEALPOST_BUF_H
#define SEALPOST_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The one growable byte buffer.  It knows its length, may hold NUL bytes, and
 * always keeps a NUL after the data so text can be passed to C APIs.  A
 * zeroed struct (BUF_INIT) is a valid empty buffer.  Allocation failure is a
 * panic: the daemons bound every input before it reaches a buffer, so running
 * out of memory here means the process is broken, not the peer.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Releases the memory and leaves an empty buffer behind. */
void buf_free(struct buf *b);

/* Makes room for at least `extra` more bytes plus the terminator. */
void buf_reserve(struct buf *b, size_t extra);

void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_str(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
/* `v` in decimal: what buf_printf("%llu") writes, for hot loops where
 * printf's cost shows. */
void buf_append_uint(struct buf *b, unsigned long long v);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Shortens the buffer to `len` bytes (no-op if already shorter). */
void buf_truncate(struct buf *b, size_t len);
static inline void buf_clear(struct buf *b) { buf_truncate(b, 0); }

/* Removes the first `n` bytes, keeping the rest. */
void buf_consume(struct buf *b, size_t n);

/* The contents as a C string; "" for an empty buffer.  Valid until the next
 * change to the buffer. */
const char *buf_cstr(const struct buf *b);

/* Hands the allocation to the caller (never NULL) and empties the buffer. */
char *buf_steal(struct buf *b);

/* Copies `src` into a fixed array of `size` bytes.  Returns 0, or -1 (with
 * `dst` set to "") when it does not fit: truncation is an error, never a
 * silent cut. */
int str_copy(char *dst, size_t size, const char *src);

/* snprintf that reports truncation: 0 on success, -1 if it did not fit. */
int str_format(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Allocation helpers that panic instead of returning NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
