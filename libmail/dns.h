#ifndef SEALPOST_DNS_H
#define SEALPOST_DNS_H

/*
 * Asynchronous DNS over c-ares, driven by our event loop: c-ares's sockets
 * are watched by the loop and its retransmission timeouts run as a loop
 * timer, so a lookup never blocks the process.  Used by the relay for MX
 * and address lookups (RFC 5321 5.1), and by SPF and DMARC for typed
 * lookups (TXT, A, AAAA, PTR, MX) whose answers are cached for their TTL.
 *
 * Results are always delivered from the loop, never from inside the call
 * that started the lookup, so a caller can store the request handle first
 * and may free anything of its own from the callback.  A request can be
 * cancelled until its callback has run; after that the handle is gone.
 *
 * What comes back is bounded: at most DNS_MX_MAX MX hosts, DNS_ADDR_MAX
 * addresses, and DNS_CNAME_MAX CNAME hops (more is a loop or an attack and
 * fails temporarily).  c-ares checks every length inside the answers; the
 * little parsing done here (CNAME targets) checks its own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define DNS_MX_MAX 32
#define DNS_ADDR_MAX 16
#define DNS_CNAME_MAX 8
#define DNS_NAME_SIZE 256
/* Typed lookups: records kept from one answer (more set `truncated`), the
 * bytes of one TXT record once its strings are joined (a longer record is
 * dropped and sets `truncated`), and the longest a cached answer is kept
 * whatever its TTL says, so a stale policy cannot live for days. */
#define DNS_RR_MAX 32
#define DNS_TXT_MAX 4096
#define DNS_CACHE_TTL_MAX 3600
#define DNS_CACHE_ENTRIES 1024

struct dns;
struct dns_req;
struct event_loop;

enum dns_status {
	DNS_OK,
	/* The name exists but has no record of the type (NOERROR, empty). */
	DNS_NODATA,
	/* The name does not exist (NXDOMAIN). */
	DNS_NXDOMAIN,
	/* SERVFAIL, REFUSED, timeout, a CNAME loop: try again later. */
	DNS_TEMPFAIL,
};

struct dns_mx {
	unsigned int pref;
	char host[DNS_NAME_SIZE];	/* "" for a null MX (RFC 7505) */
};

struct dns_mx_result {
	enum dns_status status;
	/* For logs: c-ares's reason when status is not DNS_OK. */
	const char *error;
	/* Preference order, equal preferences shuffled (RFC 5321 5.1). */
	struct dns_mx *mx;
	size_t count;
	/* The domain's only MX is "0 ." (RFC 7505 3). */
	bool null_mx;
	/* The name the records were found at, after CNAMEs. */
	const char *name;
};

struct dns_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct dns_addr_result {
	enum dns_status status;
	const char *error;
	struct dns_addr *addrs;
	size_t count;
};

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
};

struct dns_rr {
	/* TXT: the record's strings joined (RFC 7208 3.3), NUL-terminated;
	 * PTR and MX: the target name; NULL for A and AAAA. */
	const char *text;
	/* TXT: the length of text, which may hold NUL bytes. */
	size_t text_len;
	unsigned int pref;		/* MX */
	unsigned char addr[16];		/* A: the first 4 bytes; AAAA */
};

struct dns_rr_result {
	enum dns_status status;
	const char *error;
	enum dns_type type;
	/* Answer order (MX records are not sorted). */
	const struct dns_rr *rrs;
	size_t count;
	/* The smallest TTL of the records and CNAMEs used, in seconds. */
	unsigned int ttl;
	/* Records were left out: more than DNS_RR_MAX, or a TXT record
	 * longer than DNS_TXT_MAX. */
	bool truncated;
};

/* The result and everything it points to is valid during the call only. */
typedef void dns_mx_fn(void *ctx, const struct dns_mx_result *result);
typedef void dns_addr_fn(void *ctx, const struct dns_addr_result *result);
typedef void dns_rr_fn(void *ctx, const struct dns_rr_result *result);

/*
 * Makes a resolver on `loop`.  `servers` is NULL or "" for the system's
 * (/etc/resolv.conf), or a list of "address:port" (IPv6 as "[addr]:port")
 * separated by spaces or commas.  Only DNS is asked, never /etc/hosts: an
 * MTA routes by DNS.  0, or -1 with a static *error_r.
 */
int dns_new(struct event_loop *loop, const char *servers, unsigned int
	    timeout_ms, struct dns **dns_r, const char **error_r);
/* Cancels every request (their callbacks are not called) and frees the
 * resolver.  Sets *dns to NULL; NULL is allowed. */
void dns_free(struct dns **dns);

/* Looks up the MX records of `name`, following CNAMEs.  Never fails to
 * start: errors come through the callback. */
struct dns_req *dns_lookup_mx(struct dns *dns, const char *name,
			      dns_mx_fn *fn, void *ctx);
/* Looks up the A and AAAA records of `name` (CNAMEs followed); the port
 * of every address is set to `port`.  A numeric address is answered
 * without asking DNS. */
struct dns_req *dns_lookup_addr(struct dns *dns, const char *name,
				unsigned int port, dns_addr_fn *fn, void *ctx);

/* Looks up the records of one type at `name`.  The recursive server
 * follows CNAMEs; the records of the asked type anywhere in the answer are
 * returned.  Positive answers are cached for their TTL, and NXDOMAIN or
 * NODATA answers for the lesser of their SOA's TTL and MINIMUM (RFC 2308;
 * not at all without an SOA), both at most DNS_CACHE_TTL_MAX; a cached
 * answer is still delivered from the loop.
 * Never fails to start. */
struct dns_req *dns_lookup_rr(struct dns *dns, const char *name,
			      enum dns_type type, dns_rr_fn *fn, void *ctx);

/* Drops a request whose callback has not run; sets *req to NULL.  NULL is
 * allowed. */
void dns_cancel(struct dns_req **req);

/* "192.0.2.1" or "2001:db8::1" (no port), for logs. */
void dns_addr_format(const struct dns_addr *addr, char *out, size_t size);
unsigned int dns_addr_port(const struct dns_addr *addr);

#endif
