/* JSON strings; see json.h. */
#include "json.h"
#include "buf.h"

void json_append_string(struct buf *out, const char *s)
{
	buf_append_char(out, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_append_char(out, '\\');
			buf_append_char(out, (char)c);
		} else if (c == '\n') {
			buf_append_str(out, "\\n");
		} else if (c == '\r') {
			buf_append_str(out, "\\r");
		} else if (c == '\t') {
			buf_append_str(out, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(out, "\\u%04x", c);
		} else {
			buf_append_char(out, (char)c);
		}
	}
	buf_append_char(out, '"');
}

void json_append_member(struct buf *out, const char *key, const char *s,
			int first)
{
	if (!first)
		buf_append_char(out, ',');
	json_append_string(out, key);
	buf_append_char(out, ':');
	if (s == NULL)
		buf_append_str(out, "null");
	else
		json_append_string(out, s);
}
