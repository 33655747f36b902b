/* SPF macro expansion, RFC 7208 section 7; see spf_macro.h. */
#include "spf_macro.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char spf_delims[] = ".-+,/_=";

int spf_ip_parse(const char *s, struct spf_ip *ip)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};

	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->addr) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->addr) != 1)
		return -1;
	ip->family = AF_INET6;
	if (memcmp(ip->addr, mapped, sizeof(mapped)) == 0) {
		memmove(ip->addr, ip->addr + 12, 4);
		memset(ip->addr + 4, 0, 12);
		ip->family = AF_INET;
	}
	return 0;
}

/* The raw value of a macro letter (before transformers). */
static void spf_macro_value(char letter, const struct spf_macro_env *env,
			    struct buf *v)
{
	const char *at = strrchr(env->sender, '@');
	char tmp[64];
	int i;

	switch (letter) {
	case 's':
		buf_append_str(v, env->sender);
		break;
	case 'l':
		if (at == NULL || at == env->sender)
			buf_append_str(v, "postmaster");
		else
			buf_append(v, env->sender, (size_t)(at - env->sender));
		break;
	case 'o':
		buf_append_str(v, at != NULL ? at + 1 : env->sender);
		break;
	case 'd':
		buf_append_str(v, env->domain);
		break;
	case 'h':
		buf_append_str(v, env->helo);
		break;
	case 'p':
		buf_append_str(v, "unknown");
		break;
	case 'r':
		buf_append_str(v, env->receiver != NULL ? env->receiver :
			       "unknown");
		break;
	case 't':
		buf_printf(v, "%llu", env->now);
		break;
	case 'v':
		buf_append_str(v, env->ip->family == AF_INET ? "in-addr" : "ip6");
		break;
	case 'c':
		if (inet_ntop(env->ip->family, env->ip->addr, tmp,
			      sizeof(tmp)) != NULL)
			buf_append_str(v, tmp);
		break;
	case 'i':
		if (env->ip->family == AF_INET) {
			buf_printf(v, "%u.%u.%u.%u", env->ip->addr[0],
				   env->ip->addr[1], env->ip->addr[2],
				   env->ip->addr[3]);
			break;
		}
		/* RFC 7208 7.3: IPv6 as dot-separated nibbles. */
		for (i = 0; i < 16; i++)
			buf_printf(v, "%s%x.%x", i > 0 ? "." : "",
				   env->ip->addr[i] >> 4, env->ip->addr[i] & 0xf);
		break;
	}
}

/*
 * Splits `value` at any of `delims`, reverses the parts if asked, keeps
 * the rightmost `keep` (0: all) and joins them with dots (RFC 7208 7.3).
 */
static void spf_macro_transform(const struct buf *value, const char *delims,
				unsigned int keep, bool reverse,
				struct buf *out)
{
	const char *start[SPF_MACRO_PARTS_MAX];
	size_t len[SPF_MACRO_PARTS_MAX];
	size_t n = 0, i, first;
	const char *p = buf_cstr(value), *end = p + value->len;

	while (n < SPF_MACRO_PARTS_MAX) {
		size_t k = strcspn(p, delims);

		if (p + k > end)
			k = (size_t)(end - p);
		start[n] = p;
		len[n++] = k;
		if (p + k >= end)
			break;
		p += k + 1;
	}
	if (n == SPF_MACRO_PARTS_MAX && p < end) {
		/* More parts than we keep: the last one takes the rest, so
		 * nothing is lost. */
		len[n - 1] = (size_t)(end - start[n - 1]);
	}
	if (reverse) {
		for (i = 0; i < n / 2; i++) {
			const char *ts = start[i];
			size_t tl = len[i];

			start[i] = start[n - 1 - i];
			len[i] = len[n - 1 - i];
			start[n - 1 - i] = ts;
			len[n - 1 - i] = tl;
		}
	}
	first = keep > 0 && keep < n ? n - keep : 0;
	for (i = first; i < n; i++) {
		if (i > first)
			buf_append_char(out, '.');
		buf_append(out, start[i], len[i]);
	}
}

/* URL escaping for upper-case macro letters (RFC 7208 7.3, RFC 3986
 * unreserved characters stay). */
static void spf_macro_escape(const struct buf *in, struct buf *out)
{
	size_t i;

	for (i = 0; i < in->len; i++) {
		unsigned char ch = (unsigned char)in->data[i];

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
		    ch == '~')
			buf_append_char(out, (char)ch);
		else
			buf_printf(out, "%%%02X", ch);
	}
}

