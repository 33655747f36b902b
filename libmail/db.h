#ifndef SEALPOST_DB_H
#define SEALPOST_DB_H

/*
 * The store's transactional database: a thin wrapper over Berkeley DB 5.3.
 *
 * The mailbox list, users, ACLs, quotas, subscriptions, shared seen state and
 * delivery de-duplication records live in one Berkeley DB environment (a
 * folder holding the log, the shared regions and one btree file per named
 * database).  lmtpd, the imapd and pop3d workers and the sealpost command
 * open it at the same time, so everything here is written for several
 * processes sharing one environment.  Nothing outside libmail/db*.c sees
 * the Berkeley DB header: keys and values are byte strings, outputs are
 * `struct buf`, errors are text.
 *
 * Start-up and recovery.  Every process opens the environment with
 * DB_REGISTER | DB_RECOVER | DB_FAILCHK, an is_alive callback and a thread
 * table.  DB_REGISTER keeps a registry of the processes that have the
 * environment open, each holding an fcntl lock on its own slot; the kernel
 * drops that lock when a process dies, however it dies.  At open time:
 *
 *   - every registered process is alive: join the environment as it is;
 *   - first open ever (empty registry): run normal recovery;
 *   - a dead process's slot is found: run failchk, which uses is_alive to
 *     abort the dead process's transactions and release its locks while the
 *     live processes carry on.  Only if the dead process died inside the
 *     library (holding a region mutex), failchk gives up; then the library
 *     marks the environment panicked for everyone, runs full recovery, and
 *     the live processes get an error on their next call and must reopen
 *     (see db_env_needs_reopen()).  Berkeley DB 5.3 can spin for ever in
 *     that failchk when the dead process held a region mutex, so it runs
 *     in a child first, under a deadline, and when that fails the open
 *     goes straight to the recovery (db_failchk_open.c);
 *   - every registered process is dead: start from fresh regions and run
 *     full recovery (db_boot.c).
 *
 * The regions are files in the folder, so after a machine crash they are
 * still there but stale, and the registry still lists the processes of the
 * previous boot; failchk inside them would be wrong.  The kernel's boot ID
 * is kept beside them (sealpost.boot, see db_boot.c), and the first open of
 * a new boot removes the registry, which makes it run full recovery.
 *
 * So recovery never runs under a process that is using the environment
 * correctly, a crashed worker costs the others nothing in the common case,
 * and nobody has to remember to run db_recover by hand after a reboot.  We
 * chose this over the master running recovery before starting the daemons
 * (Cyrus's ctl_cyrusdb -r) because the sealpost command and tests open the
 * store without a master, and over failchk alone because failchk cannot
 * notice a process that died while nobody else was running.
 *
 * The registry is per process, which gives three rules:
 *   - one open struct db_env per environment per process (db_env_open()
 *     refuses a second; share the first);
 *   - a child of fork() must not use its parent's handles: it opens its
 *     own.  db_env_close() in a child only frees memory, so the parent's
 *     registry slot stays intact;
 *   - daemons are single-threaded: handles are not opened with DB_THREAD.
 *
 * Durability.  A commit is on disk (log written and fsynced) when
 * db_txn_commit() returns.  Concurrent committers share one fsync inside the
 * library, which is where group commit comes from across processes.  For a
 * process that makes many small transactions before it acknowledges
 * anything (lmtpd recording de-duplication entries for each recipient before
 * the replies go out), db_txn_commit_deferred() writes the log to the kernel
 * without fsync and db_env_flush() makes everything durable with one fsync.
 * A process crash loses nothing written this way; only a machine crash
 * before the flush can, which is why the flush must come before the
 * acknowledgement.
 *
 * Concurrency.  Deadlocks are detected whenever a lock request blocks, and
 * the youngest transaction is chosen to fail (the oldest always completes,
 * so retries make progress).  db_txn_run() retries on deadlock.  Btree
 * locking is per page, so two keys on one page conflict.
 *
 * Formats.  Every value starts with a version byte (db_record_*), and the
 * environment carries a schema version checked at open, with an upgrade
 * hook; a newer schema is refused.
 *
 * Files.  Databases are created with the settings' mode (0600 or 0660,
 * further limited by the umask); the registry file is always 0660 less the
 * umask.  Log files no longer needed for recovery are removed at
 * checkpoints, so catastrophic recovery from old log files is not possible:
 * back up with db_hotbackup or by copying a stopped environment.  Site
 * tuning (lock table sizes, log buffer) can go in a DB_CONFIG file in the
 * environment folder; it takes effect when the environment is next created.
 *
 * Errors.  Functions that can fail return -1 and set *error_r to text that
 * stays valid until the next db_* call (daemons are single-threaded).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct db_env;
struct db;
struct db_txn;
struct db_cursor;

/*
 * Called at open when the stored schema is older than the program's.
 * Converts the data from `from` to `to` inside `txn` (which holds the write
 * lock on the schema record, so concurrent openers wait) and returns 0, or
 * -1 with *error_r.  It may be called again if the transaction deadlocks,
 * and again at the next open if it fails, so anything it does outside
 * `txn` (work too large for one transaction, done in transactions of its
 * own while the others wait) must be harmless to repeat.
 */
