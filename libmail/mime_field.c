#include "mime_field.h"
#include "buf.h"
#include "charset.h"
#include "rfc2047.h"
#include "rfc822_lex.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One parameter as written, before RFC 2231 merging. */
struct raw_param {
	char *name;		/* the whole name as written */
	size_t base_len;	/* of the name without the RFC 2231 suffix */
	int section;		/* "*N" number, or -1 */
	bool rfc2231;		/* had a "*N" and/or a trailing "*" */
	bool extended;		/* had a trailing "*": charset'lang'%XX */
	char *value;
};

struct raw_params {
	struct raw_param p[MIME_FIELD_MAX_PARAMS];
	unsigned int count;
};

/* Splits an RFC 2231 suffix off a parameter name (section 3 and 4).
 * Anything not of the form base*N, base*N* or base* is a plain name. */
static void classify_name(struct raw_param *rp)
{
	const char *name = rp->name, *star = strchr(name, '*'), *p;
	long section = -1;

	rp->base_len = strlen(name);
	rp->section = -1;
	rp->rfc2231 = rp->extended = false;
	if (star == NULL || star == name)
		return;
	p = star + 1;
	if (*p >= '0' && *p <= '9') {
		section = 0;
		while (*p >= '0' && *p <= '9' && section <= MIME_FIELD_MAX_SECTION)
			section = section * 10 + (*p++ - '0');
		if (*p >= '0' && *p <= '9') {
			/* Past the cap: a section never joined. */
			section = MIME_FIELD_MAX_SECTION + 1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (*p == '*') {
		rp->extended = true;
		p++;
	}
	if (*p != '\0' || (section < 0 && !rp->extended))
		return;
	rp->base_len = (size_t)(star - name);
	rp->section = (int)section;
	rp->rfc2231 = true;
}

static void skip_to_semicolon(struct rfc822_lex *lx)
{
	const char *semi;

	if (lx->p >= lx->end)
		return;
	semi = memchr(lx->p, ';', (size_t)(lx->end - lx->p));
	lx->p = semi != NULL ? semi : lx->end;
}

static void read_value(struct rfc822_lex *lx, struct buf *value)
{
	const char *start = lx->p, *end;

	if (rfc822_lex_peek(lx) == '"') {
		rfc822_lex_quoted(lx, value);
		skip_to_semicolon(lx);
		return;
	}
	/* Unquoted values with tspecials or spaces are common (file names,
	 * boundaries with '='); take everything up to the ';'. */
	skip_to_semicolon(lx);
	end = lx->p;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
			       end[-1] == '\r' || end[-1] == '\n'))
		end--;
	buf_append(value, start, (size_t)(end - start));
}

static void parse_params(struct rfc822_lex *lx, struct raw_params *raw)
{
	struct buf name = BUF_INIT, value = BUF_INIT;

	while (!rfc822_lex_eof(lx)) {
		rfc822_lex_skip_cfws(lx, NULL);
		if (rfc822_lex_peek(lx) == ';') {
			lx->p++;
			continue;
		}
		if (rfc822_lex_eof(lx))
			break;
		buf_clear(&name);
		buf_clear(&value);
		if (rfc822_lex_run(lx, RFC822_TOKEN_SPECIALS, &name) == 0) {
			lx->p++;
			skip_to_semicolon(lx);
			continue;
		}
		rfc822_lex_skip_cfws(lx, NULL);
		if (rfc822_lex_peek(lx) != '=') {
			skip_to_semicolon(lx);
			continue;
		}
		lx->p++;
		rfc822_lex_skip_cfws(lx, NULL);
		read_value(lx, &value);
		if (raw->count < MIME_FIELD_MAX_PARAMS) {
			struct raw_param *rp = &raw->p[raw->count++];

			rp->name = buf_steal(&name);
			rp->value = buf_steal(&value);
			classify_name(rp);
		}
	}
	buf_free(&name);
	buf_free(&value);
}

static bool same_key(const struct raw_param *a, const struct raw_param *b)
{
	return a->rfc2231 == b->rfc2231 && a->base_len == b->base_len &&
	       strncasecmp(a->name, b->name, a->base_len) == 0;
}

