#include "smtp_address.h"
#include "buf.h"
#include "smtp_limits.h"
#include "smtp_utf8.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 1035 2.3.4. */
#define SMTP_ADDRESS_LABEL_MAX 63

struct smtp_address_parser {
	const unsigned char *p, *end;
	unsigned int flags;
	bool utf8;
	enum smtp_address_error kind;
	const char *error;
};

static int smtp_address_fail(struct smtp_address_parser *ap,
			     enum smtp_address_error kind, const char *error)
{
	ap->kind = kind;
	ap->error = error;
	return -1;
}

/* atext of RFC 5321 4.1.2 (RFC 5322 3.2.3). */
static bool smtp_address_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool smtp_address_is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

/*
 * A non-ASCII octet where UTF8-non-ascii may appear (RFC 6531 3.3): the
 * length of its sequence, or 0 with the failure recorded.
 */
static size_t smtp_address_utf8(struct smtp_address_parser *ap)
{
	size_t n;

	if ((ap->flags & SMTP_ADDRESS_ALLOW_UTF8) == 0) {
		smtp_address_fail(ap, SMTP_ADDRESS_ERROR_UTF8,
				  "non-ASCII address without SMTPUTF8");
		return 0;
	}
	n = smtp_utf8_seq_len(ap->p, (size_t)(ap->end - ap->p));
	if (n == 0) {
		smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
				  "malformed UTF-8 in address");
		return 0;
	}
	ap->utf8 = true;
	return n;
}

/* Quoted-string (RFC 5321 4.1.2), decoded into `out`. */
static int smtp_address_quoted(struct smtp_address_parser *ap,
			       struct buf *out)
{
	size_t n;

	ap->p++;
	while (ap->p < ap->end) {
		unsigned char c = *ap->p;

		if (c == '"') {
			ap->p++;
			return 0;
		}
		if (c == '\\') {
			/* quoted-pairSMTP: backslash and one of %d32-126. */
			if (ap->end - ap->p < 2 || ap->p[1] < 32 ||
			    ap->p[1] > 126)
				break;
			buf_append_char(out, (char)ap->p[1]);
			ap->p += 2;
		} else if (c >= 32 && c <= 126) {
			buf_append_char(out, (char)c);
			ap->p++;
		} else if (c >= 0x80) {
			if ((n = smtp_address_utf8(ap)) == 0)
				return -1;
			buf_append(out, ap->p, n);
			ap->p += n;
		} else {
			break;
		}
	}
	return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
				 "bad quoted local part");
}

/* Dot-string (RFC 5321 4.1.2): atoms joined by single dots. */
static int smtp_address_dot_string(struct smtp_address_parser *ap,
				   struct buf *out)
{
	bool need_atext = true;
	size_t n;

	while (ap->p < ap->end) {
		unsigned char c = *ap->p;

		if (smtp_address_is_atext(c)) {
			buf_append_char(out, (char)c);
			ap->p++;
			need_atext = false;
		} else if (c >= 0x80) {
			if ((n = smtp_address_utf8(ap)) == 0)
				return -1;
			buf_append(out, ap->p, n);
			ap->p += n;
			need_atext = false;
		} else if (c == '.' && !need_atext) {
			buf_append_char(out, '.');
			ap->p++;
			need_atext = true;
		} else {
			break;
		}
	}
	if (need_atext)
		return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
					 "bad local part");
	return 0;
}

static int smtp_address_local_part(struct smtp_address_parser *ap,
				   const struct smtp_limits *limits,
				   struct buf *out)
{
	const unsigned char *start = ap->p;
	int ret;

	if (ap->p < ap->end && *ap->p == '"')
		ret = smtp_address_quoted(ap, out);
	else
		ret = smtp_address_dot_string(ap, out);
	if (ret < 0)
		return -1;
	if (out->len == 0)
		return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
					 "empty local part");
	if ((size_t)(ap->p - start) > limits->local_part)
		return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_TOO_LONG,
					 "local part too long");
	return 0;
}

/* Snum (RFC 5321 4.1.3): 1-3 digits, 0-255. */
static int smtp_address_snum(const char **s, const char *end,
			     unsigned int *value_r)
{
	unsigned int v = 0, digits = 0;

	while (*s < end && **s >= '0' && **s <= '9' && digits < 4) {
		v = v * 10 + (unsigned int)(**s - '0');
		(*s)++;
		digits++;
	}
	if (digits == 0 || digits > 3 || v > 255)
		return -1;
	*value_r = v;
	return 0;
}

static int smtp_address_ipv4(const char *s, size_t len, struct buf *out)
{
	const char *end = s + len;
	unsigned int v[4];
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0) {
			if (s >= end || *s != '.')
				return -1;
			s++;
		}
		if (smtp_address_snum(&s, end, &v[i]) < 0)
			return -1;
	}
	if (s != end)
		return -1;
	buf_printf(out, "[%u.%u.%u.%u]", v[0], v[1], v[2], v[3]);
	return 0;
}

