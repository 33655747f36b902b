/*
 * The Berkeley DB wrapper: opening and closing the environment and its
 * databases.  The contract and the reasons for the recovery scheme are in
 * db.h; transactions and data are in db_txn.c.
 */
#include "db.h"
#include <db_bdb.h>
#include "db_private.h"
#include "log.h"
#include "self_pid.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define DBW_DEFAULT_CACHE ((size_t)8 << 20)
#define DBW_MIN_CACHE ((size_t)256 << 10)
#define DBW_DEFAULT_PROCESSES 256u
#define DBW_MAX_NAME 64
/* How long a process running recovery waits for the others to notice the
 * panic and let go of the old regions (microseconds). */
#define DBW_REGISTER_WAIT_US 500000u
/* db_env_checkpoint() thresholds when not forced. */
#define DBW_CHECKPOINT_KBYTES 1024u
#define DBW_CHECKPOINT_MINUTES 5u

/* Error text handed out through error_r, valid until the next db_* call;
 * and the last message the library gave its error callback, attached to the
 * next error we report. */
static struct buf db_error = BUF_INIT;
static struct buf db_detail = BUF_INIT;

/* The environments open in this process: DB_REGISTER allows one handle per
 * environment per process (see db.h). */
static struct db_env *db_open_envs;
/* Panicked environments closed without the library (see db_env_close). */
static struct db_env *db_abandoned_envs;

const char *db_errorv(int ret, const char *fmt, va_list ap)
{
	buf_clear(&db_error);
	buf_vprintf(&db_error, fmt, ap);
	if (ret != 0)
		buf_printf(&db_error, ": %s", db_strerror(ret));
	if (db_detail.len > 0) {
		buf_printf(&db_error, " (%s)", buf_cstr(&db_detail));
		buf_clear(&db_detail);
	}
	return buf_cstr(&db_error);
}

const char *db_errorf(int ret, const char *fmt, ...)
{
	const char *error;
	va_list ap;

	va_start(ap, fmt);
	error = db_errorv(ret, fmt, ap);
	va_end(ap);
	return error;
}

const char *db_env_errorf(struct db_env *env, int ret, const char *fmt, ...)
{
	const char *error;
	va_list ap;

	if (ret == DB_RUNRECOVERY)
		env->panicked = true;
	va_start(ap, fmt);
	error = db_errorv(ret, fmt, ap);
	va_end(ap);
	return error;
}

static void db_errcall(const DB_ENV *dbenv, const char *prefix,
		       const char *msg)
{
	buf_clear(&db_detail);
	buf_append_str(&db_detail, msg);
	log_debug("db_library", "detail=%s", msg);
}

/* Recovery (DB_VERB_RECOVERY) and failchk report here what they did: a few
 * lines when a process died or the machine restarted, which the postmaster
 * wants to see.  Nothing else is verbose. */
static void db_msgcall(const DB_ENV *dbenv, const char *msg)
{
	const struct db_env *env = dbenv->app_private;

	log_info("db_recovery", "home=%s detail=%s",
		 env != NULL ? env->home : "", msg);
}

static void db_event(DB_ENV *dbenv, u_int32_t event, void *info)
{
	struct db_env *env = dbenv->app_private;

	if (env != NULL && (event == DB_EVENT_PANIC ||
			    event == DB_EVENT_REG_PANIC))
		env->panicked = true;
}

/*
 * failchk's question: is the process that owned this thread slot still
 * there?  A zombie still counts, so the master reaps before failchk; EPERM
 * means it exists under another user.  A recycled PID makes a dead process
 * look alive, which only delays the clean-up until the next recovery.
 * PID 0 is nobody: a mutex records its holder only after taking it, so a
 * process killed in between leaves a held mutex that names no one (or
 * its previous holder), and kill(0, 0) would call that alive and have the
 * library wait on it for ever; dead means recovery, which is always safe.
 */
