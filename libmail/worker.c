#include "worker.h"
#include "buf.h"
#include "log.h"
#include "master/master_settings.h"
#include "privs.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define WORKER_FIRST_FD 3
#define EX_TEMPFAIL_CODE 75

static void worker_usage_exit(const char *ident)
{
	fprintf(stderr, "usage: %s --config FILE [--set KEY=VALUE]...\n"
		"%s is started by the sealpost master; see sealpost(8).\n",
		ident, ident);
	exit(EX_TEMPFAIL_CODE);
}

/* Each listener must be a listening socket, so a mix-up between the master
 * and a daemon shows at start, not at the first connection. */
static void worker_take_listeners(struct worker *w)
{
	const char *env = getenv("SEALPOST_LISTENERS");
	char *names, *name, *save = NULL;
	int fd = WORKER_FIRST_FD;

	if (env == NULL || *env == '\0')
		return;
	names = xstrdup(env);
	for (name = strtok_r(names, " ", &save); name != NULL;
	     name = strtok_r(NULL, " ", &save), fd++) {
		int listening = 0;
		socklen_t len = sizeof(listening);

		if (w->listener_count == WORKER_MAX_LISTENERS)
			log_fatal("too many listeners in SEALPOST_LISTENERS");
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
			       &len) < 0 || !listening)
			log_fatal("listener %s: fd %d is not a listening socket",
				  name, fd);
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			log_fatal("listener %s: fcntl failed", name);
		w->listeners[w->listener_count].name = xstrdup(name);
		w->listeners[w->listener_count].fd = fd;
		w->listener_count++;
	}
	free(names);
	unsetenv("SEALPOST_LISTENERS");
}

void worker_init(struct worker *w, const char *ident, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *error;
	struct master_settings ms;
	enum log_target target;
	enum log_level level;
	char **sets = xcalloc((size_t)argc + 1, sizeof(*sets));
	int c, nsets = 0, i;

	memset(w, 0, sizeof(*w));
	w->ident = ident;
	log_open(ident, LOG_TARGET_STDERR, LOG_LEVEL_INFO);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 's')
			sets[nsets++] = optarg;
		else
			worker_usage_exit(ident);
	}
	if (path == NULL || optind != argc)
		worker_usage_exit(ident);
	if (config_load(path, config_all_tables, &w->config, &error) < 0)
		log_fatal("%s", error);
	for (i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '='), *key;

		if (eq == NULL)
			log_fatal("--set %s: expected KEY=VALUE", sets[i]);
		key = xstrndup(sets[i], (size_t)(eq - sets[i]));
		if (config_set(w->config, key, eq + 1, &error) < 0)
			log_fatal("--set: %s", error);
		free(key);
	}
	free(sets);
	config_fill(w->config, &master_config_table, &ms);
	if (log_target_parse(ms.log_target, &target) < 0 ||
	    log_level_parse(ms.log_level, &level) < 0)
		log_fatal("%s: bad log_target or log_level", path);
	log_open(ident, target, level);
	/* A peer that closes while we write must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	worker_take_listeners(w);
}

const struct worker_listener *worker_listener(const struct worker *w,
					      const char *name)
{
	size_t i;

	for (i = 0; i < w->listener_count; i++) {
		if (strcmp(w->listeners[i].name, name) == 0)
			return &w->listeners[i];
	}
	return NULL;
}

char *worker_path(const struct worker *w, const char *path)
{
	struct buf b = BUF_INIT;

	if (path[0] == '/')
		return xstrdup(path);
	buf_printf(&b, "%s/%s", config_get(w->config, "state_dir"), path);
	return buf_steal(&b);
}

/* See worker_drop_privileges() in worker.h. */
static void worker_bind_to_master(void)
{
	const char *master = getenv("SEALPOST_MASTER_PID");
	unsigned long long pid;

	if (master == NULL || config_parse_uint(master, &pid) < 0)
		return;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		log_fatal("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
	/* The master may have died before the binding was made. */
	if ((unsigned long long)getppid() != pid)
		log_fatal("the master (pid %llu) is gone", pid);
}

void worker_drop_privileges(const struct worker *w)
{
	const char *user = getenv("SEALPOST_RUN_AS"), *error;

	if (geteuid() != 0) {
		worker_bind_to_master();
		return;
	}
	if (user == NULL || *user == '\0')
		log_fatal("started as root without SEALPOST_RUN_AS");
	if (privs_drop(user, &error) < 0)
		log_fatal("%s", error);
	log_debug("privileges_dropped", "user=%s", user);
	worker_bind_to_master();
}

void worker_deinit(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->listener_count; i++) {
		close(w->listeners[i].fd);
		free((char *)w->listeners[i].name);
	}
	w->listener_count = 0;
	config_free(&w->config);
}
