/* Unit tests for libmail/xtext.c: RFC 3461 xtext and the RFC 6533 utf-8
 * address form of ORCPT. */
#include "tap.h"
#include "buf.h"
#include "xtext.h"

#include <string.h>

static const struct {
	const char *in;
	const char *out;	/* NULL: must fail */
	size_t out_len;		/* 0: strlen(out) */
} decode_cases[] = {
	{ "", "", 0 },
	{ "abc", "abc", 0 },
	{ "a+2Bb", "a+b", 0 },
	{ "+3D", "=", 0 },
	{ "e+3Dmc2@example.com", "e=mc2@example.com", 0 },
	{ "+2b", "+", 0 },		/* lower case hex accepted */
	{ "+00", "\0", 1 },
	{ "+0D+0A", "\r\n", 0 },	/* decodes; callers refuse controls */
	{ "+", NULL, 0 },
	{ "a+2", NULL, 0 },
	{ "+ZZ", NULL, 0 },
	{ "+G0", NULL, 0 },
	{ "a=b", NULL, 0 },
	{ "a b", NULL, 0 },
	{ "a\tb", NULL, 0 },
	{ "a\x7f", NULL, 0 },
	{ "\xc3\xa9", NULL, 0 },
};

static const struct {
	const char *in;
	bool utf8;
	const char *out;	/* NULL: must fail */
} utf8_decode_cases[] = {
	{ "user@example.com", false, "user@example.com" },
	{ "j\\x{F6}rg@example.com", false, "j\xc3\xb6rg@example.com" },
	{ "j\\x{f6}rg@example.com", false, "j\xc3\xb6rg@example.com" },
	{ "\\x{20AC}@x.y", false, "\xe2\x82\xac@x.y" },
	{ "\\x{1F600}@x.y", false, "\xf0\x9f\x98\x80@x.y" },
	{ "\\x{10FFFF}@x.y", false, "\xf4\x8f\xbf\xbf@x.y" },
	{ "a\\x{2B}b@x.y", false, "a+b@x.y" },
	{ "a\\x{3D}b@x.y", false, "a=b@x.y" },
	{ "a\\x{5C}b@x.y", false, "a\\b@x.y" },
	{ "a\\x{20}b@x.y", false, "a b@x.y" },
	{ "j\xc3\xb6rg@x.y", true, "j\xc3\xb6rg@x.y" },
	{ "j\xc3\xb6rg@x.y", false, NULL },
	{ "j\xc3rg@x.y", true, NULL },
	{ "\\x{41}@x.y", false, NULL },		/* A needs no escape */
	{ "\\x{0041}@x.y", false, NULL },	/* leading zeros */
	{ "\\x{00E9}@x.y", false, NULL },
	{ "\\x{0A}@x.y", false, NULL },		/* LF: header injection */
	{ "\\x{0D}@x.y", false, NULL },
	{ "\\x{7F}@x.y", false, NULL },
	{ "\\x{D800}@x.y", false, NULL },	/* surrogate */
	{ "\\x{110000}@x.y", false, NULL },
	{ "\\x{1000000}@x.y", false, NULL },
	{ "\\x{}@x.y", false, NULL },
	{ "\\x{E9@x.y", false, NULL },
	{ "\\xE9@x.y", false, NULL },
	{ "\\", false, NULL },
	{ "a+b@x.y", false, NULL },
	{ "a=b@x.y", false, NULL },
	{ "a b@x.y", false, NULL },
	{ "", false, NULL },
};

static void test_decode(void)
{
	struct buf out = BUF_INIT;
	const char *error;
	size_t i, want_len;
	int ret;

	for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		buf_clear(&out);
		buf_append_str(&out, "pre");
		ret = xtext_decode(&out, decode_cases[i].in,
				   strlen(decode_cases[i].in), &error);
		if (decode_cases[i].out == NULL) {
			ok(ret == -1 && out.len == 3, decode_cases[i].in);
			continue;
		}
		want_len = decode_cases[i].out_len != 0 ?
			decode_cases[i].out_len : strlen(decode_cases[i].out);
		ok(ret == 0 && out.len == 3 + want_len &&
		   memcmp(out.data + 3, decode_cases[i].out, want_len) == 0,
		   decode_cases[i].in);
	}
	for (i = 0; i < sizeof(utf8_decode_cases) /
		     sizeof(utf8_decode_cases[0]); i++) {
		buf_clear(&out);
		ret = xtext_utf8_addr_decode(&out, utf8_decode_cases[i].in,
					     strlen(utf8_decode_cases[i].in),
					     utf8_decode_cases[i].utf8,
					     &error);
		if (utf8_decode_cases[i].out == NULL) {
			ok(ret == -1 && out.len == 0, utf8_decode_cases[i].in);
			continue;
		}
		ok(ret == 0, utf8_decode_cases[i].in);
		is_str(buf_cstr(&out), utf8_decode_cases[i].out,
		       "  decoded");
	}
	buf_free(&out);
}

static void test_encode(void)
{
	struct buf enc = BUF_INIT, dec = BUF_INIT;
	unsigned char all[256];
	const char *error;
	size_t i;
	bool clean = true;

	xtext_encode(&enc, "a+b=c d", 7);
	is_str(buf_cstr(&enc), "a+2Bb+3Dc+20d", "xtext encodes + = SP");

	/* Every octet value survives a round trip, and the encoding only
	 * uses what xtext allows. */
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	buf_clear(&enc);
	xtext_encode(&enc, all, sizeof(all));
	for (i = 0; i < enc.len; i++) {
		if (enc.data[i] < '!' || enc.data[i] > '~' ||
		    enc.data[i] == '=')
			clean = false;
	}
	ok(clean, "encoded octets are all xchar or hexchar");
	ok(xtext_decode(&dec, enc.data, enc.len, &error) == 0 &&
	   dec.len == 256 && memcmp(dec.data, all, 256) == 0,
	   "all 256 octets round-trip");

	buf_clear(&enc);
	xtext_utf8_addr_encode(&enc, "j\xc3\xb6rg+x@b\xc3\xbc.example", 19,
			       false);
	is_str(buf_cstr(&enc), "j\\x{F6}rg\\x{2B}x@b\\x{FC}.example",
	       "utf-8 address escaped for ASCII");
	buf_clear(&dec);
	ok(xtext_utf8_addr_decode(&dec, enc.data, enc.len, false, &error) == 0,
	   "  decodes");
	is_str(buf_cstr(&dec), "j\xc3\xb6rg+x@b\xc3\xbc.example",
	       "  round trip");
	buf_clear(&enc);
	xtext_utf8_addr_encode(&enc, "j\xc3\xb6rg+x@\xe2\x82\xac\xf0\x9f\x98\x80",
			       15, true);
	is_str(buf_cstr(&enc), "j\xc3\xb6rg\\x{2B}x@\xe2\x82\xac\xf0\x9f\x98\x80",
	       "utf-8 address as unitext keeps UTF-8");
	buf_clear(&enc);
	xtext_utf8_addr_encode(&enc, "\xe2\x82\xac\xf0\x9f\x98\x80", 7, false);
	is_str(buf_cstr(&enc), "\\x{20AC}\\x{1F600}", "wide code points");
	buf_free(&enc);
	buf_free(&dec);
}

int main(void)
{
	test_decode();
	test_encode();
	return tap_done();
}
