/* Starting, watching, restarting and stopping the workers. */
#include "master.h"
#include "buf.h"
#include "event.h"
#include "log.h"
#include "privs.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A worker that dies sooner than this after its start counts as a quick
 * death and its restart is delayed, doubling each time, so a daemon that
 * cannot start does not spin. */
#define MASTER_QUICK_DEATH_MS 10000
#define MASTER_FIRST_BACKOFF_MS 500
#define MASTER_MAX_SERVICES 16
#define MASTER_MAX_LISTENERS_PER_SERVICE 16

struct master_worker {
	struct master *master;
	struct master_service *service;
	pid_t pid;			/* 0 while waiting to restart */
	uint64_t started_ms;
	unsigned int backoff_ms;
	struct event_timer *restart_timer;
};

struct master_service {
	const struct master_service_def *def;
	struct master_listener listeners[MASTER_MAX_LISTENERS_PER_SERVICE];
	size_t listener_count;
	const char *user;
	uid_t uid;
	gid_t gid;
	unsigned int worker_count;
	struct master_worker *workers;
};

/* Workers of an earlier generation (before a reload) still finishing. */
struct master_retired {
	pid_t pid;
	struct master_retired *next;
};

struct master {
	struct event_loop *loop;
	struct config *cfg;
	struct master_settings set;
	char *config_path;
	char **sets;
	int nsets;
	char exe_dir[PATH_MAX];
	struct master_service services[MASTER_MAX_SERVICES];
	size_t service_count;
	struct master_retired *retired;
	struct event_timer *kill_timer;
	bool stopping;
	bool am_root;
	uid_t mail_uid;
	gid_t mail_gid;
};

static void master_worker_start(struct master_worker *w);

/* Programs live beside the master's own executable, so a build tree and an
 * installed tree both work without a configured path. */
static void master_find_exe_dir(struct master *m)
{
	ssize_t n = readlink("/proc/self/exe", m->exe_dir,
			     sizeof(m->exe_dir) - 1);
	char *slash;

	if (n < 0)
		log_fatal("readlink /proc/self/exe: %s", strerror(errno));
	m->exe_dir[n] = '\0';
	slash = strrchr(m->exe_dir, '/');
	if (slash != NULL)
		*slash = '\0';
}

struct master *master_new(struct event_loop *loop, struct config *cfg,
			  char **sets, int nsets)
{
	struct master *m = xcalloc(1, sizeof(*m));
	char *abs;

	m->loop = loop;
	m->cfg = cfg;
	config_fill(cfg, &master_config_table, &m->set);
	abs = realpath(config_path(cfg), NULL);
	if (abs == NULL)
		log_fatal("%s: %s", config_path(cfg), strerror(errno));
	m->config_path = abs;
	m->sets = sets;
	m->nsets = nsets;
	m->am_root = geteuid() == 0;
	master_find_exe_dir(m);
	return m;
}

/* Splits a listen value on spaces and commas, calling `fn` for each. */
static int master_each_address(const char *value,
			       int (*fn)(void *ctx, const char *address),
			       void *ctx)
{
	char *copy = xstrdup(value), *save = NULL, *a;
	int ret = 0;

	for (a = strtok_r(copy, " ,\t", &save); a != NULL && ret == 0;
	     a = strtok_r(NULL, " ,\t", &save))
		ret = fn(ctx, a);
	free(copy);
	return ret;
}

struct master_bind_ctx {
	struct master *m;
	struct master_service *svc;
	const char *name;
	/* listeners of the previous generation, to reuse unchanged ones */
	struct master_listener *old;
	size_t old_count;
};

