#include "message_address.h"
#include "buf.h"
#include "rfc822_lex.h"

#include <stdlib.h>
#include <string.h>

struct addr_parser {
	struct rfc822_lex lx;
	struct message_address *head, **tail;
	unsigned int count;
	bool in_group;
	struct buf comment;	/* the last comment seen */
	struct buf display, local, domain, route, scratch;
};

static char *dup_or_null(const struct buf *b)
{
	return b->len > 0 ? xstrdup(buf_cstr(b)) : NULL;
}

static void emit(struct addr_parser *ap, char *name, char *route,
		 char *mailbox, char *domain)
{
	struct message_address *a = xcalloc(1, sizeof(*a));

	a->name = name;
	a->route = route;
	a->mailbox = mailbox;
	a->domain = domain;
	*ap->tail = a;
	ap->tail = &a->next;
	ap->count++;
}

static bool is_atom_char(int c)
{
	return c > ' ' && c != 0x7f && strchr(RFC822_ATOM_SPECIALS, c) == NULL;
}

/* Reads words (atoms, quoted strings) separated by CFWS: a display name or
 * a local part, which only the next special tells apart.  `display` gets
 * the words unquoted and joined by one space; `local` gets them as written
 * and joined by nothing (obs-local-part allows CFWS around the dots). */
static void read_phrase(struct addr_parser *ap)
{
	struct rfc822_lex *lx = &ap->lx;

	for (;;) {
		const char *start;
		int c;

		rfc822_lex_skip_cfws(lx, &ap->comment);
		c = rfc822_lex_peek(lx);
		if (c != '"' && !is_atom_char(c))
			break;
		if (ap->display.len > 0)
			buf_append_char(&ap->display, ' ');
		start = lx->p;
		if (c == '"')
			rfc822_lex_quoted(lx, &ap->display);
		else
			rfc822_lex_run(lx, RFC822_ATOM_SPECIALS, &ap->display);
		buf_append(&ap->local, start, (size_t)(lx->p - start));
	}
}

static void read_domain(struct addr_parser *ap, struct buf *out)
{
	struct rfc822_lex *lx = &ap->lx;

	for (;;) {
		int c;

		rfc822_lex_skip_cfws(lx, &ap->comment);
		c = rfc822_lex_peek(lx);
		if (c == '[')
			rfc822_lex_domain_literal(lx, out);
		else if (is_atom_char(c))
			rfc822_lex_run(lx, RFC822_ATOM_SPECIALS, out);
		else
			break;
	}
}

/* Skips to the next ',' (or ';' ending a group), stepping over quoted
 * strings and comments so their commas do not count.  Always moves. */
static void skip_garbage(struct addr_parser *ap)
{
	struct rfc822_lex *lx = &ap->lx;

	if (!rfc822_lex_eof(lx))
		lx->p++;
	while (!rfc822_lex_eof(lx)) {
		int c = rfc822_lex_peek(lx);

		if (c == ',' || (c == ';' && ap->in_group))
			return;
		if (c == '"') {
			buf_clear(&ap->scratch);
			rfc822_lex_quoted(lx, &ap->scratch);
		} else if (c == '(') {
			rfc822_lex_skip_cfws(lx, NULL);
		} else {
			lx->p++;
		}
	}
}

/* obs-route (RFC 5322 section 4.4): "@a,@b:" before the addr-spec.  An
 * "@domain" with no ':' after it was not a route but a lone domain. */
static void read_route(struct addr_parser *ap)
{
	struct rfc822_lex *lx = &ap->lx;

	for (;;) {
		rfc822_lex_skip_cfws(lx, &ap->comment);
		if (rfc822_lex_peek(lx) == ',') {
			lx->p++;
		} else if (rfc822_lex_peek(lx) == '@') {
			lx->p++;
			if (ap->route.len > 0)
				buf_append_char(&ap->route, ',');
			buf_append_char(&ap->route, '@');
			read_domain(ap, &ap->route);
		} else {
			break;
		}
	}
	if (rfc822_lex_peek(lx) == ':') {
		lx->p++;
	} else if (ap->route.len > 0) {
		const char *comma = memchr(ap->route.data, ',', ap->route.len);
		size_t len = comma != NULL ?
			(size_t)(comma - ap->route.data) : ap->route.len;

		buf_append(&ap->domain, ap->route.data + 1, len - 1);
		buf_clear(&ap->route);
	}
}

