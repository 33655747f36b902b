#ifndef SEALPOST_SPF_MACRO_H
#define SEALPOST_SPF_MACRO_H

/*
 * SPF macros (RFC 7208 section 7): %{s} %{l} %{o} %{d} %{i} %{p} %{v}
 * %{h}, and in explanations also %{c} %{r} %{t}; the transformers (a count
 * of right-hand parts, "r" for reversal), delimiters, %% %_ %-, and URL
 * escaping for upper-case letters.  %{p} is the minimal form the RFC
 * allows: always "unknown", so evaluating it never costs a lookup.
 */

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Domain names after expansion: longer ones lose labels on the left
 * (RFC 7208 7.3). */
#define SPF_DOMAIN_MAX 253
/* Bounds on what one expansion may produce, and on the count transformer
 * (RFC 7208 7.3 asks for at least 128). */
#define SPF_MACRO_OUT_MAX 4096
#define SPF_MACRO_PARTS_MAX 128

struct spf_ip {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* AF_INET: the first 4 bytes */
};

struct spf_macro_env {
	const char *sender;	/* local-part@domain */
	const char *domain;	/* the <domain> being checked */
	const char *helo;	/* "" when unknown */
	const struct spf_ip *ip;
	const char *receiver;	/* NULL: "unknown" */
	unsigned long long now;
};

/* Parses an address (IPv4-mapped IPv6 counts as IPv4, RFC 7208 5); 0/-1. */
int spf_ip_parse(const char *s, struct spf_ip *ip);

/*
 * Checks the macro-string `s` (`len` bytes) against RFC 7208's grammar,
 * or expands it into `out` when `env` is not NULL.  `explain` allows the
 * explanation-only letters c, r, t and spaces.  -1 with a static *error_r
 * on a syntax error or an expansion longer than SPF_MACRO_OUT_MAX.
 */
int spf_macro_expand(const char *s, size_t len, const struct spf_macro_env *env,
		     bool explain, struct buf *out, const char **error_r);

/* Expands a domain-spec and keeps it within SPF_DOMAIN_MAX by dropping
 * labels on the left; a trailing dot is removed. */
int spf_macro_domain(const char *spec, const struct spf_macro_env *env,
		     struct buf *out, const char **error_r);

#endif
