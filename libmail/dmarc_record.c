/* DMARC policy records, RFC 7489 section 6.3 and 6.4; see dmarc.h. */
#include "dmarc.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool dmarc_record_is_dmarc(const char *text, size_t len)
{
	size_t i = 1;

	/* "v" *WSP "=" *WSP "DMARC1" (6.4), then a separator. */
	if (len < 1 || text[0] != 'v')
		return false;
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (i >= len || text[i++] != '=')
		return false;
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (len - i < 6 || strncmp(text + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	return i == len || text[i] == ';' || text[i] == ' ' || text[i] == '\t';
}

static int dmarc_policy_value(const char *v, size_t n, enum dmarc_policy *p)
{
	if (n == 4 && strncasecmp(v, "none", 4) == 0)
		*p = DMARC_POLICY_NONE;
	else if (n == 10 && strncasecmp(v, "quarantine", 10) == 0)
		*p = DMARC_POLICY_QUARANTINE;
	else if (n == 6 && strncasecmp(v, "reject", 6) == 0)
		*p = DMARC_POLICY_REJECT;
	else
		return -1;
	return 0;
}

static int dmarc_mode_value(const char *v, size_t n, bool *strict)
{
	if (n != 1 || (tolower((unsigned char)v[0]) != 'r' &&
		       tolower((unsigned char)v[0]) != 's'))
		return -1;
	*strict = tolower((unsigned char)v[0]) == 's';
	return 0;
}

static int dmarc_number(const char *v, size_t n, unsigned long max,
			unsigned long *out)
{
	unsigned long x = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

/* dmarc-uri *(*WSP "," *WSP dmarc-uri): each a URI with a scheme. */
static int dmarc_uris(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = i, colon = 0;

		while (k < n && v[k] != ',') {
			if (v[k] == ':' && colon == 0)
				colon = k;
			k++;
		}
		while (i < k && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (colon == 0 || colon <= i || colon + 1 >= k ||
		    !isalpha((unsigned char)v[i]))
			return -1;
		i = k + 1;
	}
	return n > 0 ? 0 : -1;
}

struct dmarc_parse {
	struct dmarc_record *rec;
	bool p_bad, sp_bad, p_given;
	const char *error;
};

static int dmarc_tag(struct dmarc_parse *st, const char *t, size_t tn,
		     const char *v, size_t vn)
{
	struct dmarc_record *rec = st->rec;
	unsigned long x;

#define TAG(name) (tn == sizeof(name) - 1 && strncasecmp(t, name, tn) == 0)
	if (TAG("p")) {
		st->p_given = true;
		st->p_bad = dmarc_policy_value(v, vn, &rec->p) < 0;
	} else if (TAG("sp")) {
		rec->sp_given = true;
		st->sp_bad = dmarc_policy_value(v, vn, &rec->sp) < 0;
	} else if (TAG("adkim")) {
		if (dmarc_mode_value(v, vn, &rec->adkim_strict) < 0)
			return (st->error = "bad adkim", -1);
	} else if (TAG("aspf")) {
		if (dmarc_mode_value(v, vn, &rec->aspf_strict) < 0)
			return (st->error = "bad aspf", -1);
	} else if (TAG("pct")) {
		if (dmarc_number(v, vn, 100, &x) < 0)
			return (st->error = "bad pct", -1);
		rec->pct = (unsigned int)x;
	} else if (TAG("ri")) {
		if (dmarc_number(v, vn, 0xffffffffUL, &rec->ri) < 0)
			return (st->error = "bad ri", -1);
	} else if (TAG("rua") || TAG("ruf")) {
		bool ok = dmarc_uris(v, vn) == 0;

		if (TAG("rua"))
			rec->rua_given = ok;
		else
			rec->ruf_given = ok;
	} else if (TAG("fo") || TAG("rf")) {
		/* Failure reporting options: reports are not sent. */
		if (vn == 0)
			return (st->error = "empty fo or rf", -1);
	}
	/* Unknown tags are ignored (6.3). */
#undef TAG
	return 0;
}

int dmarc_record_parse(const char *text, size_t len, struct dmarc_record *rec,
		       const char **error_r)
{
	struct dmarc_parse st;
	size_t i = 0, tags = 0;
	char seen[DMARC_TAGS_MAX][8];

	memset(rec, 0, sizeof(*rec));
	memset(&st, 0, sizeof(st));
	st.rec = rec;
	rec->pct = 100;
	rec->ri = 86400;
	if (len > DMARC_RECORD_MAX || memchr(text, '\0', len) != NULL) {
		*error_r = "record too long or not text";
		return -1;
	}
	if (!dmarc_record_is_dmarc(text, len)) {
		*error_r = "not a DMARC record";
		return -1;
	}
	while (i < len) {
		size_t end = i, eq, tn, vn, k;
		const char *t, *v;

		while (end < len && text[end] != ';')
			end++;
		t = text + i;
		while (t < text + end && isspace((unsigned char)*t))
			t++;
		for (eq = (size_t)(t - text); eq < end && text[eq] != '='; eq++)
			;
		i = end + 1;
		if (t == text + end)
			continue;	/* empty, as after a final ";" */
		if (eq == end) {
			*error_r = "a tag without a value";
			return -1;
		}
		tn = (size_t)(text + eq - t);
		while (tn > 0 && isspace((unsigned char)t[tn - 1]))
			tn--;
		v = text + eq + 1;
		vn = end - eq - 1;
		while (vn > 0 && isspace((unsigned char)*v)) {
			v++;
			vn--;
		}
		while (vn > 0 && isspace((unsigned char)v[vn - 1]))
			vn--;
		if (tn == 0 || tn >= sizeof(seen[0]) || tags >= DMARC_TAGS_MAX) {
			if (tn == 0 || tags >= DMARC_TAGS_MAX) {
				*error_r = "bad tag list";
				return -1;
			}
			continue;	/* a long unknown tag */
		}
		for (k = 0; k < tags; k++) {
			if (strlen(seen[k]) == tn &&
			    strncasecmp(seen[k], t, tn) == 0) {
				*error_r = "a tag given twice";
				return -1;
			}
		}
		memcpy(seen[tags], t, tn);
		seen[tags++][tn] = '\0';
		if (tags == 1)
			continue;	/* v=DMARC1, checked above */
		if (dmarc_tag(&st, t, tn, v, vn) < 0) {
			*error_r = st.error;
			return -1;
		}
	}
	if (!st.p_given || st.p_bad || st.sp_bad) {
		/* 6.6.3: with a valid rua, act as if p=none. */
		if (!rec->rua_given) {
			*error_r = "no valid p= policy";
			return -1;
		}
		rec->p = DMARC_POLICY_NONE;
		if (st.sp_bad)
			rec->sp_given = false;
	}
	if (!rec->sp_given)
		rec->sp = rec->p;
	return 0;
}
