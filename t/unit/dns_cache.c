/* Unit tests for libmail/dns_cache.c: answers live for their TTL (capped
 * at DNS_CACHE_TTL_MAX), names compare without case, a TTL of 0 keeps
 * nothing, and a full cache makes room. */
#include "tap.h"
#include "buf.h"
#include "dns.h"
#include "dns_private.h"

#include <stdio.h>
#include <string.h>

static void set_txt(struct dns_rrset *set, const char *text, unsigned int ttl)
{
	memset(set, 0, sizeof(*set));
	set->status = DNS_OK;
	set->ttl = ttl;
	set->count = 1;
	set->rr[0].text_off = 0;
	buf_append(&set->text, text, strlen(text) + 1);
}

int main(void)
{
	struct dns_cache *cache = dns_cache_new();
	const struct dns_rrset *hit;
	struct dns_rrset set;
	char name[64];
	size_t i, found;

	set_txt(&set, "v=spf1 -all", 60);
	dns_cache_put(cache, 1000, DNS_TYPE_TXT, "Example.COM", &set);
	hit = dns_cache_get(cache, 1000, DNS_TYPE_TXT, "example.com");
	ok(hit != NULL && strcmp(hit->text.data, "v=spf1 -all") == 0,
	   "a cached answer, any case");
	ok(dns_cache_get(cache, 1000, DNS_TYPE_A, "example.com") == NULL,
	   "another type is another entry");
	ok(dns_cache_get(cache, 60999, DNS_TYPE_TXT, "example.com") != NULL,
	   "still there just before its TTL");
	ok(dns_cache_get(cache, 61000, DNS_TYPE_TXT, "example.com") == NULL,
	   "gone at its TTL");
	buf_free(&set.text);

	set_txt(&set, "x", 0);
	dns_cache_put(cache, 1000, DNS_TYPE_TXT, "zero.example", &set);
	ok(dns_cache_get(cache, 1000, DNS_TYPE_TXT, "zero.example") == NULL,
	   "TTL 0 is not cached");
	buf_free(&set.text);

	set_txt(&set, "x", 7 * 86400);
	dns_cache_put(cache, 0, DNS_TYPE_TXT, "long.example", &set);
	ok(dns_cache_get(cache, (DNS_CACHE_TTL_MAX - 1) * 1000ULL, DNS_TYPE_TXT,
			 "long.example") != NULL, "a long TTL is kept...");
	ok(dns_cache_get(cache, DNS_CACHE_TTL_MAX * 1000ULL, DNS_TYPE_TXT,
			 "long.example") == NULL, "...for DNS_CACHE_TTL_MAX only");
	buf_free(&set.text);

	/* One more than fits: the entry nearest its expiry makes room. */
	for (i = 0; i <= DNS_CACHE_ENTRIES; i++) {
		set_txt(&set, "x", (unsigned int)(100 + i));
		(void)snprintf(name, sizeof(name), "n%zu.example", i);
		dns_cache_put(cache, 0, DNS_TYPE_TXT, name, &set);
		buf_free(&set.text);
	}
	for (i = 0, found = 0; i <= DNS_CACHE_ENTRIES; i++) {
		(void)snprintf(name, sizeof(name), "n%zu.example", i);
		found += dns_cache_get(cache, 0, DNS_TYPE_TXT, name) != NULL;
	}
	is_int(found, DNS_CACHE_ENTRIES, "at most DNS_CACHE_ENTRIES kept");
	ok(dns_cache_get(cache, 0, DNS_TYPE_TXT, "n0.example") == NULL,
	   "the one nearest expiry went");
	ok(dns_cache_get(cache, 0, DNS_TYPE_TXT, "n1024.example") != NULL,
	   "the newest stayed");
	dns_cache_free(&cache);
	ok(cache == NULL, "free clears the pointer");
	return tap_done();
}
