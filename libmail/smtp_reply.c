#include "smtp_reply.h"
#include "buf.h"
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int smtp_reply_write(struct buf *out, unsigned int code, const char *enhanced,
		     const char *text, const char **error_r)
{
	size_t start = out->len, line_start, i;
	const char *p = text, *nl;
	bool last;

	if (code < 200 || code > 599) {
		*error_r = "reply code out of range";
		return -1;
	}
	if (enhanced != NULL && !smtp_status_enhanced_matches(code, enhanced)) {
		*error_r = "enhanced code does not match the reply code";
		return -1;
	}
	do {
		nl = strchr(p, '\n');
		last = nl == NULL;
		line_start = out->len;
		buf_printf(out, "%03u%c", code, last ? ' ' : '-');
		if (enhanced != NULL) {
			buf_append_str(out, enhanced);
			buf_append_char(out, ' ');
		}
		for (i = 0; p[i] != '\0' && p + i != nl; i++) {
			unsigned char c = (unsigned char)p[i];

			/* Never let text end a line early or hide a byte
			 * a log or terminal would act on. */
			buf_append_char(out, c < 0x20 || c == 0x7f ?
					'?' : (char)c);
		}
		/* "250 " with nothing after it is legal, but the bare code is
		 * the RFC's own form (4.2: Reply-code [ SP textstring ]). */
		if (last && i == 0 && enhanced == NULL)
			buf_truncate(out, out->len - 1);
		buf_append(out, "\r\n", 2);
		if (out->len - line_start > SMTP_REPLY_LINE_MAX) {
			buf_truncate(out, start);
			*error_r = "reply line longer than 512 octets";
			return -1;
		}
		if (!last)
			p = nl + 1;
	} while (!last);
	return 0;
}

int smtp_reply_printf(struct buf *out, unsigned int code, const char *enhanced,
		      const char **error_r, const char *fmt, ...)
{
	struct buf text = BUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	ret = smtp_reply_write(out, code, enhanced, buf_cstr(&text), error_r);
	buf_free(&text);
	return ret;
}

void smtp_reply_write_status(struct buf *out, const struct smtp_status *status,
			     bool enhanced_codes)
{
	const char *error;

	if (smtp_reply_write(out, status->code,
			     enhanced_codes ? status->enhanced : NULL,
			     status->text, &error) < 0)
		log_panic("bad static SMTP status %u: %s", status->code, error);
}

void smtp_reply_deinit(struct smtp_reply *reply)
{
	size_t i;

	for (i = 0; i < reply->line_count; i++)
		free(reply->lines[i]);
	free(reply->lines);
	memset(reply, 0, sizeof(*reply));
}
