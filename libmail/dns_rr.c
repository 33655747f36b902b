/* Typed lookups (TXT, A, AAAA, PTR, MX) for SPF and DMARC; see dns.h. */
#include "dns.h"
#include "dns_private.h"
#include "event.h"

#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>

void dns_rrset_free(struct dns_rrset **setp)
{
	struct dns_rrset *set = *setp;

	if (set == NULL)
		return;
	buf_free(&set->text);
	free(set);
	*setp = NULL;
}

void dns_rrset_copy(struct dns_rrset *dst, const struct dns_rrset *src)
{
	struct buf text = dst->text;

	*dst = *src;
	dst->text = text;
	buf_clear(&dst->text);
	buf_append(&dst->text, src->text.data, src->text.len);
}

static unsigned int dns_u16_at(const unsigned char *p)
{
	return ((unsigned int)p[0] << 8) | p[1];
}

static unsigned int dns_u32_at(const unsigned char *p)
{
	return ((unsigned int)p[0] << 24) | ((unsigned int)p[1] << 16) |
		((unsigned int)p[2] << 8) | p[3];
}

/* A TXT record's strings joined into the set's text buffer; -1 when the
 * rdata is malformed, 1 when it is longer than DNS_TXT_MAX. */
static int dns_rr_txt(struct dns_rrset *set, const unsigned char *rd,
		      unsigned int rdlen)
{
	size_t start = set->text.len, total = 0;
	unsigned int i = 0;

	while (i < rdlen) {
		unsigned int n = rd[i++];

		if (n > rdlen - i)
			return -1;
		total += n;
		if (total > DNS_TXT_MAX) {
			buf_truncate(&set->text, start);
			return 1;
		}
		buf_append(&set->text, rd + i, n);
		i += n;
	}
	buf_append_char(&set->text, '\0');
	return 0;
}

/* One record of the asked type into the set; -1 on malformed data. */
static int dns_rr_take(struct dns_rrset *set, enum dns_type type,
		       const unsigned char *rd, unsigned int rdlen,
		       const unsigned char *abuf, int alen)
{
	char name[DNS_NAME_SIZE];
	const unsigned char *p = rd;
	size_t i = set->count;
	int st;

	if (i >= DNS_RR_MAX) {
		set->truncated = true;
		return 0;
	}
	memset(&set->rr[i], 0, sizeof(set->rr[i]));
	set->rr[i].text_off = set->text.len;
	switch (type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (rdlen != (type == DNS_TYPE_A ? 4u : 16u))
			return -1;
		memcpy(set->rr[i].addr, rd, rdlen);
		break;
	case DNS_TYPE_TXT:
		st = dns_rr_txt(set, rd, rdlen);
		if (st < 0)
			return -1;
		if (st > 0) {
			set->truncated = true;
			return 0;
		}
		break;
	case DNS_TYPE_MX:
		if (rdlen < 3)
			return -1;
		set->rr[i].pref = dns_u16_at(rd);
		p += 2;
		/* fall through */
	case DNS_TYPE_PTR:
		if (dns_name_at(&p, abuf, alen, name) < 0 ||
		    p > rd + rdlen)
			return -1;
		buf_append(&set->text, name, strlen(name) + 1);
		break;
	}
	set->count++;
	return 0;
}

/* The fixed part of the resource record at *pp: its owner is skipped,
 * its type, TTL and data length read, and *pp left at its data, which is
 * checked to lie inside the answer.  0 or -1. */
struct dns_rr_head {
	unsigned int type, ttl, rdlen;
};

static int dns_rr_head(const unsigned char **pp, const unsigned char *abuf,
		       int alen, struct dns_rr_head *h)
{
	const unsigned char *end = abuf + alen, *p;
	char owner[DNS_NAME_SIZE];

	if (dns_name_at(pp, abuf, alen, owner) < 0 || end - *pp < RRFIXEDSZ)
		return -1;
	p = *pp;
	h->type = dns_u16_at(p);
	h->ttl = dns_u32_at(p + 4);
	h->rdlen = dns_u16_at(p + 8);
	*pp = p + RRFIXEDSZ;
	return (size_t)(end - *pp) < h->rdlen ? -1 : 0;
}

/*
 * Walks the answer section, checking every length against the answer's
 * end, and keeps the records of the asked type.  CNAMEs are not followed
 * by hand: the recursive server put the chain and its target's records
 * in the answer; their TTLs count too.
 */
static int dns_rr_parse(struct dns_rrset *set, enum dns_type type,
			const unsigned char *abuf, int alen)
{
	const unsigned char *p;
	unsigned int an, i;
	bool have_ttl = false;

	if (dns_answer_start(abuf, alen, &p, &an) < 0)
		return -1;
	for (i = 0; i < an; i++) {
		struct dns_rr_head h;

		if (dns_rr_head(&p, abuf, alen, &h) < 0)
			return -1;
		if (h.type == (unsigned int)type || h.type == ns_t_cname) {
			if (!have_ttl || h.ttl < set->ttl)
				set->ttl = h.ttl;
			have_ttl = true;
		}
		if (h.type == (unsigned int)type &&
		    dns_rr_take(set, type, p, h.rdlen, abuf, alen) < 0)
			return -1;
		p += h.rdlen;
	}
	return 0;
}

