#ifndef SEALPOST_DB_PRIVATE_H
#define SEALPOST_DB_PRIVATE_H

/*
 * What the files of the Berkeley DB wrapper (db.c, db_txn.c, db_schema.c,
 * db_record.c) share.  Not for use outside them: the rest of the project
 * sees only db.h.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

#include "db.h"
#include <db_bdb.h>

/* The start-up lock and boot ID file in the environment's folder. */
#define DBW_BOOT_FILE "sealpost.boot"
/* The length of a line of the library's registry (__db.register): one
 * slot, a process ID right-aligned and a newline. */
#define DBW_REGISTRY_LINE 25
/* How long an open that must clean up after dead processes may take
 * before it is taken for stuck (see db_env_open), in milliseconds. */
#define DBW_FAILCHK_OPEN_MS 5000
/* failchk calls a process skips in a row while another holds the token. */
#define DBW_FAILCHK_SKIPS 10
/* Processes remembered alive during one failchk call (see struct
 * db_env); beyond this many, the others are asked every time. */
#define DBW_ALIVE_CACHE 64

struct db_env {
	DB_ENV *dbenv;
	char *home;
	/* The process that opened it; a child of fork() must not use it. */
	pid_t pid;
	dev_t dev;
	ino_t ino;
	unsigned int mode;
	unsigned int schema_version;
	unsigned int open_txns;
	/* sealpost.boot, locked while the environment is being opened. */
	int boot_fd;
	/* Registry slots of dead processes found at open while others
	 * live (db_boot_begin). */
	unsigned int dead_slots;
	/* Set from the library's panic event or a DB_RUNRECOVERY return. */
	bool panicked;
	/* failchk calls skipped in a row because another process held the
	 * token (see db_env_failchk). */
	unsigned int failchk_skips;
	/* During one failchk call: the processes already found alive.  The
	 * library asks about the same process once per thing it owns (its
	 * thread slot, lockers, transactions, mutexes), about ten times
	 * per live process and call; one kill(2) each is enough for a call,
	 * since one that dies meanwhile is found by the next call anyway. */
	pid_t alive[DBW_ALIVE_CACHE];
	unsigned int alive_count;
	bool in_failchk;
	struct db *dbs;			/* every open database */
	struct db *meta;		/* the wrapper's own: schema record */
	struct db_env *next_open;	/* in this process's list */
};

struct db {
	struct db_env *env;
	DB *dbp;
	char *name;
	struct db *prev, *next;
};

struct db_txn {
	struct db_env *env;
	DB_TXN *tid;
	unsigned int cursors;
	bool deadlocked;
};

/*
 * Berkeley DB owns the DB_ prefix for its macros, so the wrapper's internal
 * constants use DBW_ to stay clear of any it adds.
 */

/* How often db_txn_run() and single operations retry after a deadlock. */
#define DBW_RUN_ATTEMPTS_MAX 20u

/* The file of the wrapper's own database, outside the names db_open()
 * accepts so no caller can collide with it. */
#define DBW_META_FILE "_meta.db"

/* Formats the module's error text (valid until the next db_* call),
 * appending the library's description of `ret` when it is not 0 and the
 * detail its error callback gave.  Returns the text for *error_r. */
const char *db_errorv(int ret, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
const char *db_errorf(int ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, and remembers a panic in `env`. */
const char *db_env_errorf(struct db_env *env, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Entry check for every call on an environment: panics when used in a
 * child of fork(), fails when the environment must be reopened. */
int db_env_check(struct db_env *env, const char *what, const char **error_r);

/* Around every call into the library, for the watch on stuck calls
 * (db_set_stuck_handler): `what` names the call, a static string.  In
 * db_guard.c. */
void db_call_begin(const char *what);
void db_call_end(void);

/* Whether a return is a lock conflict worth retrying. */
bool db_is_deadlock(int ret);

/* Sleeps a random short time before retry number `attempt` + 1. */
void db_backoff(unsigned int attempt);

/* db_open() without the name check, for the wrapper's own files. */
int db_open_file(struct db_env *env, const char *name, const char *file,
		 struct db **db_r, const char **error_r);

/*
 * Before the library's open: takes the start-up lock and, when the machine
 * rebooted since the environment was last opened, removes the registry so
 * the open runs full recovery (*stale_r).  After it, db_boot_end() records
 * the boot if the open succeeded and releases the lock.  In db_boot.c.
 */
int db_boot_begin(struct db_env *env, bool *stale_r, const char **error_r);
int db_boot_end(struct db_env *env, bool opened, bool stale,
		const char **error_r);

/* A handle for this process, not yet created in the library, and giving
 * it our callbacks and the settings' sizes.  In db.c. */
struct db_env *db_env_new(const struct db_env_settings *set, dev_t dev,
			  ino_t ino);
int db_env_configure(struct db_env *env, const struct db_env_settings *set,
		     const char **error_r);

/* Before an open with env->dead_slots: makes the library's open with
 * `flags` in a child first.  False when that did not finish in time or
 * failed, and the open must leave out DB_FAILCHK, recovering the
 * environment for everyone.  In db_failchk_open.c. */
bool db_failchk_open_check(struct db_env *env,
			   const struct db_env_settings *set,
			   unsigned int flags);

/* Opens the meta database and checks (writes, upgrades) the schema record;
 * sets env->schema_version.  In db_schema.c. */
int db_schema_open(struct db_env *env, const struct db_env_settings *set,
		   const char **error_r);

#endif