typedef int db_upgrade_fn(struct db_env *env, struct db_txn *txn,
			  unsigned int from, unsigned int to, void *ctx,
			  const char **error_r);

struct db_env_settings {
	/* The environment folder; created (mode 0700, or 0750 with a 0660
	 * mode) if missing, but not its parents. */
	const char *home;
	/* Shared buffer cache in bytes; 0 means 8 MiB.  Minimum 256 KiB.
	 * Fixed when the environment is created. */
	size_t cache_size;
	/* 0600 or 0660; 0 means 0600. */
	unsigned int mode;
	/* How many processes may have the environment open at once; sizes
	 * the thread table failchk uses.  0 means 256. */
	unsigned int max_processes;
	/* The schema this program reads and writes (>= 1), and how to bring
	 * an older one up to it (NULL: an older schema is refused). */
	unsigned int schema_version;
	db_upgrade_fn *upgrade;
	void *upgrade_ctx;
};

/*
 * Opens (creating if needed, recovering if needed, see above) the
 * environment and checks its schema version.  May block: recovery reads the
 * log, and a concurrent upgrade holds the schema lock.  Returns 0, or -1
 * with *error_r (bad settings, already open in this process, permissions,
 * a schema newer than ours, a failed upgrade).
 */
int db_env_open(const struct db_env_settings *settings,
		struct db_env **env_r, const char **error_r);

/*
 * The watch on stuck calls.  A process killed while it held one of the
 * environment's mutexes leaves it held for ever, and the library waits on
 * its mutexes without a bound, so a call (an open that must clean up after
 * the dead process included) may never return.  After this, a thread of
 * the process calls `fn` once a call into the library has been in
 * progress for `timeout_s` seconds with no other call begun meanwhile,
 * naming the call and the seconds waited.  `fn` runs on that thread while
 * the call still blocks, so it must end the process (_exit) or arrange
 * for another one to do so: nothing else frees the mutex.  Calls again
 * replace the limit and handler; 0 or NULL turn the watch off.  A child
 * of fork() calls it again to have its own thread.  In db_guard.c.
 */
typedef void db_stuck_fn(const char *call, unsigned int waited_s);
void db_set_stuck_handler(unsigned int timeout_s, db_stuck_fn *fn);

/*
 * Closes every database still open, checkpoints, and frees the handle; sets
 * *env to NULL.  NULL is a no-op.  Open transactions are a bug (panic).
 * After fork(), in the child, it only frees memory (see above), and so it
 * does on a panicked environment (db_env_needs_reopen()): the process that
 * died may hold a mutex that closing would wait for.
 */
void db_env_close(struct db_env **env);

/*
 * True once the library reported a panic (another process ran recovery, or
 * an I/O error made the environment unusable) or failchk found a process
 * that died inside the library.  Every call then fails; the process must
 * close every handle and reopen, or better, as daemons do, finish with
 * temporary failures and exit for the master to restart it: closing a
 * panicked environment leaves the library's memory and descriptors of it
 * to the process's exit.
 */
bool db_env_needs_reopen(const struct db_env *env);

/* The schema version stored in the environment (after any upgrade). */
unsigned int db_env_schema_version(const struct db_env *env);

/*
 * Flushes dirty pages and writes a checkpoint record, after which log files
 * not needed any more are removed.  Unless `force`, does nothing when less
 * than 1 MiB of log was written and less than 5 minutes passed since the
 * last one, so a daemon can call it from a timer.  Blocks on disk I/O.
 */
int db_env_checkpoint(struct db_env *env, bool force, const char **error_r);

/* Makes every commit so far durable (one fsync of the log).  Blocks. */
int db_env_flush(struct db_env *env, const char **error_r);

/*
 * Aborts the transactions and releases the locks of processes that died with
 * the environment open.  The master calls it when it reaps a child, so a
 * dead worker's locks are not held until the next process opens the
 * environment.  The child must have been reaped: a zombie still counts as
 * alive.  Returns -1 and sets db_env_needs_reopen() when the dead process
 * cannot be cleaned up without full recovery (it died inside the library);
 * reopening then runs it.
 */
int db_env_failchk(struct db_env *env, const char **error_r);

/*
 * Opens (creating if needed) the named database `name`, a btree in the file
 * `name`.db in the environment folder.  Names are 1 to 64 characters of
 * [a-z0-9_], starting with a letter.  The handle lives until db_close() or
 * db_env_close(); opening one name twice gives two handles, both usable.
 * Blocks briefly if another process is creating the same database.
 */
int db_open(struct db_env *env, const char *name, struct db **db_r,
	    const char **error_r);
void db_close(struct db **db);

