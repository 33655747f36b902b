/* DKIM tags, key records and the public-key operations; see dkim_key.h. */
#include "dkim_key.h"
#include "base64.h"
#include "buf.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <unistd.h>

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool dkim_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int dkim_tags_parse(const char *text, size_t len, struct dkim_tag *tags,
		    size_t max, size_t *count_r, const char **error_r)
{
	size_t p = 0, count = 0, i;

	while (p < len) {
		size_t name_start, name_len, v, vend, semi;

		while (p < len && dkim_fws(text[p]))
			p++;
		if (p == len)
			break;
		name_start = p;
		if (!isalpha((unsigned char)text[p])) {
			*error_r = "bad tag name";
			return -1;
		}
		while (p < len && (isalnum((unsigned char)text[p]) ||
				   text[p] == '_'))
			p++;
		name_len = p - name_start;
		while (p < len && dkim_fws(text[p]))
			p++;
		if (p == len || text[p] != '=') {
			*error_r = "tag without =";
			return -1;
		}
		p++;
		semi = p;
		while (semi < len && text[semi] != ';')
			semi++;
		v = p;
		while (v < semi && dkim_fws(text[v]))
			v++;
		vend = semi;
		while (vend > v && dkim_fws(text[vend - 1]))
			vend--;
		for (i = v; i < vend; i++) {
			unsigned char c = (unsigned char)text[i];

			if (!dkim_fws((char)c) && (c < 0x21 || c > 0x7e)) {
				*error_r = "bad character in a tag value";
				return -1;
			}
		}
		if (count == max) {
			*error_r = "too many tags";
			return -1;
		}
		if (name_len >= sizeof(tags[0].name)) {
			*error_r = "tag name too long";
			return -1;
		}
		memcpy(tags[count].name, text + name_start, name_len);
		tags[count].name[name_len] = '\0';
		if (dkim_tag_find(tags, count, tags[count].name) != NULL) {
			*error_r = "duplicate tag";
			return -1;
		}
		tags[count].value = text + v;
		tags[count].len = vend - v;
		tags[count].raw_off = p;
		tags[count].raw_len = semi - p;
		count++;
		p = semi < len ? semi + 1 : len;
	}
	*count_r = count;
	return 0;
}

const struct dkim_tag *dkim_tag_find(const struct dkim_tag *tags,
				     size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(tags[i].name, name) == 0)
			return &tags[i];
	return NULL;
}

static bool dkim_tag_is(const struct dkim_tag *t, const char *value)
{
	return t->len == strlen(value) &&
		strncasecmp(t->value, value, t->len) == 0;
}

int dkim_base64_decode(const char *text, size_t len, struct buf *out,
		       size_t max)
{
	struct buf clean = BUF_INIT;
	size_t i;
	int ret;

	for (i = 0; i < len; i++)
		if (!dkim_fws(text[i]))
			buf_append_char(&clean, text[i]);
	ret = base64_decode(out, clean.data != NULL ? clean.data : "",
			    clean.len, max);
	buf_free(&clean);
	return ret;
}

static int dkim_parse_u64(const struct dkim_tag *t, unsigned int max_digits,
			  uint64_t *v_r)
{
	uint64_t v = 0;
	size_t i;

	if (t->len == 0 || t->len > max_digits)
		return -1;
	for (i = 0; i < t->len; i++) {
		if (!isdigit((unsigned char)t->value[i]))
			return -1;
		v = v * 10 + (uint64_t)(t->value[i] - '0');
	}
	*v_r = v;
	return 0;
}