static int smtp_address_ipv6(const char *s, size_t len, struct buf *out)
{
	char text[INET6_ADDRSTRLEN];
	struct in6_addr addr;
	size_t i;

	/* IPv6-addr of RFC 5321 4.1.3 uses only these octets; checking them
	 * first keeps inet_pton() from seeing anything it might read more
	 * generously than the RFC. */
	if (len == 0 || len >= sizeof(text))
		return -1;
	for (i = 0; i < len; i++) {
		if (strchr("0123456789abcdefABCDEF:.", s[i]) == NULL ||
		    s[i] == '\0')
			return -1;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET6, text, &addr) != 1 ||
	    inet_ntop(AF_INET6, &addr, text, sizeof(text)) == NULL)
		return -1;
	buf_printf(out, "[IPv6:%s]", text);
	return 0;
}

/* address-literal (RFC 5321 4.1.3), canonicalised into `out`. */
static int smtp_address_literal(struct smtp_address_parser *ap,
				struct buf *out)
{
	const unsigned char *start = ++ap->p;
	const char *s = (const char *)start;
	size_t len;

	while (ap->p < ap->end && *ap->p != ']') {
		/* dcontent: %d33-90 / %d94-126 */
		if (*ap->p < 33 || *ap->p > 126 || *ap->p == '[' ||
		    *ap->p == '\\')
			return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
						 "bad address literal");
		ap->p++;
	}
	if (ap->p >= ap->end)
		return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
					 "unterminated address literal");
	len = (size_t)(ap->p - start);
	ap->p++;
	if (len > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		if (smtp_address_ipv6(s + 5, len - 5, out) == 0)
			return 0;
	} else if (smtp_address_ipv4(s, len, out) == 0) {
		return 0;
	}
	return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
				 "bad or unsupported address literal");
}

/* Domain (RFC 5321 4.1.2), lowercased into `out`; U-labels with SMTPUTF8
 * (RFC 6531 3.3). */
static int smtp_address_domain_name(struct smtp_address_parser *ap,
				    struct buf *out)
{
	size_t label = 0, n;
	bool label_ascii = true, last_hyphen = false;

	for (;;) {
		unsigned char c = ap->p < ap->end ? *ap->p : '\0';

		if (smtp_address_is_letdig(c) || (c == '-' && label > 0)) {
			buf_append_char(out, (char)(c >= 'A' && c <= 'Z' ?
						    c - 'A' + 'a' : c));
			ap->p++;
			label++;
			last_hyphen = c == '-';
		} else if (c >= 0x80) {
			if ((n = smtp_address_utf8(ap)) == 0)
				return -1;
			buf_append(out, ap->p, n);
			ap->p += n;
			label += n;
			label_ascii = false;
			last_hyphen = false;
		} else {
			if (label == 0 || last_hyphen)
				return smtp_address_fail(ap,
					SMTP_ADDRESS_ERROR_SYNTAX,
					"bad domain");
			if (label_ascii && label > SMTP_ADDRESS_LABEL_MAX)
				return smtp_address_fail(ap,
					SMTP_ADDRESS_ERROR_TOO_LONG,
					"domain label too long");
			if (c != '.')
				return 0;
			buf_append_char(out, '.');
			ap->p++;
			label = 0;
			label_ascii = true;
		}
	}
}

static int smtp_address_domain(struct smtp_address_parser *ap,
			       const struct smtp_limits *limits,
			       struct buf *out, bool *literal_r)
{
	const unsigned char *start = ap->p;
	int ret;

	*literal_r = ap->p < ap->end && *ap->p == '[';
	ret = *literal_r ? smtp_address_literal(ap, out) :
		smtp_address_domain_name(ap, out);
	if (ret < 0)
		return -1;
	if ((size_t)(ap->p - start) > limits->domain)
		return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_TOO_LONG,
					 "domain too long");
	return 0;
}

/* A-d-l (RFC 5321 4.1.2): "@" Domain *("," "@" Domain) ":".  Checked for
 * syntax, then dropped (RFC 5321 4.1.1.3, appendix C). */
static int smtp_address_route(struct smtp_address_parser *ap,
			      const struct smtp_limits *limits)
{
	struct buf scratch = BUF_INIT;
	bool literal;

	for (;;) {
		if (ap->p >= ap->end || *ap->p != '@')
			break;
		ap->p++;
		buf_clear(&scratch);
		if (smtp_address_domain(ap, limits, &scratch, &literal) < 0) {
			buf_free(&scratch);
			return -1;
		}
		if (literal || ap->p >= ap->end)
			break;
		if (*ap->p == ':') {
			ap->p++;
			buf_free(&scratch);
			return 0;
		}
		if (*ap->p != ',')
			break;
		ap->p++;
	}
	buf_free(&scratch);
	return smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
				 "bad source route");
}

