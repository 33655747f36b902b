/* c-ares inside the event loop; see dns.h. */
#include "dns.h"
#include "dns_private.h"
#include "buf.h"
#include "event.h"
#include "log.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* ---- requests ---- */

struct dns_req *dns_req_new(struct dns *dns, enum dns_req_kind kind,
				   const char *name, void *ctx)
{
	struct dns_req *r = xcalloc(1, sizeof(*r));

	r->dns = dns;
	r->kind = kind;
	r->ctx = ctx;
	if (str_copy(r->name, sizeof(r->name), name) < 0) {
		r->complete = true;
		r->status = DNS_NXDOMAIN;
		r->error = "name too long";
	}
	r->next = dns->reqs;
	if (dns->reqs != NULL)
		dns->reqs->prev = r;
	dns->reqs = r;
	return r;
}

void dns_req_free(struct dns_req *r)
{
	struct dns *dns = r->dns;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else if (dns != NULL && dns->reqs == r)
		dns->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	dns_rrset_free(&r->rrset);
	free(r);
}

void dns_req_complete(struct dns_req *r, enum dns_status status,
			     const char *error)
{
	r->complete = true;
	r->status = status;
	r->error = error;
	event_timer_reset(r->dns->deliver);
}

void dns_cancel(struct dns_req **rp)
{
	struct dns_req *r = *rp;

	if (r == NULL)
		return;
	*rp = NULL;
	if (r->in_ares > 0)
		r->cancelled = true;
	else
		dns_req_free(r);
}

/* ---- answers ---- */

enum dns_status dns_status_from_ares(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return DNS_OK;
	case ARES_ENODATA:
		return DNS_NODATA;
	case ARES_ENOTFOUND:
	case ARES_ENONAME:
		return DNS_NXDOMAIN;
	default:
		/* SERVFAIL, REFUSED, timeouts, bad answers: RFC 5321 5.1
		 * says to try again later. */
		return DNS_TEMPFAIL;
	}
}

/* Reads a 16-bit field after checking it is inside the answer. */
static int dns_u16(const unsigned char *p, const unsigned char *end,
		   unsigned int *v_r)
{
	if (end - p < 2)
		return -1;
	*v_r = ((unsigned int)p[0] << 8) | p[1];
	return 0;
}

/* Expands the (compressed) name at *pp and moves past it. */
int dns_name_at(const unsigned char **pp, const unsigned char *abuf,
		       int alen, char out[DNS_NAME_SIZE])
{
	char *name = NULL;
	long enclen;
	int ret;

	if (ares_expand_name(*pp, abuf, alen, &name, &enclen) != ARES_SUCCESS)
		return -1;
	ret = str_copy(out, DNS_NAME_SIZE, name);
	ares_free_string(name);
	*pp += enclen;
	return ret;
}

int dns_answer_start(const unsigned char *abuf, int alen,
		     const unsigned char **p_r, unsigned int *an_r)
{
	const unsigned char *end = abuf + alen, *p;
	char owner[DNS_NAME_SIZE];
	unsigned int qd, i;

	if (alen < HFIXEDSZ || dns_u16(abuf + 4, end, &qd) < 0 ||
	    dns_u16(abuf + 6, end, an_r) < 0)
		return -1;
	p = abuf + HFIXEDSZ;
	for (i = 0; i < qd; i++) {
		if (dns_name_at(&p, abuf, alen, owner) < 0 ||
		    end - p < QFIXEDSZ)
			return -1;
		p += QFIXEDSZ;
	}
	*p_r = p;
	return 0;
}

/*
 * Follows the CNAMEs of `name` inside one answer (a server answering for
 * an alias puts the chain there).  Returns 1 with the last target in
 * `target`, 0 when `name` has no CNAME in it, -1 on a malformed answer or
 * a chain longer than DNS_CNAME_MAX.  Every length is checked against the
 * answer's end before it is used.
 */
