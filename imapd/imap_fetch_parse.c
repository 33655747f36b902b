#include "imapd/imap_fetch_parse.h"
#include "imapd/imap_quote.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct imap_fetch_limits imap_fetch_default_limits = {
	.max_bodies = 64,
	.max_fields = 256,
	.max_part_depth = 32,
};

#define NUMBER64_MAX UINT64_C(9223372036854775807)

static const struct {
	const char *name;
	unsigned int item;
} simple_items[] = {
	{ "FLAGS", IMAP_FETCH_FLAGS },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE },
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE },
	{ "BODY", IMAP_FETCH_BODY },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE },
	{ "UID", IMAP_FETCH_UID },
	{ "MODSEQ", IMAP_FETCH_MODSEQ },
	{ "RFC822", IMAP_FETCH_RFC822 },
	{ "RFC822.HEADER", IMAP_FETCH_RFC822_HEADER },
	{ "RFC822.TEXT", IMAP_FETCH_RFC822_TEXT },
	{ "EMAILID", IMAP_FETCH_EMAILID },
	{ "THREADID", IMAP_FETCH_THREADID },
	{ "SAVEDATE", IMAP_FETCH_SAVEDATE },
};

/* RFC 9051 section 6.4.5: the macros can't be mixed with other items. */
static const struct {
	const char *name;
	unsigned int items;
} macros[] = {
	{ "ALL", IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
	  IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE },
	{ "FAST", IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
	  IMAP_FETCH_RFC822_SIZE },
	{ "FULL", IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
	  IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY },
};

static void body_free(struct imap_fetch_body *body)
{
	for (size_t i = 0; i < body->field_count; i++)
		free(body->fields[i]);
	free(body->fields);
	free(body->parts);
	free(body->section);
}

void imap_fetch_free(struct imap_fetch **fetchp)
{
	struct imap_fetch *fetch = *fetchp;

	if (fetch == NULL)
		return;
	*fetchp = NULL;
	for (size_t i = 0; i < fetch->body_count; i++)
		body_free(&fetch->bodies[i]);
	free(fetch->bodies);
	free(fetch);
}

/* field-name = 1*ftext, ftext = %d33-57 / %d59-126 (RFC 5322 3.6.8) */
static bool header_name_valid(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

/* header-list = "(" header-fld-name *(SP header-fld-name) ")", names being
 * atoms or quoted strings; p is after "HEADER.FIELDS[.NOT] ".  Returns the
 * end of the list or NULL. */
static const char *parse_header_list(const char *p,
				     struct imap_fetch_body *body,
				     const struct imap_fetch_limits *limits)
{
	struct buf name = BUF_INIT;

	if (*p++ != '(')
		return NULL;
	for (;;) {
		buf_clear(&name);
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\\')
					p++;
				if (*p == '\0')
					goto fail;
				buf_append_char(&name, *p);
			}
			p++;
		} else {
			while (imap_is_atom_char((unsigned char)*p))
				buf_append_char(&name, *p++);
		}
		if (!header_name_valid(name.data, name.len) ||
		    body->field_count >= limits->max_fields)
			goto fail;
		body->fields = xrealloc(body->fields, (body->field_count + 1) *
					sizeof(char *));
		body->fields[body->field_count++] = buf_steal(&name);
		if (*p == ')')
			break;
		if (*p++ != ' ')
			goto fail;
	}
	buf_free(&name);
	return p + 1;
fail:
	buf_free(&name);
	return NULL;
}

/* section-spec between the brackets; "" is the whole message. */
static int parse_section(const char *p, const char *end,
			 struct imap_fetch_body *body,
			 const struct imap_fetch_limits *limits)
{
	/* section-part = nz-number *("." nz-number) */
	while (*p >= '1' && *p <= '9') {
		uint64_t n = 0;

		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (uint64_t)(*p++ - '0');
			if (n > UINT32_MAX)
				return -1;
		}
		if (body->part_count >= limits->max_part_depth)
			return -1;
		body->parts = xrealloc(body->parts, (body->part_count + 1) *
				       sizeof(uint32_t));
		body->parts[body->part_count++] = (uint32_t)n;
		if (*p != '.')
			break;
		p++;
	}
	if (p == end)
		return body->part_count > 0 && p[-1] == '.' ? -1 : 0;
	if (body->part_count > 0 && p[-1] != '.')
		return -1;
	if (body->kind != IMAP_FETCH_BODY_SECTION)
		return -1;	/* section-binary = "[" [section-part] "]" */
	if (strncasecmp(p, "HEADER.FIELDS.NOT ", 18) == 0) {
		body->text = IMAP_SECTION_HEADER_FIELDS_NOT;
		p = parse_header_list(p + 18, body, limits);
	} else if (strncasecmp(p, "HEADER.FIELDS ", 14) == 0) {
		body->text = IMAP_SECTION_HEADER_FIELDS;
		p = parse_header_list(p + 14, body, limits);
	} else if (end - p == 6 && strncasecmp(p, "HEADER", 6) == 0) {
		body->text = IMAP_SECTION_HEADER;
		p += 6;
	} else if (end - p == 4 && strncasecmp(p, "TEXT", 4) == 0) {
		body->text = IMAP_SECTION_TEXT;
		p += 4;
	} else if (end - p == 4 && strncasecmp(p, "MIME", 4) == 0 &&
		   body->part_count > 0) {
		body->text = IMAP_SECTION_MIME;
		p += 4;
	} else {
		return -1;
	}
	return p == end ? 0 : -1;
}

