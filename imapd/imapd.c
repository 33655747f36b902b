/* The imapd process: start-up order matters (see imapd_run()). */
#include "imapd/imapd.h"
#include "imapd/imap_append.h"
#include "imapd/imap_client.h"
#include "imapd/imap_commit.h"
#include "imapd/imap_notify.h"
#include "event.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "store_settings.h"
#include "tls.h"
#include "tls_settings.h"
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void imapd_settings_load(struct imapd *d, struct worker *w)
{
	static char host[256];

	d->worker = w;
	config_fill(w->config, &imapd_config_table, &d->set);
	config_fill(w->config, &authd_config_table, &d->auth);
	config_fill(w->config, &master_config_table, &d->master);
	d->auth_socket = worker_path(w, d->auth.auth_socket);
	d->sessions_dir = worker_path(w, "imap-sessions");
	d->hostname = d->master.hostname;
	if (*d->hostname == '\0') {
		if (gethostname(host, sizeof(host) - 1) < 0)
			(void)str_copy(host, sizeof(host), "localhost");
		d->hostname = host;
	}
	d->parser_limits = imap_parser_default_limits;
	d->parser_limits.max_line_length = d->set.imap_max_command_size;
	d->parser_limits.max_literal_size = d->set.imap_max_literal_size;
	d->parser_limits.max_literal_total = 16ULL * d->set.imap_max_literal_size;
	d->parser_limits.max_append_size = d->set.imap_max_append_size;
	d->parser_limits.max_depth = d->set.imap_max_list_depth;
	d->parser_limits.max_args = d->set.imap_max_arguments;
	/* We announce LITERAL+ (RFC 7888), so non-synchronising literals of
	 * any size up to the limits above are fine. */
	d->parser_limits.literal_minus = false;
}

int imapd_run(struct worker *w)
{
	struct imapd d;
	struct store_settings store_set;
	struct server_limits limits;
	const char *error;

	memset(&d, 0, sizeof(d));
	imapd_settings_load(&d, w);
	/* The key is readable by root only: load it first, then become the
	 * mail user for good before opening the store (so its files belong
	 * to that user) and before reading from the network. */
	if (tls_server_ctx_from_config(w->config, &d.tls, &error) < 0)
		log_fatal("%s", error);
	if (d.tls == NULL && worker_listener(w, "imaps") != NULL)
		log_fatal("imaps_listen is set but TLS is not configured "
			  "(tls_cert_file, tls_key_file)");
	worker_drop_privileges(w);
	if (mkdir(d.sessions_dir, 0700) < 0 && errno != EEXIST)
		log_fatal("%s: %s", d.sessions_dir, strerror(errno));
	config_fill(w->config, &store_config_table, &store_set);
	if (store_open(d.master.state_dir, &store_set, &d.store, &error) < 0)
		log_fatal("store: %s", error);
	store_clean_tmp(d.store, imap_append_tmp_prefixes);
	d.loop = event_loop_new();
	store_watch(d.store, d.loop);
	d.notify = imap_notify_new(d.loop, d.set.imap_notify_poll);
	d.commit = imap_commit_new(&d);
	memset(&limits, 0, sizeof(limits));
	limits.max_connections = d.set.imap_max_connections;
	limits.max_per_ip = d.set.imap_max_connections_per_ip;
	d.server = server_new(d.loop, w, NULL, &limits, imap_client_accept,
			      imap_client_shutdown_all, &d);
	log_info("started", "count=%zu", w->listener_count);
	event_loop_run(d.loop);
	server_free(&d.server);
	imap_commit_free(&d.commit);
	imap_notify_free(&d.notify);
	/* The store's watch timer lives in the loop: close it first. */
	store_close(&d.store);
	event_loop_free(&d.loop);
	tls_ctx_free(&d.tls);
	free(d.auth_socket);
	free(d.sessions_dir);
	log_info("stopped", "count=0");
	return 0;
}
