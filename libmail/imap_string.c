#include "imap_string.h"
#include "buf.h"

#include <string.h>

void imap_string_append(struct buf *out, const char *data, size_t len)
{
	size_t i, sent = 0;
	int literal = len > IMAP_STRING_QUOTED_MAX;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c != 0)
			sent++;
		if (c == '\r' || c == '\n' || c >= 0x80)
			literal = 1;
	}
	if (literal) {
		buf_printf(out, "{%zu}\r\n", sent);
		buf_reserve(out, sent);
		while (len > 0) {
			const char *nul = memchr(data, '\0', len);
			size_t run = nul != NULL ? (size_t)(nul - data) : len;

			buf_append(out, data, run);
			if (run < len)
				run++;
			data += run;
			len -= run;
		}
		return;
	}
	buf_reserve(out, len + 2);
	buf_append_char(out, '"');
	for (i = 0; i < len; i++) {
		if (data[i] == '\0')
			continue;
		if (data[i] == '"' || data[i] == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, data[i]);
	}
	buf_append_char(out, '"');
}

void imap_nstring_append(struct buf *out, const char *s)
{
	if (s == NULL)
		buf_append(out, "NIL", 3);
	else
		imap_string_append(out, s, strlen(s));
}
