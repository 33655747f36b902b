/* authd: start-up, and the accept loop of one worker process.  See
 * authd.h for why each process serves one exchange at a time. */
#include "authd.h"
#include "event.h"
#include "log.h"
#include "privs.h"
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct authd_main {
	struct authd authd;
	struct event_loop *loop;
	int listen_fd;
};

/* Only the daemons (mail_user), root (the postmaster's sealpost command)
 * and our own user may ask; the socket's mode says the same, this holds
 * even if someone loosens it. */
static bool authd_peer_allowed(const struct authd *a, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid() ||
	    (a->have_mail_uid && cred.uid == a->mail_uid))
		return true;
	log_warn("auth_peer_refused", "peer_uid=%u pid=%d", (unsigned int)cred.uid,
		 (int)cred.pid);
	return false;
}

static void authd_accept(void *ctx, unsigned int events)
{
	struct authd_main *m = ctx;
	int fd;

	/* Several workers share the socket: another may have taken the
	 * connection first. */
	fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_error("auth_accept_error", "error=%s",
				  strerror(errno));
		return;
	}
	if (authd_peer_allowed(&m->authd, fd))
		authd_conn_serve(&m->authd, fd);
	close(fd);
}

static void authd_stop(void *ctx, int signo)
{
	struct authd_main *m = ctx;

	event_loop_stop(m->loop);
}

static void authd_check_mechanisms(const struct authd *a)
{
	const char *p = a->set.auth_mechanisms;
	char name[AUTH_PROTO_MECH_MAX + 1];

	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		if (n >= sizeof(name))
			log_fatal("auth_mechanisms: unknown mechanism %.*s",
				  (int)n, p);
		memcpy(name, p, n);
		name[n] = '\0';
		if (authd_mech_find(a, name) == NULL)
			log_fatal("auth_mechanisms: unknown mechanism %s",
				  name);
		p += n;
	}
}

static void authd_setup(struct authd_main *m, struct worker *w)
{
	struct authd *a = &m->authd;
	const struct worker_listener *l;
	const char *error;
	gid_t gid;

	config_fill(w->config, &authd_config_table, &a->set);
	l = worker_listener(w, "auth");
	if (l == NULL && w->listener_count == 1)
		l = &w->listeners[0];
	if (l == NULL)
		log_fatal("authd needs one listener (SEALPOST_LISTENERS=auth)");
	m->listen_fd = l->fd;
	/* The GSS library and krb5_init_context() read KRB5_CONFIG, so it
	 * must be set before either is used. */
	if (*a->set.auth_krb5_config != '\0') {
		char *path = worker_path(w, a->set.auth_krb5_config);

		if (access(path, R_OK) < 0)
			log_fatal("auth_krb5_config %s: %s", path,
				  strerror(errno));
		if (setenv("KRB5_CONFIG", path, 1) < 0)
			log_fatal("setenv KRB5_CONFIG failed");
		free(path);
	}
	a->keytab_path = worker_path(w, a->set.auth_keytab);
	a->limits.max_token = a->set.auth_max_token_size;
	a->have_mail_uid = privs_lookup(config_get(w->config, "mail_user"),
					&a->mail_uid, &gid, &error) == 0;
	authd_check_mechanisms(a);
	authd_krb5_init(a);
	a->cache = authd_cache_new(a->set.auth_cache_size,
				   (uint64_t)a->set.auth_cache_ttl * 1000);
}

int main(int argc, char **argv)
{
	struct authd_main m;
	struct worker w;
	struct event_io *io;
	struct event_signal *term, *intr;

	memset(&m, 0, sizeof(m));
	m.authd.acceptor = GSS_C_NO_CREDENTIAL;
	worker_init(&w, "authd", argc, argv);
	worker_drop_privileges(&w);
	authd_setup(&m, &w);
	log_info("auth_started", "realm=%s mech=%s", m.authd.realm,
		 m.authd.set.auth_mechanisms);

	m.loop = event_loop_new();
	io = event_io_add(m.loop, m.listen_fd, EVENT_READ, authd_accept, &m);
	term = event_signal_add(m.loop, SIGTERM, authd_stop, &m);
	intr = event_signal_add(m.loop, SIGINT, authd_stop, &m);
	event_loop_run(m.loop);
	event_io_remove(&io);
	event_signal_remove(&term);
	event_signal_remove(&intr);
	event_loop_free(&m.loop);

	authd_cache_free(&m.authd.cache);
	authd_krb5_deinit(&m.authd);
	free(m.authd.keytab_path);
	worker_deinit(&w);
	return 0;
}