/* Mailbox (RFC 5321 4.1.2): Local-part "@" ( Domain / address-literal ). */
static int smtp_address_mailbox(struct smtp_address_parser *ap,
				const struct smtp_limits *limits,
				struct smtp_address *addr)
{
	struct buf local = BUF_INIT, domain = BUF_INIT;

	if (smtp_address_local_part(ap, limits, &local) < 0)
		goto fail;
	if (ap->p >= ap->end || *ap->p != '@') {
		smtp_address_fail(ap, SMTP_ADDRESS_ERROR_SYNTAX,
				  "no domain in address");
		goto fail;
	}
	ap->p++;
	if (smtp_address_domain(ap, limits, &domain,
				&addr->domain_literal) < 0)
		goto fail;
	addr->local_part = buf_steal(&local);
	addr->domain = buf_steal(&domain);
	return 0;
fail:
	buf_free(&local);
	buf_free(&domain);
	return -1;
}

/* "postmaster" (any case) right at the cursor and followed by `next`
 * (or by the end when `next` is NUL). */
static bool smtp_address_at_postmaster(const struct smtp_address_parser *ap,
				       char next)
{
	size_t left = (size_t)(ap->end - ap->p);

	if (left < 10 || strncasecmp((const char *)ap->p, "postmaster", 10))
		return false;
	return next == '\0' ? left == 10 : left > 10 && ap->p[10] == next;
}

int smtp_address_parse_path(const char *s, size_t len, unsigned int flags,
			    const struct smtp_limits *limits,
			    struct smtp_address **addr_r, size_t *consumed_r,
			    enum smtp_address_error *kind_r,
			    const char **error_r)
{
	struct smtp_address_parser ap = {
		.p = (const unsigned char *)s,
		.end = (const unsigned char *)s + len,
		.flags = flags,
	};
	struct smtp_address *addr = xcalloc(1, sizeof(*addr));

	*addr_r = NULL;
	if (ap.p >= ap.end || *ap.p != '<') {
		smtp_address_fail(&ap, SMTP_ADDRESS_ERROR_SYNTAX,
				  "path not in angle brackets");
		goto fail;
	}
	ap.p++;
	if (ap.p < ap.end && *ap.p == '>') {
		if ((flags & SMTP_ADDRESS_ALLOW_NULL) == 0) {
			smtp_address_fail(&ap, SMTP_ADDRESS_ERROR_SYNTAX,
					  "null path not allowed here");
			goto fail;
		}
		addr->null_path = true;
	} else if ((flags & SMTP_ADDRESS_ALLOW_POSTMASTER) != 0 &&
		   smtp_address_at_postmaster(&ap, '>')) {
		/* RFC 5321 4.1.1.3: "<Postmaster>" without a domain, any
		 * case, must be accepted for RCPT. */
		addr->postmaster = true;
		addr->local_part = xstrdup("postmaster");
		ap.p += 10;
	} else {
		if (ap.p < ap.end && *ap.p == '@') {
			if (smtp_address_route(&ap, limits) < 0)
				goto fail;
			addr->source_route = true;
		}
		if (smtp_address_mailbox(&ap, limits, addr) < 0)
			goto fail;
	}
	if (ap.p >= ap.end || *ap.p != '>') {
		smtp_address_fail(&ap, SMTP_ADDRESS_ERROR_SYNTAX,
				  "junk after address");
		goto fail;
	}
	ap.p++;
	if ((size_t)(ap.p - (const unsigned char *)s) > limits->path) {
		smtp_address_fail(&ap, SMTP_ADDRESS_ERROR_TOO_LONG,
				  "path too long");
		goto fail;
	}
	addr->utf8 = ap.utf8;
	*consumed_r = (size_t)(ap.p - (const unsigned char *)s);
	*addr_r = addr;
	return 0;
fail:
	smtp_address_free(&addr);
	*kind_r = ap.kind;
	*error_r = ap.error;
	return -1;
}

