/* Unit tests for libmail/mime_decode.c.  Every case runs twice: the whole
 * input at once, then one byte at a time, which must give the same. */
#include "tap.h"
#include "buf.h"
#include "mime_decode.h"

struct decode_case {
	enum mime_encoding enc;
	const char *input;
	const char *expect;
	bool valid;
};

static const struct decode_case cases[] = {
	{ MIME_ENCODING_BASE64, "aGVsbG8gd29ybGQ=", "hello world", true },
	{ MIME_ENCODING_BASE64, "aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n",
	  "hello world", true },
	{ MIME_ENCODING_BASE64, "aGVsbG8gd29ybGQ", "hello world", true },
	{ MIME_ENCODING_BASE64, "aGVs!bG8*", "hello", false },
	{ MIME_ENCODING_BASE64, "YQ==Yg==", "ab", true },
	{ MIME_ENCODING_BASE64, "YWJj\tZGVm  ", "abcdef", true },
	{ MIME_ENCODING_BASE64, "Y", "", false },
	{ MIME_ENCODING_BASE64, "", "", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "caf=C3=A9", "caf\xc3\xa9", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "caf=c3=a9", "caf\xc3\xa9", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "soft=\r\nbreak", "softbreak", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "soft=  \r\nbreak", "softbreak",
	  true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "soft=\nbreak", "softbreak", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "trail   \r\nx", "trail\r\nx", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "trail \t\nx \t", "trail\nx", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "a b\r\n", "a b\r\n", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "bad=ZZ=4", "bad=ZZ=4", false },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "end=", "end", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "1=3D2", "1=2", true },
	{ MIME_ENCODING_QUOTED_PRINTABLE, "bare\rcr", "bare\rcr", true },
	{ MIME_ENCODING_7BIT, "as =is", "as =is", true },
};

static void run(const struct decode_case *c, bool bytewise, struct buf *out,
		bool *valid_r)
{
	struct mime_decoder dec;
	size_t len = strlen(c->input);

	buf_clear(out);
	mime_decoder_init(&dec, c->enc);
	if (bytewise) {
		for (size_t i = 0; i < len; i++)
			mime_decoder_feed(&dec, c->input + i, 1, out);
	} else {
		mime_decoder_feed(&dec, c->input, len, out);
	}
	mime_decoder_finish(&dec, out);
	*valid_r = !dec.invalid;
}

static void test_cases(void)
{
	struct buf out = BUF_INIT;
	char name[160];
	bool valid;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int bytewise = 0; bytewise <= 1; bytewise++) {
			run(&cases[i], bytewise, &out, &valid);
			str_format(name, sizeof(name), "%s%s", cases[i].input,
				   bytewise ? " (byte at a time)" : "");
			is_str(buf_cstr(&out), cases[i].expect, name);
			str_format(name, sizeof(name), "%s%s: validity",
				   cases[i].input,
				   bytewise ? " (byte at a time)" : "");
			is_int(valid, cases[i].valid, name);
		}
	}
	buf_free(&out);
}

static void test_encoding_names(void)
{
	is_int(mime_encoding_parse("BASE64", 6), MIME_ENCODING_BASE64,
	       "names are case-insensitive");
	is_int(mime_encoding_parse("Quoted-Printable", 16),
	       MIME_ENCODING_QUOTED_PRINTABLE, "quoted-printable");
	is_int(mime_encoding_parse("", 0), MIME_ENCODING_7BIT,
	       "empty is 7bit");
	is_int(mime_encoding_parse("x-uuencode", 10), MIME_ENCODING_UNKNOWN,
	       "x-token is unknown");
}

/* Long runs of held white space must not grow without bound and must come
 * out unchanged when they are not trailing. */
static void test_long_whitespace(void)
{
	struct buf in = BUF_INIT, out = BUF_INIT;

	for (int i = 0; i < 100000; i++)
		buf_append_char(&in, ' ');
	buf_append_char(&in, 'x');
	mime_decode_qp(in.data, in.len, &out);
	ok(out.len == in.len && memcmp(out.data, in.data, in.len) == 0,
	   "100000 spaces before text pass through");
	buf_free(&in);
	buf_free(&out);
}

int main(void)
{
	test_cases();
	test_encoding_names();
	test_long_whitespace();
	return tap_done();
}