/* RFC 2231 section 7 attribute-char: what may stand unencoded. */
static bool is_attr_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && strchr("*'%()<>@,;:\\\"/[]?=", c) == NULL;
}

static void pct_encode(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (is_attr_char(c)) {
			buf_append_char(out, (char)c);
		} else {
			buf_append_char(out, '%');
			buf_append_char(out, hex[c >> 4]);
			buf_append_char(out, hex[c & 15]);
		}
	}
}

static const struct raw_param *find_section(const struct raw_params *raw,
					    const struct raw_param *key,
					    int section)
{
	for (unsigned int i = 0; i < raw->count; i++) {
		if (raw->p[i].section == section && same_key(&raw->p[i], key))
			return &raw->p[i];
	}
	return NULL;
}

/* Joins the sections of one RFC 2231 parameter (section 3).  Returns false
 * when there is nothing to join (no section 0). */
static bool merge_sections(const struct raw_params *raw,
			   const struct raw_param *key, struct mime_param *out)
{
	const struct raw_param *sec[MIME_FIELD_MAX_SECTION + 1];
	struct buf name = BUF_INIT, value = BUF_INIT;
	bool extended = false;
	int n = 0;

	if (key->section < 0) {
		/* "name*=charset'lang'value": one extended part. */
		out->name = xstrdup(key->name);
		out->value = xstrdup(key->value);
		return true;
	}
	while (n <= MIME_FIELD_MAX_SECTION &&
	       (sec[n] = find_section(raw, key, n)) != NULL) {
		extended = extended || sec[n]->extended;
		n++;
	}
	if (n == 0)
		return false;
	buf_append(&name, key->name, key->base_len);
	for (int i = 0; i < n; i++) {
		if (!extended)
			buf_append_str(&value, sec[i]->value);
		else if (sec[i]->extended)
			buf_append_str(&value, sec[i]->value);
		else {
			/* A plain section in an extended value is encoded so
			 * the whole reads as one charset'lang'%XX string; a
			 * plain first section gets an empty charset and
			 * language. */
			if (i == 0)
				buf_append_str(&value, "''");
			pct_encode(sec[i]->value, &value);
		}
	}
	if (extended)
		buf_append_char(&name, '*');
	out->name = buf_steal(&name);
	out->value = buf_steal(&value);
	return true;
}

static void merge_params(struct raw_params *raw, struct mime_field *field)
{
	field->params = xcalloc(raw->count, sizeof(*field->params));
	for (unsigned int i = 0; i < raw->count; i++) {
		const struct raw_param *rp = &raw->p[i];
		bool seen = false;

		for (unsigned int j = 0; j < i && !seen; j++)
			seen = same_key(&raw->p[j], rp);
		if (seen)
			continue;
		if (!rp->rfc2231) {
			field->params[field->param_count].name =
				xstrdup(rp->name);
			field->params[field->param_count++].value =
				xstrdup(rp->value);
		} else if (merge_sections(raw, rp,
					  &field->params[field->param_count])) {
			field->param_count++;
		}
	}
	for (unsigned int i = 0; i < raw->count; i++) {
		free(raw->p[i].name);
		free(raw->p[i].value);
	}
	raw->count = 0;
}

static int parse_field(const char *value, size_t len, bool want_subtype,
		       struct mime_field *field_r)
{
	struct rfc822_lex lx;
	struct buf type = BUF_INIT, subtype = BUF_INIT;
	struct raw_params *raw;

	memset(field_r, 0, sizeof(*field_r));
	rfc822_lex_init(&lx, value, len);
	rfc822_lex_skip_cfws(&lx, NULL);
	if (rfc822_lex_run(&lx, RFC822_TOKEN_SPECIALS, &type) == 0)
		goto invalid;
	rfc822_lex_skip_cfws(&lx, NULL);
	if (want_subtype) {
		if (rfc822_lex_peek(&lx) != '/')
			goto invalid;
		lx.p++;
		rfc822_lex_skip_cfws(&lx, NULL);
		if (rfc822_lex_run(&lx, RFC822_TOKEN_SPECIALS, &subtype) == 0)
			goto invalid;
		rfc822_lex_skip_cfws(&lx, NULL);
	}
	/* Whatever follows the type up to the first ';' is garbage. */
	skip_to_semicolon(&lx);
	raw = xcalloc(1, sizeof(*raw));
	parse_params(&lx, raw);
	merge_params(raw, field_r);
	free(raw);
	field_r->type = buf_steal(&type);
	if (want_subtype)
		field_r->subtype = buf_steal(&subtype);
	return 0;
invalid:
	buf_free(&type);
	buf_free(&subtype);
	return -1;
}

