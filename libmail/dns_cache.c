/*
 * The answers of typed lookups, kept for their TTL so that SPF and DMARC
 * checks of the same domains (a mailing list's every message, an include
 * shared by many records) do not ask the network again; negative answers
 * too, for the time their SOA gives (dns_rr.c).  Bounded: at most
 * DNS_CACHE_ENTRIES answers, each for at most DNS_CACHE_TTL_MAX seconds;
 * when full, expired answers go first, then the one nearest to expiry.
 */
#include "dns.h"
#include "dns_private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNS_CACHE_BUCKETS 256

struct dns_cache_entry {
	struct dns_cache_entry *next;
	enum dns_type type;
	uint64_t expires_ms;
	char name[DNS_NAME_SIZE];
	struct dns_rrset set;
};

struct dns_cache {
	struct dns_cache_entry *buckets[DNS_CACHE_BUCKETS];
	size_t count;
};

struct dns_cache *dns_cache_new(void)
{
	return xcalloc(1, sizeof(struct dns_cache));
}

static void dns_cache_entry_free(struct dns_cache_entry *e)
{
	buf_free(&e->set.text);
	free(e);
}

void dns_cache_free(struct dns_cache **cachep)
{
	struct dns_cache *cache = *cachep;
	size_t i;

	if (cache == NULL)
		return;
	for (i = 0; i < DNS_CACHE_BUCKETS; i++) {
		while (cache->buckets[i] != NULL) {
			struct dns_cache_entry *e = cache->buckets[i];

			cache->buckets[i] = e->next;
			dns_cache_entry_free(e);
		}
	}
	free(cache);
	*cachep = NULL;
}

/* Names compare without case (RFC 4343). */
static unsigned int dns_cache_hash(enum dns_type type, const char *name)
{
	unsigned int h = 2166136261u ^ (unsigned int)type;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)tolower((unsigned char)*name)) *
			16777619u;
	return h % DNS_CACHE_BUCKETS;
}

/* Drops the expired entries, and when `room` is wanted and none expired,
 * the entry closest to expiry. */
static void dns_cache_expire(struct dns_cache *cache, uint64_t now_ms,
			     bool room)
{
	struct dns_cache_entry **victim = NULL, **pp, *e;
	size_t i;

	for (i = 0; i < DNS_CACHE_BUCKETS; i++) {
		pp = &cache->buckets[i];
		while ((e = *pp) != NULL) {
			if (e->expires_ms <= now_ms) {
				*pp = e->next;
				dns_cache_entry_free(e);
				cache->count--;
				room = false;
				continue;
			}
			if (victim == NULL ||
			    e->expires_ms < (*victim)->expires_ms)
				victim = pp;
			pp = &e->next;
		}
	}
	if (room && victim != NULL) {
		e = *victim;
		*victim = e->next;
		dns_cache_entry_free(e);
		cache->count--;
	}
}

const struct dns_rrset *dns_cache_get(struct dns_cache *cache, uint64_t now_ms,
				      enum dns_type type, const char *name)
{
	struct dns_cache_entry **pp, *e;

	pp = &cache->buckets[dns_cache_hash(type, name)];
	while ((e = *pp) != NULL) {
		if (e->type == type && strcasecmp(e->name, name) == 0) {
			if (e->expires_ms > now_ms)
				return &e->set;
			*pp = e->next;
			dns_cache_entry_free(e);
			cache->count--;
			return NULL;
		}
		pp = &e->next;
	}
	return NULL;
}

void dns_cache_put(struct dns_cache *cache, uint64_t now_ms,
		   enum dns_type type, const char *name,
		   const struct dns_rrset *set)
{
	unsigned int ttl = set->ttl < DNS_CACHE_TTL_MAX ? set->ttl :
		DNS_CACHE_TTL_MAX;
	struct dns_cache_entry *e;
	unsigned int h;

	if (ttl == 0 || strlen(name) >= DNS_NAME_SIZE ||
	    dns_cache_get(cache, now_ms, type, name) != NULL)
		return;
	if (cache->count >= DNS_CACHE_ENTRIES)
		dns_cache_expire(cache, now_ms, true);
	e = xcalloc(1, sizeof(*e));
	e->type = type;
	e->expires_ms = now_ms + (uint64_t)ttl * 1000;
	(void)str_copy(e->name, sizeof(e->name), name);
	dns_rrset_copy(&e->set, set);
	h = dns_cache_hash(type, name);
	e->next = cache->buckets[h];
	cache->buckets[h] = e;
	cache->count++;
}