/* Copies a tag value without FWS inside, lower-cased (d=, s=). */
static int dkim_copy_name(const struct dkim_tag *t, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < t->len; i++) {
		if (dkim_fws(t->value[i]))
			continue;
		if (n + 1 >= size)
			return -1;
		out[n++] = (char)tolower((unsigned char)t->value[i]);
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int dkim_sig_canon(const struct dkim_tag *t, struct dkim_sig *sig)
{
	const char *slash = memchr(t->value, '/', t->len);
	size_t hlen = slash != NULL ? (size_t)(slash - t->value) : t->len;
	struct dkim_tag h = *t, b = *t;

	h.len = hlen;
	sig->bcanon = DKIM_CANON_SIMPLE;
	if (dkim_tag_is(&h, "simple"))
		sig->hcanon = DKIM_CANON_SIMPLE;
	else if (dkim_tag_is(&h, "relaxed"))
		sig->hcanon = DKIM_CANON_RELAXED;
	else
		return -1;
	if (slash == NULL)
		return 0;
	b.value = slash + 1;
	b.len = t->len - hlen - 1;
	if (dkim_tag_is(&b, "simple"))
		sig->bcanon = DKIM_CANON_SIMPLE;
	else if (dkim_tag_is(&b, "relaxed"))
		sig->bcanon = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* h=: names separated by ":" with FWS around them. */
static int dkim_sig_headers(const struct dkim_tag *t, struct dkim_sig *sig)
{
	size_t i = 0, offs[DKIM_SIG_HEADERS_MAX];
	bool from = false;

	sig->names = xcalloc(1, sizeof(*sig->names));
	while (i <= t->len) {
		size_t start, end;

		while (i < t->len && dkim_fws(t->value[i]))
			i++;
		start = i;
		while (i < t->len && t->value[i] != ':' &&
		       !dkim_fws(t->value[i]))
			i++;
		end = i;
		while (i < t->len && dkim_fws(t->value[i]))
			i++;
		if (end == start || (i < t->len && t->value[i] != ':'))
			return -1;
		if (sig->header_count == DKIM_SIG_HEADERS_MAX)
			return -1;
		offs[sig->header_count++] = sig->names->len;
		buf_append(sig->names, t->value + start, end - start);
		buf_append_char(sig->names, '\0');
		if (end - start == 4 &&
		    strncasecmp(t->value + start, "from", 4) == 0)
			from = true;
		i++;
	}
	for (i = 0; i < sig->header_count; i++)
		sig->headers[i] = sig->names->data + offs[i];
	return from ? 0 : -1;
}

/* i= must be in d= or a subdomain of it (RFC 6376 3.5). */
static bool dkim_auid_ok(const char *auid, const char *domain)
{
	const char *at = strrchr(auid, '@');
	size_t al, dl = strlen(domain);

	if (at == NULL)
		return false;
	at++;
	al = strlen(at);
	if (al == dl)
		return strcasecmp(at, domain) == 0;
	return al > dl && at[al - dl - 1] == '.' &&
		strcasecmp(at + al - dl, domain) == 0;
}

static int dkim_sig_tags(const struct dkim_tag *tags, size_t count,
			 struct dkim_sig *sig, const char **error_r)
{
	const struct dkim_tag *t;
	struct buf tmp = BUF_INIT;
	uint64_t v;

#define NEED(name) \
	if ((t = dkim_tag_find(tags, count, name)) == NULL) { \
		*error_r = "missing " name "= tag"; \
		return -1; \
	}
	NEED("v");
	if (!dkim_tag_is(t, "1")) {
		*error_r = "unknown version";
		return -1;
	}
	NEED("a");
	if (dkim_tag_is(t, "rsa-sha256")) {
		sig->alg = DKIM_ALG_RSA_SHA256;
	} else if (dkim_tag_is(t, "ed25519-sha256")) {
		sig->alg = DKIM_ALG_ED25519_SHA256;
	} else {
		/* rsa-sha1 too: RFC 8301 3.1. */
		*error_r = "unsupported algorithm";
		return -1;
	}
	NEED("d");
	if (dkim_copy_name(t, sig->domain, sizeof(sig->domain)) < 0) {
		*error_r = "bad d= tag";
		return -1;
	}
	NEED("s");
	if (dkim_copy_name(t, sig->selector, sizeof(sig->selector)) < 0 ||
	    strchr(sig->selector, '/') != NULL) {
		*error_r = "bad s= tag";
		return -1;
	}
	NEED("h");
	if (dkim_sig_headers(t, sig) < 0) {
		*error_r = "bad h= tag (From must be signed)";
		return -1;
	}
	NEED("bh");
	if (dkim_base64_decode(t->value, t->len, &tmp, sizeof(sig->bh)) < 0) {
		buf_free(&tmp);
		*error_r = "bad bh= tag";
		return -1;
	}
	memcpy(sig->bh, tmp.data, tmp.len);
	sig->bh_len = tmp.len;
	buf_free(&tmp);
	NEED("b");
	sig->b = xcalloc(1, sizeof(*sig->b));
	if (dkim_base64_decode(t->value, t->len, sig->b, DKIM_KEY_MAX) < 0 ||
	    sig->b->len == 0) {
		*error_r = "bad b= tag";
		return -1;
	}
	(void)str_copy(sig->b_text, sizeof(sig->b_text), "");
	{
		size_t i, n = 0;

		for (i = 0; i < t->len && n < 8; i++)
			if (!dkim_fws(t->value[i]))
				sig->b_text[n++] = t->value[i];
		sig->b_text[n] = '\0';
	}
#undef NEED
	if ((t = dkim_tag_find(tags, count, "c")) != NULL &&
	    dkim_sig_canon(t, sig) < 0) {
		*error_r = "bad c= tag";
		return -1;
	}
	if ((t = dkim_tag_find(tags, count, "i")) != NULL) {
		if (t->len == 0 || t->len >= sizeof(sig->auid)) {
			*error_r = "bad i= tag";
			return -1;
		}
		memcpy(sig->auid, t->value, t->len);
		sig->auid[t->len] = '\0';
		if (!dkim_auid_ok(sig->auid, sig->domain)) {
			*error_r = "i= not in the d= domain";
			return -1;
		}
	}
	if ((t = dkim_tag_find(tags, count, "l")) != NULL) {
		if (dkim_parse_u64(t, 18, &sig->length) < 0) {
			*error_r = "bad l= tag";
			return -1;
		}
	}
	if ((t = dkim_tag_find(tags, count, "q")) != NULL &&
	    (t->len < 7 || strncasecmp(t->value, "dns/txt", 7) != 0)) {
		*error_r = "unsupported q= tag";
		return -1;
	}
	if ((t = dkim_tag_find(tags, count, "t")) != NULL) {
		if (dkim_parse_u64(t, 12, &v) < 0) {
			*error_r = "bad t= tag";
			return -1;
		}
		sig->timestamp = (long long)v;
	}
	if ((t = dkim_tag_find(tags, count, "x")) != NULL) {
		if (dkim_parse_u64(t, 12, &v) < 0 ||
		    (sig->timestamp >= 0 && (long long)v < sig->timestamp)) {
			*error_r = "bad x= tag";
			return -1;
		}
		sig->expire = (long long)v;
	}
	return 0;
}

int dkim_sig_parse(const char *value, size_t len, struct dkim_sig *sig,
		   const char **error_r)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	size_t count;

	memset(sig, 0, sizeof(*sig));
	sig->length = DKIM_BODY_NO_LIMIT;
	sig->timestamp = -1;
	sig->expire = -1;
	sig->hcanon = sig->bcanon = DKIM_CANON_SIMPLE;
	if (dkim_tags_parse(value, len, tags, DKIM_TAGS_MAX, &count,
			    error_r) < 0)
		return -1;
	return dkim_sig_tags(tags, count, sig, error_r);
}

void dkim_sig_deinit(struct dkim_sig *sig)
{
	if (sig->names != NULL)
		buf_free(sig->names);
	free(sig->names);
	if (sig->b != NULL)
		buf_free(sig->b);
	free(sig->b);
	memset(sig, 0, sizeof(*sig));
}

/* ---- key records ---- */

/* Whether the ":"-separated list in `t` holds `item`. */
static bool dkim_list_has(const struct dkim_tag *t, const char *item)
{
	size_t i = 0;

	while (i < t->len) {
		size_t start, end;

		while (i < t->len && dkim_fws(t->value[i]))
			i++;
		start = i;
		while (i < t->len && t->value[i] != ':')
			i++;
		end = i;
		while (end > start && dkim_fws(t->value[end - 1]))
			end--;
		if (end - start == strlen(item) &&
		    strncasecmp(t->value + start, item, end - start) == 0)
			return true;
		i++;
	}
	return false;
}

static void *dkim_pubkey_decode(enum dkim_alg alg, const struct buf *der,
				const char **error_r)
{
	const unsigned char *p = (const unsigned char *)der->data;
	EVP_PKEY *pkey;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		pkey = der->len != 32 ? NULL :
			EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						    p, der->len);
		if (pkey == NULL)
			*error_r = "bad Ed25519 key";
		return pkey;
	}
	/* SubjectPublicKeyInfo, as RFC 6376 3.6.1 means; some publish
	 * the bare RSAPublicKey. */
	pkey = d2i_PUBKEY(NULL, &p, (long)der->len);
	if (pkey == NULL) {
		p = (const unsigned char *)der->data;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)der->len);
	}
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		*error_r = "bad RSA key";
		return NULL;
	}
	if (EVP_PKEY_get_bits(pkey) < DKIM_RSA_MIN_BITS) {
		EVP_PKEY_free(pkey);
		*error_r = "RSA key too short";
		return NULL;
	}
	return pkey;
}

