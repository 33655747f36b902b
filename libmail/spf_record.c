/* SPF record syntax, RFC 7208 section 12; see spf_record.h. */
#include "spf_record.h"
#include "spf_macro.h"
#include "buf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum spf_mech mech;
} spf_mechs[] = {
	{ "all", SPF_MECH_ALL }, { "include", SPF_MECH_INCLUDE },
	{ "a", SPF_MECH_A }, { "mx", SPF_MECH_MX }, { "ptr", SPF_MECH_PTR },
	{ "ip4", SPF_MECH_IP4 }, { "ip6", SPF_MECH_IP6 },
	{ "exists", SPF_MECH_EXISTS },
};

bool spf_record_is_spf(const char *text, size_t len)
{
	return len >= 6 && strncasecmp(text, "v=spf1", 6) == 0 &&
		(len == 6 || text[6] == ' ');
}

void spf_record_free(struct spf_record *rec)
{
	size_t i;

	for (i = 0; i < rec->count; i++) {
		free(rec->terms[i].domain);
		free(rec->terms[i].text);
	}
	free(rec->terms);
	free(rec->redirect);
	free(rec->exp);
	memset(rec, 0, sizeof(*rec));
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool spf_toplabel(const char *s, size_t n)
{
	bool alpha = false, dash = false;
	size_t i;

	if (n == 0 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '-')
			dash = true;
		else if (isalpha((unsigned char)s[i]))
			alpha = true;
		else if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return alpha || dash;
}

/* domain-spec = macro-string domain-end; domain-end = ( "." toplabel
 * [ "." ] ) / macro-expand */
static int spf_domain_spec_check(const char *s, size_t n,
				 const char **error_r)
{
	const char *dot;
	size_t end = n;

	if (n == 0) {
		*error_r = "empty domain";
		return -1;
	}
	if (spf_macro_expand(s, n, NULL, false, NULL, error_r) < 0)
		return -1;
	if (s[n - 1] == '}' || (n >= 2 && s[n - 2] == '%' &&
				strchr("%_-", s[n - 1]) != NULL))
		return 0;
	if (s[end - 1] == '.')
		end--;
	dot = end > 0 ? memrchr(s, '.', end) : NULL;
	if (dot == NULL || !spf_toplabel(dot + 1, (size_t)(s + end - dot - 1))) {
		*error_r = "domain does not end in a valid top label";
		return -1;
	}
	return 0;
}

/* A decimal prefix length with no leading zero, at most `max`. */
static int spf_cidr(const char *s, size_t n, unsigned int max,
		    unsigned int *v_r)
{
	unsigned int v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*v_r = v;
	return 0;
}

static bool spf_all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return n > 0;
}

/* Takes "/N" and "//N" off the end of a/mx arguments (dual-cidr-length):
 * the domain-spec may itself hold slashes, so the lengths are read from
 * the right. */
static int spf_dual_cidr(const char *s, size_t *n, struct spf_term *t)
{
	const char *slash;

	slash = *n > 0 ? memrchr(s, '/', *n) : NULL;
	if (slash != NULL && slash > s && slash[-1] == '/' &&
	    spf_all_digits(slash + 1, (size_t)(s + *n - slash - 1))) {
		if (spf_cidr(slash + 1, (size_t)(s + *n - slash - 1), 128,
			     &t->cidr6) < 0)
			return -1;
		*n = (size_t)(slash - 1 - s);
	}
	slash = *n > 0 ? memrchr(s, '/', *n) : NULL;
	if (slash != NULL &&
	    spf_all_digits(slash + 1, (size_t)(s + *n - slash - 1))) {
		if (spf_cidr(slash + 1, (size_t)(s + *n - slash - 1), 32,
			     &t->cidr4) < 0)
			return -1;
		*n = (size_t)(slash - s);
	}
	return 0;
}

static int spf_ip_arg(const char *arg, size_t n, struct spf_term *t,
		      const char **error_r)
{
	bool v6 = t->mech == SPF_MECH_IP6;
	const char *slash = memchr(arg, '/', n);
	size_t alen = slash != NULL ? (size_t)(slash - arg) : n;
	char ip[64];

	if (slash != NULL &&
	    spf_cidr(slash + 1, n - alen - 1, v6 ? 128 : 32,
		     v6 ? &t->cidr6 : &t->cidr4) < 0) {
		*error_r = "bad prefix length";
		return -1;
	}
	if (alen == 0 || alen >= sizeof(ip)) {
		*error_r = "bad address";
		return -1;
	}
	memcpy(ip, arg, alen);
	ip[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, t->addr) != 1) {
		*error_r = "bad address";
		return -1;
	}
	return 0;
}

/* One mechanism (qualifier already taken); `name` is its name's length. */
static int spf_mechanism(const char *s, size_t n, size_t name,
			 struct spf_term *t, const char **error_r)
{
	const char *arg = s + name;
	size_t i, alen = n - name;
	bool found = false;

