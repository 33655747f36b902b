#include "charset.h"
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Length of the valid UTF-8 sequence at p[0..len), or 0 if there is none
 * (RFC 3629 section 4). */
static size_t utf8_seq_len(const unsigned char *p, size_t len)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (len < n)
		return 0;
	/* The second byte's range rules out overlong forms, surrogates and
	 * code points above U+10FFFF. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return n;
}

bool charset_is_valid_utf8(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq_len(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

void charset_utf8_sanitize(const void *data, size_t len, struct buf *out)
{
	const unsigned char *p = data;
	size_t i = 0, start = 0, n;

	buf_reserve(out, len);
	/* `data` may be NULL when empty, and NULL + 0 is not C. */
	if (len == 0)
		return;
	while (i < len) {
		/* ASCII but NUL, the common case, 8 bytes at a time: no
		 * byte with its top bit set, and none zero. */
		while (len - i >= 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (((w | ((w - 0x0101010101010101ULL) & ~w)) &
			     0x8080808080808080ULL) != 0)
				break;
			i += 8;
		}
		if (i < len && (unsigned int)p[i] - 1u < 0x7fu) {
			i++;
			continue;
		}
		if (i >= len)
			break;
		if (p[i] != 0 && (n = utf8_seq_len(p + i, len - i)) > 0) {
			i += n;
			continue;
		}
		buf_append(out, p + start, i - start);
		if (p[i] != 0)
			buf_append_str(out, UTF8_REPLACEMENT);
		start = ++i;
	}
	buf_append(out, p + start, i - start);
}

static void latin1_to_utf8(const unsigned char *p, size_t len,
			   struct buf *out)
{
	buf_reserve(out, len * 2);
	for (size_t i = 0; i < len; i++) {
		if (p[i] == 0)
			continue;
		if (p[i] < 0x80) {
			buf_append_char(out, (char)p[i]);
		} else {
			buf_append_char(out, (char)(0xc0 | (p[i] >> 6)));
			buf_append_char(out, (char)(0x80 | (p[i] & 0x3f)));
		}
	}
}

static bool name_is(const char *charset, const char *const *names)
{
	for (; *names != NULL; names++) {
		if (strcasecmp(charset, *names) == 0)
			return true;
	}
	return false;
}

/* Charset names come from the message.  Only the characters IANA names use
 * reach iconv_open(), so a name can never carry glibc's "//" suffixes or a
 * path. */
static bool charset_name_ok(const char *charset)
{
	size_t len = strlen(charset);

	if (len == 0 || len > CHARSET_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = charset[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == ':' || c == '+'))
			return false;
	}
	return true;
}

static int iconv_to_utf8(const char *charset, const char *data, size_t len,
			 struct buf *out)
{
	iconv_t cd;
	char *in = (char *)data;
	size_t in_left = len;
	struct buf tmp = BUF_INIT;

	if (!charset_name_ok(charset))
		return -1;
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return -1;
	while (in_left > 0) {
		char *o;
		size_t o_left, ret;

		buf_reserve(&tmp, in_left * 4 + 16);
		o = tmp.data + tmp.len;
		o_left = tmp.cap - tmp.len - 1;
		ret = iconv(cd, &in, &in_left, &o, &o_left);
		tmp.len = (size_t)(o - tmp.data);
		if (ret != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL (a sequence cut at the end): mark the
		 * byte and go on with the next one. */
		buf_append_str(&tmp, UTF8_REPLACEMENT);
		in++;
		in_left--;
	}
	iconv_close(cd);
	/* Sanitising again drops NULs and anything a converter let by. */
	charset_utf8_sanitize(tmp.data, tmp.len, out);
	buf_free(&tmp);
	return 0;
}

int charset_to_utf8(const char *charset, const void *data, size_t len,
		    struct buf *out)
{
	static const char *const utf8_names[] = {
		"utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968",
		NULL
	};
	static const char *const latin1_names[] = {
		"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1",
		NULL
	};

	if (name_is(charset, utf8_names)) {
		charset_utf8_sanitize(data, len, out);
		return 0;
	}
	if (name_is(charset, latin1_names)) {
		latin1_to_utf8(data, len, out);
		return 0;
	}
	if (iconv_to_utf8(charset, data, len, out) == 0)
		return 0;
	charset_utf8_sanitize(data, len, out);
	return -1;
}
