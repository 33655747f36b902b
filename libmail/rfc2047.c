#include "rfc2047.h"
#include "buf.h"
#include "charset.h"
#include "mime_decode.h"

#include <string.h>
#include <strings.h>

struct encoded_word {
	char charset[CHARSET_NAME_MAX + 1];
	char encoding;		/* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	size_t len;		/* of the whole word */
};

struct decode_ctx {
	struct buf *out;
	struct buf raw;		/* decoded bytes of the pending word run */
	char charset[CHARSET_NAME_MAX + 1];
	bool have_word;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses "=?charset?e?text?=" at p (RFC 2047 section 2).  The encoded
 * text may not hold white space or '?', which also bounds the scan: a
 * failed attempt never reads past the next '?'. */
static bool parse_word(const char *p, const char *end, struct encoded_word *w)
{
	const char *start = p, *cs, *q;
	size_t cs_len;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return false;
	cs = p += 2;
	while (p < end && *p != '?' && !is_ws(*p) && p - cs <= CHARSET_NAME_MAX)
		p++;
	if (p >= end || *p != '?' || p == cs)
		return false;
	cs_len = (size_t)(p - cs);
	/* RFC 2231 section 5: charset*language. */
	q = memchr(cs, '*', cs_len);
	if (q != NULL)
		cs_len = (size_t)(q - cs);
	if (cs_len == 0 || cs_len > CHARSET_NAME_MAX)
		return false;
	memcpy(w->charset, cs, cs_len);
	w->charset[cs_len] = '\0';
	p++;
	if (end - p < 3 || p[1] != '?')
		return false;
	w->encoding = (char)(*p == 'b' ? 'B' : *p == 'q' ? 'Q' : *p);
	if (w->encoding != 'B' && w->encoding != 'Q')
		return false;
	w->text = p += 2;
	while (p < end && *p != '?' && !is_ws(*p))
		p++;
	if (end - p < 2 || p[0] != '?' || p[1] != '=')
		return false;
	w->text_len = (size_t)(p - w->text);
	w->len = (size_t)(p + 2 - start);
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2047 section 4.2: like quoted-printable, with '_' for space and no
 * line structure. */
static void q_decode(const char *p, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '_') {
			buf_append_char(out, ' ');
		} else if (p[i] == '=' && i + 2 < len &&
			   hex_digit(p[i + 1]) >= 0 && hex_digit(p[i + 2]) >= 0) {
			buf_append_char(out, (char)(hex_digit(p[i + 1]) * 16 +
						    hex_digit(p[i + 2])));
			i += 2;
		} else {
			buf_append_char(out, p[i]);
		}
	}
}

static void flush_word(struct decode_ctx *ctx)
{
	if (!ctx->have_word)
		return;
	charset_to_utf8(ctx->charset, ctx->raw.data, ctx->raw.len, ctx->out);
	buf_clear(&ctx->raw);
	ctx->have_word = false;
}

static void add_word(struct decode_ctx *ctx, const struct encoded_word *w)
{
	if (ctx->have_word && strcasecmp(ctx->charset, w->charset) != 0)
		flush_word(ctx);
	if (!ctx->have_word) {
		memcpy(ctx->charset, w->charset, sizeof(ctx->charset));
		ctx->have_word = true;
	}
	if (w->encoding == 'B')
		mime_decode_base64(w->text, w->text_len, &ctx->raw);
	else
		q_decode(w->text, w->text_len, &ctx->raw);
}

void rfc2047_decode(const char *value, size_t len, struct buf *out)
{
	struct decode_ctx ctx = { .out = out, .raw = BUF_INIT };
	const char *p = value, *end = value + len, *run;
	struct encoded_word w;

	while (p < end) {
		if (parse_word(p, end, &w)) {
			add_word(&ctx, &w);
			p += w.len;
			continue;
		}
		if (is_ws(*p)) {
			for (run = p; run < end && is_ws(*run); run++)
				;
			/* White space between two words is dropped. */
			if (ctx.have_word && run < end && parse_word(run, end, &w)) {
				p = run;
				continue;
			}
			flush_word(&ctx);
			charset_utf8_sanitize(p, (size_t)(run - p), out);
			p = run;
			continue;
		}
		flush_word(&ctx);
		for (run = p + 1; run < end && !is_ws(*run); run++) {
			if (*run == '=' && run + 1 < end && run[1] == '?')
				break;
		}
		charset_utf8_sanitize(p, (size_t)(run - p), out);
		p = run;
	}
	flush_word(&ctx);
	buf_free(&ctx.raw);
}
