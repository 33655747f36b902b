/*
 * The relay: delivery of a message's recipients in one other domain.
 * Routing is looked up afresh at every attempt, never kept in the queue
 * file: the relayhost, or the domain's MX hosts in preference order
 * (RFC 5321 5.1), or, without MX records, the domain itself (implicit
 * MX); a null MX (RFC 7505) fails at once.  Each host's addresses are
 * tried in turn until one holds a conversation (qmgr_smtp.c).
 *
 * Destinations (a domain, or the relayhost) are throttled: at most
 * smtp_destination_concurrency_limit sessions each, and
 * smtp_concurrency_limit in all; a destination whose every host failed
 * is left alone for minimal_backoff_time, and messages for it meanwhile
 * are deferred without a connection (never hammer a sick server).  A
 * session that ends well is kept for smtp_connection_cache_time for the
 * next message to the same destination.
 */
#include "qmgr.h"
#include "qmgr_smtp.h"
#include "buf.h"
#include "dns.h"
#include "event.h"
#include "tls.h"
#include "worker.h"

#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define QMGR_RELAY_NAME_SIZE (DNS_NAME_SIZE + 64)

struct qmgr_relay {
	struct qmgr *q;
	struct qmgr_relay *wait_next;
	/* Only while the job waits or holds a session: once it finished,
	 * qmgr_relay_tidy() may free the destination. */
	struct qmgr_dest *dest;
	bool waiting, holding, reused, finished;
	struct queue_file *qf;
	size_t *idx;
	size_t count;
	bool *reported;
	qmgr_relay_rcpt_fn *rcpt_fn;
	qmgr_relay_done_fn *done_fn;
	void *ctx;
	/* The route. */
	char domain[DNS_NAME_SIZE];
	bool mx_lookup;
	unsigned int port;
	struct dns_req *req;
	struct dns_mx hosts[DNS_MX_MAX];
	size_t host_count, host_i;
	struct dns_addr addrs[DNS_ADDR_MAX];
	size_t addr_count, addr_i;
	bool dns_tempfail, connected_once;
	int fd;
	struct event_io *connect_io;
	struct event_timer *connect_timer;
	char relay_name[QMGR_RELAY_NAME_SIZE];
	struct qmgr_smtp *smtp;
	struct buf last_error;
};

static void qmgr_relay_kick(struct qmgr *q);
static void qmgr_relay_next_host(struct qmgr_relay *r);
static void qmgr_relay_next_addr(struct qmgr_relay *r);
static void qmgr_relay_route(struct qmgr_relay *r);

/* ---- destinations ---- */

static struct qmgr_dest *qmgr_dest_get(struct qmgr *q, const char *name)
{
	struct qmgr_dest *d;

	for (d = q->dests; d != NULL; d = d->next) {
		if (strcasecmp(d->name, name) == 0)
			return d;
	}
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->next = q->dests;
	q->dests = d;
	return d;
}

struct qmgr_dest *qmgr_relay_dest(struct qmgr *q, const char *domain)
{
	return qmgr_dest_get(q, q->relay.relayhost[0] != '\0' ?
			     q->relay.relayhost : domain);
}

static void qmgr_dest_on_idle(void *ctx)
{
	struct qmgr_dest *d = ctx;

	qmgr_smtp_free(&d->idle);
	event_timer_remove(&d->idle_timer);
}

static void qmgr_dest_free(struct qmgr_dest *d)
{
	qmgr_smtp_free(&d->idle);
	event_timer_remove(&d->idle_timer);
	free(d->name);
	free(d->dead_reason);
	free(d);
}

static void qmgr_dest_free_all(struct qmgr *q)
{
	while (q->dests != NULL) {
		struct qmgr_dest *d = q->dests;

		q->dests = d->next;
		qmgr_dest_free(d);
	}
}

void qmgr_relay_tidy(struct qmgr *q)
{
	struct qmgr_dest **pp = &q->dests, *d;
	time_t now = time(NULL);

	/* A destination nothing refers to any more (no job, no parked or
	 * woken message, no kept session) and not suspended: without this
	 * every domain ever relayed to stayed in the list, and each job's
	 * lookup walked them all. */
	while ((d = *pp) != NULL) {
		if (d->active == 0 && d->waiting == 0 && d->woken == 0 &&
		    d->parked == NULL && d->idle == NULL &&
		    d->dead_until <= now) {
			*pp = d->next;
			qmgr_dest_free(d);
		} else {
			pp = &d->next;
		}
	}
}

