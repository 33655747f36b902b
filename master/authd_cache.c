/* authd's cache of verified passwords: see authd_cache.h for what it
 * holds and why.  A hash table of fixed size over a fixed array of
 * entries, with a least-recently-used list through the same array, so
 * nothing is allocated after start-up. */
#include "master/authd_cache.h"
#include "buf.h"
#include "log.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUTHD_CACHE_KEY_SIZE 32		/* SHA-256 */
#define AUTHD_CACHE_NONE UINT32_MAX

struct authd_cache_entry {
	unsigned char key[AUTHD_CACHE_KEY_SIZE];
	uint64_t added_ms;
	uint32_t bucket_next;		/* next in the hash chain */
	uint32_t newer, older;		/* the LRU list; free list in older */
};

struct authd_cache {
	unsigned char secret[AUTHD_CACHE_KEY_SIZE];
	uint64_t ttl_ms;
	uint32_t size, count, mask;
	uint32_t *buckets;		/* mask + 1 chain heads */
	struct authd_cache_entry *entries;
	uint32_t newest, oldest, free_list;
	EVP_MAC *mac;
};

uint64_t authd_cache_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct authd_cache *authd_cache_new(unsigned int size, uint64_t ttl_ms)
{
	struct authd_cache *c;
	uint32_t nbuckets = 1, i;

	if (size == 0 || ttl_ms == 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	if (RAND_bytes(c->secret, sizeof(c->secret)) != 1)
		log_fatal("auth cache: no random secret from OpenSSL");
	c->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (c->mac == NULL)
		log_fatal("auth cache: OpenSSL has no HMAC");
	c->ttl_ms = ttl_ms;
	c->size = size;
	/* About two chain heads per entry keeps chains short. */
	while (nbuckets < size * 2U)
		nbuckets <<= 1;
	c->mask = nbuckets - 1;
	c->buckets = xcalloc(nbuckets, sizeof(*c->buckets));
	for (i = 0; i < nbuckets; i++)
		c->buckets[i] = AUTHD_CACHE_NONE;
	c->entries = xcalloc(size, sizeof(*c->entries));
	c->newest = c->oldest = c->free_list = AUTHD_CACHE_NONE;
	return c;
}

void authd_cache_free(struct authd_cache **cp)
{
	struct authd_cache *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	OPENSSL_cleanse(c->entries, (size_t)c->size * sizeof(*c->entries));
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	EVP_MAC_free(c->mac);
	free(c->entries);
	free(c->buckets);
	free(c);
}

unsigned int authd_cache_count(const struct authd_cache *c)
{
	return c == NULL ? 0 : c->count;
}

/* HMAC-SHA256 over service NUL principal NUL password: none of them can
 * hold a NUL, so no two triples give the same input. */
static int authd_cache_key(struct authd_cache *c, const char *service,
			   const char *principal, const char *password,
			   unsigned char key_r[AUTHD_CACHE_KEY_SIZE])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t len = 0;
	int ok;

	ctx = EVP_MAC_CTX_new(c->mac);
	if (ctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, c->secret, sizeof(c->secret), params) == 1 &&
	     EVP_MAC_update(ctx, (const unsigned char *)service,
			    strlen(service) + 1) == 1 &&
	     EVP_MAC_update(ctx, (const unsigned char *)principal,
			    strlen(principal) + 1) == 1 &&
	     EVP_MAC_update(ctx, (const unsigned char *)password,
			    strlen(password)) == 1 &&
	     EVP_MAC_final(ctx, key_r, &len, AUTHD_CACHE_KEY_SIZE) == 1 &&
	     len == AUTHD_CACHE_KEY_SIZE;
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* The key is a keyed hash: its first bytes are as good an index as any. */
static uint32_t authd_cache_bucket(const struct authd_cache *c,
				   const unsigned char *key)
{
	return ((uint32_t)key[0] | (uint32_t)key[1] << 8 |
		(uint32_t)key[2] << 16 | (uint32_t)key[3] << 24) & c->mask;
}

static uint32_t authd_cache_find(const struct authd_cache *c,
				 const unsigned char *key)
{
	uint32_t i = c->buckets[authd_cache_bucket(c, key)];

	while (i != AUTHD_CACHE_NONE &&
	       CRYPTO_memcmp(c->entries[i].key, key, AUTHD_CACHE_KEY_SIZE) != 0)
		i = c->entries[i].bucket_next;
	return i;
}

static void authd_cache_lru_unlink(struct authd_cache *c, uint32_t i)
{
	struct authd_cache_entry *e = &c->entries[i];

	if (e->newer != AUTHD_CACHE_NONE)
		c->entries[e->newer].older = e->older;
	else
		c->newest = e->older;
	if (e->older != AUTHD_CACHE_NONE)
		c->entries[e->older].newer = e->newer;
	else
		c->oldest = e->newer;
}

static void authd_cache_lru_push(struct authd_cache *c, uint32_t i)
{
	struct authd_cache_entry *e = &c->entries[i];

	e->newer = AUTHD_CACHE_NONE;
	e->older = c->newest;
	if (c->newest != AUTHD_CACHE_NONE)
		c->entries[c->newest].newer = i;
	c->newest = i;
	if (c->oldest == AUTHD_CACHE_NONE)
		c->oldest = i;
}

/* Takes entry `i` out of its chain and the LRU list, wipes it and puts it
 * on the free list. */
static void authd_cache_remove(struct authd_cache *c, uint32_t i)
{
	struct authd_cache_entry *e = &c->entries[i];
	uint32_t *p = &c->buckets[authd_cache_bucket(c, e->key)];

	while (*p != i) {
		if (*p == AUTHD_CACHE_NONE)
			log_panic("auth cache: entry %u not in its chain", i);
		p = &c->entries[*p].bucket_next;
	}
	*p = e->bucket_next;
	authd_cache_lru_unlink(c, i);
	OPENSSL_cleanse(e, sizeof(*e));
	e->older = c->free_list;
	c->free_list = i;
	c->count--;
}

bool authd_cache_lookup(struct authd_cache *c, const char *service,
			const char *principal, const char *password,
			uint64_t now_ms)
{
	unsigned char key[AUTHD_CACHE_KEY_SIZE];
	uint32_t i;

	if (c == NULL ||
	    authd_cache_key(c, service, principal, password, key) < 0)
		return false;
	i = authd_cache_find(c, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (i == AUTHD_CACHE_NONE)
		return false;
	/* Expired: forget it now rather than when it is pushed out, so an
	 * old password's trace goes as soon as it is seen to be stale.
	 * A clock that went backwards (it should not) also misses. */
	if (now_ms < c->entries[i].added_ms ||
	    now_ms - c->entries[i].added_ms >= c->ttl_ms) {
		authd_cache_remove(c, i);
		return false;
	}
	authd_cache_lru_unlink(c, i);
	authd_cache_lru_push(c, i);
	return true;
}

void authd_cache_add(struct authd_cache *c, const char *service,
		     const char *principal, const char *password,
		     uint64_t now_ms)
{
	unsigned char key[AUTHD_CACHE_KEY_SIZE];
	struct authd_cache_entry *e;
	uint32_t i, b;

	if (c == NULL ||
	    authd_cache_key(c, service, principal, password, key) < 0)
		return;
	i = authd_cache_find(c, key);
	if (i != AUTHD_CACHE_NONE)
		authd_cache_remove(c, i);
	/* Full: the least recently used entry makes room. */
	if (c->free_list == AUTHD_CACHE_NONE && c->count == c->size)
		authd_cache_remove(c, c->oldest);
	/* Freed entries first; with none, every entry below count is in use,
	 * so entries[count] is the first never used. */
	if (c->free_list != AUTHD_CACHE_NONE) {
		i = c->free_list;
		c->free_list = c->entries[i].older;
	} else {
		i = c->count;
	}
	e = &c->entries[i];
	memcpy(e->key, key, sizeof(e->key));
	OPENSSL_cleanse(key, sizeof(key));
	e->added_ms = now_ms;
	b = authd_cache_bucket(c, e->key);
	e->bucket_next = c->buckets[b];
	c->buckets[b] = i;
	authd_cache_lru_push(c, i);
	c->count++;
}