static int db_is_alive(DB_ENV *dbenv, pid_t pid, db_threadid_t tid,
		       u_int32_t flags)
{
	struct db_env *env = dbenv->app_private;
	unsigned int i;
	bool alive;

	if (pid <= 0)
		return 0;
	/* The handle's own PID rather than getpid(): a handle is only used
	 * by the process that opened it (db_env_check). */
	if (env == NULL)
		return pid == self_pid() || kill(pid, 0) == 0 || errno == EPERM;
	if (pid == env->pid)
		return 1;
	for (i = 0; env->in_failchk && i < env->alive_count; i++) {
		if (env->alive[i] == pid)
			return 1;
	}
	alive = kill(pid, 0) == 0 || errno == EPERM;
	if (alive && env->in_failchk && env->alive_count < DBW_ALIVE_CACHE)
		env->alive[env->alive_count++] = pid;
	return alive;
}

/* The library's own default asks getpid() on every call into it (one
 * system call each); the handle's PID is the same answer (see
 * db_is_alive). */
static void db_thread_id(DB_ENV *dbenv, pid_t *pid, db_threadid_t *tid)
{
	const struct db_env *env = dbenv->app_private;

	if (pid != NULL)
		*pid = env != NULL ? env->pid : self_pid();
	if (tid != NULL)
		*tid = pthread_self();
}

bool db_is_deadlock(int ret)
{
	return ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED;
}

void db_backoff(unsigned int attempt)
{
	unsigned int r, max_ms;
	struct timespec ts;

	/* A random pause, growing with each attempt up to 64 ms, so two
	 * processes that deadlocked do not meet again in lock-step. */
	max_ms = attempt >= 6 ? 64 : 1u << attempt;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned int)getpid() * 2654435761u + attempt;
	r %= max_ms * 1000u;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)r * 1000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int db_settings_check(const struct db_env_settings *set,
			     const char **error_r)
{
	if (set->home == NULL || set->home[0] == '\0') {
		*error_r = db_errorf(0, "db_env_open: no home folder given");
		return -1;
	}
	if (set->mode != 0 && set->mode != 0600 && set->mode != 0660) {
		*error_r = db_errorf(0, "db_env_open %s: mode %#o is neither "
				     "0600 nor 0660", set->home, set->mode);
		return -1;
	}
	if (set->cache_size != 0 && set->cache_size < DBW_MIN_CACHE) {
		*error_r = db_errorf(0, "db_env_open %s: cache size %zu is "
				     "below the minimum of %zu bytes",
				     set->home, set->cache_size, DBW_MIN_CACHE);
		return -1;
	}
	if (set->schema_version == 0) {
		*error_r = db_errorf(0, "db_env_open %s: schema version 0 "
				     "is reserved", set->home);
		return -1;
	}
	return 0;
}

/* Creates the folder when missing and identifies it, so a second open in
 * this process is caught whatever path it was given by. */
static int db_home_prepare(const char *home, unsigned int mode,
			   struct stat *st_r, const char **error_r)
{
	mode_t dir_mode = mode == 0660 ? 0750 : 0700;

	if (stat(home, st_r) < 0) {
		if (errno != ENOENT || (mkdir(home, dir_mode) < 0 &&
					errno != EEXIST) ||
		    stat(home, st_r) < 0) {
			*error_r = db_errorf(errno, "db_env_open %s", home);
			return -1;
		}
	}
	if (!S_ISDIR(st_r->st_mode)) {
		*error_r = db_errorf(ENOTDIR, "db_env_open %s", home);
		return -1;
	}
	return 0;
}

static struct db_env *db_env_find_open(const struct stat *st)
{
	struct db_env *env;
	pid_t pid = self_pid();

	for (env = db_open_envs; env != NULL; env = env->next_open) {
		if (env->pid == pid && env->dev == st->st_dev &&
		    env->ino == st->st_ino)
			return env;
	}
	return NULL;
}

static void db_env_unlink_open(struct db_env *env)
{
	struct db_env **p;

	for (p = &db_open_envs; *p != NULL; p = &(*p)->next_open) {
		if (*p == env) {
			*p = env->next_open;
			return;
		}
	}
}