/* The TLS level for a destination: smtp_tls_policy, else smtp_tls. */
static enum qmgr_tls_level qmgr_relay_tls_level(const struct qmgr *q,
						const char *dest)
{
	const char *p = q->relay.smtp_tls_policy;
	size_t dlen = strlen(dest);

	while (*p != '\0') {
		size_t n;
		const char *colon;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		colon = memrchr(p, ':', n);
		if (colon != NULL && (size_t)(colon - p) == dlen &&
		    strncasecmp(p, dest, dlen) == 0) {
			size_t l = n - (size_t)(colon + 1 - p);

			if (l == 6 && strncmp(colon + 1, "verify", 6) == 0)
				return QMGR_TLS_VERIFY;
			if (l == 7 && strncmp(colon + 1, "encrypt", 7) == 0)
				return QMGR_TLS_ENCRYPT;
			if (l == 4 && strncmp(colon + 1, "none", 4) == 0)
				return QMGR_TLS_NONE;
			return QMGR_TLS_MAY;
		}
		p += n;
	}
	return q->relay.smtp_tls ? QMGR_TLS_MAY : QMGR_TLS_NONE;
}

/* ---- outcomes ---- */

static void qmgr_relay_report(struct qmgr_relay *r, size_t pos, char state,
			      const char *reply, const char *remote,
			      bool dsn_passed)
{
	if (r->reported[pos])
		return;
	r->reported[pos] = true;
	r->rcpt_fn(r->ctx, r->idx[pos], state, reply, remote, dsn_passed);
}

static void qmgr_relay_finish(struct qmgr_relay *r)
{
	struct qmgr *q = r->q;

	bool held = r->holding;

	if (r->finished)
		return;
	r->finished = true;
	if (held) {
		r->holding = false;
		r->dest->active--;
		q->smtp_active--;
	}
	r->done_fn(r->ctx);
	/* Only a freed slot lets another job start. */
	if (held)
		qmgr_relay_kick(q);
}

static void qmgr_relay_fail_all(struct qmgr_relay *r, char state,
				const char *reply)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		qmgr_relay_report(r, i, state, reply, NULL, false);
	qmgr_relay_finish(r);
}

