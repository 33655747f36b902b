/* Unit tests for libmail/charset.c: charset_utf8_sanitize() keeps valid
 * UTF-8, drops NULs and marks every other byte, whatever the mix of long
 * ASCII runs (read 8 bytes at a time) and other bytes. */
#include "tap.h"
#include "buf.h"
#include "charset.h"

#include <stdlib.h>
#include <string.h>

/* The rule spelled out byte by byte. */
static void reference(const unsigned char *p, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t n;

		if (p[i] == 0) {
			i++;
			continue;
		}
		for (n = 1; n <= 4 && i + n <= len; n++) {
			if (charset_is_valid_utf8(p + i, n))
				break;
		}
		if (n <= 4 && i + n <= len) {
			buf_append(out, p + i, n);
			i += n;
		} else {
			buf_append_str(out, "\xef\xbf\xbd");
			i++;
		}
	}
}

int main(void)
{
	static const char *const pieces[] = {
		"plain ascii text ", "\0", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xff", "\xc3", "\x80", "0123456789abcdef",
		"\xed\xa0\x80",
	};
	static const size_t piece_len[] = { 17, 1, 2, 3, 4, 1, 1, 1, 16, 3 };
	struct buf in = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
	bool same = true;

	charset_utf8_sanitize("abc\0def", 7, &got);
	is_str(buf_cstr(&got), "abcdef", "a NUL is dropped");
	buf_clear(&got);
	charset_utf8_sanitize("caf\xe9 au lait, and more text", 27, &got);
	is_str(buf_cstr(&got), "caf\xef\xbf\xbd au lait, and more text",
	       "a Latin-1 byte is marked");
	buf_clear(&got);
	charset_utf8_sanitize("0123456789abcdef0123456789abcdef", 32, &got);
	is_str(buf_cstr(&got), "0123456789abcdef0123456789abcdef",
	       "ASCII as it is");

	srand(3);
	for (int round = 0; round < 20000 && same; round++) {
		int count = rand() % 12;

		buf_clear(&in);
		buf_clear(&got);
		buf_clear(&want);
		for (int k = 0; k < count; k++) {
			int j = rand() % 10;

			buf_append(&in, pieces[j], piece_len[j]);
		}
		charset_utf8_sanitize(in.data, in.len, &got);
		reference((const unsigned char *)in.data, in.len, &want);
		if (got.len != want.len ||
		    (got.len > 0 && memcmp(got.data, want.data, got.len) != 0))
			same = false;
	}
	ok(same, "the same as the byte-by-byte rule on 20000 random mixes");
	buf_free(&in);
	buf_free(&got);
	buf_free(&want);
	return tap_done();
}
