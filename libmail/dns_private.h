#ifndef SEALPOST_DNS_PRIVATE_H
#define SEALPOST_DNS_PRIVATE_H

/* What dns.c shares with the typed lookups (dns_rr.c) and their cache
 * (dns_cache.c); nothing outside the dns_* files includes this. */

#include "dns.h"
#include "buf.h"

#include <ares.h>
#include <stdint.h>

/* The records of one answer as kept in a request and in the cache: texts
 * live in one buffer, so a set is copied with two allocations. */
struct dns_rrset {
	enum dns_status status;
	const char *error;	/* static text, or NULL; kept by the cache */
	unsigned int ttl;
	bool truncated;
	size_t count;
	struct {
		size_t text_off;
		unsigned int pref;
		unsigned char addr[16];
	} rr[DNS_RR_MAX];
	struct buf text;
};

enum dns_req_kind {
	DNS_REQ_MX,
	DNS_REQ_ADDR,
	DNS_REQ_RR,
};

struct dns_req {
	struct dns *dns;
	struct dns_req *prev, *next;
	enum dns_req_kind kind;
	char name[DNS_NAME_SIZE];
	unsigned int port;
	unsigned int cname_hops;
	dns_mx_fn *mx_fn;
	dns_addr_fn *addr_fn;
	void *ctx;
	/* Queries c-ares still holds a pointer to us for: free when the
	 * last one calls back. */
	unsigned int in_ares;
	/* Address lookups: the outcome of the A and the AAAA query. */
	enum dns_status family_status[2];
	const char *family_error;
	bool cancelled;
	/* The result is ready and waits for the delivery timer. */
	bool complete;
	enum dns_status status;
	const char *error;
	struct dns_mx mx[DNS_MX_MAX];
	size_t mx_count;
	bool null_mx;
	struct dns_addr addrs[DNS_ADDR_MAX];
	size_t addr_count;
	/* Typed lookups (dns_rr.c). */
	enum dns_type rr_type;
	dns_rr_fn *rr_fn;
	struct dns_rrset *rrset;
};

struct dns_watch {
	struct dns *dns;
	int fd;
	struct event_io *io;
};

struct dns {
	struct event_loop *loop;
	ares_channel channel;
	struct dns_watch **watches;
	size_t watch_count;
	struct event_timer *timeout;	/* c-ares's next retransmission */
	struct event_timer *deliver;	/* completed requests, from the loop */
	struct dns_req *reqs;
	/* Answers of typed lookups, kept for their TTL (dns_cache.c). */
	struct dns_cache *cache;
};

struct dns_req *dns_req_new(struct dns *dns, enum dns_req_kind kind,
			    const char *name, void *ctx);
void dns_req_free(struct dns_req *r);
void dns_req_complete(struct dns_req *r, enum dns_status status,
		      const char *error);
void dns_rearm(struct dns *dns);
int dns_name_at(const unsigned char **pp, const unsigned char *abuf,
		int alen, char out[DNS_NAME_SIZE]);
enum dns_status dns_status_from_ares(int status);
/* Checks the header of an answer and skips its question section: *p_r is
 * then the first answer record, *an_r their count.  0 or -1. */
int dns_answer_start(const unsigned char *abuf, int alen,
		     const unsigned char **p_r, unsigned int *an_r);

/* dns_rr.c: how long a negative answer may be kept (RFC 2308 section 5):
 * the lesser of the TTL and the MINIMUM of the SOA record in its
 * authority section.  0, or -1 when it has none (then it is not kept) or
 * is malformed. */
int dns_negative_ttl(const unsigned char *abuf, int alen,
		     unsigned int *ttl_r);
/* dns_rr.c: delivers a typed request's result. */
void dns_rr_deliver(struct dns_req *r);
void dns_rrset_free(struct dns_rrset **set);
void dns_rrset_copy(struct dns_rrset *dst, const struct dns_rrset *src);

/* dns_cache.c */
struct dns_cache *dns_cache_new(void);
void dns_cache_free(struct dns_cache **cache);
/* The set cached for (type, name), or NULL when absent or expired. */
const struct dns_rrset *dns_cache_get(struct dns_cache *cache, uint64_t now_ms,
				      enum dns_type type, const char *name);
/* Keeps a copy of `set` for its TTL (capped); TTL 0 keeps nothing. */
void dns_cache_put(struct dns_cache *cache, uint64_t now_ms,
		   enum dns_type type, const char *name,
		   const struct dns_rrset *set);

#endif