int db_env_configure(struct db_env *env, const struct db_env_settings *set,
		     const char **error_r)
{
	DB_ENV *dbenv = env->dbenv;
	size_t cache = set->cache_size != 0 ? set->cache_size :
		DBW_DEFAULT_CACHE;
	unsigned int procs = set->max_processes != 0 ? set->max_processes :
		DBW_DEFAULT_PROCESSES;
	int ret;

	dbenv->app_private = env;
	dbenv->set_errcall(dbenv, db_errcall);
	dbenv->set_msgcall(dbenv, db_msgcall);
	if ((ret = dbenv->set_event_notify(dbenv, db_event)) != 0 ||
	    (ret = dbenv->set_cachesize(dbenv, (u_int32_t)(cache >> 30),
					(u_int32_t)(cache & ((1u << 30) - 1)),
					1)) != 0 ||
	    (ret = dbenv->set_lk_detect(dbenv, DB_LOCK_YOUNGEST)) != 0 ||
	    (ret = dbenv->log_set_config(dbenv, DB_LOG_AUTO_REMOVE, 1)) != 0 ||
	    (ret = dbenv->set_lg_filemode(dbenv, (int)env->mode)) != 0 ||
	    (ret = dbenv->set_thread_count(dbenv, procs)) != 0 ||
	    (ret = dbenv->set_isalive(dbenv, db_is_alive)) != 0 ||
	    (ret = dbenv->set_thread_id(dbenv, db_thread_id)) != 0 ||
	    (ret = dbenv->set_timeout(dbenv, DBW_REGISTER_WAIT_US,
				      DB_SET_REG_TIMEOUT)) != 0 ||
	    (ret = dbenv->set_verbose(dbenv, DB_VERB_RECOVERY, 1)) != 0) {
		*error_r = db_errorf(ret, "db_env_open %s: configuring",
				     env->home);
		return -1;
	}
	return 0;
}

static void db_env_free(struct db_env *env)
{
	db_env_unlink_open(env);
	free(env->home);
	free(env);
}

struct db_env *db_env_new(const struct db_env_settings *set, dev_t dev,
			  ino_t ino)
{
	struct db_env *env = xcalloc(1, sizeof(*env));

	env->home = xstrdup(set->home);
	env->pid = self_pid();
	env->dev = dev;
	env->ino = ino;
	env->mode = set->mode != 0 ? set->mode : 0600;
	env->boot_fd = -1;
	return env;
}

int db_env_open(const struct db_env_settings *set, struct db_env **env_r,
		const char **error_r)
{
	u_int32_t flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG |
		DB_INIT_MPOOL | DB_INIT_TXN | DB_REGISTER | DB_RECOVER |
		DB_FAILCHK;
	struct db_env *env;
	struct stat st;
	const char *error;
	bool stale;
	int ret;

	*env_r = NULL;
	buf_clear(&db_detail);
	if (db_settings_check(set, error_r) < 0 ||
	    db_home_prepare(set->home, set->mode, &st, error_r) < 0)
		return -1;
	if (db_env_find_open(&st) != NULL) {
		*error_r = db_errorf(0, "db_env_open %s: already open in this "
				     "process (share that handle)", set->home);
		return -1;
	}

	env = db_env_new(set, st.st_dev, st.st_ino);
	if ((ret = db_env_create(&env->dbenv, 0)) != 0) {
		*error_r = db_errorf(ret, "db_env_open %s", set->home);
		db_env_free(env);
		return -1;
	}
	if (db_env_configure(env, set, error_r) < 0) {
		(void)env->dbenv->close(env->dbenv, 0);
		db_env_free(env);
		return -1;
	}
	if (db_boot_begin(env, &stale, error_r) < 0) {
		(void)env->dbenv->close(env->dbenv, 0);
		db_env_free(env);
		return -1;
	}
	if (env->dead_slots > 0 && !db_failchk_open_check(env, set, flags))
		flags &= ~(u_int32_t)DB_FAILCHK;
	db_call_begin("DB_ENV->open");
	ret = env->dbenv->open(env->dbenv, set->home, flags, (int)env->mode);
	db_call_end();
	if (ret != 0) {
		*error_r = db_errorf(ret, "db_env_open %s", set->home);
		(void)db_boot_end(env, false, stale, &error);
		(void)env->dbenv->close(env->dbenv, 0);
		db_env_free(env);
		return -1;
	}
	env->next_open = db_open_envs;
	db_open_envs = env;
	if (db_boot_end(env, true, stale, error_r) < 0) {
		db_env_close(&env);
		return -1;
	}

	if (db_schema_open(env, set, error_r) < 0) {
		db_env_close(&env);
		return -1;
	}
	*env_r = env;
	return 0;
}

/* Frees the wrappers of the databases still open without calling into
 * the library (see db_env_close). */
