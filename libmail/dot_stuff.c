#include "dot_stuff.h"

#include <string.h>

void dot_stuff_init(struct dot_stuff *d)
{
	d->line_start = true;
	d->after_cr = false;
}

void dot_stuff_append(struct dot_stuff *d, struct buf *out, const void *data,
		      size_t len)
{
	const char *p = data, *end = p + len;

	buf_reserve(out, len + len / 64 + 4);
	while (p < end) {
		const char *run = p;

		/* Copy the longest stretch that needs no change at once. */
		if (d->line_start && *p == '.')
			buf_append_char(out, '.');
		d->line_start = false;
		while (p < end && *p != '\n')
			p++;
		if (p > run) {
			buf_append(out, run, (size_t)(p - run));
			d->after_cr = p[-1] == '\r';
		}
		if (p == end)
			break;
		if (!d->after_cr)
			buf_append_char(out, '\r');
		buf_append_char(out, '\n');
		d->after_cr = false;
		d->line_start = true;
		p++;
	}
}

void dot_stuff_finish(struct dot_stuff *d, struct buf *out)
{
	if (!d->line_start) {
		/* A CR already sent needs only its LF. */
		buf_append_str(out, d->after_cr ? "\n" : "\r\n");
	}
	buf_append_str(out, ".\r\n");
	dot_stuff_init(d);
}
