/* sealpost master: the process that owns every daemon. */
#include "cli.h"
#include "master.h"
#include "buf.h"
#include "event.h"
#include "log.h"
#include "pidfile.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void master_on_signal(void *ctx, int signo)
{
	struct master *m = ctx;

	switch (signo) {
	case SIGCHLD:
		master_reap(m);
		break;
	case SIGHUP:
		log_info("signal", "signal=%s", "HUP");
		master_reload(m);
		break;
	default:
		log_info("signal", "signal=%s", signo == SIGINT ? "INT" : "TERM");
		master_stop(m);
		break;
	}
}

static void master_usage(FILE *out)
{
	fprintf(out, "usage: sealpost master [--config FILE] [--set KEY=VALUE]...\n"
		"Binds every listener, starts the daemons and watches them.\n"
		"SIGHUP reloads the config; SIGTERM stops everything.\n");
}

int cli_master(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int signals[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	struct event_signal *sigs[sizeof(signals) / sizeof(signals[0])];
	struct master_settings set;
	const char *path = NULL, *error;
	char **sets = xcalloc((size_t)argc + 1, sizeof(*sets));
	struct event_loop *loop;
	struct config *cfg;
	struct master *m;
	enum log_target target;
	enum log_level level;
	struct buf pidpath = BUF_INIT;
	int c, nsets = 0, pidfd, ret = 0;
	pid_t holder;
	size_t i;

	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 's': sets[nsets++] = optarg; break;
		case 'h': master_usage(stdout); free(sets); return 0;
		default: master_usage(stderr); free(sets); return CLI_EX_USAGE;
		}
	}
	if (optind != argc) {
		master_usage(stderr);
		free(sets);
		return CLI_EX_USAGE;
	}
	cfg = cli_load_config(path, sets, nsets);
	if (cfg == NULL) {
		free(sets);
		return 1;
	}
	config_fill(cfg, &master_config_table, &set);
	if (log_target_parse(set.log_target, &target) < 0 ||
	    log_level_parse(set.log_level, &level) < 0) {
		fprintf(stderr, "sealpost: %s: log_target must be stderr or "
			"syslog, log_level debug, info, warn or error\n",
			config_path(cfg));
		config_free(&cfg);
		free(sets);
		return 1;
	}
	if (mkdir(set.state_dir, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "sealpost: state_dir %s: %s\n", set.state_dir,
			strerror(errno));
		config_free(&cfg);
		free(sets);
		return 1;
	}
	buf_printf(&pidpath, "%s/master.pid", set.state_dir);
	pidfd = pidfile_lock(buf_cstr(&pidpath), &holder, &error);
	if (pidfd < 0) {
		fprintf(stderr, "sealpost: %s\n", error);
		buf_free(&pidpath);
		config_free(&cfg);
		free(sets);
		return 1;
	}
	log_open("master", target, level);
	signal(SIGPIPE, SIG_IGN);

	loop = event_loop_new();
	m = master_new(loop, cfg, sets, nsets);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigs[i] = event_signal_add(loop, signals[i], master_on_signal, m);
	/* A start that failed bound nothing for good and started no worker:
	 * there is nothing to run the loop for. */
	if (master_start(m) < 0) {
		log_error("start_failed", "reason=%s", "see the lines above");
		master_stop(m);
		ret = 1;
	} else {
		log_info("started", "pid=%ld", (long)getpid());
		event_loop_run(loop);
	}
	log_info("stopped", NULL);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		event_signal_remove(&sigs[i]);
	master_free(&m);
	event_loop_free(&loop);
	(void)unlink(buf_cstr(&pidpath));
	close(pidfd);
	buf_free(&pidpath);
	free(sets);
	return ret;
}