static void db_env_forget_dbs(struct db_env *env)
{
	while (env->dbs != NULL) {
		struct db *db = env->dbs;

		env->dbs = db->next;
		free(db->name);
		free(db);
	}
}

void db_env_close(struct db_env **envp)
{
	struct db_env *env = *envp;
	const char *error;
	int ret;

	if (env == NULL)
		return;
	*envp = NULL;

	if (env->pid != self_pid()) {
		/* Inherited across fork(): closing would free the parent's
		 * registry slot, so only forget it. */
		db_env_forget_dbs(env);
		db_env_free(env);
		return;
	}
	if (env->panicked) {
		/* A process that died inside the library may still hold a
		 * region mutex, and closing takes them: each database writes
		 * a log record as it closes.  That would wait for ever, so
		 * the library's handles are left to the process's exit; the
		 * next open recovers the environment.  The registry slot
		 * stays locked by this process, which the next open of the
		 * same process does not mistake for a live user.  The handle
		 * stays referenced (db_abandoned_envs) as what it is: kept
		 * on purpose, not lost. */
		db_env_forget_dbs(env);
		db_env_unlink_open(env);
		env->next_open = db_abandoned_envs;
		db_abandoned_envs = env;
		return;
	}
	if (env->open_txns != 0)
		log_panic("db_env_close %s with %u open transactions",
			  env->home, env->open_txns);
	while (env->dbs != NULL) {
		struct db *db = env->dbs;

		db_close(&db);
	}
	if (db_env_checkpoint(env, false, &error) < 0)
		log_warn("db_checkpoint_failed", "home=%s detail=%s",
			 env->home, error);
	db_call_begin("DB_ENV->close");
	ret = env->dbenv->close(env->dbenv, 0);
	db_call_end();
	if (ret != 0 && !env->panicked)
		log_warn("db_close_failed", "home=%s detail=%s", env->home,
			 db_errorf(ret, "closing the environment"));
	db_env_free(env);
}

bool db_env_needs_reopen(const struct db_env *env)
{
	return env->panicked;
}

unsigned int db_env_schema_version(const struct db_env *env)
{
	return env->schema_version;
}

int db_env_check(struct db_env *env, const char *what, const char **error_r)
{
	if (env->pid != self_pid())
		log_panic("%s: environment %s used in a child of fork()",
			  what, env->home);
	buf_clear(&db_detail);
	if (env->panicked) {
		*error_r = db_errorf(DB_RUNRECOVERY, "%s %s: environment must "
				     "be reopened", what, env->home);
		return -1;
	}
	return 0;
}

int db_env_checkpoint(struct db_env *env, bool force, const char **error_r)
{
	int ret;

	if (db_env_check(env, "db_env_checkpoint", error_r) < 0)
		return -1;
	db_call_begin("DB_ENV->txn_checkpoint");
	ret = force ? env->dbenv->txn_checkpoint(env->dbenv, 0, 0, DB_FORCE) :
		env->dbenv->txn_checkpoint(env->dbenv, DBW_CHECKPOINT_KBYTES,
					   DBW_CHECKPOINT_MINUTES, 0);
	db_call_end();
	if (ret != 0) {
		*error_r = db_env_errorf(env, ret, "db_env_checkpoint %s",
					 env->home);
		return -1;
	}
	return 0;
}

int db_env_flush(struct db_env *env, const char **error_r)
{
	int ret;

	if (db_env_check(env, "db_env_flush", error_r) < 0)
		return -1;
	db_call_begin("DB_ENV->log_flush");
	ret = env->dbenv->log_flush(env->dbenv, NULL);
	db_call_end();
	if (ret != 0) {
		*error_r = db_env_errorf(env, ret, "db_env_flush %s",
					 env->home);
		return -1;
	}
	return 0;
}

/*
 * One process at a time: two processes clearing the same dead process's
 * locks at once can corrupt the lock region (an idle imapd died of SIGBUS
 * inside failchk while a pop3d ran its own, in the crash tests).  The
 * start-up lock on sealpost.boot is the token, so a check also never runs
 * while another process opens the environment and perhaps recovers it.  A
 * process that finds the token taken skips this check: the holder is
 * doing it, and the next tick checks again.  Not for ever, though: an
 * open stuck on a dead process's mutex would hold the token with nobody
 * left to notice, so after DBW_FAILCHK_SKIPS skips in a row the check runs
 * without it.
 */
