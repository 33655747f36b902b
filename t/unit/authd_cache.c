/* Unit tests for master/authd_cache.c: hits, misses, expiry from the
 * check (not the last use), least-recently-used eviction, turning off. */
#include "tap.h"
#include "master/authd_cache.h"

#include <stdio.h>

#define TTL 60000

int main(void)
{
	struct authd_cache *c;
	char user[32];
	unsigned int i;

	ok(authd_cache_new(0, TTL) == NULL, "size 0: no cache");
	ok(authd_cache_new(10, 0) == NULL, "ttl 0: no cache");
	ok(!authd_cache_lookup(NULL, "imap", "a@R", "pw", 1),
	   "no cache: every lookup misses");
	authd_cache_add(NULL, "imap", "a@R", "pw", 1);

	c = authd_cache_new(3, TTL);
	ok(c != NULL, "a cache");
	ok(!authd_cache_lookup(c, "imap", "a@R", "pw", 1000), "empty: miss");
	authd_cache_add(c, "imap", "a@R", "pw", 1000);
	ok(authd_cache_lookup(c, "imap", "a@R", "pw", 1001), "hit");
	ok(!authd_cache_lookup(c, "imap", "a@R", "pW", 1001),
	   "another password misses");
	ok(!authd_cache_lookup(c, "imap", "a@R", "pw ", 1001),
	   "a longer password misses");
	ok(!authd_cache_lookup(c, "imap", "b@R", "pw", 1001),
	   "another user misses");
	ok(!authd_cache_lookup(c, "pop", "a@R", "pw", 1001),
	   "another service misses");
	ok(!authd_cache_lookup(c, "imap", "a@Rp", "w", 1001),
	   "fields do not run into each other");
	ok(authd_cache_lookup(c, "imap", "a@R", "pw", 1000 + TTL - 1),
	   "hit just before the ttl");
	ok(!authd_cache_lookup(c, "imap", "a@R", "pw", 1000 + TTL),
	   "expired at the ttl, though used meanwhile");
	is_int(authd_cache_count(c), 0, "the expired entry is gone");
	ok(!authd_cache_lookup(c, "imap", "a@R", "pw", 1000 + TTL - 1),
	   "and stays gone");

	authd_cache_add(c, "imap", "a@R", "pw", 5000);
	ok(!authd_cache_lookup(c, "imap", "a@R", "pw", 4999),
	   "a clock going backwards misses");
	authd_cache_add(c, "imap", "a@R", "pw", 5000);
	authd_cache_add(c, "imap", "a@R", "pw", 6000);
	is_int(authd_cache_count(c), 1, "adding again replaces the entry");
	ok(authd_cache_lookup(c, "imap", "a@R", "pw", 6000 + TTL - 1),
	   "with the new time");

	/* Least recently used goes: a is used, so b is the oldest. */
	authd_cache_add(c, "imap", "b@R", "pw", 7000);
	authd_cache_add(c, "imap", "c@R", "pw", 7001);
	ok(authd_cache_lookup(c, "imap", "a@R", "pw", 7002), "a used");
	authd_cache_add(c, "imap", "d@R", "pw", 7003);
	is_int(authd_cache_count(c), 3, "bounded by the size");
	ok(!authd_cache_lookup(c, "imap", "b@R", "pw", 7004),
	   "the least recently used was evicted");
	ok(authd_cache_lookup(c, "imap", "a@R", "pw", 7004), "a kept");
	ok(authd_cache_lookup(c, "imap", "c@R", "pw", 7004), "c kept");
	ok(authd_cache_lookup(c, "imap", "d@R", "pw", 7004), "d kept");
	authd_cache_free(&c);
	ok(c == NULL, "freed");

	/* Many entries through a small cache: the chains and the free list
	 * stay consistent (a broken chain panics in remove). */
	c = authd_cache_new(50, TTL);
	for (i = 0; i < 2000; i++) {
		snprintf(user, sizeof(user), "u%u@R", i % 120);
		if (!authd_cache_lookup(c, "imap", user, "pw", 10000 + i))
			authd_cache_add(c, "imap", user, "pw", i % 7 == 0 ?
					i : 10000 + i);
	}
	ok(authd_cache_count(c) <= 50, "never more than the size");
	snprintf(user, sizeof(user), "u%u@R", 1999 % 120);
	ok(authd_cache_lookup(c, "imap", user, "pw", 12000),
	   "the last one added is there");
	authd_cache_free(&c);
	authd_cache_free(&c);
	return tap_done();
}