	for (i = 0; i < sizeof(spf_mechs) / sizeof(spf_mechs[0]); i++) {
		if (strlen(spf_mechs[i].name) == name &&
		    strncasecmp(s, spf_mechs[i].name, name) == 0) {
			t->mech = spf_mechs[i].mech;
			found = true;
		}
	}
	if (!found) {
		*error_r = "unknown mechanism";
		return -1;
	}
	t->cidr4 = 32;
	t->cidr6 = 128;
	switch (t->mech) {
	case SPF_MECH_ALL:
		if (alen == 0)
			return 0;
		break;
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		if (alen > 1 && arg[0] == ':')
			return spf_ip_arg(arg + 1, alen - 1, t, error_r);
		break;
	case SPF_MECH_A:
	case SPF_MECH_MX:
		if (spf_dual_cidr(arg, &alen, t) < 0) {
			*error_r = "bad prefix length";
			return -1;
		}
		/* fall through */
	case SPF_MECH_PTR:
		if (alen == 0)
			return 0;
		/* fall through */
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS:
		if (alen > 1 && arg[0] == ':') {
			if (spf_domain_spec_check(arg + 1, alen - 1,
						  error_r) < 0)
				return -1;
			t->domain = xstrndup(arg + 1, alen - 1);
			return 0;
		}
		break;
	}
	*error_r = "bad mechanism argument";
	return -1;
}

/* name "=" macro-string */
static int spf_modifier(const char *s, size_t n, size_t name,
			struct spf_record *rec, const char **error_r)
{
	const char *val = s + name + 1;
	size_t vlen = n - name - 1;
	char **slot = NULL;

	if (name == 8 && strncasecmp(s, "redirect", 8) == 0)
		slot = &rec->redirect;
	else if (name == 3 && strncasecmp(s, "exp", 3) == 0)
		slot = &rec->exp;
	if (slot == NULL)
		/* Unknown modifiers are ignored, but must be well-formed. */
		return spf_macro_expand(val, vlen, NULL, false, NULL, error_r);
	if (*slot != NULL) {
		*error_r = "modifier given twice";
		return -1;
	}
	if (spf_domain_spec_check(val, vlen, error_r) < 0)
		return -1;
	*slot = xstrndup(val, vlen);
	return 0;
}

static int spf_term(const char *s, size_t n, struct spf_record *rec,
		    const char **error_r)
{
	const char *orig = s;
	size_t orig_n = n, name = 0;
	bool has_q = false;
	struct spf_term t;
	char q = '+';

	memset(&t, 0, sizeof(t));
	if (strchr("+-~?", s[0]) != NULL) {
		q = s[0];
		has_q = true;
		s++;
		n--;
	}
	if (n > 0 && isalpha((unsigned char)s[0])) {
		name = 1;
		while (name < n && (isalnum((unsigned char)s[name]) ||
				    strchr("-_.", s[name]) != NULL))
			name++;
	}
	if (name == 0) {
		*error_r = "term does not start with a name";
		return -1;
	}
	if (name < n && s[name] == '=') {
		if (has_q) {
			*error_r = "qualifier on a modifier";
			return -1;
		}
		return spf_modifier(s, n, name, rec, error_r);
	}
	if (rec->count >= SPF_TERMS_MAX) {
		*error_r = "too many terms";
		return -1;
	}
	t.qualifier = q;
	if (spf_mechanism(s, n, name, &t, error_r) < 0) {
		free(t.domain);
		return -1;
	}
	t.text = xstrndup(orig, orig_n);
	rec->terms = xrealloc(rec->terms, (rec->count + 1) *
			      sizeof(*rec->terms));
	rec->terms[rec->count++] = t;
	return 0;
}

int spf_record_parse(const char *text, size_t len, struct spf_record *rec,
		     char *error, size_t error_size)
{
	const char *err = NULL;
	size_t i, n, term = 0;

	memset(rec, 0, sizeof(*rec));
	if (len > SPF_RECORD_MAX) {
		(void)str_copy(error, error_size, "record too long");
		return -1;
	}
	if (!spf_record_is_spf(text, len) || memchr(text, '\0', len) != NULL) {
		(void)str_copy(error, error_size, "not an SPF record");
		return -1;
	}
	for (i = 6; i < len; i += n) {
		if (text[i] == ' ') {
			n = 1;
			continue;
		}
		for (n = 0; i + n < len && text[i + n] != ' '; n++)
			;
		term++;
		if (spf_term(text + i, n, rec, &err) < 0) {
			(void)str_format(error, error_size, "term %zu '%.*s': %s",
					 term, (int)(n > 64 ? 64 : n), text + i,
					 err);
			spf_record_free(rec);
			return -1;
		}
	}
	return 0;
}
