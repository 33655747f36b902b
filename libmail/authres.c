/* Authentication-Results (RFC 8601); see authres.h. */
#include "authres.h"
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

void authres_add_prop(struct authres_result *r, const char *ptype,
		      const char *property, const char *value)
{
	if (r->prop_count == AUTHRES_PROPS_MAX)
		log_panic("authres: too many properties for %s", r->method);
	r->props[r->prop_count].ptype = ptype;
	r->props[r->prop_count].property = property;
	r->props[r->prop_count].value = value;
	r->prop_count++;
}

/* RFC 2045 token: no controls, space or tspecials. */
static bool authres_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c))
			return false;
	}
	return true;
}

static void authres_quote(struct buf *out, const char *s)
{
	buf_append_char(out, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < ' ' || c == 0x7f)
			continue;
		if (c == '"' || c == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, (char)c);
	}
	buf_append_char(out, '"');
}

/* A pvalue (RFC 8601 2.2): a domain or local@domain may go bare, the
 * rest (header.b holds "/" and "=") is quoted. */
static void authres_value(struct buf *out, const char *s)
{
	const char *at = strchr(s, '@');
	bool bare = authres_is_token(s);

	if (!bare && at != NULL && strchr(at + 1, '@') == NULL) {
		struct buf local = BUF_INIT;

		buf_append(&local, s, (size_t)(at - s));
		bare = (at == s || authres_is_token(buf_cstr(&local))) &&
			authres_is_token(at + 1);
		buf_free(&local);
	}
	if (bare)
		buf_append_str(out, s);
	else
		authres_quote(out, s);
}

void authres_format(struct buf *out, const char *authserv_id,
		    const struct authres_result *results, size_t count)
{
	size_t i, j;

	buf_append_str(out, "Authentication-Results: ");
	authres_value(out, authserv_id);
	if (count == 0)
		buf_append_str(out, "; none");
	for (i = 0; i < count; i++) {
		const struct authres_result *r = &results[i];

		buf_printf(out, ";\r\n\t%s=%s", r->method, r->result);
		if (r->reason != NULL) {
			buf_append_str(out, " reason=");
			authres_quote(out, r->reason);
		}
		for (j = 0; j < r->prop_count; j++) {
			buf_printf(out, "\r\n\t %s.%s=", r->props[j].ptype,
				   r->props[j].property);
			authres_value(out, r->props[j].value);
		}
	}
	buf_append_str(out, "\r\n");
}

/* Skips whitespace, line folds and (nested) comments. */
static size_t authres_skip_cfws(const char *s, size_t len, size_t i)
{
	unsigned int depth = 0;

	for (; i < len; i++) {
		char c = s[i];

		if (depth > 0) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(') {
			depth++;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			break;
		}
	}
	return i;
}

bool authres_field_is_ours(const char *field, size_t len,
			   const char *authserv_id)
{
	static const char name[] = "Authentication-Results";
	size_t n = sizeof(name) - 1, i, start;
	struct buf id = BUF_INIT;
	bool ours;

	if (len < n || strncasecmp(field, name, n) != 0)
		return false;
	i = n;
	while (i < len && (field[i] == ' ' || field[i] == '\t'))
		i++;
	if (i == len || field[i] != ':')
		return false;
	i = authres_skip_cfws(field, len, i + 1);
	if (i < len && field[i] == '"') {
		for (i++; i < len && field[i] != '"'; i++) {
			if (field[i] == '\\' && i + 1 < len)
				i++;
			buf_append_char(&id, field[i]);
		}
	} else {
		start = i;
		while (i < len && field[i] != ';' && field[i] != '(' &&
		       !isspace((unsigned char)field[i]))
			i++;
		buf_append(&id, field + start, i - start);
	}
	ours = id.len > 0 && strcasecmp(buf_cstr(&id), authserv_id) == 0;
	buf_free(&id);
	return ours;
}
