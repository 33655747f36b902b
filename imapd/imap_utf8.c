#include "imapd/imap_utf8.h"

int imap_utf8_step(struct imap_utf8_state *state, unsigned char c)
{
	if (state->need == 0) {
		if (c < 0x80) {
			state->cp = c;
			return 1;
		}
		/* 0xc0 and 0xc1 could only start overlong forms; 0xf5 and
		 * up would start code points above U+10FFFF. */
		if (c >= 0xc2 && c <= 0xdf) {
			state->cp = c & 0x1f;
			state->need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			state->cp = c & 0x0f;
			state->need = 2;
		} else if (c >= 0xf0 && c <= 0xf4) {
			state->cp = c & 0x07;
			state->need = 3;
		} else {
			return -1;
		}
		state->len = state->need + 1;
		return 0;
	}
	if ((c & 0xc0) != 0x80) {
		state->need = 0;
		return -1;
	}
	state->cp = (state->cp << 6) | (c & 0x3f);
	if (--state->need > 0)
		return 0;
	/* Overlong, surrogate and out-of-range checks, once the whole
	 * sequence is known. */
	if ((state->len == 3 && state->cp < 0x800) ||
	    (state->len == 4 && state->cp < 0x10000) ||
	    (state->cp >= 0xd800 && state->cp <= 0xdfff) ||
	    state->cp > 0x10ffff)
		return -1;
	return 1;
}

bool imap_utf8_valid(const void *data, size_t len)
{
	const unsigned char *p = data;
	struct imap_utf8_state st = { 0, 0, 0 };

	for (size_t i = 0; i < len; i++) {
		if (imap_utf8_step(&st, p[i]) < 0)
			return false;
	}
	return imap_utf8_complete(&st);
}

size_t imap_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > 0x10ffff)
		return 0;
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}