static int master_bind_one(void *ctx, const char *address)
{
	struct master_bind_ctx *b = ctx;
	struct master_service *svc = b->svc;
	struct master_listener *l;
	const char *error;
	size_t i;

	if (svc->listener_count == MASTER_MAX_LISTENERS_PER_SERVICE) {
		log_error("listen_failed", "service=%s reason=%s",
			  svc->def->name, "too many listen addresses");
		return -1;
	}
	l = &svc->listeners[svc->listener_count];
	for (i = 0; i < b->old_count; i++) {
		struct master_listener *o = &b->old[i];

		if (o->fd >= 0 && strcmp(o->name, b->name) == 0 &&
		    strcmp(o->address, address) == 0) {
			*l = *o;
			memset(o, 0, sizeof(*o));
			o->fd = -1;
			svc->listener_count++;
			return 0;
		}
	}
	/* Unix sockets are for the protocol daemons and the queue, all of
	 * which run as mail_user, whoever serves the socket. */
	if (master_listen_bind(address, b->m->set.state_dir,
			       b->m->am_root ? b->m->mail_uid : (uid_t)-1,
			       b->m->am_root ? b->m->mail_gid : (gid_t)-1, l,
			       &error) < 0) {
		log_error("listen_failed", "service=%s address=%s reason=%s",
			  svc->def->name, address, error);
		return -1;
	}
	l->name = xstrdup(b->name);
	svc->listener_count++;
	log_info("listening", "service=%s listener=%s address=%s",
		 svc->def->name, b->name, address);
	return 0;
}

static const char *master_config_key(const struct master *m, const char *key)
{
	const char *v = config_get(m->cfg, key);

	if (v == NULL)
		log_panic("service table names unknown config key %s", key);
	return v;
}

/* Fills one service from the config; binds its listeners (reusing `old`
 * ones with the same name and address).  -1 if a bind failed. */
static int master_service_setup(struct master *m, struct master_service *svc,
				const struct master_service_def *def,
				struct master_listener *old, size_t old_count)
{
	struct master_bind_ctx b = { m, svc, NULL, old, old_count };
	unsigned long long n = 0;
	const char *error;
	size_t i;

	memset(svc, 0, sizeof(*svc));
	svc->def = def;
	svc->user = master_config_key(m, def->user_key);
	(void)config_parse_uint(master_config_key(m, def->workers_key), &n);
	svc->worker_count = (unsigned int)n;
	svc->uid = (uid_t)-1;
	svc->gid = (gid_t)-1;
	if (m->am_root &&
	    privs_lookup(svc->user, &svc->uid, &svc->gid, &error) < 0) {
		log_error("service_failed", "service=%s reason=%s", def->name,
			  error);
		return -1;
	}
	for (i = 0; i < MASTER_MAX_LISTEN_KEYS && def->listen[i].key; i++) {
		b.name = def->listen[i].name;
		if (master_each_address(master_config_key(m, def->listen[i].key),
					master_bind_one, &b) < 0)
			return -1;
	}
	if (svc->listener_count == 0)
		svc->worker_count = 0;
	svc->workers = xcalloc(svc->worker_count ? svc->worker_count : 1,
			       sizeof(*svc->workers));
	for (i = 0; i < svc->worker_count; i++) {
		svc->workers[i].master = m;
		svc->workers[i].service = svc;
	}
	return 0;
}

static int master_setup_all(struct master *m, struct master_listener *old,
			    size_t old_count)
{
	const char *error;
	size_t i;

	m->service_count = 0;
	if (m->am_root && privs_lookup(m->set.mail_user, &m->mail_uid,
				       &m->mail_gid, &error) < 0) {
		log_error("service_failed", "reason=%s", error);
		return -1;
	}
	for (i = 0; i < master_service_def_count; i++) {
		struct master_service *svc = &m->services[m->service_count];

		if (master_service_setup(m, svc, &master_service_defs[i], old,
					 old_count) < 0)
			return -1;
		m->service_count++;
	}
	return 0;
}

/* In the child, between fork and exec: listeners to fds 3.., everything
 * else closed, default signal state, privileges dropped.  `master_pid` is
 * the master's, taken before the fork: a getppid() here would say 1 if
 * the master died meanwhile, and the worker would bind its life to init. */