static void qmgr_relay_fail_allf(struct qmgr_relay *r, char state,
				 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void qmgr_relay_fail_allf(struct qmgr_relay *r, char state,
				 const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	qmgr_relay_fail_all(r, state, buf_cstr(&b));
	buf_free(&b);
}

/* Every host failed: defer, and rest the destination. */
static void qmgr_relay_all_failed(struct qmgr_relay *r)
{
	struct qmgr *q = r->q;
	struct qmgr_dest *d = r->dest;
	const char *why = r->last_error.len > 0 ? buf_cstr(&r->last_error) :
		"no usable host";

	if (!r->connected_once && !r->dns_tempfail && r->addr_count == 0 &&
	    r->mx_lookup && q->relay.relayhost[0] == '\0') {
		/* No host of the domain has an address: nothing will change
		 * by waiting (RFC 3463 X.4.4, unable to route). */
		qmgr_relay_fail_allf(r, 'F', "550 5.4.4 Unable to route to "
				     "%s: %s", r->domain, why);
		return;
	}
	free(d->dead_reason);
	d->dead_reason = xstrdup(why);
	d->dead_until = time(NULL) + (time_t)q->set.minimal_backoff_time;
	log_info("relay_suspended", "relay=%s next_s=%u reason=%s", d->name,
		 q->set.minimal_backoff_time, why);
	/* RFC 3463: X.4.3 when DNS kept us from any host, X.4.1 (no
	 * answer from host) otherwise. */
	qmgr_relay_fail_allf(r, 'T', "451 %s %s", r->dns_tempfail &&
			     r->addr_count == 0 ? "4.4.3" : "4.4.1", why);
}

static void qmgr_relay_error(struct qmgr_relay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void qmgr_relay_error(struct qmgr_relay *r, const char *fmt, ...)
{
	va_list ap;

	buf_clear(&r->last_error);
	va_start(ap, fmt);
	buf_vprintf(&r->last_error, fmt, ap);
	va_end(ap);
	log_info("relay_attempt", "relay=%s reason=%s", r->relay_name,
		 buf_cstr(&r->last_error));
}

/* ---- the SMTP session ---- */

static void qmgr_relay_on_rcpt(void *ctx, size_t pos, char state,
			       const char *reply, bool dsn_passed)
{
	struct qmgr_relay *r = ctx;

	r->connected_once = true;
	qmgr_relay_report(r, pos, state, reply, r->relay_name, dsn_passed);
}

static void qmgr_relay_on_smtp_done(void *ctx, bool try_next,
				    const char *reason)
{
	struct qmgr_relay *r = ctx;
	struct qmgr_dest *d = r->dest;

	if (try_next) {
		str_copy(r->relay_name, sizeof(r->relay_name),
			 qmgr_smtp_relay(r->smtp));
		qmgr_relay_error(r, "%s", reason);
		qmgr_smtp_free(&r->smtp);
		if (r->reused) {
			/* The cached session had gone stale: start over. */
			r->reused = false;
			qmgr_relay_route(r);
		} else {
			qmgr_relay_next_addr(r);
		}
		return;
	}
	if (qmgr_smtp_reusable(r->smtp) && d->idle == NULL &&
	    r->q->relay.smtp_connection_cache_time > 0) {
		d->idle = r->smtp;
		r->smtp = NULL;
		d->idle_timer = event_timer_add(
			r->q->loop, r->q->relay.smtp_connection_cache_time *
			1000, 0, qmgr_dest_on_idle, d);
	} else {
		qmgr_smtp_free(&r->smtp);
	}
	qmgr_relay_finish(r);
}

static void qmgr_relay_connected(struct qmgr_relay *r)
{
	struct qmgr *q = r->q;
	struct qmgr_smtp_peer peer;
	int fd = r->fd;

	r->fd = -1;
	memset(&peer, 0, sizeof(peer));
	peer.host = r->hosts[r->host_i].host;
	peer.relay = r->relay_name;
	peer.tls = qmgr_relay_tls_level(q, r->dest->name);
	peer.tls_ctx = q->tls_client;
	if (q->relay.relayhost[0] != '\0' && q->smtp_auth_user != NULL) {
		peer.auth_user = q->smtp_auth_user;
		peer.auth_pass = q->smtp_auth_pass;
	}
	r->smtp = qmgr_smtp_start(q, fd, &peer, r->qf, r->idx, r->count,
				  qmgr_relay_on_rcpt, qmgr_relay_on_smtp_done,
				  r);
}

static void qmgr_relay_connect_cleanup(struct qmgr_relay *r)
{
	event_io_remove(&r->connect_io);
	event_timer_remove(&r->connect_timer);
}

static void qmgr_relay_on_connect(void *ctx, unsigned int events)
{
	struct qmgr_relay *r = ctx;
	int err = 0;
	socklen_t len = sizeof(err);

	qmgr_relay_connect_cleanup(r);
	if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		close(r->fd);
		r->fd = -1;
		qmgr_relay_error(r, "connect to %s: %s", r->relay_name,
				 strerror(err));
		qmgr_relay_next_addr(r);
		return;
	}
	qmgr_relay_connected(r);
}

static void qmgr_relay_on_connect_timeout(void *ctx)
{
	struct qmgr_relay *r = ctx;

	qmgr_relay_connect_cleanup(r);
	close(r->fd);
	r->fd = -1;
	qmgr_relay_error(r, "connect to %s: Connection timed out",
			 r->relay_name);
	qmgr_relay_next_addr(r);
}

static void qmgr_relay_connect(struct qmgr_relay *r, const struct dns_addr *a)
{
	char addr[80];

	dns_addr_format(a, addr, sizeof(addr));
	if (str_format(r->relay_name, sizeof(r->relay_name), "%s[%s]:%u",
		       r->hosts[r->host_i].host, addr, dns_addr_port(a)) < 0)
		str_copy(r->relay_name, sizeof(r->relay_name), addr);
	r->fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		qmgr_relay_error(r, "socket: %s", strerror(errno));
		qmgr_relay_next_addr(r);
		return;
	}
	if (connect(r->fd, (const struct sockaddr *)&a->sa, a->len) == 0) {
		qmgr_relay_connected(r);
		return;
	}
	if (errno != EINPROGRESS) {
		qmgr_relay_error(r, "connect to %s: %s", r->relay_name,
				 strerror(errno));
		close(r->fd);
		r->fd = -1;
		qmgr_relay_next_addr(r);
		return;
	}
	r->connect_io = event_io_add(r->q->loop, r->fd, EVENT_WRITE,
				     qmgr_relay_on_connect, r);
	r->connect_timer = event_timer_add(r->q->loop,
					   r->q->relay.smtp_connect_timeout *
					   1000, 0, qmgr_relay_on_connect_timeout,
					   r);
	if (r->connect_io == NULL)
		qmgr_relay_on_connect_timeout(r);
}

