#include "base64.h"

#include <stdint.h>

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(struct buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char *o;
	size_t i;

	buf_reserve(out, base64_encoded_len(len));
	o = out->data + out->len;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
			     p[i + 2];

		*o++ = base64_alphabet[v >> 18];
		*o++ = base64_alphabet[(v >> 12) & 63];
		*o++ = base64_alphabet[(v >> 6) & 63];
		*o++ = base64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		*o++ = base64_alphabet[v >> 18];
		*o++ = base64_alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		*o++ = base64_alphabet[v >> 18];
		*o++ = base64_alphabet[(v >> 12) & 63];
		*o++ = base64_alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
}

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(struct buf *out, const char *in, size_t len, size_t max_out)
{
	size_t i, pad = 0, start = out->len, decoded;
	char *o;

	if (len % 4 != 0)
		return -1;
	if (len > 0 && in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	decoded = len / 4 * 3 - pad;
	if (decoded > max_out)
		return -1;
	buf_reserve(out, decoded);
	o = out->data + start;
	for (i = 0; i < len; i += 4) {
		int v[4], k, last = i + 4 == len;
		uint32_t w;

		for (k = 0; k < 4; k++) {
			v[k] = base64_value(in[i + k]);
			/* '=' only at the very end, and only where `pad`
			 * says it is. */
			if (v[k] < 0) {
				if (!last || in[i + k] != '=' ||
				    k < 4 - (int)pad)
					goto bad;
				v[k] = 0;
			}
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* RFC 4648 section 3.5: the bits a padded group does not
		 * use must be zero, or one value has many encodings. */
		if (last && ((pad == 1 && (w & 0xff) != 0) ||
			     (pad == 2 && (w & 0xffff) != 0)))
			goto bad;
		*o++ = (char)(w >> 16);
		if (!last || pad < 2)
			*o++ = (char)(w >> 8);
		if (!last || pad < 1)
			*o++ = (char)w;
	}
	out->len = start + decoded;
	out->data[out->len] = '\0';
	return 0;
bad:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}
