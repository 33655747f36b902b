#ifndef SEALPOST_SERVER_H
#define SEALPOST_SERVER_H

/*
 * The accepting side every daemon shares: watches the listeners the master
 * handed over (worker.h), accepts without blocking, enforces the limits on
 * connections (in total and per client address), and runs the shutdown
 * the master asks for with SIGTERM: stop accepting, let the daemon end its
 * sessions, stop the loop when the last one is gone.
 */

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

struct event_loop;
struct server;
struct worker;

struct server_conn {
	struct server *server;
	int fd;				/* the daemon owns it from accept on */
	const char *listener;		/* the listener's name ("imaps") */
	char peer_ip[64];		/* "127.0.0.1", "::1", or "unix" */
	unsigned int peer_port;
	bool is_unix;
	uid_t peer_uid;			/* unix sockets: the peer's uid */
};

/* Called for each accepted connection; the daemon must eventually call
 * server_conn_done() for it (also when it refuses it at once). */
typedef void server_accept_fn(void *ctx, struct server_conn *conn);
/* Called once when shutdown starts: end idle sessions, finish busy ones. */
typedef void server_shutdown_fn(void *ctx);

struct server_limits {
	unsigned int max_connections;	/* per worker process; 0: none */
	unsigned int max_per_ip;	/* per worker process; 0: none */
};

/* Watches every listener of `w` (or only those named in `names`, a
 * NULL-terminated list, when it is not NULL). */
struct server *server_new(struct event_loop *loop, const struct worker *w,
			  const char *const *names,
			  const struct server_limits *limits,
			  server_accept_fn *accept_fn,
			  server_shutdown_fn *shutdown_fn, void *ctx);

/* Over a limit, a connection is still accepted (so the client hears why)
 * and the daemon is told: it should send its protocol's "too many
 * connections" reply and close. */
bool server_conn_over_limit(const struct server_conn *conn);

/* The session of `conn` has ended (its fd closed by the daemon); frees
 * `conn` and sets *conn to NULL. */
void server_conn_done(struct server_conn **conn);

/* Open connections of this process. */
unsigned int server_conn_count(const struct server *s);

/* Whether SIGTERM has started the shutdown. */
bool server_shutting_down(const struct server *s);

void server_free(struct server **s);

#endif