static int dns_find_cname(const unsigned char *abuf, int alen,
			  const char *name, char target[DNS_NAME_SIZE])
{
	const unsigned char *end = abuf + alen, *p;
	char owner[DNS_NAME_SIZE], want[DNS_NAME_SIZE];
	unsigned int an, i, hops;
	int found = 0;

	if ( str_copy(want, sizeof(want), name) < 0)
		return -1;
	for (hops = 0; hops <= DNS_CNAME_MAX; hops++) {
		bool step = false;

		if (dns_answer_start(abuf, alen, &p, &an) < 0)
			return -1;
		for (i = 0; i < an && !step; i++) {
			unsigned int type, rdlen;

			if (dns_name_at(&p, abuf, alen, owner) < 0 ||
			    end - p < RRFIXEDSZ || dns_u16(p, end, &type) < 0 ||
			    dns_u16(p + 8, end, &rdlen) < 0)
				return -1;
			p += RRFIXEDSZ;
			if ((size_t)(end - p) < rdlen)
				return -1;
			if (type == ns_t_cname && strcasecmp(owner, want) == 0) {
				const unsigned char *rd = p;

				if (dns_name_at(&rd, abuf, alen, target) < 0)
					return -1;
				if (str_copy(want, sizeof(want), target) < 0)
					return -1;
				found = 1;
				step = true;
			}
			p += rdlen;
		}
		if (!step)
			return found;
	}
	return -1;
}

static uint32_t dns_random(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)random();
	return v;
}

static int dns_mx_cmp(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

/* Preference order; equal preferences in random order, so the load
 * spreads as RFC 5321 5.1 asks. */
static void dns_mx_order(struct dns_mx *mx, size_t count)
{
	size_t i, j, k;

	qsort(mx, count, sizeof(*mx), dns_mx_cmp);
	for (i = 0; i < count; i = j) {
		for (j = i + 1; j < count && mx[j].pref == mx[i].pref; j++)
			;
		for (k = j - 1; k > i; k--) {
			size_t o = i + dns_random() % (k - i + 1);
			struct dns_mx t = mx[k];

			mx[k] = mx[o];
			mx[o] = t;
		}
	}
}

static void dns_mx_start(struct dns_req *r);

static void dns_mx_answer(struct dns_req *r, unsigned char *abuf, int alen)
{
	struct ares_mx_reply *list = NULL, *m;
	char target[DNS_NAME_SIZE];
	int st = ares_parse_mx_reply(abuf, alen, &list);
	size_t nulls = 0;

	if (st == ARES_SUCCESS && list == NULL)
		st = ARES_ENODATA;	/* only a CNAME */
	if (st == ARES_ENODATA) {
		int c = dns_find_cname(abuf, alen, r->name, target);

		if (c < 0 || (c == 1 && ++r->cname_hops > DNS_CNAME_MAX)) {
			dns_req_complete(r, DNS_TEMPFAIL, "bad CNAME chain");
		} else if (c == 1) {
			/* The alias's target answers for it (RFC 5321 5.1:
			 * the name is the canonical one). */
			memcpy(r->name, target, sizeof(r->name));
			dns_mx_start(r);
		} else {
			dns_req_complete(r, DNS_NODATA, "no MX records");
		}
		return;
	}
	if (st != ARES_SUCCESS) {
		dns_req_complete(r, DNS_TEMPFAIL, ares_strerror(st));
		return;
	}
	for (m = list; m != NULL && r->mx_count < DNS_MX_MAX; m = m->next) {
		struct dns_mx *x = &r->mx[r->mx_count];
		const char *h = m->host != NULL ? m->host : "";

		if (strcmp(h, ".") == 0)
			h = "";
		if (str_copy(x->host, sizeof(x->host), h) < 0)
			continue;
		x->pref = m->priority;
		nulls += x->host[0] == '\0';
		r->mx_count++;
	}
	ares_free_data(list);
	if (nulls > 0 && r->mx_count == 1) {
		r->null_mx = true;
	} else if (nulls > 0) {
		/* RFC 7505 3: a null MX must stand alone; beside others it
		 * is a mistake, and the real hosts are used. */
		size_t i, n = 0;

		for (i = 0; i < r->mx_count; i++) {
			if (r->mx[i].host[0] != '\0')
				r->mx[n++] = r->mx[i];
		}
		r->mx_count = n;
	}
	dns_mx_order(r->mx, r->mx_count);
	dns_req_complete(r, DNS_OK, NULL);
}

static void dns_mx_cb(void *arg, int status, int timeouts,
		      unsigned char *abuf, int alen)
{
	struct dns_req *r = arg;

	r->in_ares--;
	if (status == ARES_EDESTRUCTION || r->cancelled) {
		dns_req_free(r);
		return;
	}
	if (status != ARES_SUCCESS)
		dns_req_complete(r, dns_status_from_ares(status),
				 ares_strerror(status));
	else
		dns_mx_answer(r, abuf, alen);
}

static void dns_mx_start(struct dns_req *r)
{
	r->in_ares++;
	ares_query(r->dns->channel, r->name, ns_c_in, ns_t_mx, dns_mx_cb, r);
	dns_rearm(r->dns);
}

static void dns_addr_add(struct dns_req *r, int family, const void *ip)
{
	struct dns_addr *a;

	if (r->addr_count >= DNS_ADDR_MAX)
		return;
	a = &r->addrs[r->addr_count++];
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)r->port);
		memcpy(&sin->sin_addr, ip, sizeof(sin->sin_addr));
		a->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)r->port);
		memcpy(&sin6->sin6_addr, ip, sizeof(sin6->sin6_addr));
		a->len = sizeof(*sin6);
	}
}