int dkim_pubkey_parse(const char *record, size_t len, struct dkim_pubkey *key,
		      const char **error_r)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	const struct dkim_tag *t;
	struct buf der = BUF_INIT;
	size_t count;

	memset(key, 0, sizeof(*key));
	if (dkim_tags_parse(record, len, tags, DKIM_TAGS_MAX, &count,
			    error_r) < 0)
		return -1;
	if ((t = dkim_tag_find(tags, count, "v")) != NULL &&
	    (!dkim_tag_is(t, "DKIM1") || t != &tags[0])) {
		*error_r = "bad key record version";
		return -1;
	}
	if ((t = dkim_tag_find(tags, count, "h")) != NULL &&
	    !dkim_list_has(t, "sha256")) {
		*error_r = "key not for sha256";
		return -1;
	}
	if ((t = dkim_tag_find(tags, count, "s")) != NULL &&
	    !dkim_list_has(t, "*") && !dkim_list_has(t, "email")) {
		*error_r = "key not for email";
		return -1;
	}
	key->alg = DKIM_ALG_RSA_SHA256;
	if ((t = dkim_tag_find(tags, count, "k")) != NULL) {
		if (dkim_tag_is(t, "ed25519")) {
			key->alg = DKIM_ALG_ED25519_SHA256;
		} else if (!dkim_tag_is(t, "rsa")) {
			*error_r = "unknown key type";
			return -1;
		}
	}
	if ((t = dkim_tag_find(tags, count, "t")) != NULL) {
		key->testing = dkim_list_has(t, "y");
		key->strict = dkim_list_has(t, "s");
	}
	if ((t = dkim_tag_find(tags, count, "p")) == NULL) {
		*error_r = "key record without p=";
		return -1;
	}
	if (t->len == 0) {
		*error_r = "key revoked";
		return -1;
	}
	if (dkim_base64_decode(t->value, t->len, &der, DKIM_KEY_MAX) < 0) {
		/* The decoder may have grown the buffer. */
		buf_free(&der);
		*error_r = "bad p= tag";
		return -1;
	}
	key->pkey = dkim_pubkey_decode(key->alg, &der, error_r);
	buf_free(&der);
	return key->pkey != NULL ? 0 : -1;
}

