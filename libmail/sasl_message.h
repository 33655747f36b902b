#ifndef SEALPOST_SASL_MESSAGE_H
#define SEALPOST_SASL_MESSAGE_H

/*
 * The client messages of the SASL mechanisms the auth service takes, as
 * bytes: PLAIN's (RFC 4616) and the final GSSAPI message after unwrapping
 * (RFC 4752 section 3.1).  Kept apart from authd's Kerberos code so they
 * can be tested and fuzzed without a KDC.  Every field is checked against
 * SASL_FIELD_MAX and for NUL before it is copied; a message with anything
 * left over is refused.
 */

#include <stddef.h>

/* The longest authzid, login name or password taken (the RFCs allow 255
 * octets of UTF-8 for each). */
#define SASL_FIELD_MAX 255

/* RFC 4752: the one security layer offered, "no layer". */
#define SASL_GSSAPI_LAYER_NONE 0x01

/* Copies a field that must hold no NUL and fit both SASL_FIELD_MAX and
 * `size` (terminator included) into `dst` as a C string; -1 if not. */
int sasl_field_copy(const void *in, size_t len, char *dst, size_t size);

struct sasl_plain {
	char authzid[SASL_FIELD_MAX + 1];
	char authcid[SASL_FIELD_MAX + 1];
	char passwd[SASL_FIELD_MAX + 1];
};

/*
 * Splits [authzid] NUL authcid NUL passwd into `out`: exactly two NULs,
 * each field at most SASL_FIELD_MAX octets.  0, or -1 with a static
 * reason (which never holds the password).  The caller wipes `out` with
 * explicit_bzero() when done, whatever the result.
 */
int sasl_plain_split(const void *in, size_t len, struct sasl_plain *out,
		     const char **error_r);

/*
 * Reads the client's answer to our layer offer: one octet of chosen layer,
 * three of maximum size, then the authzid (not NUL-terminated, no NUL in
 * it).  Only "no layer" is accepted.  On success copies the authzid into
 * `authzid` (size `size`).  0, or -1 with a static reason.
 */
int sasl_gssapi_layer_choice(const void *in, size_t len, char *authzid,
			     size_t size, const char **error_r);

#endif