/* The A and the AAAA query run apart, so one failing family (a broken
 * AAAA server is common) does not hide the other's addresses. */
static void dns_addr_answer(struct dns_req *r, int family, int status,
			    unsigned char *abuf, int alen)
{
	struct ares_addrttl v4[DNS_ADDR_MAX];
	struct ares_addr6ttl v6[DNS_ADDR_MAX];
	int n = DNS_ADDR_MAX, i, st = status;
	enum dns_status *out = &r->family_status[family == AF_INET ? 0 : 1];

	if (st == ARES_SUCCESS) {
		st = family == AF_INET ?
			ares_parse_a_reply(abuf, alen, NULL, v4, &n) :
			ares_parse_aaaa_reply(abuf, alen, NULL, v6, &n);
		for (i = 0; st == ARES_SUCCESS && i < n; i++)
			dns_addr_add(r, family, family == AF_INET ?
				     (const void *)&v4[i].ipaddr :
				     (const void *)&v6[i].ip6addr);
	}
	*out = dns_status_from_ares(st);
	if (st != ARES_SUCCESS && r->family_error == NULL)
		r->family_error = ares_strerror(st);
}

static void dns_addr_finish(struct dns_req *r)
{
	enum dns_status a = r->family_status[0], b = r->family_status[1];

	if (r->addr_count > 0)
		dns_req_complete(r, DNS_OK, NULL);
	else if (a == DNS_TEMPFAIL || b == DNS_TEMPFAIL)
		dns_req_complete(r, DNS_TEMPFAIL, r->family_error);
	else if (a == DNS_NXDOMAIN || b == DNS_NXDOMAIN)
		dns_req_complete(r, DNS_NXDOMAIN, r->family_error);
	else
		dns_req_complete(r, DNS_NODATA, "no address records");
}

static void dns_addr_cb(void *arg, int status, int timeouts,
			unsigned char *abuf, int alen, int family)
{
	struct dns_req *r = arg;

	r->in_ares--;
	if (status == ARES_EDESTRUCTION || r->cancelled) {
		if (r->in_ares == 0)
			dns_req_free(r);
		return;
	}
	dns_addr_answer(r, family, status, abuf, alen);
	if (r->in_ares == 0)
		dns_addr_finish(r);
}

static void dns_a_cb(void *arg, int status, int timeouts,
		     unsigned char *abuf, int alen)
{
	dns_addr_cb(arg, status, timeouts, abuf, alen, AF_INET);
}

static void dns_aaaa_cb(void *arg, int status, int timeouts,
			unsigned char *abuf, int alen)
{
	dns_addr_cb(arg, status, timeouts, abuf, alen, AF_INET6);
}

/* An address written as one: no DNS. */
static bool dns_numeric(struct dns_req *r)
{
	struct dns_addr *a = &r->addrs[0];
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, r->name, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)r->port);
		a->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, r->name, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)r->port);
		a->len = sizeof(*sin6);
	} else {
		return false;
	}
	r->addr_count = 1;
	return true;
}

struct dns_req *dns_lookup_mx(struct dns *dns, const char *name,
			      dns_mx_fn *fn, void *ctx)
{
	struct dns_req *r = dns_req_new(dns, DNS_REQ_MX, name, ctx);

	r->mx_fn = fn;
	if (r->complete)
		event_timer_reset(dns->deliver);
	else
		dns_mx_start(r);
	return r;
}

