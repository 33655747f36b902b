#ifndef SEALPOST_RFC822_LEX_H
#define SEALPOST_RFC822_LEX_H

/*
 * The lexical layer shared by the structured header parsers (addresses,
 * Content-Type, Content-Disposition, Content-Language): folding white
 * space, comments, quoted strings, atoms and tokens (RFC 5322 section 3.2,
 * RFC 2045 section 5.1).  It reads an unfolded field value in memory and
 * never fails: unterminated comments and quoted strings run to the end of
 * the input, which is what every MUA does with them.  Input is never
 * trusted to be 7-bit; bytes >= 0x80 count as atom text (RFC 6532).
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;

struct rfc822_lex {
	const char *p;
	const char *end;
};

static inline void rfc822_lex_init(struct rfc822_lex *lx, const char *data,
				   size_t len)
{
	lx->p = data;
	lx->end = data + len;
}

static inline bool rfc822_lex_eof(const struct rfc822_lex *lx)
{
	return lx->p >= lx->end;
}

/* The next byte, or -1 at the end. */
static inline int rfc822_lex_peek(const struct rfc822_lex *lx)
{
	return lx->p < lx->end ? (unsigned char)*lx->p : -1;
}

/* Skips white space (including CR and LF, in case the caller did not
 * unfold) and comments.  When `comment_r` is not NULL, the text of the last
 * comment seen is left in it (outer parentheses removed, quoted-pairs
 * undone), so "user@host (Full Name)" can give a display name.  Nesting is
 * counted, not recursed, so a deep nest costs nothing. */
void rfc822_lex_skip_cfws(struct rfc822_lex *lx, struct buf *comment_r);

/* At a '"', appends the content of the quoted string with quoted-pairs
 * undone and moves past the closing quote. */
void rfc822_lex_quoted(struct rfc822_lex *lx, struct buf *out);

/* Appends bytes up to the next white space, control character or byte in
 * `specials`; returns how many were taken (0 when the next byte stops). */
size_t rfc822_lex_run(struct rfc822_lex *lx, const char *specials,
		      struct buf *out);

/* At a '[', appends the domain literal including its brackets. */
void rfc822_lex_domain_literal(struct rfc822_lex *lx, struct buf *out);

/* RFC 5322 section 3.2.3 specials, with '.' left out so that dot-atoms and
 * obs-phrase words read as one atom. */
#define RFC822_ATOM_SPECIALS "()<>[]:;@\\,\""
/* RFC 2045 section 5.1 tspecials. */
#define RFC822_TOKEN_SPECIALS "()<>@,;:\\\"/[]?="

#endif
