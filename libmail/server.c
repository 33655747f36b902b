#include "server.h"
#include "buf.h"
#include "event.h"
#include "log.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

struct server_listener {
	struct server *server;
	const struct worker_listener *wl;
	struct event_io *io;
};

/* Connections per client address, for max_per_ip. */
struct server_ip_count {
	char ip[64];
	unsigned int count;
	struct server_ip_count *next;
};

struct server_conn_private {
	struct server_conn pub;
	bool over_limit;
};

struct server {
	struct event_loop *loop;
	struct server_listener listeners[WORKER_MAX_LISTENERS];
	size_t listener_count;
	struct server_limits limits;
	server_accept_fn *accept_fn;
	server_shutdown_fn *shutdown_fn;
	void *ctx;
	struct event_signal *sigterm;
	struct server_ip_count *ips;
	unsigned int conns;
	bool shutting_down;
};

static struct server_ip_count *server_ip(struct server *s, const char *ip,
					 bool create)
{
	struct server_ip_count *c;

	for (c = s->ips; c != NULL; c = c->next) {
		if (strcmp(c->ip, ip) == 0)
			return c;
	}
	if (!create)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	(void)str_copy(c->ip, sizeof(c->ip), ip);
	c->next = s->ips;
	s->ips = c;
	return c;
}

static void server_describe_peer(struct server_conn *conn,
				 const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, conn->peer_ip,
			  sizeof(conn->peer_ip));
		conn->peer_port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, conn->peer_ip,
			  sizeof(conn->peer_ip));
		conn->peer_port = ntohs(sin6->sin6_port);
	} else {
		struct ucred cred;
		socklen_t len = sizeof(cred);

		(void)str_copy(conn->peer_ip, sizeof(conn->peer_ip), "unix");
		conn->is_unix = true;
		conn->peer_uid = (uid_t)-1;
		if (getsockopt(conn->fd, SOL_SOCKET, SO_PEERCRED, &cred,
			       &len) == 0)
			conn->peer_uid = cred.uid;
	}
}

static void server_accept_one(struct server_listener *l)
{
	struct server *s = l->server;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct server_conn_private *c;
	struct server_ip_count *ipc;
	int fd;

	fd = accept4(l->wl->fd, (struct sockaddr *)&ss, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		/* Another worker took it, or the client gave up: both are
		 * normal with several workers on one socket. */
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ECONNABORTED && errno != EINTR)
			log_warn("accept_failed", "listener=%s reason=%s",
				 l->wl->name, strerror(errno));
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->pub.server = s;
	c->pub.fd = fd;
	c->pub.listener = l->wl->name;
	server_describe_peer(&c->pub, &ss);
	/* The stream writes each reply whole when it flushes, so Nagle's
	 * algorithm has nothing to merge: it only holds back the last,
	 * partial segment of a reply longer than one segment until the
	 * client acknowledges the others, which a client delaying its ACKs
	 * does some 40 ms later.  A POP3 listing or a large FETCH reply
	 * waited that long every time. */
	if (!c->pub.is_unix) {
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	}
	ipc = server_ip(s, c->pub.peer_ip, true);
	ipc->count++;
	s->conns++;
	if ((s->limits.max_connections != 0 &&
	     s->conns > s->limits.max_connections) ||
	    (s->limits.max_per_ip != 0 && !c->pub.is_unix &&
	     ipc->count > s->limits.max_per_ip)) {
		c->over_limit = true;
		log_warn("connection_limit", "client=%s listener=%s count=%u",
			 c->pub.peer_ip, l->wl->name, ipc->count);
	}
	s->accept_fn(s->ctx, &c->pub);
}

static void server_on_listener(void *ctx, unsigned int events)
{
	server_accept_one(ctx);
}

bool server_conn_over_limit(const struct server_conn *conn)
{
	return ((const struct server_conn_private *)(const void *)conn)->over_limit;
}

static void server_stop_listening(struct server *s)
{
	size_t i;

	for (i = 0; i < s->listener_count; i++)
		event_io_remove(&s->listeners[i].io);
}

static void server_on_sigterm(void *ctx, int signo)
{
	struct server *s = ctx;

	if (s->shutting_down)
		return;
	s->shutting_down = true;
	log_info("shutdown", "count=%u", s->conns);
	server_stop_listening(s);
	if (s->shutdown_fn != NULL)
		s->shutdown_fn(s->ctx);
	if (s->conns == 0)
		event_loop_stop(s->loop);
}

struct server *server_new(struct event_loop *loop, const struct worker *w,
			  const char *const *names,
			  const struct server_limits *limits,
			  server_accept_fn *accept_fn,
			  server_shutdown_fn *shutdown_fn, void *ctx)
{
	struct server *s = xcalloc(1, sizeof(*s));
	size_t i, j;

	s->loop = loop;
	if (limits != NULL)
		s->limits = *limits;
	s->accept_fn = accept_fn;
	s->shutdown_fn = shutdown_fn;
	s->ctx = ctx;
	for (i = 0; i < w->listener_count; i++) {
		bool wanted = names == NULL;

		for (j = 0; names != NULL && names[j] != NULL; j++)
			wanted |= strcmp(names[j], w->listeners[i].name) == 0;
		if (!wanted)
			continue;
		s->listeners[s->listener_count].server = s;
		s->listeners[s->listener_count].wl = &w->listeners[i];
		s->listeners[s->listener_count].io =
			event_io_add(loop, w->listeners[i].fd, EVENT_READ,
				     server_on_listener,
				     &s->listeners[s->listener_count]);
		s->listener_count++;
	}
	s->sigterm = event_signal_add(loop, SIGTERM, server_on_sigterm, s);
	return s;
}

void server_conn_done(struct server_conn **connp)
{
	struct server_conn *conn = *connp;
	struct server *s;
	struct server_ip_count *ipc, **pp;

	if (conn == NULL)
		return;
	s = conn->server;
	ipc = server_ip(s, conn->peer_ip, false);
	if (ipc != NULL && --ipc->count == 0) {
		for (pp = &s->ips; *pp != ipc; pp = &(*pp)->next)
			;
		*pp = ipc->next;
		free(ipc);
	}
	s->conns--;
	free(conn);
	*connp = NULL;
	if (s->shutting_down && s->conns == 0)
		event_loop_stop(s->loop);
}

unsigned int server_conn_count(const struct server *s)
{
	return s->conns;
}

bool server_shutting_down(const struct server *s)
{
	return s->shutting_down;
}

void server_free(struct server **sp)
{
	struct server *s = *sp;

	if (s == NULL)
		return;
	server_stop_listening(s);
	event_signal_remove(&s->sigterm);
	while (s->ips != NULL) {
		struct server_ip_count *next = s->ips->next;

		free(s->ips);
		s->ips = next;
	}
	free(s);
	*sp = NULL;
}
