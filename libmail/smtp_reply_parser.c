#include "smtp_reply_parser.h"
#include "buf.h"
#include "smtp_reply.h"
#include "smtp_status.h"
#include "stream.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const struct smtp_reply_limits smtp_reply_limits_default = {
	.line = 2048,
	.lines = 100,
};

struct smtp_reply_parser {
	struct smtp_reply_limits limits;
	struct buf line;		/* the line being read, CR included */
	struct smtp_reply reply;	/* the reply being built */
	bool complete;			/* `reply` was handed out */
	const char *error;		/* set once: the parser is dead */
};

struct smtp_reply_parser *
smtp_reply_parser_new(const struct smtp_reply_limits *limits)
{
	struct smtp_reply_parser *parser = xcalloc(1, sizeof(*parser));

	parser->limits = *limits;
	return parser;
}

void smtp_reply_parser_free(struct smtp_reply_parser **parser)
{
	if (*parser == NULL)
		return;
	buf_free(&(*parser)->line);
	smtp_reply_deinit(&(*parser)->reply);
	free(*parser);
	*parser = NULL;
}

static bool smtp_reply_parser_code_ok(const char *s)
{
	return s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '5' &&
		s[2] >= '0' && s[2] <= '9';
}

/*
 * One complete line without its CRLF.  Returns 1 when it was the last line
 * of the reply, 0 when more lines follow, -1 on error.
 */
static int smtp_reply_parser_line(struct smtp_reply_parser *parser,
				  const char *s, size_t len)
{
	struct smtp_reply *reply = &parser->reply;
	unsigned int code;
	char enhanced[SMTP_STATUS_ENHANCED_SIZE];
	size_t n;
	bool last;

	if (memchr(s, '\0', len) != NULL || memchr(s, '\r', len) != NULL) {
		parser->error = "NUL or bare CR in reply";
		return -1;
	}
	if (len < 3 || !smtp_reply_parser_code_ok(s) ||
	    (len > 3 && s[3] != ' ' && s[3] != '-')) {
		parser->error = "malformed reply line";
		return -1;
	}
	code = (unsigned int)((s[0] - '0') * 100 + (s[1] - '0') * 10 +
			      (s[2] - '0'));
	if (reply->line_count > 0 && code != reply->code) {
		parser->error = "reply code changes between lines";
		return -1;
	}
	if (reply->line_count >= parser->limits.lines) {
		parser->error = "too many reply lines";
		return -1;
	}
	last = len == 3 || s[3] == ' ';
	s += len > 3 ? 4 : 3;
	len -= len > 3 ? 4 : 3;

	/* The enhanced code: taken from the first line (RFC 2034 4 puts it
	 * on every line, always agreeing with the reply's class). */
	n = code / 100 == 3 ? 0 : smtp_status_enhanced_parse(s, len, enhanced);
	if (n > 0 && (unsigned int)(enhanced[0] - '0') != code / 100)
		n = 0;
	if (reply->line_count == 0) {
		reply->code = code;
		if (n > 0)
			memcpy(reply->enhanced, enhanced, sizeof(enhanced));
	} else if (n > 0 && strcmp(enhanced, reply->enhanced) != 0) {
		n = 0;
	}
	while (n > 0 && n < len && s[n] == ' ')
		n++;
	reply->lines = xrealloc(reply->lines, (reply->line_count + 1) *
				sizeof(*reply->lines));
	reply->lines[reply->line_count++] = xstrndup(s + n, len - n);
	return last ? 1 : 0;
}

int smtp_reply_parser_feed(struct smtp_reply_parser *parser,
			   const void *data, size_t len, size_t *used_r,
			   const struct smtp_reply **reply_r,
			   const char **error_r)
{
	const char *p = data, *lf;
	size_t used = 0, take;
	int ret;

	if (parser->error != NULL) {
		*error_r = parser->error;
		return -1;
	}
	if (parser->complete) {
		smtp_reply_deinit(&parser->reply);
		parser->complete = false;
	}
	while (used < len) {
		lf = memchr(p + used, '\n', len - used);
		take = lf != NULL ? (size_t)(lf - (p + used)) : len - used;
		/* Bound the line before copying any of it: with its LF it
		 * must fit the limit. */
		if (parser->line.len + take + 1 > parser->limits.line) {
			parser->error = "reply line too long";
			*error_r = parser->error;
			return -1;
		}
		buf_append(&parser->line, p + used, take);
		used += take;
		if (lf == NULL)
			break;
		used++;
		if (parser->line.len == 0 ||
		    parser->line.data[parser->line.len - 1] != '\r') {
			parser->error = "bare LF in reply";
			*error_r = parser->error;
			return -1;
		}
		ret = smtp_reply_parser_line(parser, parser->line.data,
					     parser->line.len - 1);
		buf_clear(&parser->line);
		if (ret < 0) {
			*error_r = parser->error;
			return -1;
		}
		if (ret == 1) {
			parser->complete = true;
			*used_r = used;
			*reply_r = &parser->reply;
			return 1;
		}
	}
	*used_r = used;
	return 0;
}

int smtp_reply_parser_read(struct smtp_reply_parser *parser, struct stream *s,
			   size_t max_line, struct buf *scratch,
			   const struct smtp_reply **reply_r, int *stream_r,
			   const char **error_r)
{
	struct stream_line line;
	size_t used;

	for (;;) {
		enum stream_result r = stream_read_line(s, max_line, &line);
		int ret;

		*stream_r = (int)r;
		*error_r = NULL;
		if (r == STREAM_WAIT)
			return 0;
		if (r != STREAM_OK)
			return -1;
		if (line.eol != STREAM_EOL_CRLF) {
			*error_r = "malformed reply: bare LF";
			return -1;
		}
		buf_clear(scratch);
		buf_append(scratch, line.data, line.len);
		buf_append_str(scratch, "\r\n");
		ret = smtp_reply_parser_feed(parser, scratch->data, scratch->len,
					     &used, reply_r, error_r);
		if (ret != 0)
			return ret;
	}
}

int smtp_reply_parser_read_all(struct smtp_reply_parser *parser,
			       struct stream *s, size_t max_line,
			       bool (*wanted)(void *ctx),
			       void (*handle)(void *ctx,
					      const struct smtp_reply *reply),
			       void *ctx, const char **error_r)
{
	struct buf raw = BUF_INIT;
	int ret = 0;

	*error_r = NULL;
	while (wanted(ctx)) {
		const struct smtp_reply *reply;
		int r;

		ret = smtp_reply_parser_read(parser, s, max_line, &raw, &reply,
					     &r, error_r);
		if (ret <= 0) {
			if (ret < 0 && *error_r == NULL && r == STREAM_TOO_LONG)
				*error_r = "reply line too long";
			break;
		}
		ret = 0;
		handle(ctx, reply);
	}
	buf_free(&raw);
	return ret;
}
