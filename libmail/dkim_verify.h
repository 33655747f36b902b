#ifndef SEALPOST_DKIM_VERIFY_H
#define SEALPOST_DKIM_VERIFY_H

/*
 * DKIM verification (RFC 6376 6, RFC 8463) of a message fed to it as it
 * arrives.  When the header section is complete, the DKIM-Signature
 * fields are parsed (up to a limit; later ones are not looked at) and
 * each good one gets a body hasher; the body then passes through them.
 * At the end the caller looks up the key of each signature that still
 * needs one (the DNS is the caller's business, so this module never
 * blocks) and hands the TXT record in; each signature then has its
 * result, with the RFC 8601 result names.
 */

#include "dkim_key.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum dkim_result {
	DKIM_RESULT_NONE,
	DKIM_RESULT_PASS,
	DKIM_RESULT_FAIL,
	DKIM_RESULT_NEUTRAL,
	DKIM_RESULT_POLICY,
	DKIM_RESULT_TEMPERROR,
	DKIM_RESULT_PERMERROR,
};

struct dkim_verify_limits {
	size_t header_size;	/* header section held at most */
	size_t header_fields;
	size_t signatures;	/* DKIM-Signature fields checked at most */
};

enum dkim_key_status {
	DKIM_KEY_FOUND,		/* record given */
	DKIM_KEY_MISSING,	/* NXDOMAIN or no TXT record */
	DKIM_KEY_TEMPFAIL,	/* the DNS did not answer in time */
};

struct dkim_outcome {
	enum dkim_result result;
	const char *reason;	/* static text, or NULL */
	const char *domain;	/* "" when the signature had none */
	const char *selector;
	const char *b;		/* first octets of b=, for header.b */
};

struct dkim_verify;

struct dkim_verify *dkim_verify_new(const struct dkim_verify_limits *limits);
void dkim_verify_write(struct dkim_verify *v, const void *data, size_t len);
/* The message ended. */
void dkim_verify_finish(struct dkim_verify *v);
/* Signatures looked at. */
size_t dkim_verify_count(const struct dkim_verify *v);
/* "selector._domainkey.domain" for signature `i`, or NULL when it was
 * decided without a key (a broken signature, a body hash mismatch). */
const char *dkim_verify_key_name(const struct dkim_verify *v, size_t i);
/* Gives signature `i` its key record (`record` may be NULL unless
 * DKIM_KEY_FOUND) and decides it; `now` is for x=. */
void dkim_verify_set_key(struct dkim_verify *v, size_t i,
			 enum dkim_key_status status, const char *record,
			 size_t len, time_t now);
void dkim_verify_outcome(const struct dkim_verify *v, size_t i,
			 struct dkim_outcome *out);
void dkim_verify_free(struct dkim_verify **v);

const char *dkim_result_name(enum dkim_result result);

#endif