struct dns_req *dns_lookup_addr(struct dns *dns, const char *name,
				unsigned int port, dns_addr_fn *fn, void *ctx)
{
	struct dns_req *r = dns_req_new(dns, DNS_REQ_ADDR, name, ctx);

	r->addr_fn = fn;
	r->port = port;
	if (r->complete) {
		event_timer_reset(dns->deliver);
	} else if (dns_numeric(r)) {
		dns_req_complete(r, DNS_OK, NULL);
	} else {
		r->in_ares = 2;
		ares_query(dns->channel, r->name, ns_c_in, ns_t_a, dns_a_cb, r);
		/* The first may have failed at once and freed nothing: the
		 * request lives until both have called back. */
		ares_query(dns->channel, r->name, ns_c_in, ns_t_aaaa,
			   dns_aaaa_cb, r);
		dns_rearm(dns);
	}
	return r;
}

void dns_addr_format(const struct dns_addr *addr, char *out, size_t size)
{
	const struct sockaddr_in *sin = (const void *)&addr->sa;
	const struct sockaddr_in6 *sin6 = (const void *)&addr->sa;
	const void *ip = addr->sa.ss_family == AF_INET6 ?
		(const void *)&sin6->sin6_addr : (const void *)&sin->sin_addr;

	if (size < INET6_ADDRSTRLEN ||
	    inet_ntop(addr->sa.ss_family, ip, out, (socklen_t)size) == NULL)
		(void)str_copy(out, size, "?");
}

unsigned int dns_addr_port(const struct dns_addr *addr)
{
	const struct sockaddr_in *sin = (const void *)&addr->sa;
	const struct sockaddr_in6 *sin6 = (const void *)&addr->sa;

	return ntohs(addr->sa.ss_family == AF_INET6 ? sin6->sin6_port :
		     sin->sin_port);
}

/* ---- the loop ---- */

static void dns_on_deliver(void *ctx)
{
	struct dns *dns = ctx;
	struct dns_req *r;

	/* Callbacks may start or cancel requests: look afresh each time. */
	for (;;) {
		for (r = dns->reqs; r != NULL && !r->complete; r = r->next)
			;
		if (r == NULL)
			break;
		if (r->kind == DNS_REQ_RR) {
			dns_rr_deliver(r);
		} else if (r->kind == DNS_REQ_MX) {
			struct dns_mx_result res = {
				r->status, r->error, r->mx, r->mx_count,
				r->null_mx, r->name,
			};

			r->mx_fn(r->ctx, &res);
		} else {
			struct dns_addr_result res = {
				r->status, r->error, r->addrs, r->addr_count,
			};

			r->addr_fn(r->ctx, &res);
		}
		dns_req_free(r);
	}
}

static void dns_process(struct dns *dns, int rfd, int wfd)
{
	ares_process_fd(dns->channel, rfd, wfd);
	dns_rearm(dns);
}