/* ---- routing ---- */

static void qmgr_relay_next_addr(struct qmgr_relay *r)
{
	if (r->addr_i >= r->addr_count) {
		r->host_i++;
		qmgr_relay_next_host(r);
		return;
	}
	qmgr_relay_connect(r, &r->addrs[r->addr_i++]);
}

static void qmgr_relay_on_addr(void *ctx, const struct dns_addr_result *res)
{
	struct qmgr_relay *r = ctx;
	const char *host = r->hosts[r->host_i].host;

	r->req = NULL;
	str_copy(r->relay_name, sizeof(r->relay_name), host);
	if (res->status != DNS_OK) {
		if (res->status == DNS_TEMPFAIL)
			r->dns_tempfail = true;
		qmgr_relay_error(r, "Host or domain name lookup failed: "
				 "name=%s type=A/AAAA: %s", host,
				 res->error != NULL ? res->error : "failed");
		r->host_i++;
		qmgr_relay_next_host(r);
		return;
	}
	memcpy(r->addrs, res->addrs, res->count * sizeof(*res->addrs));
	r->addr_count = res->count;
	r->addr_i = 0;
	qmgr_relay_next_addr(r);
}

static void qmgr_relay_next_host(struct qmgr_relay *r)
{
	if (r->host_i >= r->host_count) {
		qmgr_relay_all_failed(r);
		return;
	}
	r->addr_count = 0;
	r->req = dns_lookup_addr(r->q->dns, r->hosts[r->host_i].host, r->port,
				 qmgr_relay_on_addr, r);
}

static void qmgr_relay_on_mx(void *ctx, const struct dns_mx_result *res)
{
	struct qmgr_relay *r = ctx;
	bool relayhost = r->q->relay.relayhost[0] != '\0';

	r->req = NULL;
	switch (res->status) {
	case DNS_OK:
		if (res->null_mx) {
			/* RFC 7505 4.3: 556 5.1.10, at once. */
			qmgr_relay_fail_allf(r, 'F', "556 5.1.10 Domain %s "
					     "does not accept mail (null MX)",
					     r->domain);
			return;
		}
		memcpy(r->hosts, res->mx, res->count * sizeof(*res->mx));
		r->host_count = res->count;
		break;
	case DNS_NODATA:
		/* RFC 5321 5.1: no MX, the domain is its own host. */
		r->hosts[0].pref = 0;
		str_copy(r->hosts[0].host, sizeof(r->hosts[0].host),
			 res->name != NULL ? res->name : r->domain);
		r->host_count = 1;
		break;
	case DNS_NXDOMAIN:
		if (relayhost) {
			qmgr_relay_fail_allf(r, 'T', "451 4.4.3 relayhost %s "
					     "not found", r->domain);
			return;
		}
		qmgr_relay_fail_allf(r, 'F', "550 5.1.2 Host or domain name "
				     "not found: name=%s type=MX: %s",
				     r->domain, res->error);
		return;
	default:
		qmgr_relay_error(r, "Host or domain name lookup failed: "
				 "name=%s type=MX: %s", r->domain,
				 res->error != NULL ? res->error : "failed");
		r->dns_tempfail = true;
		qmgr_relay_all_failed(r);
		return;
	}
	r->host_i = 0;
	qmgr_relay_next_host(r);
}

