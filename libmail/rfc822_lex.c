#include "rfc822_lex.h"
#include "buf.h"

#include <string.h>

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads one comment starting at '('.  A quoted-pair inside a comment
 * escapes the next byte (RFC 5322 section 3.2.2); nested parentheses are
 * kept in the text, as they are part of what the sender wrote. */
static void skip_comment(struct rfc822_lex *lx, struct buf *comment_r)
{
	unsigned long depth = 0;

	if (comment_r != NULL)
		buf_clear(comment_r);
	while (lx->p < lx->end) {
		char c = *lx->p++;

		if (c == '\\' && lx->p < lx->end) {
			if (comment_r != NULL)
				buf_append_char(comment_r, *lx->p);
			lx->p++;
			continue;
		}
		if (c == '(') {
			if (depth++ == 0)
				continue;
		} else if (c == ')') {
			if (--depth == 0)
				return;
		}
		if (comment_r != NULL)
			buf_append_char(comment_r, c);
	}
}

void rfc822_lex_skip_cfws(struct rfc822_lex *lx, struct buf *comment_r)
{
	while (lx->p < lx->end) {
		if (is_wsp((unsigned char)*lx->p))
			lx->p++;
		else if (*lx->p == '(')
			skip_comment(lx, comment_r);
		else
			break;
	}
}

void rfc822_lex_quoted(struct rfc822_lex *lx, struct buf *out)
{
	const char *start;

	lx->p++;
	while (lx->p < lx->end) {
		/* Copy plain runs in one go: a 10 MB quoted string must not
		 * cost a call per byte. */
		start = lx->p;
		while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\\')
			lx->p++;
		buf_append(out, start, (size_t)(lx->p - start));
		if (lx->p >= lx->end)
			return;
		if (*lx->p == '"') {
			lx->p++;
			return;
		}
		lx->p++;
		if (lx->p < lx->end)
			buf_append_char(out, *lx->p++);
	}
}

size_t rfc822_lex_run(struct rfc822_lex *lx, const char *specials,
		      struct buf *out)
{
	const char *start = lx->p;

	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;

		if (c <= ' ' || c == 0x7f || strchr(specials, c) != NULL)
			break;
		lx->p++;
	}
	buf_append(out, start, (size_t)(lx->p - start));
	return (size_t)(lx->p - start);
}

void rfc822_lex_domain_literal(struct rfc822_lex *lx, struct buf *out)
{
	const char *start = lx->p;

	lx->p++;
	while (lx->p < lx->end && *lx->p != ']') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			lx->p++;
		lx->p++;
	}
	if (lx->p < lx->end)
		lx->p++;
	buf_append(out, start, (size_t)(lx->p - start));
}