static void master_child_exec(struct master *m, struct master_service *svc,
			      pid_t master_pid)
{
	struct buf names = BUF_INIT, path = BUF_INIT;
	char **argv = xcalloc((size_t)m->nsets * 2 + 4, sizeof(*argv));
	const char *error;
	sigset_t none;
	size_t i;
	int argc = 0, high[MASTER_MAX_LISTENERS_PER_SERVICE], devnull;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Its own process group: a ^C at the terminal reaches only the
	 * master, which then stops the workers in order. */
	(void)setpgid(0, 0);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0 && devnull != STDIN_FILENO) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	/* Move out of the way first, so dup2 to 3.. cannot clobber a
	 * listener that already sits there. */
	for (i = 0; i < svc->listener_count; i++) {
		high[i] = fcntl(svc->listeners[i].fd, F_DUPFD, 64);
		if (high[i] < 0)
			_exit(75);
	}
	for (i = 0; i < svc->listener_count; i++) {
		if (dup2(high[i], 3 + (int)i) < 0)
			_exit(75);
		buf_printf(&names, "%s%s", i ? " " : "",
			   svc->listeners[i].name);
	}
	close_range(3 + (unsigned int)svc->listener_count, ~0U, 0);
	setenv("SEALPOST_LISTENERS", buf_cstr(&names), 1);
	/* The worker binds its life to ours (worker_drop_privileges()). */
	{
		char pid_text[24];

		snprintf(pid_text, sizeof(pid_text), "%ld", (long)master_pid);
		setenv("SEALPOST_MASTER_PID", pid_text, 1);
	}
	if (m->am_root && svc->def->drops_itself) {
		setenv("SEALPOST_RUN_AS", svc->user, 1);
	} else if (m->am_root && privs_drop(svc->user, &error) < 0) {
		log_error("worker_exec_failed", "service=%s reason=%s",
			  svc->def->name, error);
		_exit(75);
	}
	buf_printf(&path, "%s/%s", m->exe_dir, svc->def->program);
	argv[argc++] = (char *)svc->def->program;
	argv[argc++] = (char *)"--config";
	argv[argc++] = m->config_path;
	for (i = 0; i < (size_t)m->nsets; i++) {
		argv[argc++] = (char *)"--set";
		argv[argc++] = m->sets[i];
	}
	execv(buf_cstr(&path), argv);
	log_error("worker_exec_failed", "service=%s path=%s reason=%s",
		  svc->def->name, buf_cstr(&path), strerror(errno));
	_exit(75);
}

static void master_restart_timeout(void *ctx)
{
	struct master_worker *w = ctx;

	event_timer_remove(&w->restart_timer);
	master_worker_start(w);
}

static void master_worker_start(struct master_worker *w)
{
	struct master *m = w->master;
	pid_t master_pid = getpid(), pid;

	pid = fork();
	if (pid < 0) {
		log_error("fork_failed", "service=%s reason=%s",
			  w->service->def->name, strerror(errno));
		w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 :
			MASTER_FIRST_BACKOFF_MS;
		w->restart_timer = event_timer_add(m->loop, w->backoff_ms, 0,
						   master_restart_timeout, w);
		return;
	}
	if (pid == 0)
		master_child_exec(m, w->service, master_pid);
	w->pid = pid;
	w->started_ms = event_loop_now_ms(m->loop);
	log_info("worker_started", "service=%s pid=%ld",
		 w->service->def->name, (long)pid);
}

int master_start(struct master *m)
{
	size_t i, j;

	if (master_setup_all(m, NULL, 0) < 0)
		return -1;
	for (i = 0; i < m->service_count; i++) {
		for (j = 0; j < m->services[i].worker_count; j++)
			master_worker_start(&m->services[i].workers[j]);
	}
	return 0;
}

static struct master_worker *master_find_worker(struct master *m, pid_t pid)
{
	size_t i, j;

	for (i = 0; i < m->service_count; i++) {
		for (j = 0; j < m->services[i].worker_count; j++) {
			if (m->services[i].workers[j].pid == pid)
				return &m->services[i].workers[j];
		}
	}
	return NULL;
}

static bool master_forget_retired(struct master *m, pid_t pid)
{
	struct master_retired **r;

	for (r = &m->retired; *r != NULL; r = &(*r)->next) {
		if ((*r)->pid == pid) {
			struct master_retired *dead = *r;

			*r = dead->next;
			free(dead);
			return true;
		}
	}
	return false;
}