int dns_negative_ttl(const unsigned char *abuf, int alen,
		     unsigned int *ttl_r)
{
	const unsigned char *p;
	char name[DNS_NAME_SIZE];
	unsigned int an, ns, i;

	if (dns_answer_start(abuf, alen, &p, &an) < 0)
		return -1;
	ns = dns_u16_at(abuf + 8);	/* inside the header checked above */
	for (i = 0; i < an + ns; i++) {
		struct dns_rr_head h;
		const unsigned char *rd;
		unsigned int minimum;

		if (dns_rr_head(&p, abuf, alen, &h) < 0)
			return -1;
		if (i >= an && h.type == ns_t_soa) {
			/* MNAME, RNAME, then SERIAL, REFRESH, RETRY, EXPIRE
			 * and MINIMUM, 32 bits each. */
			rd = p;
			if (dns_name_at(&rd, abuf, alen, name) < 0 ||
			    dns_name_at(&rd, abuf, alen, name) < 0 ||
			    rd > p + h.rdlen || p + h.rdlen - rd < 20)
				return -1;
			minimum = dns_u32_at(rd + 16);
			*ttl_r = h.ttl < minimum ? h.ttl : minimum;
			return 0;
		}
		p += h.rdlen;
	}
	return -1;
}

/* A negative answer with the SOA that says for how long: kept, so that
 * the next lookup of the name (a sender domain with no DMARC record, for
 * every message it sends) is not asked again meanwhile. */
static void dns_rr_keep_negative(struct dns_req *r, enum dns_status status,
				 const char *error, const unsigned char *abuf,
				 int alen)
{
	struct dns_rrset *set = r->rrset;
	unsigned int ttl;

	if (abuf == NULL || dns_negative_ttl(abuf, alen, &ttl) < 0)
		return;
	set->status = status;
	set->error = error;
	set->ttl = ttl;
	set->count = 0;
	buf_clear(&set->text);
	dns_cache_put(r->dns->cache, event_loop_now_ms(r->dns->loop),
		      r->rr_type, r->name, set);
}

static void dns_rr_cb(void *arg, int status, int timeouts,
		      unsigned char *abuf, int alen)
{
	struct dns_req *r = arg;
	struct dns_rrset *set = r->rrset;

	r->in_ares--;
	if (status == ARES_EDESTRUCTION || r->cancelled) {
		dns_req_free(r);
		return;
	}
	if (status != ARES_SUCCESS) {
		enum dns_status st = dns_status_from_ares(status);

		if (st == DNS_NXDOMAIN || st == DNS_NODATA)
			dns_rr_keep_negative(r, st, ares_strerror(status),
					     abuf, alen);
		dns_req_complete(r, st, ares_strerror(status));
		return;
	}
	if (dns_rr_parse(set, r->rr_type, abuf, alen) < 0) {
		set->count = 0;
		buf_clear(&set->text);
		dns_req_complete(r, DNS_TEMPFAIL, "malformed answer");
		return;
	}
	if (set->count == 0 && !set->truncated) {
		dns_req_complete(r, DNS_NODATA, "no records of the type");
		return;
	}
	set->status = DNS_OK;
	dns_cache_put(r->dns->cache, event_loop_now_ms(r->dns->loop),
		      r->rr_type, r->name, set);
	dns_req_complete(r, DNS_OK, NULL);
}

struct dns_req *dns_lookup_rr(struct dns *dns, const char *name,
			      enum dns_type type, dns_rr_fn *fn, void *ctx)
{
	struct dns_req *r = dns_req_new(dns, DNS_REQ_RR, name, ctx);
	const struct dns_rrset *hit;
	size_t len;

	r->rr_fn = fn;
	r->rr_type = type;
	r->rrset = xcalloc(1, sizeof(*r->rrset));
	if (r->complete) {
		event_timer_reset(dns->deliver);
		return r;
	}
	/* One spelling per name in the cache: no trailing dot. */
	len = strlen(r->name);
	if (len > 1 && r->name[len - 1] == '.')
		r->name[len - 1] = '\0';
	hit = dns_cache_get(dns->cache, event_loop_now_ms(dns->loop), type,
			    r->name);
	if (hit != NULL) {
		dns_rrset_copy(r->rrset, hit);
		dns_req_complete(r, hit->status, hit->error);
		return r;
	}
	r->in_ares++;
	ares_query(dns->channel, r->name, ns_c_in, (int)type, dns_rr_cb, r);
	dns_rearm(dns);
	return r;
}

void dns_rr_deliver(struct dns_req *r)
{
	struct dns_rrset *set = r->rrset;
	struct dns_rr rrs[DNS_RR_MAX];
	struct dns_rr_result res;
	size_t i;

	memset(&res, 0, sizeof(res));
	res.status = r->status;
	res.error = r->error;
	res.type = r->rr_type;
	res.rrs = rrs;
	res.ttl = set->ttl;
	res.truncated = set->truncated;
	if (r->status == DNS_OK) {
		for (i = 0; i < set->count; i++) {
			rrs[i].pref = set->rr[i].pref;
			memcpy(rrs[i].addr, set->rr[i].addr, sizeof(rrs[i].addr));
			rrs[i].text = NULL;
			rrs[i].text_len = 0;
			if (r->rr_type != DNS_TYPE_A &&
			    r->rr_type != DNS_TYPE_AAAA) {
				size_t end = i + 1 < set->count ?
					set->rr[i + 1].text_off : set->text.len;

				rrs[i].text = set->text.data + set->rr[i].text_off;
				rrs[i].text_len = end - set->rr[i].text_off - 1;
			}
		}
		res.count = set->count;
	}
	r->rr_fn(r->ctx, &res);
}
