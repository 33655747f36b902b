#ifndef SEALPOST_AUTHRES_H
#define SEALPOST_AUTHRES_H

/*
 * The Authentication-Results header field (RFC 8601): one field carrying
 * the outcome of every authentication method checked on a message, under
 * our authserv-id, and the recognition of fields that claim that id
 * (forged, or left by a relay inside the same ADMD: RFC 8601 5 says to
 * remove them before adding ours).
 *
 * A method fills one struct authres_result; adding a method (SPF, DMARC)
 * is filling one more of them.  Texts are copied into the field as they
 * are; values that are not MIME tokens are quoted.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;

#define AUTHRES_PROPS_MAX 6

struct authres_prop {
	const char *ptype;	/* "header", "smtp", "policy", "body" */
	const char *property;	/* "d", "s", "b", "mailfrom", "from" */
	const char *value;
};

struct authres_result {
	const char *method;	/* "dkim", "spf", "dmarc" */
	const char *result;	/* "pass", "fail", ... (RFC 8601 2.7) */
	const char *reason;	/* NULL, or why, for a human */
	struct authres_prop props[AUTHRES_PROPS_MAX];
	size_t prop_count;
};

/* Adds a property; past AUTHRES_PROPS_MAX it is a panic (a bug). */
void authres_add_prop(struct authres_result *r, const char *ptype,
		      const char *property, const char *value);

/* Appends the whole field, "Authentication-Results: " to the final CRLF.
 * With no results, says "none" (RFC 8601 2.2: nothing was checked). */
void authres_format(struct buf *out, const char *authserv_id,
		    const struct authres_result *results, size_t count);

/* Whether `field` (a header field, "Name: value", possibly folded, final
 * CRLF optional) is an Authentication-Results field whose authserv-id
 * is `authserv_id` (compared without case, like a domain name). */
bool authres_field_is_ours(const char *field, size_t len,
			   const char *authserv_id);

#endif
