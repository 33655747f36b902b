#include "pop3_server.h"
#include "buf.h"
#include "event.h"
#include "log.h"
#include "master/master_settings.h"
#include "pop3_login_rate.h"
#include "pop3_session.h"
#include "server.h"
#include "store.h"
#include "store_settings.h"
#include "tls.h"
#include "tls_settings.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POP3_LOGIN_RATE_FILE "pop3_login_rate"

/* Which of authd's mechanisms POP3 offers.  The relay is generic, but
 * only these are worth a client's while here: GSSAPI (RFC 4752) for
 * Kerberos, PLAIN (RFC 4616) and LOGIN for passwords inside TLS. */
static void pop3_server_mechs(struct pop3_server *srv)
{
	const char *p = srv->auth_set.auth_mechanisms;

	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 6 && strncasecmp(p, "GSSAPI", n) == 0)
			srv->mech_gssapi = true;
		else if (n == 5 && strncasecmp(p, "PLAIN", n) == 0)
			srv->mech_plain = true;
		else if (n == 5 && strncasecmp(p, "LOGIN", n) == 0)
			srv->mech_login = true;
		p += n;
	}
}

void pop3_server_init(struct pop3_server *srv, const struct worker *w)
{
	struct master_settings ms;
	const char *error;

	memset(srv, 0, sizeof(*srv));
	srv->worker = w;
	config_fill(w->config, &pop3_config_table, &srv->set);
	config_fill(w->config, &authd_config_table, &srv->auth_set);
	config_fill(w->config, &master_config_table, &ms);
	if (pop3_settings_expire(srv->set.pop3_expire, &srv->expire_days) < 0)
		log_fatal("pop3_expire: expected a number of days or NEVER, "
			  "not %s", srv->set.pop3_expire);
	if (*ms.hostname != '\0') {
		if (str_copy(srv->hostname, sizeof(srv->hostname),
			     ms.hostname) < 0)
			log_fatal("hostname is too long");
	} else if (gethostname(srv->hostname, sizeof(srv->hostname) - 1) < 0) {
		(void)str_copy(srv->hostname, sizeof(srv->hostname),
			       "localhost");
	}
	srv->auth_socket = worker_path(w, srv->auth_set.auth_socket);
	pop3_server_mechs(srv);
	if (tls_server_ctx_from_config(w->config, &srv->tls, &error) < 0)
		log_fatal("%s", error);
	if (srv->tls == NULL && worker_listener(w, "pop3s") != NULL)
		log_fatal("pop3s_listen is set but TLS is not configured "
			  "(tls_cert_file, tls_key_file)");
}

static void pop3_server_accept(void *ctx, struct server_conn *conn)
{
	pop3_session_accept(ctx, conn);
}

/* SIGTERM: sessions between commands end now (without UPDATE: only QUIT
 * deletes); a session in the middle of a command ends after it. */
static void pop3_server_shutdown(void *ctx)
{
	struct pop3_server *srv = ctx;
	struct pop3_session *s, *next;

	for (s = srv->sessions; s != NULL; s = next) {
		next = s->next;
		pop3_session_shutdown(s);
	}
}

void pop3_server_start(struct pop3_server *srv, struct event_loop *loop)
{
	struct server_limits limits;
	const char *state_dir = config_get(srv->worker->config, "state_dir");
	struct store_settings store_set;
	const char *error;
	char *path;

	srv->loop = loop;
	config_fill(srv->worker->config, &store_config_table, &store_set);
	if (store_open(state_dir, &store_set, &srv->store, &error) < 0)
		log_fatal("store: %s", error);
	store_watch(srv->store, loop);
	path = worker_path(srv->worker, POP3_LOGIN_RATE_FILE);
	if (pop3_login_rate_open(path, &srv->login_rate, &error) < 0)
		log_fatal("%s", error);
	free(path);
	limits.max_connections = srv->set.pop3_max_connections;
	limits.max_per_ip = srv->set.pop3_max_per_ip;
	srv->server = server_new(loop, srv->worker, NULL, &limits,
				 pop3_server_accept, pop3_server_shutdown, srv);
}

void pop3_server_deinit(struct pop3_server *srv)
{
	while (srv->sessions != NULL)
		pop3_session_destroy(srv->sessions);
	server_free(&srv->server);
	pop3_login_rate_close(&srv->login_rate);
	store_close(&srv->store);
	tls_ctx_free(&srv->tls);
	free(srv->auth_socket);
	srv->auth_socket = NULL;
}