static size_t master_live_workers(const struct master *m)
{
	const struct master_retired *r;
	size_t i, j, n = 0;

	for (r = m->retired; r != NULL; r = r->next)
		n++;
	for (i = 0; i < m->service_count; i++) {
		for (j = 0; j < m->services[i].worker_count; j++)
			n += m->services[i].workers[j].pid != 0;
	}
	return n;
}

static void master_describe_status(int status, char *out, size_t size)
{
	if (WIFEXITED(status))
		snprintf(out, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, size, "signal %d", WTERMSIG(status));
	else
		snprintf(out, size, "status %d", status);
}

/* A worker found the store's database needing recovery (store.h): every
 * other worker that may have it open goes too, so none is left blocked on
 * a dead process's lock, and all come back through the usual restart.
 * authd never opens the store. */
static void master_store_recovery(struct master *m,
				  const struct master_worker *dead)
{
	size_t i, j;

	log_warn("store_recovery", "service=%s action=restart_all",
		 dead->service->def->name);
	for (i = 0; i < m->service_count; i++) {
		struct master_service *svc = &m->services[i];

		if (strcmp(svc->def->name, "auth") == 0)
			continue;
		for (j = 0; j < svc->worker_count; j++) {
			if (svc->workers[j].pid != 0)
				(void)kill(svc->workers[j].pid, SIGKILL);
		}
	}
}

static void master_worker_died(struct master *m, struct master_worker *w,
			       int status)
{
	uint64_t now = event_loop_now_ms(m->loop);
	uint64_t lived = now - w->started_ms;
	char how[32];

	master_describe_status(status, how, sizeof(how));
	w->pid = 0;
	if (m->stopping) {
		log_info("worker_stopped", "service=%s status=%s",
			 w->service->def->name, how);
		return;
	}
	log_warn("worker_died", "service=%s status=%s lived_ms=%llu",
		 w->service->def->name, how, (unsigned long long)lived);
	if (WIFEXITED(status) && WEXITSTATUS(status) == STORE_EXIT_RECOVERY)
		master_store_recovery(m, w);
	if (lived < MASTER_QUICK_DEATH_MS) {
		unsigned int max = m->set.restart_backoff_max * 1000U;

		w->backoff_ms = w->backoff_ms == 0 ? MASTER_FIRST_BACKOFF_MS :
			w->backoff_ms * 2;
		if (w->backoff_ms > max)
			w->backoff_ms = max;
	} else {
		w->backoff_ms = 0;
	}
	log_info("worker_restart", "service=%s delay_ms=%u",
		 w->service->def->name, w->backoff_ms);
	if (w->backoff_ms == 0)
		master_worker_start(w);
	else
		w->restart_timer = event_timer_add(m->loop, w->backoff_ms, 0,
						   master_restart_timeout, w);
}

void master_reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct master_worker *w = master_find_worker(m, pid);

		if (w != NULL)
			master_worker_died(m, w, status);
		else if (master_forget_retired(m, pid))
			log_info("worker_retired", "pid=%ld", (long)pid);
	}
	if (m->stopping && master_live_workers(m) == 0) {
		event_timer_remove(&m->kill_timer);
		event_loop_stop(m->loop);
	}
}

static void master_kill_timeout(void *ctx)
{
	struct master *m = ctx;
	struct master_retired *r;
	size_t i, j;

	event_timer_remove(&m->kill_timer);
	for (r = m->retired; r != NULL; r = r->next) {
		log_warn("worker_killed", "pid=%ld", (long)r->pid);
		kill(r->pid, SIGKILL);
	}
	if (!m->stopping)
		return;
	for (i = 0; i < m->service_count; i++) {
		for (j = 0; j < m->services[i].worker_count; j++) {
			pid_t pid = m->services[i].workers[j].pid;

			if (pid != 0) {
				log_warn("worker_killed", "service=%s pid=%ld",
					 m->services[i].def->name, (long)pid);
				kill(pid, SIGKILL);
			}
		}
	}
}

