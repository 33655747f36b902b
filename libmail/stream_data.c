#include "stream_data.h"
#include "stream_private.h"
#include "log.h"

#include <stdlib.h>

enum stream_data_state {
	DATA_LINE_START,	/* after CR LF, or at the start of DATA */
	DATA_DOT,		/* "." opening a line: dropped */
	DATA_DOT_CR,		/* "." CR opening a line: held back */
	DATA_TEXT,		/* inside a line */
	DATA_CR,		/* a CR inside a line: must be followed by LF */
	DATA_END,
};

struct stream_data {
	struct stream *stream;
	uint64_t max_size;
	uint64_t size;
	enum stream_data_state state;
	enum stream_result problem;	/* STREAM_OK, _TOO_LONG, _INVALID */
	enum stream_result result;	/* once at DATA_END */
};

struct stream_data *stream_data_new(struct stream *s, uint64_t max_size)
{
	struct stream_data *d = xcalloc(1, sizeof(*d));

	d->stream = s;
	d->max_size = max_size;
	d->state = DATA_LINE_START;
	d->problem = STREAM_OK;
	return d;
}

void stream_data_free(struct stream_data **dp)
{
	free(*dp);
	*dp = NULL;
}

uint64_t stream_data_size(const struct stream_data *d)
{
	return d->size;
}

enum stream_result stream_data_problem(const struct stream_data *d)
{
	return d->problem;
}

static void stream_data_invalid(struct stream_data *d)
{
	/* A bare CR or LF outranks a size overrun, whichever came first:
	 * which one is found first depends on how the input was split, and
	 * the reply must not. */
	d->problem = STREAM_INVALID;
}

/* A byte inside a line.  After a bare CR or LF the scan goes on from
 * here, so only a real CR LF "." CR LF can end the message. */
static void stream_data_text(struct stream_data *d, char c)
{
	if (c == '\r') {
		d->state = DATA_CR;
	} else {
		if (c == '\n')
			stream_data_invalid(d);
		d->state = DATA_TEXT;
	}
}

/* Scans p[0..n).  Returns how many bytes were scanned (consumed), and in
 * *start_r where the run of message bytes handed out ends at the returned
 * position begins; a dropped byte always ends a run. */
static size_t stream_data_scan(struct stream_data *d, const char *p, size_t n,
			       size_t *start_r)
{
	size_t i, start = 0;

	for (i = 0; i < n && d->state != DATA_END; i++) {
		char c = p[i];

		switch (d->state) {
		case DATA_LINE_START:
			if (c != '.') {
				stream_data_text(d, c);
				break;
			}
			/* RFC 5321 4.5.2: drop the dot.  Hand out what came
			 * before it first; it is seen again next time. */
			if (i > start) {
				*start_r = start;
				return i;
			}
			d->state = DATA_DOT;
			start = i + 1;
			break;
		case DATA_DOT:
			if (c == '\r') {
				/* Held back: either the end marker, or a bare
				 * CR in a message we refuse anyway. */
				d->state = DATA_DOT_CR;
				start = i + 1;
			} else {
				stream_data_text(d, c);
			}
			break;
		case DATA_DOT_CR:
			if (c == '\n') {
				d->state = DATA_END;
				start = i + 1;
			} else {
				stream_data_invalid(d);
				stream_data_text(d, c);
			}
			break;
		case DATA_CR:
			if (c == '\n') {
				d->state = DATA_LINE_START;
			} else {
				stream_data_invalid(d);
				stream_data_text(d, c);
			}
			break;
		case DATA_TEXT:
			stream_data_text(d, c);
			break;
		case DATA_END:
			log_panic("stream_data_scan past the end");
		}
	}
	*start_r = start;
	return i;
}

enum stream_result stream_data_read(struct stream_data *d,
				    const char **data_r, size_t *size_r)
{
	struct stream *s = d->stream;
	enum stream_result r;

	if (d->state == DATA_END)
		return d->result;
	r = stream_reader_begin(s);
	if (r != STREAM_OK)
		return r;
	s->line_scanned = 0;
	for (;;) {
		size_t n = stream_in_unread(s), start, end, len;
		char *p = stream_in_ptr(s);

		if (n == 0) {
			r = stream_need_input(s);
			if (r != STREAM_OK)
				return r;
			continue;
		}
		end = stream_data_scan(d, p, n, &start);
		stream_in_consume(s, end);
		if (d->state == DATA_END) {
			/* The end marker's bytes are not in the run. */
			d->result = d->problem == STREAM_OK ? STREAM_DONE :
				d->problem;
			len = 0;
		} else {
			len = end - start;
		}
		if (len > 0 && d->problem == STREAM_OK) {
			if (len > d->max_size - d->size) {
				d->problem = STREAM_TOO_LONG;
			} else {
				d->size += len;
				*data_r = p + start;
				*size_r = len;
				stream_read_progress(s);
				return STREAM_OK;
			}
		}
		if (d->state == DATA_END)
			return d->result;
	}
}