static void section_canonical(struct imap_fetch_body *body)
{
	static const char *const names[] = {
		[IMAP_SECTION_WHOLE] = "",
		[IMAP_SECTION_HEADER] = "HEADER",
		[IMAP_SECTION_HEADER_FIELDS] = "HEADER.FIELDS",
		[IMAP_SECTION_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
		[IMAP_SECTION_TEXT] = "TEXT",
		[IMAP_SECTION_MIME] = "MIME",
	};
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < body->part_count; i++)
		buf_printf(&out, "%s%u", i > 0 ? "." : "", body->parts[i]);
	if (body->part_count > 0 && body->text != IMAP_SECTION_WHOLE)
		buf_append_char(&out, '.');
	buf_append_str(&out, names[body->text]);
	if (body->field_count > 0) {
		buf_append_str(&out, " (");
		for (size_t i = 0; i < body->field_count; i++) {
			if (i > 0)
				buf_append_char(&out, ' ');
			imap_quote_astring(&out, body->fields[i],
					   strlen(body->fields[i]), 0);
		}
		buf_append_char(&out, ')');
	}
	body->section = buf_steal(&out);
}

/* partial = "<" number64 "." nz-number64 ">" */
static int parse_partial(const char *p, struct imap_fetch_body *body)
{
	char num[24];
	const char *dot, *close;
	size_t len;

	if (*p == '\0')
		return 0;
	dot = strchr(p, '.');
	close = strchr(p, '>');
	if (*p != '<' || dot == NULL || close == NULL || close < dot ||
	    close[1] != '\0')
		return -1;
	len = (size_t)(dot - p - 1);
	if (len >= sizeof(num))
		return -1;
	memcpy(num, p + 1, len);
	num[len] = '\0';
	if (imap_parse_number(num, NUMBER64_MAX, &body->offset) < 0)
		return -1;
	len = (size_t)(close - dot - 1);
	if (len >= sizeof(num))
		return -1;
	memcpy(num, dot + 1, len);
	num[len] = '\0';
	if (imap_parse_number(num, NUMBER64_MAX, &body->length) < 0 ||
	    body->length == 0)
		return -1;
	body->partial = true;
	return 0;
}

static int parse_body_item(const char *att, const char *open,
			   struct imap_fetch *fetch,
			   const struct imap_fetch_limits *limits)
{
	struct imap_fetch_body body;
	size_t prefix = (size_t)(open - att);
	const char *close = NULL;
	bool quoted = false;

	memset(&body, 0, sizeof(body));
	if (prefix == 4 && strncasecmp(att, "BODY", 4) == 0) {
		body.kind = IMAP_FETCH_BODY_SECTION;
	} else if (prefix == 9 && strncasecmp(att, "BODY.PEEK", 9) == 0) {
		body.kind = IMAP_FETCH_BODY_SECTION;
		body.peek = true;
	} else if (prefix == 6 && strncasecmp(att, "BINARY", 6) == 0) {
		body.kind = IMAP_FETCH_BINARY;
	} else if (prefix == 11 && strncasecmp(att, "BINARY.PEEK", 11) == 0) {
		body.kind = IMAP_FETCH_BINARY;
		body.peek = true;
	} else if (prefix == 11 && strncasecmp(att, "BINARY.SIZE", 11) == 0) {
		body.kind = IMAP_FETCH_BINARY_SIZE;
	} else {
		return -1;
	}
	/* The closing bracket is the first one outside quotes. */
	for (const char *p = open + 1; *p != '\0'; p++) {
		if (quoted && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == ']' && !quoted) {
			close = p;
			break;
		}
	}
	if (close == NULL || fetch->body_count >= limits->max_bodies ||
	    parse_section(open + 1, close, &body, limits) < 0 ||
	    (body.kind == IMAP_FETCH_BINARY_SIZE ? close[1] != '\0' :
	     parse_partial(close + 1, &body) < 0)) {
		body_free(&body);
		return -1;
	}
	section_canonical(&body);
	fetch->bodies = xrealloc(fetch->bodies, (fetch->body_count + 1) *
				 sizeof(body));
	fetch->bodies[fetch->body_count++] = body;
	return 0;
}

