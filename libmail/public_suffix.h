#ifndef SEALPOST_PUBLIC_SUFFIX_H
#define SEALPOST_PUBLIC_SUFFIX_H

/*
 * The Public Suffix List (publicsuffix.org, the file Debian's publicsuffix
 * package installs), for DMARC's Organizational Domain (RFC 7489 3.2):
 * normal rules ("co.uk"), wildcards ("*.ck") and exceptions ("!www.ck"),
 * with the list's algorithm: an exception wins, otherwise the matching
 * rule with the most labels, otherwise the implicit "*".
 *
 * Rules are compared byte for byte after ASCII lower-casing: the list's
 * internationalized rules are in UTF-8, so an A-label ("xn--...") domain
 * falls back to the implicit rule for that part of its name.
 *
 * Bounded: a file of at most PUBLIC_SUFFIX_FILE_MAX bytes and rules of at
 * most PUBLIC_SUFFIX_RULE_MAX bytes (longer lines are an error).
 */

#include <stddef.h>

#define PUBLIC_SUFFIX_FILE_MAX (16u * 1024 * 1024)
#define PUBLIC_SUFFIX_RULE_MAX 255

struct public_suffix;

int public_suffix_load(const char *path, struct public_suffix **psl_r,
		       const char **error_r);
/* The same from text in memory; *error_r may point into a static buffer
 * naming the line. */
int public_suffix_parse(const char *text, size_t len,
			struct public_suffix **psl_r, const char **error_r);
void public_suffix_free(struct public_suffix **psl);

/*
 * The organizational domain of `domain` (lower-cased, no trailing dot):
 * its public suffix plus one label, or the domain itself when it is a
 * public suffix.  -1 when the name is not a valid domain or does not fit.
 */
int public_suffix_org_domain(const struct public_suffix *psl,
			     const char *domain, char *out, size_t size);

#endif
