/* The line and raw-bytes readers of struct stream. */
#include "stream_private.h"
#include "log.h"

#include <string.h>

/* An unterminated line of `n` bytes is already longer than `max_len` when
 * even a CR at its end (the start of a CRLF) would not save it. */
static bool stream_line_over(const char *p, size_t n, size_t max_len)
{
	return n > max_len + 1 || (n == max_len + 1 && p[n - 1] != '\r');
}

/* Drops input up to and including the next LF.  STREAM_OK once the LF
 * was found, else what stream_need_input() said. */
static enum stream_result stream_line_skip(struct stream *s)
{
	for (;;) {
		size_t n = stream_in_unread(s);
		char *p = stream_in_ptr(s);
		char *lf = n > 0 ? memchr(p, '\n', n) : NULL;
		enum stream_result r;

		if (lf != NULL) {
			stream_in_consume(s, (size_t)(lf - p) + 1);
			s->line_skipping = false;
			return STREAM_OK;
		}
		stream_in_consume(s, n);
		r = stream_need_input(s);
		if (r != STREAM_OK)
			return r;
	}
}

static void stream_line_set(struct stream_line *line, char *p, size_t len,
			    enum stream_eol eol)
{
	line->data = p;
	line->len = len;
	line->eol = eol;
	line->bare_cr = len > 0 && memchr(p, '\r', len) != NULL;
	/* Overwrites the consumed terminator (or the buffer's own NUL):
	 * the caller gets a C string without a copy. */
	p[len] = '\0';
}

enum stream_result stream_read_line(struct stream *s, size_t max_len,
				    struct stream_line *line_r)
{
	enum stream_result r;

	if (max_len > s->set.input_max - 2)
		log_panic("stream_read_line: max_len %zu does not fit input_max "
			  "%zu", max_len, s->set.input_max);
	r = stream_reader_begin(s);
	if (r != STREAM_OK)
		return r;
	for (;;) {
		size_t n, scanned, end, len;
		char *p, *lf;

		if (s->line_skipping) {
			r = stream_line_skip(s);
			if (r != STREAM_OK)
				return r;
			s->line_scanned = 0;
		}
		n = stream_in_unread(s);
		p = stream_in_ptr(s);
		scanned = s->line_scanned;
		lf = n > scanned ? memchr(p + scanned, '\n', n - scanned) :
			NULL;
		if (lf != NULL) {
			enum stream_eol eol = STREAM_EOL_LF;

			end = (size_t)(lf - p);
			len = end;
			if (len > 0 && p[len - 1] == '\r') {
				len--;
				eol = STREAM_EOL_CRLF;
			}
			stream_in_consume(s, end + 1);
			s->line_scanned = 0;
			if (len > max_len)
				return STREAM_TOO_LONG;
			stream_line_set(line_r, p, len, eol);
			stream_read_progress(s);
			return STREAM_OK;
		}
		s->line_scanned = n;
		if (stream_line_over(p, n, max_len)) {
			/* Report now, without waiting for the end of a line
			 * that may never end; the rest is skipped. */
			stream_in_consume(s, n);
			s->line_scanned = 0;
			s->line_skipping = true;
			return STREAM_TOO_LONG;
		}
		r = stream_need_input(s);
		if (r == STREAM_EOF && n > 0) {
			stream_in_consume(s, n);
			s->line_scanned = 0;
			if (n > max_len)
				return STREAM_TOO_LONG;
			stream_line_set(line_r, p, n, STREAM_EOL_NONE);
			stream_read_progress(s);
			return STREAM_OK;
		}
		if (r != STREAM_OK)
			return r;
	}
}

enum stream_result stream_read_bytes(struct stream *s, size_t max,
				     const char **data_r, size_t *size_r)
{
	enum stream_result r;
	size_t n;

	if (max == 0)
		log_panic("stream_read_bytes: max is 0");
	r = stream_reader_begin(s);
	if (r != STREAM_OK)
		return r;
	while ((n = stream_in_unread(s)) == 0) {
		r = stream_need_input(s);
		if (r != STREAM_OK)
			return r;
	}
	if (n > max)
		n = max;
	*data_r = stream_in_ptr(s);
	*size_r = n;
	stream_in_consume(s, n);
	/* A line search in progress covered bytes now gone. */
	s->line_scanned = 0;
	return STREAM_OK;
}