/* relayhost: "[host]:port", "[host]", "host:port" or "host". */
static int qmgr_relay_parse_host(struct qmgr_relay *r, const char *spec)
{
	unsigned long long port = r->q->relay.smtp_port;
	const char *end, *colon;
	size_t n;

	r->mx_lookup = spec[0] != '[';
	if (!r->mx_lookup) {
		end = strchr(spec, ']');
		if (end == NULL)
			return -1;
		n = (size_t)(end - spec - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
		spec++;
	} else {
		colon = strrchr(spec, ':');
		n = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	}
	if (n == 0 || n >= sizeof(r->domain))
		return -1;
	memcpy(r->domain, spec, n);
	r->domain[n] = '\0';
	if (colon != NULL &&
	    (config_parse_uint(colon + 1, &port) < 0 || port == 0 ||
	     port > 65535))
		return -1;
	r->port = (unsigned int)port;
	return 0;
}

static void qmgr_relay_route(struct qmgr_relay *r)
{
	struct qmgr *q = r->q;

	r->host_i = r->host_count = r->addr_i = r->addr_count = 0;
	if (q->relay.relayhost[0] != '\0') {
		if (qmgr_relay_parse_host(r, q->relay.relayhost) < 0) {
			qmgr_relay_fail_allf(r, 'T', "451 4.3.5 bad relayhost "
					     "setting");
			return;
		}
	} else {
		r->port = q->relay.smtp_port;
		r->mx_lookup = true;
	}
	str_copy(r->relay_name, sizeof(r->relay_name), r->domain);
	if (r->mx_lookup) {
		r->req = dns_lookup_mx(q->dns, r->domain, qmgr_relay_on_mx, r);
		return;
	}
	str_copy(r->hosts[0].host, sizeof(r->hosts[0].host), r->domain);
	r->host_count = 1;
	qmgr_relay_next_host(r);
}

/* ---- scheduling ---- */

/* Marks a job as waiting for a session, or no longer waiting: the
 * counts the park's room is measured by (qmgr_park.c). */
static void qmgr_relay_wait(struct qmgr_relay *r, bool waiting)
{
	struct qmgr *q = r->q;

	if (r->waiting == waiting)
		return;
	r->waiting = waiting;
	if (waiting) {
		r->dest->waiting++;
		q->relay_waiting_count++;
	} else {
		r->dest->waiting--;
		q->relay_waiting_count--;
	}
}

static void qmgr_relay_begin(struct qmgr_relay *r)
{
	struct qmgr_dest *d = r->dest;

	if (d->idle != NULL) {
		r->smtp = d->idle;
		d->idle = NULL;
		event_timer_remove(&d->idle_timer);
		if (qmgr_smtp_reusable(r->smtp)) {
			r->reused = true;
			str_copy(r->relay_name, sizeof(r->relay_name),
				 qmgr_smtp_relay(r->smtp));
			log_info("relay_reuse", "relay=%s", r->relay_name);
			qmgr_smtp_next(r->smtp, r->qf, r->idx, r->count,
				       qmgr_relay_on_rcpt,
				       qmgr_relay_on_smtp_done, r);
			return;
		}
		qmgr_smtp_free(&r->smtp);
	}
	qmgr_relay_route(r);
}

static void qmgr_relay_kick_once(struct qmgr *q, struct qmgr_relay **pp,
				 time_t now)
{
	struct qmgr_relay *r;

	while ((r = *pp) != NULL) {
		struct qmgr_dest *d = r->dest;

		if (d->dead_until > now) {
			*pp = r->wait_next;
			qmgr_relay_wait(r, false);
			qmgr_relay_fail_allf(r, 'T', "451 4.4.1 delivery "
					     "temporarily suspended: %s",
					     d->dead_reason);
			/* The list may have changed: start over. */
			pp = &q->relay_waiting;
			continue;
		}
		if (d->active >= q->relay.smtp_destination_concurrency_limit ||
		    q->smtp_active >= q->relay.smtp_concurrency_limit) {
			pp = &r->wait_next;
			continue;
		}
		*pp = r->wait_next;
		qmgr_relay_wait(r, false);
		r->holding = true;
		d->active++;
		q->smtp_active++;
		qmgr_relay_begin(r);
		pp = &q->relay_waiting;
	}
}

static void qmgr_relay_kick(struct qmgr *q)
{
	static bool kicking, again;
	struct qmgr_relay **pp;
	time_t now = time(NULL);

	/* A job may finish inside the loop (a suspended destination, a bad
	 * relayhost) and kick again: note it and go round once more. */
	if (kicking) {
		again = true;
		return;
	}
	kicking = true;
	do {
		again = false;
		pp = &q->relay_waiting;
		qmgr_relay_kick_once(q, pp, now);
	} while (again);
	kicking = false;
	qmgr_park_wake(q);
}

struct qmgr_relay *qmgr_relay_start(struct qmgr *q, struct queue_file *qf,
				    const char *domain, const size_t *idx,
				    size_t count, qmgr_relay_rcpt_fn *rcpt_fn,
				    qmgr_relay_done_fn *done_fn, void *ctx)
{
	struct qmgr_relay *r = xcalloc(1, sizeof(*r)), **pp;

	r->q = q;
	r->qf = qf;
	r->fd = -1;
	r->idx = xcalloc(count, sizeof(*r->idx));
	memcpy(r->idx, idx, count * sizeof(*r->idx));
	r->count = count;
	r->reported = xcalloc(count, sizeof(*r->reported));
	r->rcpt_fn = rcpt_fn;
	r->done_fn = done_fn;
	r->ctx = ctx;
	str_copy(r->domain, sizeof(r->domain), domain);
	r->dest = qmgr_relay_dest(q, domain);
	for (pp = &q->relay_waiting; *pp != NULL; pp = &(*pp)->wait_next)
		;
	*pp = r;
	qmgr_relay_wait(r, true);
	qmgr_relay_kick(q);
	return r;
}

void qmgr_relay_free(struct qmgr_relay **rp)
{
	struct qmgr_relay *r = *rp;
	struct qmgr_relay **pp;

	if (r == NULL)
		return;
	if (r->waiting) {
		for (pp = &r->q->relay_waiting; *pp != NULL;
		     pp = &(*pp)->wait_next) {
			if (*pp == r) {
				*pp = r->wait_next;
				break;
			}
		}
		qmgr_relay_wait(r, false);
	}
	if (r->holding) {
		r->dest->active--;
		r->q->smtp_active--;
	}
	qmgr_park_wake(r->q);
	dns_cancel(&r->req);
	qmgr_relay_connect_cleanup(r);
	if (r->fd >= 0)
		close(r->fd);
	qmgr_smtp_free(&r->smtp);
	buf_free(&r->last_error);
	free(r->idx);
	free(r->reported);
	free(r);
	*rp = NULL;
}

/* A file of one line "user password". */
static void qmgr_relay_read_password(struct qmgr *q, const char *path)
{
	char line[1024], *sp, *nl;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		log_fatal("smtp_sasl_password_file %s: %s", path,
			  strerror(errno));
	if (fgets(line, sizeof(line), f) == NULL ||
	    (sp = strchr(line, ' ')) == NULL)
		log_fatal("smtp_sasl_password_file %s: expected \"user "
			  "password\"", path);
	fclose(f);
	*sp = '\0';
	nl = strpbrk(sp + 1, "\r\n");
	if (nl != NULL)
		*nl = '\0';
	q->smtp_auth_user = xstrdup(line);
	q->smtp_auth_pass = xstrdup(sp + 1);
	memset(line, 0, sizeof(line));
}

void qmgr_relay_init(struct qmgr *q)
{
	struct tls_settings tls;
	const char *error;

	config_fill(q->worker->config, &relay_config_table, &q->relay);
	if (dns_new(q->loop, q->relay.dns_servers, q->relay.dns_timeout * 1000,
		    &q->dns, &error) < 0)
		log_fatal("dns: %s", error);
	memset(&tls, 0, sizeof(tls));
	tls.ca_file = q->relay.smtp_tls_ca_file[0] != '\0' ?
		q->relay.smtp_tls_ca_file : NULL;
	if (tls_ctx_new(TLS_ROLE_CLIENT, &tls, &q->tls_client, &error) < 0)
		log_fatal("smtp TLS: %s", error);
	if (q->relay.smtp_sasl_password_file[0] != '\0') {
		char *path = worker_path(q->worker,
					 q->relay.smtp_sasl_password_file);

		qmgr_relay_read_password(q, path);
		free(path);
	}
	qmgr_dkim_init(q);
}

void qmgr_relay_deinit(struct qmgr *q)
{
	qmgr_dest_free_all(q);
	qmgr_dkim_deinit(q);
	dns_free(&q->dns);
	tls_ctx_free(&q->tls_client);
	if (q->smtp_auth_pass != NULL)
		memset(q->smtp_auth_pass, 0, strlen(q->smtp_auth_pass));
	free(q->smtp_auth_user);
	free(q->smtp_auth_pass);
}