void dkim_pubkey_deinit(struct dkim_pubkey *key)
{
	EVP_PKEY_free(key->pkey);
	key->pkey = NULL;
}

/* ---- private keys ---- */

int dkim_privkey_load(const char *path, enum dkim_alg *alg_r, void **pkey_r,
		      const char **error_r)
{
	static char error[512];
	EVP_PKEY *pkey;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		snprintf(error, sizeof(error), "open %s: %s", path,
			 strerror(errno));
		*error_r = error;
		return -1;
	}
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL) {
		snprintf(error, sizeof(error), "%s: not a PEM private key",
			 path);
		*error_r = error;
		return -1;
	}
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		*alg_r = DKIM_ALG_RSA_SHA256;
		if (EVP_PKEY_get_bits(pkey) >= DKIM_RSA_MIN_BITS)
			break;
		/* fall through */
	default:
		EVP_PKEY_free(pkey);
		snprintf(error, sizeof(error),
			 "%s: neither an Ed25519 key nor an RSA key of at "
			 "least %d bits", path, DKIM_RSA_MIN_BITS);
		*error_r = error;
		return -1;
	case EVP_PKEY_ED25519:
		*alg_r = DKIM_ALG_ED25519_SHA256;
		break;
	}
	*pkey_r = pkey;
	return 0;
}

