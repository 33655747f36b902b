/* Unit tests for libmail/dot_stuff.c: every case is encoded whole, then
 * one byte at a time, then split at every position, and must give the
 * same bytes each time. */
#include "tap.h"
#include "buf.h"
#include "dot_stuff.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *in;
	const char *out;
} cases[] = {
	{ "", ".\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ ".\r\n", "..\r\n.\r\n" },
	{ "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n" },
	{ "..x\r\n", "...x\r\n.\r\n" },
	{ "a.b\r\n.", "a.b\r\n..\r\n.\r\n" },
	{ "x\r\n\r\n.\r\n", "x\r\n\r\n..\r\n.\r\n" },
	/* bare LF becomes CRLF, so the terminator is always recognised */
	{ "a\nb\n", "a\r\nb\r\n.\r\n" },
	{ "a\n.\n", "a\r\n..\r\n.\r\n" },
	{ "\n", "\r\n.\r\n" },
	/* a bare CR is not a line end: no dot is doubled after it */
	{ "a\r.b\r\n", "a\r.b\r\n.\r\n" },
	{ "a\r", "a\r\n.\r\n" },
	{ "\r\n\r\n", "\r\n\r\n.\r\n" },
};

static void encode_split(const char *in, size_t len, size_t step,
			 struct buf *out)
{
	struct dot_stuff d;
	size_t pos;

	buf_clear(out);
	dot_stuff_init(&d);
	for (pos = 0; pos < len; pos += step)
		dot_stuff_append(&d, out, in + pos,
				 len - pos < step ? len - pos : step);
	dot_stuff_finish(&d, out);
}

int main(void)
{
	struct buf out = BUF_INIT;
	struct dot_stuff d;
	char name[128];
	size_t i, split;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);
		int same = 1;

		encode_split(cases[i].in, len, len > 0 ? len : 1, &out);
		snprintf(name, sizeof(name), "case %zu whole", i);
		is_str(buf_cstr(&out), cases[i].out, name);
		encode_split(cases[i].in, len, 1, &out);
		snprintf(name, sizeof(name), "case %zu byte at a time", i);
		is_str(buf_cstr(&out), cases[i].out, name);
		/* Two pieces, split at every position. */
		for (split = 1; split < len; split++) {
			buf_clear(&out);
			dot_stuff_init(&d);
			dot_stuff_append(&d, &out, cases[i].in, split);
			dot_stuff_append(&d, &out, cases[i].in + split,
					 len - split);
			dot_stuff_finish(&d, &out);
			same &= strcmp(buf_cstr(&out), cases[i].out) == 0;
		}
		snprintf(name, sizeof(name), "case %zu split anywhere", i);
		ok(same, name);
	}

	/* The encoder is ready for the next message after finish. */
	buf_clear(&out);
	dot_stuff_init(&d);
	dot_stuff_append(&d, &out, "a", 1);
	dot_stuff_finish(&d, &out);
	dot_stuff_append(&d, &out, ".b\r\n", 4);
	dot_stuff_finish(&d, &out);
	is_str(buf_cstr(&out), "a\r\n.\r\n..b\r\n.\r\n", "two messages in a row");
	buf_free(&out);
	return tap_done();
}