int smtp_address_parse_mailbox(const char *s, size_t len, unsigned int flags,
			       const struct smtp_limits *limits,
			       struct smtp_address **addr_r,
			       enum smtp_address_error *kind_r,
			       const char **error_r)
{
	struct smtp_address_parser ap = {
		.p = (const unsigned char *)s,
		.end = (const unsigned char *)s + len,
		.flags = flags,
	};
	struct smtp_address *addr = xcalloc(1, sizeof(*addr));

	*addr_r = NULL;
	if ((flags & SMTP_ADDRESS_ALLOW_POSTMASTER) != 0 &&
	    smtp_address_at_postmaster(&ap, '\0')) {
		addr->postmaster = true;
		addr->local_part = xstrdup("postmaster");
		*addr_r = addr;
		return 0;
	}
	if (smtp_address_mailbox(&ap, limits, addr) < 0)
		goto fail;
	if (ap.p != ap.end) {
		smtp_address_fail(&ap, SMTP_ADDRESS_ERROR_SYNTAX,
				  "junk after address");
		goto fail;
	}
	/* A mailbox is a path without its two brackets. */
	if (len + 2 > limits->path) {
		smtp_address_fail(&ap, SMTP_ADDRESS_ERROR_TOO_LONG,
				  "address too long");
		goto fail;
	}
	addr->utf8 = ap.utf8;
	*addr_r = addr;
	return 0;
fail:
	smtp_address_free(&addr);
	*kind_r = ap.kind;
	*error_r = ap.error;
	return -1;
}

int smtp_address_parse_domain(const char *s, size_t len, unsigned int flags,
			      const struct smtp_limits *limits,
			      char **domain_r, bool *literal_r,
			      enum smtp_address_error *kind_r,
			      const char **error_r)
{
	struct smtp_address_parser ap = {
		.p = (const unsigned char *)s,
		.end = (const unsigned char *)s + len,
		.flags = flags,
	};
	struct buf domain = BUF_INIT;

	if (smtp_address_domain(&ap, limits, &domain, literal_r) == 0 &&
	    ap.p != ap.end)
		smtp_address_fail(&ap, SMTP_ADDRESS_ERROR_SYNTAX,
				  "junk after domain");
	else if (ap.error == NULL) {
		*domain_r = buf_steal(&domain);
		return 0;
	}
	buf_free(&domain);
	*domain_r = NULL;
	*kind_r = ap.kind;
	*error_r = ap.error;
	return -1;
}

void smtp_address_free(struct smtp_address **addr)
{
	if (*addr == NULL)
		return;
	free((*addr)->local_part);
	free((*addr)->domain);
	free(*addr);
	*addr = NULL;
}

struct smtp_address *smtp_address_dup(const struct smtp_address *addr)
{
	struct smtp_address *copy = xmalloc(sizeof(*copy));

	*copy = *addr;
	copy->local_part = addr->local_part == NULL ? NULL :
		xstrdup(addr->local_part);
	copy->domain = addr->domain == NULL ? NULL : xstrdup(addr->domain);
	return copy;
}

/* Whether a decoded local part can be sent as a Dot-string. */
static bool smtp_address_is_dot_string(const char *s)
{
	bool need_atext = true;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (smtp_address_is_atext(c) || c >= 0x80)
			need_atext = false;
		else if (c == '.' && !need_atext)
			need_atext = true;
		else
			return false;
	}
	return !need_atext;
}

void smtp_address_write(struct buf *out, const struct smtp_address *addr)
{
	const char *s;

	if (addr->null_path)
		return;
	if (smtp_address_is_dot_string(addr->local_part)) {
		buf_append_str(out, addr->local_part);
	} else {
		buf_append_char(out, '"');
		for (s = addr->local_part; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				buf_append_char(out, '\\');
			buf_append_char(out, *s);
		}
		buf_append_char(out, '"');
	}
	if (addr->domain != NULL) {
		buf_append_char(out, '@');
		buf_append_str(out, addr->domain);
	}
}

void smtp_address_write_path(struct buf *out, const struct smtp_address *addr)
{
	buf_append_char(out, '<');
	smtp_address_write(out, addr);
	buf_append_char(out, '>');
}

bool smtp_address_local_part_has_routing(const char *local_part)
{
	return strpbrk(local_part, "@%!") != NULL;
}

unsigned int smtp_address_routing(const struct smtp_address *addr)
{
	unsigned int routing = 0;

	if (addr->source_route)
		routing |= SMTP_ADDRESS_ROUTE_SOURCE;
	if (addr->local_part == NULL)
		return routing;
	if (strchr(addr->local_part, '@') != NULL)
		routing |= SMTP_ADDRESS_ROUTE_AT;
	if (strchr(addr->local_part, '%') != NULL)
		routing |= SMTP_ADDRESS_ROUTE_PERCENT;
	if (strchr(addr->local_part, '!') != NULL)
		routing |= SMTP_ADDRESS_ROUTE_BANG;
	return routing;
}

bool smtp_address_split_detail(const char *local_part, const char *delimiters,
			       size_t *user_len_r, const char **detail_r)
{
	size_t pos;

	if (delimiters == NULL || *delimiters == '\0')
		return false;
	pos = strcspn(local_part, delimiters);
	if (pos == 0 || local_part[pos] == '\0')
		return false;
	*user_len_r = pos;
	*detail_r = local_part + pos + 1;
	return true;
}
