/* Unit tests for libmail/dns_cache.c: answers live for their TTL (capped
 * at DNS_CACHE_TTL_MAX), names compare without case, a TTL of 0 keeps
 * nothing, and a full cache makes room.  And how long a negative answer
 * is kept (dns_negative_ttl(), RFC 2308), from answers built here. */
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

/* An answer to "_dmarc.example.org TXT" with `rcode`, no answer records,
 * and in the authority section (if `soa_ttl` is not 0) the zone's SOA
 * with that TTL and MINIMUM `minimum`, its names compressed against the
 * question.  `cut` bytes are left off the end.  Returns its length. */
static int negative_answer(unsigned char *a, unsigned int rcode,
			   unsigned int soa_ttl, unsigned int minimum,
			   size_t cut)
{
	static const unsigned char question[] =
		"\x06_dmarc\x07" "example\x03org\x00\x00\x10\x00\x01";
	unsigned char *p = a;
	size_t rdlen;

	memset(a, 0, 512);
	a[0] = 0x12;
	a[1] = 0x34;
	a[2] = 0x81;			/* a response, RD */
	a[3] = (unsigned char)(0x80 | rcode);	/* RA */
	a[5] = 1;			/* one question */
	a[9] = soa_ttl != 0;		/* NSCOUNT */
	p += 12;
	memcpy(p, question, sizeof(question) - 1);
	p += sizeof(question) - 1;
	if (soa_ttl != 0) {
		/* Owner: "example.org", at offset 12 + 7. */
		*p++ = 0xc0;
		*p++ = 12 + 7;
		*p++ = 0;
		*p++ = 6;		/* SOA */
		*p++ = 0;
		*p++ = 1;
		*p++ = (unsigned char)(soa_ttl >> 24);
		*p++ = (unsigned char)(soa_ttl >> 16);
		*p++ = (unsigned char)(soa_ttl >> 8);
		*p++ = (unsigned char)soa_ttl;
		/* MNAME "ns.example.org", RNAME "host.example.org", then
		 * SERIAL 1, REFRESH, RETRY and EXPIRE 0, and MINIMUM. */
		rdlen = 5 + 7 + 20;
		*p++ = 0;
		*p++ = (unsigned char)rdlen;
		memcpy(p, "\x02ns\xc0\x13", 5);
		p += 5;
		memcpy(p, "\x04host\xc0\x13", 7);
		p += 7;
		memset(p, 0, 16);
		p[3] = 1;
		p += 16;
		*p++ = (unsigned char)(minimum >> 24);
		*p++ = (unsigned char)(minimum >> 16);
		*p++ = (unsigned char)(minimum >> 8);
		*p++ = (unsigned char)minimum;
	}
	return (int)((size_t)(p - a) - cut);
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

	/* Negative answers. */
	cache = dns_cache_new();
	memset(&set, 0, sizeof(set));
	set.status = DNS_NXDOMAIN;
	set.error = "Domain name not found";
	set.ttl = 300;
	dns_cache_put(cache, 0, DNS_TYPE_TXT, "_dmarc.none.example", &set);
	hit = dns_cache_get(cache, 0, DNS_TYPE_TXT, "_dmarc.none.example");
	ok(hit != NULL && hit->status == DNS_NXDOMAIN && hit->count == 0 &&
	   hit->error != NULL && strcmp(hit->error, set.error) == 0,
	   "a negative answer is kept with its status and its text");
	buf_free(&set.text);
	dns_cache_free(&cache);
	{
		unsigned char a[512];
		unsigned int ttl = 0;
		int len;

		len = negative_answer(a, 3, 3600, 300, 0);
		ok(dns_negative_ttl(a, len, &ttl) == 0 && ttl == 300,
		   "NXDOMAIN: the SOA's MINIMUM when below its TTL");
		len = negative_answer(a, 3, 60, 300, 0);
		ok(dns_negative_ttl(a, len, &ttl) == 0 && ttl == 60,
		   "the SOA's TTL when below its MINIMUM");
		len = negative_answer(a, 0, 900, 1800, 0);
		ok(dns_negative_ttl(a, len, &ttl) == 0 && ttl == 900,
		   "NODATA (no error, no answer) the same");
		len = negative_answer(a, 3, 0, 0, 0);
		ok(dns_negative_ttl(a, len, &ttl) < 0,
		   "without an SOA: not kept (RFC 2308 section 5)");
		len = negative_answer(a, 3, 3600, 300, 1);
		ok(dns_negative_ttl(a, len, &ttl) < 0,
		   "an SOA cut short: refused");
		len = negative_answer(a, 3, 3600, 300, 0);
		a[len - 33] = 19;	/* rdlen too short for the numbers */
		ok(dns_negative_ttl(a, len, &ttl) < 0,
		   "an SOA whose numbers lie past its length: refused");
		ok(dns_negative_ttl(a, 5, &ttl) < 0, "no header: refused");
	}
	return tap_done();
}
