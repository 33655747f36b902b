#include "imapd/imap_quote.h"
#include "imapd/imap_arg.h"
#include "imapd/imap_utf8.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Can every byte go into a quoted string? */
static bool quotable(const unsigned char *p, size_t len, unsigned int flags)
{
	bool eight_bit = false;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n')
			return false;
		if (p[i] >= 0x80)
			eight_bit = true;
	}
	if (!eight_bit)
		return true;
	return (flags & IMAP_QUOTE_UTF8) != 0 && imap_utf8_valid(p, len);
}

void imap_quote_literal(struct buf *out, const void *data, size_t len)
{
	buf_printf(out, "%s{%zu}\r\n", memchr(data, '\0', len) ? "~" : "",
		   len);
	buf_append(out, data, len);
}

void imap_quote_string(struct buf *out, const void *data, size_t len,
		       unsigned int flags)
{
	const unsigned char *p = data;

	if (!quotable(p, len, flags)) {
		imap_quote_literal(out, data, len);
		return;
	}
	buf_reserve(out, len + 2);
	buf_append_char(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, (char)p[i]);
	}
	buf_append_char(out, '"');
}

void imap_quote_astring(struct buf *out, const void *data, size_t len,
			unsigned int flags)
{
	const unsigned char *p = data;
	bool atom = len > 0 && !(len == 3 && strncasecmp(data, "NIL", 3) == 0);

	for (size_t i = 0; atom && i < len; i++)
		atom = imap_is_astring_char(p[i]);
	if (atom)
		buf_append(out, data, len);
	else
		imap_quote_string(out, data, len, flags);
}

void imap_quote_nstring(struct buf *out, const void *data, size_t len,
			unsigned int flags)
{
	if (data == NULL)
		buf_append_str(out, "NIL");
	else
		imap_quote_string(out, data, len, flags);
}