static void emit_mailbox(struct addr_parser *ap)
{
	char *name;

	/* "<>" and "Name <>" name no mailbox: nothing a client could use. */
	if (ap->local.len == 0 && ap->domain.len == 0)
		return;
	if (ap->display.len > 0)
		name = xstrdup(buf_cstr(&ap->display));
	else
		name = dup_or_null(&ap->comment);
	emit(ap, name, dup_or_null(&ap->route), xstrdup(buf_cstr(&ap->local)),
	     xstrdup(buf_cstr(&ap->domain)));
}

static void read_angle_addr(struct addr_parser *ap)
{
	struct rfc822_lex *lx = &ap->lx;
	struct buf display = ap->display;

	/* The phrase before '<' is the name; the local part is read anew. */
	ap->display = (struct buf)BUF_INIT;
	buf_clear(&ap->local);
	lx->p++;
	read_route(ap);
	if (ap->domain.len == 0) {
		read_phrase(ap);
		buf_clear(&ap->display);
		if (rfc822_lex_peek(lx) == '@') {
			lx->p++;
			read_domain(ap, &ap->domain);
		}
	}
	buf_free(&ap->display);
	ap->display = display;
	rfc822_lex_skip_cfws(lx, &ap->comment);
	if (rfc822_lex_peek(lx) == '>')
		lx->p++;
}

/* One element of the list: a mailbox, a group start, or garbage. */
static void read_address(struct addr_parser *ap)
{
	struct rfc822_lex *lx = &ap->lx;
	int c;

	buf_clear(&ap->display);
	buf_clear(&ap->local);
	buf_clear(&ap->domain);
	buf_clear(&ap->route);
	read_phrase(ap);
	c = rfc822_lex_peek(lx);
	if (c == '<') {
		read_angle_addr(ap);
		buf_clear(&ap->comment);
		rfc822_lex_skip_cfws(lx, &ap->comment);
		emit_mailbox(ap);
	} else if (c == ':' && !ap->in_group) {
		lx->p++;
		emit(ap, NULL, NULL, xstrdup(buf_cstr(&ap->display)), NULL);
		ap->in_group = true;
		return;
	} else if (c == '@') {
		lx->p++;
		read_domain(ap, &ap->domain);
		rfc822_lex_skip_cfws(lx, &ap->comment);
		buf_clear(&ap->display);
		emit_mailbox(ap);
	} else if ((c == ',' || c == ';' || c == -1) && ap->local.len > 0) {
		/* A local part with no domain. */
		buf_clear(&ap->display);
		emit_mailbox(ap);
	} else if (c != ',' && c != ';' && c != -1) {
		skip_garbage(ap);
		return;
	}
	c = rfc822_lex_peek(lx);
	if (c != ',' && c != ';' && c != -1)
		skip_garbage(ap);
}

struct message_address *message_address_parse(const char *value, size_t len)
{
	struct addr_parser ap;

	memset(&ap, 0, sizeof(ap));
	rfc822_lex_init(&ap.lx, value, len);
	ap.tail = &ap.head;
	while (ap.count < MESSAGE_ADDRESS_MAX) {
		int c;

		buf_clear(&ap.comment);
		rfc822_lex_skip_cfws(&ap.lx, &ap.comment);
		c = rfc822_lex_peek(&ap.lx);
		if (c == -1)
			break;
		if (c == ',') {
			ap.lx.p++;
		} else if (c == ';') {
			ap.lx.p++;
			if (ap.in_group) {
				emit(&ap, NULL, NULL, NULL, NULL);
				ap.in_group = false;
			}
		} else {
			read_address(&ap);
		}
	}
	if (ap.in_group)
		emit(&ap, NULL, NULL, NULL, NULL);
	buf_free(&ap.comment);
	buf_free(&ap.display);
	buf_free(&ap.local);
	buf_free(&ap.domain);
	buf_free(&ap.route);
	buf_free(&ap.scratch);
	return ap.head;
}

void message_address_free(struct message_address **list)
{
	struct message_address *a = *list, *next;

	for (; a != NULL; a = next) {
		next = a->next;
		free(a->name);
		free(a->route);
		free(a->mailbox);
		free(a->domain);
		free(a);
	}
	*list = NULL;
}