/*
 * Transactions.  Every operation below takes a transaction, or NULL for a
 * single operation committed on its own (retried on deadlock).  A
 * transaction must end with db_txn_commit() or db_txn_abort(), both of
 * which free it and set *txn to NULL, and must have no open cursors then.
 * After any operation in it fails, only abort is useful.
 */
int db_txn_begin(struct db_env *env, struct db_txn **txn_r,
		 const char **error_r);
/* Durable on return.  On -1 the transaction was aborted. */
int db_txn_commit(struct db_txn **txn, const char **error_r);
/* Written to the kernel on return, durable after db_env_flush(). */
int db_txn_commit_deferred(struct db_txn **txn, const char **error_r);
/* Errors are logged; the transaction is gone either way.  NULL: no-op. */
void db_txn_abort(struct db_txn **txn);
/* Whether an operation in the transaction failed with a deadlock (or a lock
 * it could not get): the caller should abort and start again. */
bool db_txn_deadlocked(const struct db_txn *txn);

/*
 * Runs `fn` in a new transaction and commits it durably when `fn` returns 0.
 * When `fn` returns -1 because of a deadlock, aborts and runs it again after
 * a short random pause, up to 20 times; any other -1 aborts and is returned
 * with fn's error.  `fn` must therefore have no effect outside the
 * transaction, or one that is harmless to repeat.  `attempt` counts from 1.
 */
typedef int db_txn_fn(struct db_txn *txn, unsigned int attempt, void *ctx,
		      const char **error_r);
int db_txn_run(struct db_env *env, db_txn_fn *fn, void *ctx,
	       const char **error_r);
/* The same, committed with db_txn_commit_deferred(): durable only after
 * db_env_flush(), so that many can share one flush. */
int db_txn_run_deferred(struct db_env *env, db_txn_fn *fn, void *ctx,
			const char **error_r);

/*
 * Reads `key`: returns 1 and replaces value_r's contents, 0 when there is
 * no such key (value_r emptied), or -1.
 */
int db_get(struct db *db, struct db_txn *txn, const void *key, size_t key_len,
	   struct buf *value_r, const char **error_r);
/* Like db_get(), but takes the write lock at once: use it before updating
 * what was read, so two read-modify-write transactions queue instead of
 * deadlocking.  Needs a transaction. */
int db_get_for_update(struct db *db, struct db_txn *txn, const void *key,
		      size_t key_len, struct buf *value_r,
		      const char **error_r);
/* Stores `value` under `key`, replacing any old value.  0 or -1. */
int db_put(struct db *db, struct db_txn *txn, const void *key, size_t key_len,
	   const void *value, size_t value_len, const char **error_r);
/* Stores only if `key` is absent: 1 stored, 0 already there, -1 error. */
int db_insert(struct db *db, struct db_txn *txn, const void *key,
	      size_t key_len, const void *value, size_t value_len,
	      const char **error_r);
/* Deletes `key`: 1 deleted, 0 was not there, -1 error. */
int db_del(struct db *db, struct db_txn *txn, const void *key, size_t key_len,
	   const char **error_r);

/*
 * Iterates, in byte order, over the keys that start with `prefix` (length 0:
 * all keys).  Needs a transaction, and must be freed before it ends.
 */
int db_cursor_open(struct db *db, struct db_txn *txn, const void *prefix,
		   size_t prefix_len, struct db_cursor **cursor_r,
		   const char **error_r);
/* The same over the keys from the first at or after `start` to the end of
 * the database: a long walk can go in several transactions, each starting
 * after the last key the one before saw (that key with a NUL appended). */
int db_cursor_open_from(struct db *db, struct db_txn *txn, const void *start,
			size_t start_len, struct db_cursor **cursor_r,
			const char **error_r);
/* The next record: 1 with key_r and value_r replaced, 0 at the end, -1. */
int db_cursor_next(struct db_cursor *cursor, struct buf *key_r,
		   struct buf *value_r, const char **error_r);
/* Deletes the record db_cursor_next() returned last. */
int db_cursor_del(struct db_cursor *cursor, const char **error_r);
void db_cursor_free(struct db_cursor **cursor);

/*
 * Record versions (DESIGN principle 6).  Every stored value starts with one
 * byte giving the version of its layout, 1 to 255 (0 is never written, so a
 * zeroed value is recognised as damage).  Writers start a value with
 * db_record_init(); readers call db_record_check() with the newest version
 * they understand and convert older layouts themselves.
 */
void db_record_init(struct buf *value, uint8_t version);

/*
 * Checks the version byte of `value`, read from `db`: returns 0 with
 * *version_r set, or -1 with an error naming the database, the version and
 * what to do, for an empty value, version 0, or a version above
 * `max_version` (written by a newer sealpost).
 */
int db_record_check(const struct db *db, const struct buf *value,
		    uint8_t max_version, uint8_t *version_r,
		    const char **error_r);

/* The bytes after the version byte of a checked value. */
static inline const unsigned char *db_record_data(const struct buf *value)
{
	return (const unsigned char *)value->data + 1;
}

static inline size_t db_record_len(const struct buf *value)
{
	return value->len - 1;
}

#endif