/* Asks every current worker to finish; moves them to the retired list when
 * `retire` (a reload), so their exit is not taken for a death. */
static void master_term_workers(struct master *m, bool retire)
{
	size_t i, j;

	for (i = 0; i < m->service_count; i++) {
		struct master_service *svc = &m->services[i];

		for (j = 0; j < svc->worker_count; j++) {
			struct master_worker *w = &svc->workers[j];

			event_timer_remove(&w->restart_timer);
			if (w->pid == 0)
				continue;
			kill(w->pid, SIGTERM);
			if (retire) {
				struct master_retired *r = xcalloc(1, sizeof(*r));

				r->pid = w->pid;
				r->next = m->retired;
				m->retired = r;
				w->pid = 0;
			}
		}
	}
	if (m->kill_timer == NULL)
		m->kill_timer = event_timer_add(m->loop,
						m->set.shutdown_grace * 1000U + 1,
						0, master_kill_timeout, m);
}

static void master_services_free(struct master *m, bool close_listeners)
{
	size_t i, j;

	for (i = 0; i < m->service_count; i++) {
		struct master_service *svc = &m->services[i];

		for (j = 0; j < svc->worker_count; j++)
			event_timer_remove(&svc->workers[j].restart_timer);
		free(svc->workers);
		svc->workers = NULL;
		if (close_listeners) {
			for (j = 0; j < svc->listener_count; j++)
				master_listener_close(&svc->listeners[j]);
		}
	}
	m->service_count = 0;
}

void master_reload(struct master *m)
{
	struct master_listener old[MASTER_MAX_SERVICES *
				   MASTER_MAX_LISTENERS_PER_SERVICE];
	struct master_settings new_set;
	struct config *cfg;
	const char *error;
	size_t i, j, old_count = 0;
	int k;

	if (m->stopping)
		return;
	if (config_load(m->config_path, config_all_tables, &cfg, &error) < 0) {
		log_error("reload_failed", "reason=%s", error);
		return;
	}
	for (k = 0; k < m->nsets; k++) {
		char *eq = strchr(m->sets[k], '='), *key;

		key = xstrndup(m->sets[k], (size_t)(eq - m->sets[k]));
		(void)config_set(cfg, key, eq + 1, &error);
		free(key);
	}
	config_fill(cfg, &master_config_table, &new_set);
	if (strcmp(new_set.state_dir, m->set.state_dir) != 0) {
		log_error("reload_failed", "reason=%s",
			  "state_dir cannot change without a restart");
		config_free(&cfg);
		return;
	}
	master_term_workers(m, true);
	for (i = 0; i < m->service_count; i++) {
		for (j = 0; j < m->services[i].listener_count; j++)
			old[old_count++] = m->services[i].listeners[j];
	}
	master_services_free(m, false);
	config_free(&m->cfg);
	m->cfg = cfg;
	m->set = new_set;
	if (master_setup_all(m, old, old_count) < 0)
		log_error("reload_incomplete", "reason=%s",
			  "a listener could not be bound");
	for (i = 0; i < old_count; i++) {
		if (old[i].fd >= 0)
			master_listener_close(&old[i]);
	}
	for (i = 0; i < m->service_count; i++) {
		for (j = 0; j < m->services[i].worker_count; j++)
			master_worker_start(&m->services[i].workers[j]);
	}
	log_info("reloaded", "config=%s", m->config_path);
}

void master_stop(struct master *m)
{
	if (m->stopping)
		return;
	m->stopping = true;
	log_info("stopping", "grace_s=%u", m->set.shutdown_grace);
	master_term_workers(m, false);
	if (master_live_workers(m) == 0) {
		event_timer_remove(&m->kill_timer);
		event_loop_stop(m->loop);
	}
}

void master_free(struct master **mp)
{
	struct master *m = *mp;

	if (m == NULL)
		return;
	event_timer_remove(&m->kill_timer);
	master_services_free(m, true);
	while (m->retired != NULL) {
		struct master_retired *r = m->retired;

		m->retired = r->next;
		free(r);
	}
	config_free(&m->cfg);
	free(m->config_path);
	free(m);
	*mp = NULL;
}
