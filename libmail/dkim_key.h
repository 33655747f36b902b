#ifndef SEALPOST_DKIM_KEY_H
#define SEALPOST_DKIM_KEY_H

/*
 * DKIM's parts that are not about the message: tag=value lists (RFC 6376
 * 3.2), the DKIM-Signature field's tags (3.5), key records published in
 * DNS TXT (3.6.1), private keys from PEM files, and the signing and
 * checking of the header hash with RSA-SHA256 (RFC 6376 3.3.1) or
 * Ed25519-SHA256 (RFC 8463: PureEdDSA over the SHA-256 of the data).
 *
 * Parsers are bounded: a tag list has at most DKIM_TAGS_MAX tags, h= at
 * most DKIM_SIG_HEADERS_MAX names, a decoded key or signature at most
 * DKIM_KEY_MAX octets.  Errors are short static texts for logs and for
 * the reason of an Authentication-Results entry.
 */

#include "dkim_canon.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;

#define DKIM_TAGS_MAX 32
#define DKIM_SIG_HEADERS_MAX 64
#define DKIM_KEY_MAX 2048	/* decoded octets: RSA 16384 bits */
#define DKIM_DOMAIN_SIZE 256
#define DKIM_SELECTOR_SIZE 128
/* RFC 8301 3.2: verifiers must refuse RSA keys under 1024 bits. */
#define DKIM_RSA_MIN_BITS 1024

enum dkim_alg {
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256,
};

struct dkim_tag {
	char name[16];
	const char *value;	/* into the parsed text; FWS at ends removed */
	size_t len;
	/* The value with its surrounding whitespace: what b= removal
	 * deletes (RFC 6376 3.7). */
	size_t raw_off, raw_len;
};

/* Parses "tag=value; tag=value" (a trailing ";" allowed).  Fails on a
 * bad tag name, a missing "=", a tag given twice, or too many tags. */
int dkim_tags_parse(const char *text, size_t len, struct dkim_tag *tags,
		    size_t max, size_t *count_r, const char **error_r);
const struct dkim_tag *dkim_tag_find(const struct dkim_tag *tags,
				     size_t count, const char *name);

struct dkim_sig {
	enum dkim_alg alg;
	enum dkim_canon hcanon, bcanon;
	char domain[DKIM_DOMAIN_SIZE];
	char selector[DKIM_SELECTOR_SIZE];
	char auid[DKIM_DOMAIN_SIZE + 64];	/* i=, "" when absent */
	/* h=, each name NUL-terminated inside `names`. */
	char *headers[DKIM_SIG_HEADERS_MAX];
	size_t header_count;
	struct buf *names;
	unsigned char bh[64];
	size_t bh_len;
	struct buf *b;		/* the decoded signature */
	char b_text[16];	/* the first octets of b= for header.b */
	uint64_t length;	/* l=, DKIM_BODY_NO_LIMIT when absent */
	long long timestamp;	/* t=, -1 when absent */
	long long expire;	/* x=, -1 when absent */
};

/* Parses the value of a DKIM-Signature field (after the colon). */
int dkim_sig_parse(const char *value, size_t len, struct dkim_sig *sig,
		   const char **error_r);
void dkim_sig_deinit(struct dkim_sig *sig);

/* A public key from a key record.  EVP_PKEY behind void. */
struct dkim_pubkey {
	enum dkim_alg alg;	/* from k= */
	void *pkey;
	bool testing;		/* t=y */
	bool strict;		/* t=s: i= must be d= exactly */
};

/* Parses a key record (the TXT record's strings joined).  A revoked key
 * (empty p=) is an error too. */
int dkim_pubkey_parse(const char *record, size_t len, struct dkim_pubkey *key,
		      const char **error_r);
void dkim_pubkey_deinit(struct dkim_pubkey *key);

/* A private key read from a PEM file (PKCS #8 or PKCS #1). */
int dkim_privkey_load(const char *path, enum dkim_alg *alg_r, void **pkey_r,
		      const char **error_r);
void dkim_privkey_free(void **pkey);
/* Makes a new key (`bits` for RSA; ignored for Ed25519), writes it to
 * `path` in PEM, created with mode 0600 and never over an existing file,
 * and appends the key record to publish to `record`.  0, or -1 with a
 * reason (static storage). */
int dkim_key_generate(const char *path, enum dkim_alg alg, unsigned int bits,
		      struct buf *record, const char **error_r);

/* The key record to publish for the public half of `pkey`. */
int dkim_privkey_record(void *pkey, enum dkim_alg alg, struct buf *out,
			const char **error_r);

/* Signs the canonical header data (RFC 6376 3.7) into `sig_out`. */
int dkim_key_sign(void *pkey, enum dkim_alg alg, const void *data, size_t len,
		  struct buf *sig_out, const char **error_r);
/* 0 when `sig` is a good signature of `data` by `pkey`. */
int dkim_key_verify(void *pkey, enum dkim_alg alg, const void *data,
		    size_t len, const void *sig, size_t sig_len);

const char *dkim_alg_name(enum dkim_alg alg);

/* Decodes base64 with FWS inside (b=, bh=, p=), at most `max` octets. */
int dkim_base64_decode(const char *text, size_t len, struct buf *out,
		       size_t max);

#endif
