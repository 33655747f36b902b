#include "xtext.h"
#include "buf.h"
#include "smtp_utf8.h"

#include <stdint.h>

static const char xtext_hex[] = "0123456789ABCDEF";

static int xtext_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int xtext_decode(struct buf *out, const char *s, size_t len,
		 const char **error_r)
{
	size_t start = out->len, i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			if (len - i < 3 ||
			    (hi = xtext_hex_value(s[i + 1])) < 0 ||
			    (lo = xtext_hex_value(s[i + 2])) < 0) {
				*error_r = "xtext: + not followed by two hex digits";
				buf_truncate(out, start);
				return -1;
			}
			buf_append_char(out, (char)(hi << 4 | lo));
			i += 2;
		} else if (c < '!' || c > '~' || c == '=') {
			*error_r = "xtext: character not allowed";
			buf_truncate(out, start);
			return -1;
		} else {
			buf_append_char(out, (char)c);
		}
	}
	return 0;
}

void xtext_encode(struct buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] >= '!' && p[i] <= '~' && p[i] != '+' && p[i] != '=') {
			buf_append_char(out, (char)p[i]);
		} else {
			char hex[3] = { '+', xtext_hex[p[i] >> 4],
					xtext_hex[p[i] & 0xf] };

			buf_append(out, hex, sizeof(hex));
		}
	}
}

/* QCHAR of RFC 6533 3: printable ASCII except "+", "=" and "\". */
static bool xtext_is_qchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '+' && c != '=' && c != '\\';
}

/*
 * One EmbeddedUnicodeChar, "\x{" HEXPOINT "}", at `s`.  HEXPOINT's grammar
 * gives each code point one spelling: two digits only for the characters
 * that must be escaped in ASCII (space, "+", "=", "\", 80-FF; controls we
 * refuse), otherwise no leading zeros.  Returns the length used, 0 if bad.
 */
static size_t xtext_embedded_char(const char *s, size_t len, uint32_t *cp_r)
{
	size_t i = 3, digits;
	uint32_t cp = 0;
	int v;

	if (len < 6 || s[0] != '\\' || s[1] != 'x' || s[2] != '{')
		return 0;
	while (i < len && i < 10 && (v = xtext_hex_value(s[i])) >= 0) {
		cp = cp << 4 | (uint32_t)v;
		i++;
	}
	digits = i - 3;
	if (i >= len || s[i] != '}' || digits < 2 || digits > 6)
		return 0;
	if (digits == 2) {
		if (cp != 0x20 && cp != '+' && cp != '=' && cp != '\\' &&
		    cp < 0x80)
			return 0;
	} else if (s[3] == '0' || cp < 0x100 || cp > 0x10ffff ||
		   (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	*cp_r = cp;
	return i + 1;
}

int xtext_utf8_addr_decode(struct buf *out, const char *s, size_t len,
			   bool allow_utf8, const char **error_r)
{
	size_t start = out->len, i = 0, n;
	const unsigned char *p = (const unsigned char *)s;
	unsigned char enc[4];
	uint32_t cp;

	if (len == 0) {
		*error_r = "utf-8 address: empty";
		return -1;
	}
	while (i < len) {
		if (xtext_is_qchar(p[i])) {
			buf_append_char(out, (char)p[i]);
			i++;
		} else if (p[i] == '\\') {
			n = xtext_embedded_char(s + i, len - i, &cp);
			if (n == 0) {
				*error_r = "utf-8 address: bad \\x{} escape";
				goto fail;
			}
			buf_append(out, enc, smtp_utf8_encode(cp, enc));
			i += n;
		} else if (p[i] >= 0x80 && allow_utf8 &&
			   (n = smtp_utf8_seq_len(p + i, len - i)) != 0) {
			buf_append(out, p + i, n);
			i += n;
		} else {
			*error_r = "utf-8 address: character not allowed";
			goto fail;
		}
	}
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

void xtext_utf8_addr_encode(struct buf *out, const char *s, size_t len,
			    bool allow_utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if (xtext_is_qchar(p[i])) {
			buf_append_char(out, (char)p[i]);
			i++;
			continue;
		}
		n = p[i] >= 0x80 ? smtp_utf8_seq_len(p + i, len - i) : 0;
		if (n != 0 && allow_utf8) {
			buf_append(out, p + i, n);
			i += n;
			continue;
		}
		/* A stray octet that is not UTF-8 is escaped as the code
		 * point of the same number, so nothing is ever dropped. */
		cp = n != 0 ? smtp_utf8_decode(p + i, n) : p[i];
		buf_printf(out, cp < 0x100 ? "\\x{%02X}" : "\\x{%X}",
			   (unsigned int)cp);
		i += n != 0 ? n : 1;
	}
}
