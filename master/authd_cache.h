#ifndef SEALPOST_AUTHD_CACHE_H
#define SEALPOST_AUTHD_CACHE_H

/*
 * authd's cache of verified passwords.
 *
 * A password check costs two round trips to the KDC; a client that logs in
 * again and again (a phone polling IMAP every minute, a webmail opening a
 * session per page) would pay them each time.  After the KDC has accepted
 * a password, the cache remembers that for auth_cache_ttl, so the same
 * user, service and password are accepted again without asking the KDC.
 *
 * What it holds: for each entry only HMAC-SHA256(secret, service NUL
 * principal NUL password), where the 32-byte secret comes from RAND_bytes
 * when the process starts and never leaves it.  No password, and nothing a
 * password could be guessed from without the secret, is kept.  The
 * principal is the normalised one (name@REALM), so "alice" and
 * "alice@REALM" share an entry.  The service is part of the key because
 * each check is verified with that service's keytab key.
 *
 * What it does not hold: refusals.  A wrong password always goes to the
 * KDC, so the KDC's own lockout policy and its log see every failure, and
 * a user who has just fixed a password is never refused from a cache.
 *
 * Lifetime: an entry lives ttl seconds from the KDC's answer; hits do not
 * extend it, so a changed (or disabled) password stops working at most ttl
 * after the change, however often the old one is used.  When the cache is
 * full the least recently used entry goes.  The secret and every entry are
 * wiped with OPENSSL_cleanse when the cache is freed.
 *
 * Each authd worker process has its own cache (they share nothing), so a
 * user's first login on each worker still reaches the KDC.
 */

#include <stdbool.h>
#include <stdint.h>

struct authd_cache;

/* A cache of at most `size` entries, each valid `ttl_ms` milliseconds.
 * Returns NULL (no cache: every lookup misses) when either is 0.  Fatal if
 * the random secret cannot be had. */
struct authd_cache *authd_cache_new(unsigned int size, uint64_t ttl_ms);

/* Whether the KDC accepted `password` for `principal` on `service` less
 * than ttl before `now_ms` (any monotonic clock in milliseconds). */
bool authd_cache_lookup(struct authd_cache *c, const char *service,
			const char *principal, const char *password,
			uint64_t now_ms);

/* Remembers that the KDC accepted them at `now_ms`. */
void authd_cache_add(struct authd_cache *c, const char *service,
		     const char *principal, const char *password,
		     uint64_t now_ms);

/* The number of live and expired entries held (for tests). */
unsigned int authd_cache_count(const struct authd_cache *c);

/* Wipes the secret and the entries, then frees; *c becomes NULL. */
void authd_cache_free(struct authd_cache **c);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t authd_cache_now_ms(void);

#endif
