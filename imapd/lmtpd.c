/* lmtpd's start-up: config, privileges, the store, the event loop. */
#include "lmtpd.h"
#include "buf.h"
#include "event.h"
#include "lmtp_session.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "worker.h"
#include "master/master_settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Spool files are named lmtp-in.PID.N and lmtp.PID.N. */
static const char *const lmtpd_tmp_prefixes[] = { "lmtp-in.", "lmtp.", NULL };

static void lmtpd_accept(void *ctx, struct server_conn *conn)
{
	lmtp_session_start(ctx, conn);
}

static void lmtpd_shutdown(void *ctx)
{
	lmtp_sessions_shutdown();
}

int lmtpd_run(int argc, char **argv)
{
	struct lmtpd_settings set;
	struct store_settings store_set;
	struct master_settings ms;
	struct lmtp_server srv;
	struct worker w;
	struct server *server;
	char hostname[256];
	const char *error;

	worker_init(&w, "lmtpd", argc, argv);
	/* No secrets to load: drop privileges before anything else. */
	worker_drop_privileges(&w);
	config_fill(w.config, &lmtpd_config_table, &set);
	config_fill(w.config, &store_config_table, &store_set);
	config_fill(w.config, &master_config_table, &ms);
	if (*ms.hostname != '\0')
		(void)str_copy(hostname, sizeof(hostname), ms.hostname);
	else if (gethostname(hostname, sizeof(hostname)) < 0)
		(void)str_copy(hostname, sizeof(hostname), "localhost");
	memset(&srv, 0, sizeof(srv));
	srv.set = &set;
	srv.store_set = &store_set;
	srv.hostname = hostname;
	if (store_open(ms.state_dir, &store_set, &srv.st, &error) < 0)
		log_fatal("%s", error);
	store_keep_mailboxes(srv.st, set.lmtp_mailboxes_kept);
	store_clean_tmp(srv.st, lmtpd_tmp_prefixes);
	srv.loop = event_loop_new();
	store_watch(srv.st, srv.loop);
	server = server_new(srv.loop, &w, NULL, NULL, lmtpd_accept,
			    lmtpd_shutdown, &srv);
	log_info("started", NULL);
	event_loop_run(srv.loop);
	lmtp_sessions_deinit();
	server_free(&server);
	store_close(&srv.st);
	event_loop_free(&srv.loop);
	worker_deinit(&w);
	return 0;
}
