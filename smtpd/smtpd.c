/* smtpd: the process: settings, keys, privileges, store and listeners. */
#include "smtpd.h"
#include "aliases.h"
#include "event.h"
#include "server.h"
#include "store.h"
#include "store_settings.h"
#include "tls_settings.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void smtpd_settings_read(struct smtpd *s, const struct worker *w)
{
	const char *host = config_get(w->config, "hostname");
	const char *v;
	unsigned long long n;

	config_fill(w->config, &smtpd_config_table, &s->set);
	mail_settings_read(w->config, &s->mail);
	if (host == NULL || *host == '\0') {
		if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0)
			log_fatal("gethostname failed");
	} else if (str_copy(s->hostname, sizeof(s->hostname), host) < 0) {
		log_fatal("hostname too long");
	}
	s->limits = smtp_limits_default;
	s->limits.message_size = s->set.message_size_limit;
	/* The auth service's own settings say where and how to ask it. */
	v = config_get(w->config, "auth_socket");
	s->auth_socket = worker_path(w, v != NULL ? v : "auth.sock");
	v = config_get(w->config, "auth_mechanisms");
	s->auth_mechanisms = v != NULL ? v : "GSSAPI PLAIN LOGIN";
	v = config_get(w->config, "auth_request_timeout");
	s->auth_timeout = v != NULL && config_parse_time(v, &n) == 0 ?
		(unsigned int)n : 60;
	v = config_get(w->config, "auth_max_token_size");
	s->auth_max_token = v != NULL && config_parse_size(v, &n) == 0 ?
		(size_t)n : 65536;
	s->queue_dir = worker_path(w, "queue");
}

void smtpd_init(struct smtpd *s, struct worker *w, struct event_loop *loop)
{
	static const char *const names[] = { "smtp", "submission",
					     "submissions", NULL };
	struct server_limits limits;
	struct store_settings store_set;
	const char *error;
	char *path;

	s->loop = loop;
	s->worker = w;
	smtpd_settings_read(s, w);
	/* Only now, as root, is the key readable. */
	if (tls_server_ctx_from_config(w->config, &s->tls, &error) < 0)
		log_fatal("tls: %s", error);
	if (s->tls == NULL && worker_listener(w, "submissions") != NULL)
		log_fatal("submissions_listen needs tls_cert_file and "
			  "tls_key_file");
	worker_drop_privileges(w);

	if (smtpd_policy_load(s, &error) < 0)
		log_fatal("%s", error);
	smtpd_dkim_init(s);
	smtpd_mailauth_init(s);
	if (queue_dirs_create(s->queue_dir, &error) < 0)
		log_fatal("queue: %s", error);
	config_fill(w->config, &store_config_table, &store_set);
	if (store_open(config_get(w->config, "state_dir"), &store_set,
		       &s->store, &error) < 0)
		log_fatal("store: %s", error);
	store_watch(s->store, loop);
	path = worker_path(w, s->mail.aliases_file);
	if (aliases_open(path, &s->aliases, &error) < 0)
		log_fatal("aliases: %s", error);
	free(path);

	limits.max_connections = s->set.smtpd_max_connections;
	limits.max_per_ip = s->set.smtpd_client_connection_limit;
	s->server = server_new(loop, w, names, &limits, smtpd_session_accept,
			       smtpd_session_shutdown, s);
	log_info("smtpd_started", "count=%zu", w->listener_count);
}

void smtpd_deinit(struct smtpd *s)
{
	smtpd_commit_deinit(s);
	server_free(&s->server);
	smtpd_mailauth_deinit(s);
	smtpd_dkim_deinit(s);
	aliases_free(&s->aliases);
	store_close(&s->store);
	tls_ctx_free(&s->tls);
	smtpd_policy_free(s);
	free(s->queue_dir);
	free(s->auth_socket);
}

int smtpd_user_exists(struct smtpd *s, const char *user)
{
	const char *error;
	int ret;

	if (store_user_name_check(user, &error) < 0)
		return 0;
	ret = store_user_exists(s->store, user, &error);
	if (ret < 0)
		log_error("store_error", "user=%s error=%s", user, error);
	return ret;
}
