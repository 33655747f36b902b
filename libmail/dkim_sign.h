#ifndef SEALPOST_DKIM_SIGN_H
#define SEALPOST_DKIM_SIGN_H

/*
 * DKIM signing (RFC 6376 5, RFC 8463) of a message fed to it in pieces:
 * relaxed/relaxed, SHA-256, no l= (a length limit lets anyone append to
 * a signed message).  The header fields signed are the usual ones that
 * are present, each as often as it occurs, and From once more than it
 * occurs, so no From can be added without breaking the signature.  One
 * body hash serves every key, so a message signed with both an RSA and an
 * Ed25519 key is read once.
 */

#include "dkim_key.h"

#include <stddef.h>
#include <time.h>

struct buf;

struct dkim_sign_key {
	char domain[DKIM_DOMAIN_SIZE];
	char selector[DKIM_SELECTOR_SIZE];
	enum dkim_alg alg;
	void *pkey;
};

struct dkim_sign;

/* `header_max`: header section held at most; a longer one is not
 * signed. */
struct dkim_sign *dkim_sign_new(size_t header_max);
void dkim_sign_write(struct dkim_sign *s, const void *data, size_t len);
/* After the whole message: the domain of the one From address, lower
 * case.  -1 when there is no From, more than one, or it has no domain. */
int dkim_sign_from_domain(struct dkim_sign *s, char *out, size_t size);
/* Appends a DKIM-Signature field (with its CRLF) made with `key`: t= is
 * `now`, x= is now + `expire` unless `expire` is 0.  May be called once
 * per key. */
int dkim_sign_field(struct dkim_sign *s, const struct dkim_sign_key *key,
		    time_t now, unsigned int expire, struct buf *out,
		    const char **error_r);
void dkim_sign_free(struct dkim_sign **s);

#endif
