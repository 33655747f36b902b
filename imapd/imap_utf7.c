#include "imapd/imap_utf7.h"
#include "imapd/imap_utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* RFC 3501 section 5.1.3: base64 with "," in place of "/". */
static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

struct b64_state {
	bool open;		/* inside "&...-" */
	uint32_t bits;
	int nbits;
};

static void b64_unit(struct buf *out, struct b64_state *b, uint16_t unit)
{
	if (!b->open) {
		buf_append_char(out, '&');
		b->open = true;
		b->nbits = 0;
	}
	b->bits = (b->bits << 16) | unit;
	b->nbits += 16;
	while (b->nbits >= 6) {
		b->nbits -= 6;
		buf_append_char(out, b64_chars[(b->bits >> b->nbits) & 0x3f]);
	}
}

static void b64_close(struct buf *out, struct b64_state *b)
{
	if (!b->open)
		return;
	/* The last group is padded with zero bits, and the run always ends
	 * with "-" so the next character can't be read as base64. */
	if (b->nbits > 0)
		buf_append_char(out,
				b64_chars[(b->bits << (6 - b->nbits)) & 0x3f]);
	buf_append_char(out, '-');
	b->open = false;
}

int imap_utf8_to_utf7(const char *in, struct buf *out, const char **error_r)
{
	struct imap_utf8_state st = { 0, 0, 0 };
	struct b64_state b = { false, 0, 0 };

	for (const unsigned char *p = (const unsigned char *)in; *p != '\0';
	     p++) {
		int r = imap_utf8_step(&st, *p);

		if (r < 0) {
			*error_r = "Invalid UTF-8 in mailbox name";
			return -1;
		}
		if (r == 0)
			continue;
		if (st.cp >= 0x20 && st.cp <= 0x7e) {
			b64_close(out, &b);
			buf_append_char(out, (char)st.cp);
			if (st.cp == '&')
				buf_append_char(out, '-');
		} else if (st.cp >= 0x10000) {
			b64_unit(out, &b, (uint16_t)(0xd800 +
						     ((st.cp - 0x10000) >> 10)));
			b64_unit(out, &b, (uint16_t)(0xdc00 + (st.cp & 0x3ff)));
		} else {
			b64_unit(out, &b, (uint16_t)st.cp);
		}
	}
	if (!imap_utf8_complete(&st)) {
		*error_r = "Invalid UTF-8 in mailbox name";
		return -1;
	}
	b64_close(out, &b);
	return 0;
}

static int b64_value(unsigned char c)
{
	const char *p = c == '\0' ? NULL : strchr(b64_chars, c);

	return p == NULL ? -1 : (int)(p - b64_chars);
}

/* Decodes one "&...-" run (p after the "&"); returns the end, or NULL. */
static const char *utf7_run(const char *p, struct buf *out)
{
	uint32_t bits = 0, high = 0;
	int nbits = 0, v;
	char enc[4];

	for (; *p != '-'; p++) {
		v = b64_value((unsigned char)*p);
		if (v < 0)
			return NULL;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;

		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return NULL;
			unit = 0x10000 + ((high - 0xd800) << 10) +
				(unit - 0xdc00);
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff) {
			high = unit;
			continue;
		} else if (unit >= 0xdc00 && unit <= 0xdfff) {
			return NULL;
		}
		buf_append(out, enc, imap_utf8_encode(unit, enc));
	}
	if (high != 0 || nbits >= 6)
		return NULL;
	return p + 1;
}

int imap_utf7_to_utf8(const char *in, struct buf *out, const char **error_r)
{
	size_t start = out->len;
	struct buf again = BUF_INIT;
	const char *p = in;
	int ret = 0;

	while (*p != '\0') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c > 0x7e) {
			*error_r = "Invalid character in mailbox name";
			return -1;
		}
		if (c != '&') {
			buf_append_char(out, (char)c);
			p++;
		} else if (p[1] == '-') {
			buf_append_char(out, '&');
			p += 2;
		} else if ((p = utf7_run(p + 1, out)) == NULL) {
			*error_r = "Invalid modified UTF-7 in mailbox name";
			return -1;
		}
	}
	/* Canonical means encoding the result gives the input back; this
	 * catches ASCII hidden in base64, non-zero padding and runs split
	 * in two, without a rule for each. */
	if (imap_utf8_to_utf7(buf_cstr(out) + start, &again, error_r) < 0 ||
	    strcmp(buf_cstr(&again), in) != 0) {
		*error_r = "Non-canonical modified UTF-7 in mailbox name";
		ret = -1;
	}
	buf_free(&again);
	return ret;
}