static int parse_att(const struct imap_arg *arg, struct imap_fetch *fetch,
		     const struct imap_fetch_limits *limits)
{
	const char *att, *open;

	if (!imap_arg_get_atom(arg, &att))
		return -1;
	open = strchr(att, '[');
	if (open != NULL)
		return parse_body_item(att, open, fetch, limits);
	for (size_t i = 0; i < sizeof(simple_items) / sizeof(simple_items[0]);
	     i++) {
		if (strcasecmp(att, simple_items[i].name) == 0) {
			fetch->items |= simple_items[i].item;
			return 0;
		}
	}
	return -1;
}

static int parse_modifiers(const struct imap_arg *list, bool uid,
			   struct imap_fetch *fetch, const char **error_r)
{
	const char *value;

	for (; list->type != IMAP_ARG_EOL; list++) {
		if (imap_arg_atom_equals(list, "CHANGEDSINCE") &&
		    !fetch->has_changedsince) {
			/* mod-sequence-value; 0 is taken too: it simply
			 * changes nothing. */
			if (!imap_arg_get_atom(&list[1], &value) ||
			    imap_parse_number(value, NUMBER64_MAX,
					      &fetch->changedsince) < 0) {
				*error_r = "Invalid CHANGEDSINCE value";
				return -1;
			}
			fetch->has_changedsince = true;
			list++;
		} else if (imap_arg_atom_equals(list, "VANISHED") &&
			   !fetch->vanished) {
			fetch->vanished = true;
		} else {
			*error_r = "Unknown or repeated FETCH modifier";
			return -1;
		}
	}
	/* RFC 7162 section 3.2.6: VANISHED only in UID FETCH, and only
	 * with CHANGEDSINCE. */
	if (fetch->vanished && (!uid || !fetch->has_changedsince)) {
		*error_r = "VANISHED needs UID FETCH and CHANGEDSINCE";
		return -1;
	}
	/* RFC 7162 section 3.1.4.1: CHANGEDSINCE implies MODSEQ. */
	if (fetch->has_changedsince)
		fetch->items |= IMAP_FETCH_MODSEQ;
	return 0;
}

int imap_fetch_parse(const struct imap_arg *args, bool uid,
		     const struct imap_fetch_limits *limits,
		     struct imap_fetch **fetch_r, const char **error_r)
{
	struct imap_fetch *fetch = xcalloc(1, sizeof(*fetch));
	const struct imap_arg *list;
	size_t count;
	const char *atom;
	bool done = false;

	*fetch_r = NULL;
	if (limits == NULL)
		limits = &imap_fetch_default_limits;
	*error_r = "Invalid FETCH attribute";
	if (imap_arg_get_atom(args, &atom)) {
		for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]);
		     i++) {
			if (strcasecmp(atom, macros[i].name) == 0) {
				fetch->items = macros[i].items;
				done = true;
			}
		}
		if (!done && parse_att(args, fetch, limits) < 0)
			goto fail;
	} else if (imap_arg_get_list(args, &list, &count) && count > 0) {
		for (; list->type != IMAP_ARG_EOL; list++) {
			if (parse_att(list, fetch, limits) < 0)
				goto fail;
		}
	} else {
		goto fail;
	}
	args++;
	if (imap_arg_get_list(args, &list, NULL)) {
		if (parse_modifiers(list, uid, fetch, error_r) < 0)
			goto fail;
		args++;
	}
	if (args->type != IMAP_ARG_EOL) {
		*error_r = "Unexpected argument after FETCH attributes";
		goto fail;
	}
	*fetch_r = fetch;
	return 0;
fail:
	imap_fetch_free(&fetch);
	return -1;
}

void imap_fetch_body_name(const struct imap_fetch_body *body, struct buf *out)
{
	static const char *const kinds[] = {
		[IMAP_FETCH_BODY_SECTION] = "BODY",
		[IMAP_FETCH_BINARY] = "BINARY",
		[IMAP_FETCH_BINARY_SIZE] = "BINARY.SIZE",
	};

	buf_printf(out, "%s[%s]", kinds[body->kind], body->section);
	if (body->partial)
		buf_printf(out, "<%llu>", (unsigned long long)body->offset);
}