void dkim_privkey_free(void **pkey)
{
	EVP_PKEY_free(*pkey);
	*pkey = NULL;
}

int dkim_privkey_record(void *pkey, enum dkim_alg alg, struct buf *out,
			const char **error_r)
{
	unsigned char raw[32], *der = NULL;
	size_t raw_len = sizeof(raw);
	int n;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &raw_len) != 1) {
			*error_r = "cannot get the public key";
			return -1;
		}
		buf_append_str(out, "v=DKIM1; k=ed25519; p=");
		base64_encode(out, raw, raw_len);
		return 0;
	}
	n = i2d_PUBKEY(pkey, &der);
	if (n <= 0) {
		*error_r = "cannot encode the public key";
		return -1;
	}
	buf_append_str(out, "v=DKIM1; k=rsa; p=");
	base64_encode(out, der, (size_t)n);
	OPENSSL_free(der);
	return 0;
}

/* ---- signing and checking ---- */

/* Ed25519-SHA256 signs the SHA-256 of the data (RFC 8463 3); RSA-SHA256
 * hashes inside the operation. */
static void dkim_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

int dkim_key_sign(void *pkey, enum dkim_alg alg, const void *data, size_t len,
		  struct buf *sig_out, const char **error_r)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char hash[32];
	const void *in = data;
	size_t in_len = len, sig_len = 0;
	int ok;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		dkim_sha256(data, len, hash);
		in = hash;
		in_len = sizeof(hash);
	}
	ok = md != NULL &&
		EVP_DigestSignInit(md, NULL, alg == DKIM_ALG_RSA_SHA256 ?
				   EVP_sha256() : NULL, NULL, pkey) == 1 &&
		EVP_DigestSign(md, NULL, &sig_len, in, in_len) == 1 &&
		sig_len <= DKIM_KEY_MAX;
	if (ok) {
		buf_reserve(sig_out, sig_len);
		ok = EVP_DigestSign(md, (unsigned char *)sig_out->data +
				    sig_out->len, &sig_len, in, in_len) == 1;
		if (ok)
			sig_out->len += sig_len;
	}
	EVP_MD_CTX_free(md);
	if (!ok) {
		*error_r = "signing failed";
		return -1;
	}
	return 0;
}

int dkim_key_verify(void *pkey, enum dkim_alg alg, const void *data,
		    size_t len, const void *sig, size_t sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char hash[32];
	const void *in = data;
	size_t in_len = len;
	int ok;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		dkim_sha256(data, len, hash);
		in = hash;
		in_len = sizeof(hash);
	}
	ok = md != NULL &&
		EVP_DigestVerifyInit(md, NULL, alg == DKIM_ALG_RSA_SHA256 ?
				     EVP_sha256() : NULL, NULL, pkey) == 1 &&
		EVP_DigestVerify(md, sig, sig_len, in, in_len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

const char *dkim_alg_name(enum dkim_alg alg)
{
	return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" :
		"rsa-sha256";
}

int dkim_key_generate(const char *path, enum dkim_alg alg, unsigned int bits,
		      struct buf *record, const char **error_r)
{
	static char error[256];
	EVP_PKEY *pkey;
	FILE *f;
	int fd, ret = -1;

	pkey = alg == DKIM_ALG_RSA_SHA256 ?
		EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits) :
		EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL) {
		*error_r = "key generation failed";
		return -1;
	}
	/* 0600 from the start: the key is never readable by others, not
	 * even for a moment. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		snprintf(error, sizeof(error), "%s: %s", path, strerror(errno));
		*error_r = error;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(f) != 0) {
		snprintf(error, sizeof(error), "writing %s failed", path);
		*error_r = error;
		(void)unlink(path);
		goto out;
	}
	ret = dkim_privkey_record(pkey, alg, record, error_r);
out:
	EVP_PKEY_free(pkey);
	return ret;
}
