/* Unit tests for libmail/message_header.c. */
#include "tap.h"
#include "buf.h"
#include "message_header.h"

struct hdr_case {
	const char *name;
	const char *input;
	size_t consumed;	/* bytes of header */
	unsigned int count;
	const char *field;	/* looked up ... */
	const char *value;	/* ... and its unfolded value, or NULL */
};

static const struct hdr_case cases[] = {
	{ "simple", "Subject: hi\r\n\r\nbody", 15, 1, "subject", "hi" },
	{ "LF endings", "Subject: hi\n\nbody", 13, 1, "SUBJECT", "hi" },
	{ "folded", "Subject: a\r\n\tb\r\n  c\r\n\r\n", 23, 1, "Subject",
	  "a\tb  c" },
	{ "space before colon", "Subject : x\r\n\r\n", 15, 1, "Subject", "x" },
	{ "no value", "Subject:\r\n\r\n", 12, 1, "Subject", "" },
	{ "8-bit value", "Subject: caf\xc3\xa9\r\n\r\n", 18, 1, "Subject",
	  "caf\xc3\xa9" },
	{ "missing colon ends the header", "Subject: a\r\nnot a field\r\n"
	  "X: y\r\n", 12, 1, "X", NULL },
	{ "8-bit name ends the header", "A: 1\r\nS\xc3\xbc: 2\r\n", 6, 1,
	  "A", "1" },
	{ "leading continuation kept but nameless", " x\r\nA: 1\r\n\r\n",
	  12, 1, "A", "1" },
	{ "no blank line, ends at EOF", "A: 1\r\nB: 2", 10, 2, "B", "2" },
	{ "empty header", "\r\nbody", 2, 0, "A", NULL },
	{ "first of two fields wins", "A: 1\r\nA: 2\r\n\r\n", 14, 2, "a",
	  "1" },
	{ "bare CR is not a line break", "A: 1\r2\r\n\r\n", 10, 1, "A",
	  "1\r2" },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hdr_case *c = &cases[i];
		struct message_header hdr;
		struct buf value = BUF_INIT;
		char name[160];
		bool found;

		message_header_init(&hdr, NULL);
		str_format(name, sizeof(name), "%s: size", c->name);
		is_int(message_header_parse(&hdr, c->input, strlen(c->input)),
		       c->consumed, name);
		str_format(name, sizeof(name), "%s: field count", c->name);
		is_int(hdr.count, c->count, name);
		found = message_header_get(&hdr, c->field, &value);
		str_format(name, sizeof(name), "%s: value", c->name);
		is_str(found ? buf_cstr(&value) : NULL, c->value, name);
		buf_free(&value);
		message_header_deinit(&hdr);
	}
}

/* Lines fed one at a time give the same fields as the whole header. */
static void test_feed_lines(void)
{
	static const char h[] = "A: 1\r\n 2\r\nB: 3\r\n\r\n";
	struct message_header hdr;
	struct buf v = BUF_INIT;

	message_header_init(&hdr, NULL);
	is_int(message_header_feed_line(&hdr, h, 6), MESSAGE_HEADER_LINE_FIELD,
	       "field line");
	is_int(message_header_feed_line(&hdr, h + 6, 4),
	       MESSAGE_HEADER_LINE_FIELD, "continuation line");
	is_int(message_header_feed_line(&hdr, h + 10, 6),
	       MESSAGE_HEADER_LINE_FIELD, "second field");
	is_int(message_header_feed_line(&hdr, h + 16, 2),
	       MESSAGE_HEADER_LINE_END, "blank line ends");
	ok(hdr.has_blank_line && hdr.size == 18, "size includes blank line");
	message_header_get(&hdr, "A", &v);
	is_str(buf_cstr(&v), "1 2", "continuation joined");
	buf_free(&v);
	message_header_deinit(&hdr);
}

static void test_limits(void)
{
	static const struct message_header_limits small = {
		.max_field_size = 8, .max_fields = 2, .max_header_size = 30,
	};
	static const char h[] = "A: 0123456789\r\nB: 1\r\nC: 2\r\n\r\n";
	struct message_header hdr;
	struct buf v = BUF_INIT;

	message_header_init(&hdr, &small);
	is_int(message_header_parse(&hdr, h, sizeof(h) - 1), sizeof(h) - 1,
	       "limits never change where the header ends");
	is_int(hdr.count, 2, "max_fields caps the fields recorded");
	ok(hdr.truncated, "truncation is reported");
	message_header_get(&hdr, "A", &v);
	is_str(buf_cstr(&v), "0123456", "max_field_size cuts the value");
	ok(message_header_find(&hdr, "C") == NULL, "field past the cap dropped");
	buf_free(&v);
	message_header_deinit(&hdr);
}

int main(void)
{
	test_cases();
	test_feed_lines();
	test_limits();
	return tap_done();
}