int db_env_failchk(struct db_env *env, const char **error_r)
{
	struct buf path = BUF_INIT;
	int ret, fd;

	if (db_env_check(env, "db_env_failchk", error_r) < 0)
		return -1;
	buf_printf(&path, "%s/" DBW_BOOT_FILE, env->home);
	fd = open(buf_cstr(&path), O_RDWR | O_CLOEXEC);
	buf_free(&path);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 &&
	    env->failchk_skips < DBW_FAILCHK_SKIPS) {
		env->failchk_skips++;
		close(fd);
		return 0;
	}
	env->failchk_skips = 0;
	env->in_failchk = true;
	env->alive_count = 0;
	db_call_begin("DB_ENV->failchk");
	ret = env->dbenv->failchk(env->dbenv, 0);
	db_call_end();
	env->in_failchk = false;
	if (fd >= 0)
		close(fd);	/* also drops the lock */
	if (ret != 0) {
		*error_r = db_env_errorf(env, ret, "db_env_failchk %s",
					 env->home);
		return -1;
	}
	return 0;
}

static bool db_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > DBW_MAX_NAME || name[0] < 'a' || name[0] > 'z')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

int db_open_file(struct db_env *env, const char *name, const char *file,
		 struct db **db_r, const char **error_r)
{
	struct db *db;
	DB *dbp;
	unsigned int attempt;
	int ret;

	*db_r = NULL;
	if (db_env_check(env, "db_open", error_r) < 0)
		return -1;
	/* Creating a database is itself transactional; two processes
	 * creating the same one at once can deadlock on its metadata. */
	for (attempt = 1;; attempt++) {
		if ((ret = db_create(&dbp, env->dbenv, 0)) != 0) {
			*error_r = db_env_errorf(env, ret, "db_open %s", name);
			return -1;
		}
		db_call_begin("DB->open");
		ret = dbp->open(dbp, NULL, file, NULL, DB_BTREE,
				DB_CREATE | DB_AUTO_COMMIT, (int)env->mode);
		if (ret != 0)
			(void)dbp->close(dbp, 0);
		db_call_end();
		if (ret == 0)
			break;
		*error_r = db_env_errorf(env, ret, "db_open %s", name);
		if (!db_is_deadlock(ret) || attempt == DBW_RUN_ATTEMPTS_MAX)
			return -1;
		db_backoff(attempt);
	}

	db = xcalloc(1, sizeof(*db));
	db->env = env;
	db->dbp = dbp;
	db->name = xstrdup(name);
	db->next = env->dbs;
	if (env->dbs != NULL)
		env->dbs->prev = db;
	env->dbs = db;
	*db_r = db;
	return 0;
}

int db_open(struct db_env *env, const char *name, struct db **db_r,
	    const char **error_r)
{
	struct buf file = BUF_INIT;
	int ret;

	if (!db_name_valid(name)) {
		*db_r = NULL;
		*error_r = db_errorf(0, "db_open: invalid database name '%s'",
				     name);
		return -1;
	}
	buf_printf(&file, "%s.db", name);
	ret = db_open_file(env, name, buf_cstr(&file), db_r, error_r);
	buf_free(&file);
	return ret;
}

void db_close(struct db **dbp)
{
	struct db *db = *dbp;
	struct db_env *env;
	int ret;

	if (db == NULL)
		return;
	*dbp = NULL;
	env = db->env;
	if (db->prev != NULL)
		db->prev->next = db->next;
	else
		env->dbs = db->next;
	if (db->next != NULL)
		db->next->prev = db->prev;
	if (env->meta == db)
		env->meta = NULL;

	/* The log holds every committed change, so the file itself need not
	 * be flushed here: checkpoints do that. */
	/* Not in a child of fork(), nor on a panicked environment (see
	 * db_env_close). */
	if (env->pid == self_pid() && !env->panicked) {
		db_call_begin("DB->close");
		ret = db->dbp->close(db->dbp, DB_NOSYNC);
		db_call_end();
		if (ret != 0)
			log_warn("db_close_failed", "home=%s detail=%s",
				 env->home, db_errorf(ret, "closing %s",
						      db->name));
	}
	free(db->name);
	free(db);
}
