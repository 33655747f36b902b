/* Unit tests for libmail/rfc2047.c and libmail/charset.c. */
#include "tap.h"
#include "buf.h"
#include "charset.h"
#include "rfc2047.h"

struct word_case {
	const char *input;
	const char *expect;
};

static const struct word_case cases[] = {
	/* RFC 2047 section 8 examples. */
	{ "=?ISO-8859-1?Q?a?=", "a" },
	{ "=?ISO-8859-1?Q?a?= b", "a b" },
	{ "=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab" },
	{ "=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=", "ab" },
	{ "=?ISO-8859-1?Q?a?=\r\n  =?ISO-8859-1?Q?b?=", "ab" },
	{ "=?ISO-8859-1?Q?a_b?=", "a b" },
	{ "=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b" },
	{ "=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xc3\xa9 Pirard" },
	{ "=?US-ASCII?Q?Keith_Moore?=", "Keith Moore" },
	{ "=?utf-8?b?Z3LDvMOfZQ==?=", "gr\xc3\xbc\xc3\x9f" "e" },
	/* A character split across two words is joined before decoding. */
	{ "=?utf-8?b?w6k=?= =?utf-8?b?w6k=?=", "\xc3\xa9\xc3\xa9" },
	{ "=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\xc3\xa9" },
	{ "=?utf-8*en?q?lang?=", "lang" },
	{ "x=?utf-8?q?y?=z", "xyz" },
	{ "=?utf-8?x?bad?=", "=?utf-8?x?bad?=" },
	{ "=?utf-8?q?no end", "=?utf-8?q?no end" },
	{ "=?utf-8?q?sp ace?=", "=?utf-8?q?sp ace?=" },
	{ "plain text", "plain text" },
	{ "raw caf\xc3\xa9", "raw caf\xc3\xa9" },
	{ "latin1 caf\xe9", "latin1 caf\xef\xbf\xbd" },
	{ "=?windows-1252?q?=80?=", "\xe2\x82\xac" },
	{ "=?koi8-r?b?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
	  "\xd1\x82" },
	{ "=?x-unknown?q?abc?=", "abc" },
	{ "=?../../etc/x?q?abc?=", "abc" },
	{ "=?utf-8?q?=00nul?=", "nul" },
};

static void test_words(void)
{
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_clear(&out);
		rfc2047_decode(cases[i].input, strlen(cases[i].input), &out);
		is_str(buf_cstr(&out), cases[i].expect, cases[i].input);
	}
	buf_free(&out);
}

static void test_charset(void)
{
	struct buf out = BUF_INIT;

	ok(charset_is_valid_utf8("\xc3\xa9", 2), "valid UTF-8");
	ok(!charset_is_valid_utf8("\xc0\xaf", 2), "overlong form rejected");
	ok(!charset_is_valid_utf8("\xed\xa0\x80", 3), "surrogate rejected");
	ok(!charset_is_valid_utf8("\xf4\x90\x80\x80", 4),
	   "above U+10FFFF rejected");
	ok(!charset_is_valid_utf8("\xe2\x82", 2), "truncated sequence rejected");
	is_int(charset_to_utf8("ISO-8859-1", "\xe9", 1, &out), 0, "latin1");
	is_str(buf_cstr(&out), "\xc3\xa9", "latin1 converted");
	buf_clear(&out);
	is_int(charset_to_utf8("no-such-charset", "a\xff", 2, &out), -1,
	       "unknown charset reported");
	is_str(buf_cstr(&out), "a\xef\xbf\xbd", "... bytes kept, sanitised");
	buf_clear(&out);
	is_int(charset_to_utf8("UTF-8//TRANSLIT", "a", 1, &out), -1,
	       "iconv suffixes refused");
	buf_free(&out);
}

/* Many failed word starts must not make decoding quadratic. */
static void test_linear(void)
{
	struct buf in = BUF_INIT, out = BUF_INIT;

	for (int i = 0; i < 200000; i++)
		buf_append_str(&in, "=?a?q?");
	rfc2047_decode(in.data, in.len, &out);
	ok(out.len == in.len, "1.2 MB of broken word starts pass through");
	buf_free(&in);
	buf_free(&out);
}

int main(void)
{
	test_words();
	test_charset();
	test_linear();
	return tap_done();
}