static void dns_on_timeout(void *ctx)
{
	struct dns *dns = ctx;

	dns_process(dns, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static void dns_on_io(void *ctx, unsigned int events)
{
	struct dns_watch *w = ctx;
	struct dns *dns = w->dns;
	int fd = w->fd;

	/* The watch may be gone when ares_process_fd() returns. */
	dns_process(dns, (events & (EVENT_READ | EVENT_ERROR)) ? fd :
		    ARES_SOCKET_BAD,
		    (events & EVENT_WRITE) ? fd : ARES_SOCKET_BAD);
}

void dns_rearm(struct dns *dns)
{
	struct timeval tv, *tvp = ares_timeout(dns->channel, NULL, &tv);
	unsigned long long ms;

	event_timer_remove(&dns->timeout);
	if (tvp == NULL)
		return;
	ms = (unsigned long long)tvp->tv_sec * 1000 +
		(unsigned long long)tvp->tv_usec / 1000 + 1;
	dns->timeout = event_timer_add(dns->loop, (unsigned int)ms, 0,
				       dns_on_timeout, dns);
}

static void dns_sock_state(void *data, ares_socket_t fd, int readable,
			   int writable)
{
	struct dns *dns = data;
	unsigned int events = (readable ? EVENT_READ : 0) |
		(writable ? EVENT_WRITE : 0);
	size_t i;

	for (i = 0; i < dns->watch_count; i++) {
		if (dns->watches[i]->fd == fd)
			break;
	}
	if (i < dns->watch_count && events == 0) {
		event_io_remove(&dns->watches[i]->io);
		free(dns->watches[i]);
		dns->watches[i] = dns->watches[--dns->watch_count];
	} else if (i < dns->watch_count) {
		event_io_set(dns->watches[i]->io, events);
	} else if (events != 0) {
		struct dns_watch *w = xcalloc(1, sizeof(*w));

		w->dns = dns;
		w->fd = fd;
		w->io = event_io_add(dns->loop, fd, events, dns_on_io, w);
		if (w->io == NULL) {
			/* Out of kernel watches: the query times out. */
			log_error("dns_error", "reason=\"cannot watch a socket\"");
			free(w);
			return;
		}
		dns->watches = xrealloc(dns->watches, (dns->watch_count + 1) *
					sizeof(*dns->watches));
		dns->watches[dns->watch_count++] = w;
	}
}

/* "a:p b:p" to c-ares's "a:p,b:p". */
static int dns_set_servers(struct dns *dns, const char *servers)
{
	struct buf csv = BUF_INIT;
	const char *p = servers;
	int st;

	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		if (csv.len > 0)
			buf_append_char(&csv, ',');
		buf_append(&csv, p, n);
		p += n;
	}
	if (csv.len == 0) {
		buf_free(&csv);
		return 0;
	}
	st = ares_set_servers_ports_csv(dns->channel, buf_cstr(&csv));
	buf_free(&csv);
	return st == ARES_SUCCESS ? 0 : -1;
}

int dns_new(struct event_loop *loop, const char *servers,
	    unsigned int timeout_ms, struct dns **dns_r, const char **error_r)
{
	static char error[256];
	struct ares_options opts;
	struct dns *dns;
	int st;

	st = ares_library_init(ARES_LIB_INIT_ALL);
	if (st != ARES_SUCCESS) {
		*error_r = ares_strerror(st);
		return -1;
	}
	dns = xcalloc(1, sizeof(*dns));
	dns->loop = loop;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = dns_sock_state;
	opts.sock_state_cb_data = dns;
	/* DNS only: an MTA routes by the DNS, not by /etc/hosts. */
	opts.lookups = (char *)"b";
	/* Names are always fully qualified: no search list. */
	opts.ndots = 0;
	opts.ndomains = 0;
	opts.domains = NULL;
	opts.timeout = (int)timeout_ms;
	opts.tries = 3;
	opts.flags = ARES_FLAG_NOSEARCH;
	st = ares_init_options(&dns->channel, &opts,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS |
			       ARES_OPT_NDOTS | ARES_OPT_DOMAINS |
			       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
			       ARES_OPT_FLAGS);
	if (st != ARES_SUCCESS) {
		snprintf(error, sizeof(error), "c-ares: %s", ares_strerror(st));
		*error_r = error;
		free(dns);
		return -1;
	}
	if (servers != NULL && dns_set_servers(dns, servers) < 0) {
		snprintf(error, sizeof(error), "bad DNS server list: %s",
			 servers);
		*error_r = error;
		ares_destroy(dns->channel);
		free(dns);
		return -1;
	}
	dns->cache = dns_cache_new();
	dns->deliver = event_timer_add(loop, 0, 0, dns_on_deliver, dns);
	event_timer_stop(dns->deliver);
	*dns_r = dns;
	return 0;
}

void dns_free(struct dns **dnsp)
{
	struct dns *dns = *dnsp;

	if (dns == NULL)
		return;
	/* Calls every pending c-ares callback with ARES_EDESTRUCTION,
	 * which frees its request. */
	ares_destroy(dns->channel);
	while (dns->reqs != NULL)
		dns_req_free(dns->reqs);
	while (dns->watch_count > 0) {
		event_io_remove(&dns->watches[dns->watch_count - 1]->io);
		free(dns->watches[--dns->watch_count]);
	}
	free(dns->watches);
	dns_cache_free(&dns->cache);
	event_timer_remove(&dns->timeout);
	event_timer_remove(&dns->deliver);
	free(dns);
	*dnsp = NULL;
}