/* One %{...} at s[i] (s[i] == '{'); moves *ip past the closing brace. */
static int spf_macro_one(const char *s, size_t len, size_t *ip,
			 const struct spf_macro_env *env, bool explain,
			 struct buf *out, const char **error_r)
{
	size_t i = *ip + 1, digits = 0;
	unsigned int keep = 0;
	bool reverse = false, upper;
	char letter, delims[sizeof(spf_delims)];
	size_t nd = 0;

	if (i >= len) {
		*error_r = "unterminated macro";
		return -1;
	}
	letter = (char)tolower((unsigned char)s[i]);
	upper = isupper((unsigned char)s[i]) != 0;
	if (letter == '\0' || (strchr("slodiphv", letter) == NULL &&
	    !(explain && strchr("crt", letter) != NULL))) {
		*error_r = strchr("crt", letter) != NULL && letter != '\0' ?
			"macro letter c, r or t outside an explanation" :
			"unknown macro letter";
		return -1;
	}
	i++;
	while (i < len && isdigit((unsigned char)s[i])) {
		if (++digits > 3) {
			*error_r = "macro transformer too large";
			return -1;
		}
		keep = keep * 10 + (unsigned int)(s[i] - '0');
		i++;
	}
	if (digits > 0 && keep == 0) {
		*error_r = "macro transformer of zero parts";
		return -1;
	}
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		reverse = true;
		i++;
	}
	while (i < len && strchr(spf_delims, s[i]) != NULL && s[i] != '\0') {
		if (memchr(delims, s[i], nd) == NULL)
			delims[nd++] = s[i];
		i++;
	}
	if (i >= len || s[i] != '}') {
		*error_r = "bad macro";
		return -1;
	}
	*ip = i + 1;
	if (nd == 0)
		delims[nd++] = '.';
	delims[nd] = '\0';
	if (env != NULL) {
		struct buf value = BUF_INIT, done = BUF_INIT;

		spf_macro_value(letter, env, &value);
		spf_macro_transform(&value, delims, keep, reverse, &done);
		if (upper)
			spf_macro_escape(&done, out);
		else
			buf_append(out, done.data, done.len);
		buf_free(&value);
		buf_free(&done);
	}
	return 0;
}

int spf_macro_expand(const char *s, size_t len, const struct spf_macro_env *env,
		     bool explain, struct buf *out, const char **error_r)
{
	size_t i = 0;

	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		if (ch != '%') {
			if (!(ch >= 0x21 && ch <= 0x7e) &&
			    !(explain && ch == ' ')) {
				*error_r = "invalid character";
				return -1;
			}
			if (env != NULL)
				buf_append_char(out, (char)ch);
			i++;
		} else if (i + 1 >= len) {
			*error_r = "lone % at the end";
			return -1;
		} else if (s[i + 1] == '{') {
			i++;
			if (spf_macro_one(s, len, &i, env, explain, out,
					  error_r) < 0)
				return -1;
		} else if (strchr("%_-", s[i + 1]) != NULL && s[i + 1] != '\0') {
			if (env != NULL)
				buf_append_str(out, s[i + 1] == '%' ? "%" :
					       s[i + 1] == '_' ? " " : "%20");
			i += 2;
		} else {
			*error_r = "% not followed by {, %, _ or -";
			return -1;
		}
		if (env != NULL && out->len > SPF_MACRO_OUT_MAX) {
			*error_r = "macro expansion too long";
			return -1;
		}
	}
	return 0;
}

int spf_macro_domain(const char *spec, const struct spf_macro_env *env,
		     struct buf *out, const char **error_r)
{
	size_t start = out->len, cut = 0;
	const char *d;

	if (spf_macro_expand(spec, strlen(spec), env, false, out, error_r) < 0)
		return -1;
	if (out->len > start && out->data[out->len - 1] == '.')
		buf_truncate(out, out->len - 1);
	/* Nothing expanded: the buffer may have no storage, and NULL + 0
	 * is not C. */
	if (out->len == start)
		return 0;
	d = out->data + start;
	while (out->len - start - cut > SPF_DOMAIN_MAX) {
		const char *dot = memchr(d + cut, '.', out->len - start - cut);

		if (dot == NULL) {
			*error_r = "expanded domain has a label too long";
			return -1;
		}
		cut = (size_t)(dot - d) + 1;
	}
	if (cut > 0) {
		memmove(out->data + start, d + cut, out->len - start - cut);
		buf_truncate(out, out->len - cut);
	}
	return 0;
}