int mime_field_parse_content_type(const char *value, size_t len,
				  struct mime_field *field_r)
{
	return parse_field(value, len, true, field_r);
}

int mime_field_parse_disposition(const char *value, size_t len,
				 struct mime_field *field_r)
{
	return parse_field(value, len, false, field_r);
}

void mime_field_deinit(struct mime_field *field)
{
	for (unsigned int i = 0; i < field->param_count; i++) {
		free(field->params[i].name);
		free(field->params[i].value);
	}
	free(field->params);
	free(field->type);
	free(field->subtype);
	memset(field, 0, sizeof(*field));
}

const char *mime_field_param(const struct mime_field *field,
			     const char *name)
{
	for (unsigned int i = 0; i < field->param_count; i++) {
		if (strcasecmp(field->params[i].name, name) == 0)
			return field->params[i].value;
	}
	return NULL;
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

/* "charset'lang'%XX..." to UTF-8 (RFC 2231 section 4).  A value without
 * the two quotes is taken as percent-encoded US-ASCII. */
static void decode_extended(const char *value, struct buf *out)
{
	char charset[CHARSET_NAME_MAX + 1] = "us-ascii";
	const char *q1 = strchr(value, '\''), *q2, *p = value;
	struct buf raw = BUF_INIT;

	if (q1 != NULL && (q2 = strchr(q1 + 1, '\'')) != NULL) {
		size_t cs_len = (size_t)(q1 - value);

		if (cs_len > 0 && cs_len <= CHARSET_NAME_MAX) {
			memcpy(charset, value, cs_len);
			charset[cs_len] = '\0';
		}
		p = q2 + 1;
	}
	for (; *p != '\0'; p++) {
		if (*p == '%' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
			buf_append_char(&raw, (char)(hex_digit(p[1]) * 16 +
						     hex_digit(p[2])));
			p += 2;
		} else {
			buf_append_char(&raw, *p);
		}
	}
	charset_to_utf8(charset, raw.data, raw.len, out);
	buf_free(&raw);
}

bool mime_field_param_utf8(const struct mime_field *field, const char *name,
			   struct buf *out)
{
	struct buf ext = BUF_INIT;
	const char *value;

	buf_append_str(&ext, name);
	buf_append_char(&ext, '*');
	value = mime_field_param(field, buf_cstr(&ext));
	buf_free(&ext);
	if (value != NULL) {
		decode_extended(value, out);
		return true;
	}
	value = mime_field_param(field, name);
	if (value == NULL)
		return false;
	rfc2047_decode(value, strlen(value), out);
	return true;
}

unsigned int mime_field_parse_language(const char *value, size_t len,
				       char **tags_r, unsigned int max)
{
	struct rfc822_lex lx;
	struct buf tag = BUF_INIT;
	unsigned int count = 0;

	rfc822_lex_init(&lx, value, len);
	while (!rfc822_lex_eof(&lx) && count < max) {
		rfc822_lex_skip_cfws(&lx, NULL);
		buf_clear(&tag);
		if (rfc822_lex_run(&lx, RFC822_ATOM_SPECIALS, &tag) > 0)
			tags_r[count++] = xstrdup(buf_cstr(&tag));
		rfc822_lex_skip_cfws(&lx, NULL);
		/* Skip to the next comma; garbage between is ignored. */
		while (!rfc822_lex_eof(&lx) && *lx.p != ',')
			lx.p++;
		if (!rfc822_lex_eof(&lx))
			lx.p++;
	}
	buf_free(&tag);
	return count;
}
