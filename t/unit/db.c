/* Unit tests for libmail/db*.c: the Berkeley DB wrapper. */
#include "tap.h"
#include "db.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[512];
static unsigned int recovery_lines, full_recoveries, new_boots;

static void sink(enum log_level level, const char *line)
{
	if (strstr(line, "db_recovery") != NULL)
		recovery_lines++;
	if (strstr(line, "Recovery complete") != NULL)
		full_recoveries++;
	if (strstr(line, "db_new_boot") != NULL)
		new_boots++;
	if (level >= LOG_LEVEL_WARN)
		fprintf(stderr, "%s\n", line);
}

static const char *home_path(const char *name)
{
	static char path[256];

	if (str_format(path, sizeof(path), "%s/%s", root, name) < 0)
		abort();
	return path;
}

static struct db_env *open_env(const char *name, unsigned int schema)
{
	struct db_env_settings set = {
		.home = home_path(name),
		.schema_version = schema,
	};
	struct db_env *env;
	const char *error;

	if (db_env_open(&set, &env, &error) < 0) {
		printf("# db_env_open: %s\n", error);
		return NULL;
	}
	return env;
}

static struct db *open_db(struct db_env *env, const char *name)
{
	struct db *db;
	const char *error;

	if (db_open(env, name, &db, &error) < 0) {
		printf("# db_open: %s\n", error);
		return NULL;
	}
	return db;
}

static int put_str(struct db *db, struct db_txn *txn, const char *key,
		   const char *value)
{
	const char *error;

	if (db_put(db, txn, key, strlen(key), value, strlen(value),
		   &error) < 0) {
		printf("# db_put %s: %s\n", key, error);
		return -1;
	}
	return 0;
}

/* 1 with the value in `out`, 0 if absent, -1 on error. */
static int get_str(struct db *db, struct db_txn *txn, const char *key,
		   struct buf *out)
{
	const char *error;
	int ret = db_get(db, txn, key, strlen(key), out, &error);

	if (ret < 0)
		printf("# db_get %s: %s\n", key, error);
	return ret;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

static void test_settings(void)
{
	struct db_env_settings set = { .home = home_path("bad"),
				       .schema_version = 1 };
	struct db_env *env;
	const char *error;

	set.mode = 0644;
	is_int(db_env_open(&set, &env, &error), -1, "mode 0644 refused");
	ok(strstr(error, "0644") != NULL, "error names the mode");
	set.mode = 0;
	set.schema_version = 0;
	is_int(db_env_open(&set, &env, &error), -1, "schema 0 refused");
	set.schema_version = 1;
	set.cache_size = 4096;
	is_int(db_env_open(&set, &env, &error), -1, "tiny cache refused");
	set.cache_size = 0;
	set.home = "";
	is_int(db_env_open(&set, &env, &error), -1, "empty home refused");
}

static void test_basic(struct db *db)
{
	struct buf v = BUF_INIT;
	const char *error;
	static const char bin_key[] = { 'k', 0, 'x' };
	static const char bin_val[] = { 0, 1, 0, 2 };

	is_int(put_str(db, NULL, "alice", "1"), 0, "put without txn");
	is_int(get_str(db, NULL, "alice", &v), 1, "get finds it");
	is_str(buf_cstr(&v), "1", "get returns the value");
	is_int(get_str(db, NULL, "nobody", &v), 0, "get of a missing key: 0");
	is_int(v.len, 0, "missing key empties the output");
	is_int(put_str(db, NULL, "alice", "2"), 0, "put replaces");
	is_int(get_str(db, NULL, "alice", &v), 1, "get after replace");
	is_str(buf_cstr(&v), "2", "replaced value");
	is_int(db_del(db, NULL, "alice", 5, &error), 1, "del: 1 when there");
	is_int(db_del(db, NULL, "alice", 5, &error), 0, "del: 0 when gone");
	is_int(get_str(db, NULL, "alice", &v), 0, "deleted key is gone");

	is_int(db_insert(db, NULL, "once", 4, "a", 1, &error), 1,
	       "insert of a new key: 1");
	is_int(db_insert(db, NULL, "once", 4, "b", 1, &error), 0,
	       "insert of an existing key: 0");
	is_int(get_str(db, NULL, "once", &v), 1, "get inserted");
	is_str(buf_cstr(&v), "a", "insert did not overwrite");

	is_int(db_put(db, NULL, bin_key, sizeof(bin_key), bin_val,
		      sizeof(bin_val), &error), 0, "binary key and value");
	is_int(db_get(db, NULL, bin_key, sizeof(bin_key), &v, &error), 1,
	       "binary get");
	ok(v.len == sizeof(bin_val) && memcmp(v.data, bin_val, v.len) == 0,
	   "binary value intact, NULs included");
	is_int(db_get(db, NULL, bin_key, 1, &v, &error), 0,
	       "a key is its bytes, not a C string");
	buf_free(&v);
}

/* Collects the keys under `prefix` (with `from`: from `prefix` to the
 * end), joined by spaces. */
static int scan_keys(struct db *db, struct db_txn *txn, const char *prefix,
		     struct buf *keys_r, bool delete_all, bool from)
{
	struct db_cursor *cursor;
	struct buf k = BUF_INIT, v = BUF_INIT;
	const char *error;
	int ret;

	buf_clear(keys_r);
	if ((from ? db_cursor_open_from(db, txn, prefix, strlen(prefix),
					&cursor, &error) :
	     db_cursor_open(db, txn, prefix, strlen(prefix), &cursor,
			    &error)) < 0) {
		printf("# db_cursor_open: %s\n", error);
		return -1;
	}
	while ((ret = db_cursor_next(cursor, &k, &v, &error)) == 1) {
		if (keys_r->len > 0)
			buf_append_char(keys_r, ' ');
		buf_append(keys_r, k.data, k.len);
		if (delete_all && db_cursor_del(cursor, &error) < 0) {
			ret = -1;
			break;
		}
	}
	if (ret < 0)
		printf("# cursor: %s\n", error);
	db_cursor_free(&cursor);
	buf_free(&k);
	buf_free(&v);
	return ret;
}

static int scan(struct db *db, struct db_txn *txn, const char *prefix,
		struct buf *keys_r, bool delete_all)
{
	return scan_keys(db, txn, prefix, keys_r, delete_all, false);
}

static void test_cursor(struct db_env *env)
{
	static const char *const keys[] = {
		"user/alice/INBOX", "user/alice/Sent", "user/alicia/x",
		"user/bob/INBOX", "user/bob/Trash", "user/alice",
		"zz",
	};
	struct db *db = open_db(env, "cursor");
	struct db_txn *txn;
	struct buf seen = BUF_INIT;
	const char *error;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		(void)put_str(db, NULL, keys[i], "v");
	if (db_txn_begin(env, &txn, &error) < 0) {
		ok(0, error);
		return;
	}
	is_int(scan(db, txn, "user/alice/", &seen, false), 0, "prefix scan");
	is_str(buf_cstr(&seen), "user/alice/INBOX user/alice/Sent",
	       "prefix scan: exactly the prefix, in order");
	(void)scan(db, txn, "user/alic", &seen, false);
	is_str(buf_cstr(&seen), "user/alice user/alice/INBOX "
	       "user/alice/Sent user/alicia/x", "a shorter prefix");
	(void)scan(db, txn, "user/carol/", &seen, false);
	is_str(buf_cstr(&seen), "", "no key with the prefix");
	(void)scan(db, txn, "zzz", &seen, false);
	is_str(buf_cstr(&seen), "", "prefix past the last key");
	(void)scan(db, txn, "", &seen, false);
	ok(strncmp(buf_cstr(&seen), "user/alice user/alice/INBOX", 27) == 0 &&
	   strstr(buf_cstr(&seen), " zz") != NULL, "empty prefix: all keys");
	is_int(scan_keys(db, txn, "user/alice/Sf", &seen, false, true), 0,
	       "scan from a key");
	is_str(buf_cstr(&seen), "user/alicia/x user/bob/INBOX user/bob/Trash "
	       "zz", "from the first key after it to the end");
	(void)scan_keys(db, txn, "user/bob/INBOX", &seen, false, true);
	is_str(buf_cstr(&seen), "user/bob/INBOX user/bob/Trash zz",
	       "a key that exists is the first");
	(void)scan_keys(db, txn, "zzz", &seen, false, true);
	is_str(buf_cstr(&seen), "", "from past the last key: none");
	is_int(scan(db, txn, "user/bob/", &seen, true), 0,
	       "delete through the cursor");
	is_str(buf_cstr(&seen), "user/bob/INBOX user/bob/Trash",
	       "deleted what it visited");
	(void)scan(db, txn, "user/bob/", &seen, false);
	is_str(buf_cstr(&seen), "", "deleted records are gone");
	is_int(db_txn_commit(&txn, &error), 0, "commit after cursors");
	ok(txn == NULL, "commit clears the pointer");
	buf_free(&seen);
	db_close(&db);
	ok(db == NULL, "db_close clears the pointer");
}

static void test_abort(struct db_env *env, struct db *db)
{
	struct db_txn *txn;
	struct buf v = BUF_INIT;
	const char *error;

	if (db_txn_begin(env, &txn, &error) < 0) {
		ok(0, error);
		return;
	}
	(void)put_str(db, txn, "aborted1", "x");
	(void)put_str(db, txn, "aborted2", "y");
	is_int(get_str(db, txn, "aborted1", &v), 1,
	       "the transaction sees its own write");
	db_txn_abort(&txn);
	ok(txn == NULL, "abort clears the pointer");
	is_int(get_str(db, NULL, "aborted1", &v), 0, "abort leaves nothing");
	is_int(get_str(db, NULL, "aborted2", &v), 0, "abort leaves nothing 2");
	db_txn_abort(&txn);
	ok(1, "abort of NULL is a no-op");
	buf_free(&v);
}

static void test_records(struct db *db)
{
	struct buf v = BUF_INIT;
	const char *error;
	uint8_t version = 0;

	db_record_init(&v, 2);
	buf_append_str(&v, "payload");
	(void)db_put(db, NULL, "rec", 3, v.data, v.len, &error);
	(void)db_get(db, NULL, "rec", 3, &v, &error);
	is_int(db_record_check(db, &v, 2, &version, &error), 0,
	       "record of a known version");
	is_int(version, 2, "its version");
	ok(db_record_len(&v) == 7 &&
	   memcmp(db_record_data(&v), "payload", 7) == 0, "its payload");
	is_int(db_record_check(db, &v, 1, &version, &error), -1,
	       "record newer than we know refused");
	ok(strstr(error, "version 2") != NULL &&
	   strstr(error, "newer") != NULL && strstr(error, "things") != NULL,
	   "refusal names database, version and cause");
	buf_clear(&v);
	is_int(db_record_check(db, &v, 9, &version, &error), -1,
	       "empty record refused");
	buf_append_char(&v, 0);
	is_int(db_record_check(db, &v, 9, &version, &error), -1,
	       "version 0 refused");
	ok(strstr(error, "damaged") != NULL, "version 0 called damage");
	buf_free(&v);
}

static void test_persistence(void)
{
	struct db_env *env = open_env("main", 1), *again;
	struct db *db = env != NULL ? open_db(env, "things") : NULL;
	struct buf v = BUF_INIT;
	struct stat st;
	const char *error;
	struct db_txn *txn;

	if (db == NULL) {
		ok(0, "reopen main");
		return;
	}
	again = open_env("main", 1);
	ok(again == NULL, "a second open in one process is refused");
	(void)db_txn_begin(env, &txn, &error);
	(void)put_str(db, txn, "durable", "yes");
	is_int(db_txn_commit(&txn, &error), 0, "commit");
	db_env_close(&env);
	ok(env == NULL, "db_env_close clears the pointer");

	env = open_env("main", 1);
	db = env != NULL ? open_db(env, "things") : NULL;
	ok(db != NULL && get_str(db, NULL, "durable", &v) == 1 &&
	   strcmp(buf_cstr(&v), "yes") == 0, "commit survives close+reopen");
	ok(db != NULL && get_str(db, NULL, "aborted1", &v) == 0,
	   "the aborted one stayed away");
	is_int(db_env_schema_version(env), 1, "schema version 1 recorded");

	ok(stat(home_path("main/things.db"), &st) == 0 &&
	   (st.st_mode & 0777) == 0600, "database file mode 0600");
	ok(stat(home_path("main/log.0000000001"), &st) == 0 &&
	   (st.st_mode & 0777) == 0600, "log file mode 0600");
	ok(stat(home_path("main/__db.001"), &st) == 0 &&
	   (st.st_mode & 0777) == 0600, "region file mode 0600");
	db_env_close(&env);
	db_env_close(&env);
	ok(1, "closing NULL is a no-op");
	buf_free(&v);
}

struct upgrade_ctx {
	unsigned int calls, from, to;
	bool fail;
};

static int upgrade(struct db_env *env, struct db_txn *txn, unsigned int from,
		   unsigned int to, void *p, const char **error_r)
{
	struct upgrade_ctx *ctx = p;
	struct db *db;

	ctx->calls++;
	ctx->from = from;
	ctx->to = to;
	if (ctx->fail) {
		*error_r = "converter said no";
		return -1;
	}
	if (db_open(env, "things", &db, error_r) < 0)
		return -1;
	return db_put(db, txn, "upgraded", 8, "2", 1, error_r);
}

static void test_schema(void)
{
	struct upgrade_ctx uctx = { .fail = true };
	struct db_env_settings set = {
		.home = home_path("main"), .schema_version = 2,
		.upgrade = upgrade, .upgrade_ctx = &uctx,
	};
	struct db_env *env;
	struct db *db;
	struct buf v = BUF_INIT;
	const char *error;

	is_int(db_env_open(&set, &env, &error), -1, "failed upgrade: refused");
	ok(strstr(error, "converter said no") != NULL &&
	   strstr(error, "from schema version 1 to 2") != NULL,
	   "failed upgrade: error says which and why");

	uctx.fail = false;
	is_int(db_env_open(&set, &env, &error), 0, "upgrade 1 -> 2");
	ok(uctx.from == 1 && uctx.to == 2, "hook told from and to");
	is_int(db_env_schema_version(env), 2, "schema now 2");
	db = env != NULL ? open_db(env, "things") : NULL;
	ok(db != NULL && get_str(db, NULL, "upgraded", &v) == 1,
	   "the hook's write is committed with the schema");
	db_env_close(&env);

	uctx.calls = 0;
	is_int(db_env_open(&set, &env, &error), 0, "reopen at 2");
	is_int(uctx.calls, 0, "no upgrade when current");
	db_env_close(&env);

	set.schema_version = 1;
	is_int(db_env_open(&set, &env, &error), -1, "newer schema refused");
	ok(strstr(error, "schema version 2") != NULL &&
	   strstr(error, "newer than this program's 1") != NULL,
	   "refusal explains");

	set.schema_version = 3;
	set.upgrade = NULL;
	is_int(db_env_open(&set, &env, &error), -1,
	       "older schema without a hook refused");
	ok(strstr(error, "no upgrade") != NULL, "and says so");
	buf_free(&v);
}

/*
 * A child that commits some records, leaves a transaction open, and dies
 * without closing anything, as a crashed daemon would.
 */
static _Noreturn void crash_child(const char *name)
{
	struct db_env *env = open_env(name, 2);
	struct db *db = env != NULL ? open_db(env, "crash") : NULL;
	struct db_txn *txn;
	const char *error;
	char key[16];
	int i;

	if (db == NULL)
		_exit(2);
	for (i = 1; i <= 5; i++) {
		(void)str_format(key, sizeof(key), "c%d", i);
		if (put_str(db, NULL, key, "committed") < 0)
			_exit(3);
	}
	if (db_txn_begin(env, &txn, &error) < 0 ||
	    put_str(db, txn, "c6", "deferred") < 0 ||
	    db_txn_commit_deferred(&txn, &error) < 0 ||
	    db_env_flush(env, &error) < 0)
		_exit(4);
	if (db_txn_begin(env, &txn, &error) < 0)
		_exit(5);
	for (i = 1; i <= 3; i++) {
		(void)str_format(key, sizeof(key), "u%d", i);
		if (put_str(db, txn, key, "uncommitted") < 0)
			_exit(6);
	}
	_exit(0);
}

/* Whether exactly the crash child's committed records are there, and the
 * dead transaction's locks are gone (if not, the write blocks and the alarm
 * fails the test). */
static bool committed_only(struct db_env *env, struct db *db)
{
	struct buf keys = BUF_INIT;
	struct db_txn *txn;
	const char *error;
	bool good;

	if (db_txn_begin(env, &txn, &error) < 0) {
		printf("# %s\n", error);
		return false;
	}
	(void)scan(db, txn, "", &keys, false);
	db_txn_abort(&txn);
	good = strcmp(buf_cstr(&keys), "c1 c2 c3 c4 c5 c6") == 0;
	if (!good)
		printf("# found: %s\n", buf_cstr(&keys));
	buf_free(&keys);
	return good && put_str(db, NULL, "u1", "mine") == 0;
}

static void expect_committed(struct db_env *env, struct db *db,
			     const char *what)
{
	char name[128];

	(void)str_format(name, sizeof(name), "%s: exactly the committed "
			 "records, and no lock left behind", what);
	ok(committed_only(env, db), name);
}

/* The child dies while this process has the environment open; failchk,
 * as the master would run it, cleans up. */
static void test_crash_failchk(void)
{
	struct db_env *env = open_env("crash1", 2);
	struct db *db = env != NULL ? open_db(env, "crash") : NULL;
	const char *error;
	pid_t pid;
	int status;

	if (db == NULL) {
		ok(0, "open crash1");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0)
		crash_child("crash1");
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "crashing child wrote and died (env open in parent)");
	is_int(db_env_failchk(env, &error), 0,
	       "failchk cleans up after the dead child");
	ok(!db_env_needs_reopen(env), "without needing recovery");
	expect_committed(env, db, "failchk");
	db_env_close(&env);
}

/* The child dies alone; the next open finds that nobody holds a registry
 * slot, so it starts from fresh regions (the dead child may have held one
 * of their mutexes) and runs full recovery from the log. */
static void test_crash_reopen(void)
{
	unsigned int before;
	struct db_env *env;
	struct db *db;
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0)
		crash_child("crash3");
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "crashing child wrote and died (nobody else open)");
	before = full_recoveries;
	env = open_env("crash3", 2);
	ok(env != NULL, "reopen after a dead process");
	ok(full_recoveries > before, "nobody else had it open: full recovery");
	db = env != NULL ? open_db(env, "crash") : NULL;
	if (db != NULL)
		expect_committed(env, db, "reopen");
	db_env_close(&env);
}

/* Dies at the first message the library prints while cleaning up after
 * another dead process: that is, inside the library, mid-failchk. */
static void die_in_library(enum log_level level, const char *line)
{
	if (strstr(line, "db_recovery") != NULL)
		_exit(0);
}

/*
 * The live process of test_live_panic(), in a child of its own because
 * closing a panicked environment leaks some of the library's memory, which
 * the leak checker would blame on the test.  Exits with the number of the
 * first step that went wrong, or 0.
 */
static _Noreturn void live_child(int ready_fd, int go_fd)
{
	struct db_env *env = open_env("panic", 2);
	struct db *db = env != NULL ? open_db(env, "crash") : NULL;
	struct buf v = BUF_INIT;
	const char *error;
	char c = 'r';

	if (db == NULL || write(ready_fd, &c, 1) != 1 ||
	    read(go_fd, &c, 1) != 1)
		_exit(1);
	if (db_env_needs_reopen(env))
		_exit(2);		/* noticed too early */
	if (db_get(db, NULL, "c1", 2, &v, &error) != -1)
		_exit(3);		/* carried on over replaced regions */
	if (!db_env_needs_reopen(env))
		_exit(4);
	db_env_close(&env);
	env = open_env("panic", 2);
	db = env != NULL ? open_db(env, "crash") : NULL;
	if (db == NULL || get_str(db, NULL, "c1", &v) != 1)
		_exit(5);
	db_env_close(&env);
	_exit(0);
}

/*
 * The case failchk cannot handle: a process died inside the library.  The
 * next process to open the environment must run full recovery, and the
 * processes still running are told to reopen rather than carry on over
 * regions that recovery replaced.
 */
static void test_live_panic(void)
{
	int ready[2], go[2], status;
	pid_t live, pid;
	char c = 'g';

	if (pipe(ready) < 0 || pipe(go) < 0) {
		ok(0, "pipe");
		return;
	}
	fflush(stdout);
	if ((live = fork()) == 0)
		live_child(ready[1], go[0]);
	ok(read(ready[0], &c, 1) == 1, "a live process has it open");

	fflush(stdout);
	if ((pid = fork()) == 0)
		crash_child("panic");
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a child dies holding a transaction");

	fflush(stdout);
	if ((pid = fork()) == 0) {
		log_set_sink(die_in_library);
		(void)open_env("panic", 2);
		_exit(1);
	}
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "another dies inside the library, cleaning up after it");

	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct db_env *cenv = open_env("panic", 2);
		struct db *cdb = cenv != NULL ? open_db(cenv, "crash") : NULL;

		if (cdb == NULL || !committed_only(cenv, cdb))
			_exit(1);
		db_env_close(&cenv);
		_exit(0);
	}
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a third process opens: full recovery, committed data intact");

	c = 'g';
	if (write(go[1], &c, 1) != 1)
		ok(0, "pipe");
	status = wait_child(live);
	ok(WIFEXITED(status) && WEXITSTATUS(status) != 2,
	   "the live process had not noticed before its next call");
	ok(WIFEXITED(status) && WEXITSTATUS(status) != 3 &&
	   WEXITSTATUS(status) != 4, "its next call fails and asks for a "
	   "reopen");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "after reopening, it works again");
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

/*
 * SIGKILL a process in the middle of a stream of durable writes, most
 * likely inside the library (in the commit's fsync).  Either failchk can
 * clean up, or it says the environment must be recovered; then a reopen
 * recovers it.  Both ways, every write acknowledged before the kill is
 * there.
 */
static void test_kill_mid_write(void)
{
	struct db_env *env = open_env("killed", 1);
	struct db *db = env != NULL ? open_db(env, "stream") : NULL;
	struct buf v = BUF_INIT;
	const char *error;
	unsigned int acked = 0, n, missing = 0;
	int fds[2], status;
	char key[16];
	pid_t pid;

	if (db == NULL || pipe(fds) < 0) {
		ok(0, "open killed");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct db_env *cenv = open_env("killed", 1);
		struct db *cdb = cenv != NULL ? open_db(cenv, "stream") : NULL;

		close(fds[0]);
		if (cdb == NULL)
			_exit(2);
		for (n = 0;; n++) {
			(void)str_format(key, sizeof(key), "k%05u", n);
			if (put_str(cdb, NULL, key, "acked") < 0 ||
			    write(fds[1], &n, sizeof(n)) != sizeof(n))
				_exit(3);
		}
	}
	close(fds[1]);
	while (acked < 20 && read(fds[0], &n, sizeof(n)) == sizeof(n))
		acked = n + 1;
	kill(pid, SIGKILL);
	status = wait_child(pid);
	while (read(fds[0], &n, sizeof(n)) == sizeof(n))
		acked = n + 1;
	close(fds[0]);
	ok(WIFSIGNALED(status) && acked >= 20, "writer killed mid-stream");

	if (db_env_failchk(env, &error) < 0) {
		tap_diag("failchk: the writer died inside the library");
		ok(db_env_needs_reopen(env), "failchk asks for a reopen");
		db_env_close(&env);
		env = open_env("killed", 1);
		db = env != NULL ? open_db(env, "stream") : NULL;
	} else {
		tap_diag("failchk: the writer died outside the library");
		ok(!db_env_needs_reopen(env), "failchk cleaned up in place");
	}
	ok(db != NULL, "environment usable after the kill");
	for (n = 0; db != NULL && n < acked; n++) {
		(void)str_format(key, sizeof(key), "k%05u", n);
		if (get_str(db, NULL, key, &v) != 1)
			missing++;
	}
	is_int(missing, 0, "every acknowledged write survived");
	ok(db != NULL && put_str(db, NULL, "after", "x") == 0,
	   "and takes writes again");
	buf_free(&v);
	db_env_close(&env);
}

/* The regions are gone (a tmpfs emptied, an admin cleaning up): only the
 * log and what reached the database files are left. */
static void test_crash_recovery(void)
{
	DIR *dir;
	struct dirent *de;
	unsigned int removed = 0, before;
	struct db_env *env;
	struct db *db;
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0)
		crash_child("crash2");
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "crashing child wrote and died (nobody else open)");
	if ((dir = opendir(home_path("crash2"))) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			char path[512];

			if (strncmp(de->d_name, "__db.0", 6) != 0)
				continue;
			(void)str_format(path, sizeof(path), "%s/%s",
					 home_path("crash2"), de->d_name);
			if (unlink(path) == 0)
				removed++;
		}
		closedir(dir);
	}
	ok(removed > 0, "regions removed");

	before = full_recoveries;
	env = open_env("crash2", 2);
	ok(env != NULL, "reopen without regions");
	ok(full_recoveries > before, "full recovery ran, and was logged");
	db = env != NULL ? open_db(env, "crash") : NULL;
	if (db != NULL)
		expect_committed(env, db, "regions lost");
	db_env_close(&env);
}

/*
 * A machine crash: the region files are still there but stale, and the
 * registry lists processes of the previous boot.  A new boot ID must make
 * the next open run full recovery rather than failchk inside the stale
 * regions.
 */
static void test_reboot(void)
{
	static const char old_boot[] =
		"sealpost-db-boot 1\n00000000-0000-0000-0000-000000000000\n";
	unsigned int recoveries, boots;
	struct db_env *env;
	struct db *db;
	FILE *f;
	pid_t pid;
	int status;

	if (access("/proc/sys/kernel/random/boot_id", R_OK) < 0) {
		ok(1, "# SKIP no boot ID on this system");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0)
		crash_child("reboot");
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "crashing child wrote and died");
	if ((f = fopen(home_path("reboot/sealpost.boot"), "w")) != NULL) {
		fputs(old_boot, f);
		fclose(f);
	}
	recoveries = full_recoveries;
	boots = new_boots;
	env = open_env("reboot", 2);
	ok(env != NULL, "first open after the reboot");
	is_int(new_boots, boots + 1, "the reboot was noticed");
	ok(full_recoveries > recoveries, "and full recovery ran");
	db = env != NULL ? open_db(env, "crash") : NULL;
	if (db != NULL)
		expect_committed(env, db, "reboot");
	db_env_close(&env);

	recoveries = full_recoveries;
	env = open_env("reboot", 2);
	ok(env != NULL && new_boots == boots + 1 &&
	   full_recoveries == recoveries,
	   "the next open of the same boot recovers nothing");
	db_env_close(&env);
}

struct counter_ctx {
	struct db *counters, *owners;
	unsigned int child;
	unsigned int n;
};

/* Adds one to a shared counter and records who did it, in one
 * transaction. */
static int bump(struct db_txn *txn, unsigned int attempt, void *p,
		const char **error_r)
{
	struct counter_ctx *ctx = p;
	struct buf v = BUF_INIT;
	uint8_t version;
	unsigned long count = 0;
	char key[32];
	int ret;

	ret = db_get_for_update(ctx->counters, txn, "n", 1, &v, error_r);
	if (ret == 1) {
		if (db_record_check(ctx->counters, &v, 1, &version,
				    error_r) < 0) {
			buf_free(&v);
			return -1;
		}
		count = strtoul((const char *)db_record_data(&v), NULL, 10);
	}
	if (ret < 0) {
		buf_free(&v);
		return -1;
	}
	db_record_init(&v, 1);
	buf_printf(&v, "%lu", count + 1);
	ret = db_put(ctx->counters, txn, "n", 1, v.data, v.len, error_r);
	buf_free(&v);
	if (ret < 0)
		return -1;
	(void)str_format(key, sizeof(key), "p%u/%03u", ctx->child, ctx->n);
	return db_put(ctx->owners, txn, key, strlen(key), "1", 1, error_r);
}

#define CHILDREN 4
#define BUMPS 50

static _Noreturn void counter_child(unsigned int child)
{
	struct db_env *env = open_env("shared", 1);
	struct counter_ctx ctx = { .child = child };
	const char *error;

	if (env == NULL)
		_exit(2);
	ctx.counters = open_db(env, "counters");
	ctx.owners = open_db(env, "owners");
	if (ctx.counters == NULL || ctx.owners == NULL)
		_exit(3);
	for (ctx.n = 0; ctx.n < BUMPS; ctx.n++) {
		if (db_txn_run(env, bump, &ctx, &error) < 0) {
			printf("# child %u: %s\n", child, error);
			fflush(stdout);
			_exit(4);
		}
	}
	db_env_close(&env);
	_exit(0);
}

static void test_concurrent(void)
{
	struct db_env *env = open_env("shared", 1);
	struct db *counters = env != NULL ? open_db(env, "counters") : NULL;
	struct db *owners = env != NULL ? open_db(env, "owners") : NULL;
	struct buf v = BUF_INIT, keys = BUF_INIT;
	struct db_txn *txn;
	const char *error;
	pid_t pids[CHILDREN];
	unsigned int i, good = 0, n_keys = 0;
	uint8_t version;

	if (owners == NULL) {
		ok(0, "open shared");
		return;
	}
	fflush(stdout);
	for (i = 0; i < CHILDREN; i++) {
		if ((pids[i] = fork()) == 0)
			counter_child(i);
	}
	for (i = 0; i < CHILDREN; i++) {
		int status = wait_child(pids[i]);

		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	}
	is_int(good, CHILDREN, "every concurrent process finished");
	ok(db_get(counters, NULL, "n", 1, &v, &error) == 1 &&
	   db_record_check(counters, &v, 1, &version, &error) == 0,
	   "the counter is there");
	is_str((const char *)db_record_data(&v), "200",
	       "no increment lost across processes");
	if (db_txn_begin(env, &txn, &error) == 0) {
		(void)scan(owners, txn, "p", &keys, false);
		db_txn_abort(&txn);
		for (i = 0; i < keys.len; i++)
			n_keys += keys.data[i] == ' ';
		if (keys.len > 0)
			n_keys++;
	}
	is_int(n_keys, CHILDREN * BUMPS, "every process's records are there");
	buf_free(&v);
	buf_free(&keys);
	db_env_close(&env);
}

/*
 * Two processes take locks in opposite order across two databases, with
 * pipes to make sure each holds its first lock before asking for the
 * second: a certain deadlock, which one of them must lose and retry.
 */
struct deadlock_ctx {
	struct db *first, *second;
	const char *me;
	int wait_fd, tell_fd;
	bool leader;
	unsigned int attempts;
};

static int deadlock_txn(struct db_txn *txn, unsigned int attempt, void *p,
			const char **error_r)
{
	struct deadlock_ctx *ctx = p;
	char c = 'x';

	ctx->attempts = attempt;
	if (attempt == 1 && !ctx->leader &&
	    read(ctx->wait_fd, &c, 1) != 1) {
		*error_r = "pipe";
		return -1;
	}
	if (db_put(ctx->first, txn, "x", 1, ctx->me, strlen(ctx->me),
		   error_r) < 0)
		return -1;
	if (attempt == 1) {
		if (write(ctx->tell_fd, &c, 1) != 1 ||
		    (ctx->leader && read(ctx->wait_fd, &c, 1) != 1)) {
			*error_r = "pipe";
			return -1;
		}
	}
	return db_put(ctx->second, txn, "x", 1, ctx->me, strlen(ctx->me),
		      error_r);
}

static _Noreturn void deadlock_child(bool leader, int wait_fd, int tell_fd)
{
	struct db_env *env = open_env("shared", 1);
	struct db *a = env != NULL ? open_db(env, "left") : NULL;
	struct db *b = env != NULL ? open_db(env, "right") : NULL;
	struct deadlock_ctx ctx = {
		.first = leader ? a : b, .second = leader ? b : a,
		.me = leader ? "leader" : "follower",
		.wait_fd = wait_fd, .tell_fd = tell_fd, .leader = leader,
	};
	const char *error;

	if (a == NULL || b == NULL)
		_exit(100);
	if (db_txn_run(env, deadlock_txn, &ctx, &error) < 0) {
		printf("# %s: %s\n", ctx.me, error);
		fflush(stdout);
		_exit(101);
	}
	db_env_close(&env);
	_exit((int)ctx.attempts);
}

static void test_deadlock(void)
{
	int to_follower[2], to_leader[2];
	pid_t leader, follower;
	int s1, s2;
	struct db_env *env;
	struct db *a, *b;
	struct buf va = BUF_INIT, vb = BUF_INIT;

	if (pipe(to_follower) < 0 || pipe(to_leader) < 0) {
		ok(0, "pipe");
		return;
	}
	fflush(stdout);
	if ((leader = fork()) == 0)
		deadlock_child(true, to_leader[0], to_follower[1]);
	if ((follower = fork()) == 0)
		deadlock_child(false, to_follower[0], to_leader[1]);
	close(to_follower[0]);
	close(to_follower[1]);
	close(to_leader[0]);
	close(to_leader[1]);
	s1 = wait_child(leader);
	s2 = wait_child(follower);
	ok(WIFEXITED(s1) && WIFEXITED(s2) && WEXITSTATUS(s1) >= 1 &&
	   WEXITSTATUS(s1) < 100 && WEXITSTATUS(s2) >= 1 &&
	   WEXITSTATUS(s2) < 100, "both sides of the deadlock committed");
	ok(WEXITSTATUS(s1) + WEXITSTATUS(s2) >= 3,
	   "one side was chosen as the victim and retried");
	printf("# attempts: leader %d, follower %d\n", WEXITSTATUS(s1),
	       WEXITSTATUS(s2));

	env = open_env("shared", 1);
	a = env != NULL ? open_db(env, "left") : NULL;
	b = env != NULL ? open_db(env, "right") : NULL;
	ok(a != NULL && b != NULL && get_str(a, NULL, "x", &va) == 1 &&
	   get_str(b, NULL, "x", &vb) == 1 &&
	   strcmp(buf_cstr(&va), buf_cstr(&vb)) == 0,
	   "each transaction was all or nothing");
	buf_free(&va);
	buf_free(&vb);
	db_env_close(&env);
}

static void test_fork_rules(void)
{
	struct db_env *env = open_env("shared", 1);
	struct db *db = env != NULL ? open_db(env, "owners") : NULL;
	struct buf v = BUF_INIT;
	pid_t pid;
	int status;

	if (db == NULL) {
		ok(0, "open shared");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct rlimit no_core = { 0, 0 };
		struct db_txn *txn;
		const char *error;

		(void)setrlimit(RLIMIT_CORE, &no_core);
		log_set_sink(NULL);
		(void)freopen("/dev/null", "w", stderr);
		(void)db_txn_begin(env, &txn, &error);
		_exit(0);
	}
	status = wait_child(pid);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	   "using the parent's handle in a child is a panic");

	fflush(stdout);
	if ((pid = fork()) == 0) {
		db_env_close(&env);
		_exit(env == NULL ? 0 : 1);
	}
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a child may close (forget) the parent's handle");
	ok(get_str(db, NULL, "p0/000", &v) == 1,
	   "the parent's handle still works afterwards");
	buf_free(&v);
	db_env_close(&env);
}

static void test_log_removal(void)
{
	static const char config[] = "set_lg_max 262144\n";
	struct db_env *env;
	struct db *db;
	struct db_txn *txn;
	struct buf big = BUF_INIT;
	const char *error;
	unsigned int i, logs = 0;
	DIR *dir;
	struct dirent *de;
	FILE *f;

	(void)mkdir(home_path("logs"), 0700);
	if ((f = fopen(home_path("logs/DB_CONFIG"), "w")) == NULL) {
		ok(0, "DB_CONFIG");
		return;
	}
	fputs(config, f);
	fclose(f);
	env = open_env("logs", 1);
	db = env != NULL ? open_db(env, "bulk") : NULL;
	if (db == NULL) {
		ok(0, "open logs");
		return;
	}
	for (i = 0; i < 4000; i++)
		buf_append_char(&big, (char)('a' + i % 26));
	for (i = 0; i < 400; i++) {
		char key[16];

		(void)str_format(key, sizeof(key), "k%u", i % 50);
		if (db_txn_begin(env, &txn, &error) < 0 ||
		    db_put(db, txn, key, strlen(key), big.data, big.len,
			   &error) < 0 ||
		    db_txn_commit_deferred(&txn, &error) < 0)
			break;
	}
	is_int(i, 400, "1.6 MB of log written");
	is_int(db_env_flush(env, &error), 0, "flush");
	is_int(db_env_checkpoint(env, true, &error), 0, "checkpoint");
	is_int(db_env_checkpoint(env, false, &error), 0,
	       "unforced checkpoint right after: nothing to do");
	if ((dir = opendir(home_path("logs"))) != NULL) {
		while ((de = readdir(dir)) != NULL)
			logs += strncmp(de->d_name, "log.", 4) == 0;
		closedir(dir);
	}
	ok(logs >= 1 && logs <= 2, "log files no longer needed were removed");
	printf("# %u log files left\n", logs);
	buf_free(&big);
	db_env_close(&env);
}

/* The watch on stuck calls: a child holds a write lock and stops itself;
 * this process's read of the same key then waits, and after the limit the
 * handler is called, on the watch's thread, naming the call.  Here it
 * lets the child go on (a daemon's handler exits instead), so the read
 * returns once the child's transaction is gone. */
static _Atomic unsigned int stuck_calls, stuck_waited;
static _Atomic pid_t stuck_child;
static char stuck_call[64];

static void on_stuck(const char *call, unsigned int waited_s)
{
	(void)str_copy(stuck_call, sizeof(stuck_call), call);
	stuck_waited = waited_s;
	stuck_calls++;
	kill(stuck_child, SIGCONT);
}

static void stuck_lock_child(void)
{
	struct db_env *env = open_env("stuck", 1);
	struct db *db = env != NULL ? open_db(env, "held") : NULL;
	struct db_txn *txn;
	const char *error;

	if (db == NULL || db_txn_begin(env, &txn, &error) < 0)
		_exit(2);
	if (put_str(db, txn, "k", "held") < 0)
		_exit(3);
	raise(SIGSTOP);
	db_txn_abort(&txn);
	db_env_close(&env);
	_exit(0);
}

static void test_stuck_call(void)
{
	struct db_env *env = open_env("stuck", 1);
	struct db *db = env != NULL ? open_db(env, "held") : NULL;
	struct buf value = BUF_INIT;
	int status;
	pid_t pid;

	if (db == NULL) {
		ok(0, "open stuck");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0)
		stuck_lock_child();
	stuck_child = pid;
	ok(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status),
	   "the child holds the key's lock, stopped");
	db_set_stuck_handler(2, on_stuck);
	is_int(get_str(db, NULL, "k", &value), 0,
	       "the read waited for the lock, then found nothing committed");
	is_int((int)stuck_calls, 1, "the watch called the handler once");
	is_str(stuck_call, "DB->get, put or del", "naming the stuck call");
	ok(stuck_waited >= 2, "after the limit of 2 s");
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the child went on and closed");
	is_int(put_str(db, NULL, "k", "mine"), 0, "calls go on quickly");
	is_int(get_str(db, NULL, "k", &value), 1, "and find their data");
	db_set_stuck_handler(0, NULL);
	is_int((int)stuck_calls, 1, "no call was taken for stuck since");
	buf_free(&value);
	db_env_close(&env);
}

int main(void)
{
	struct db_env *env;
	struct db *db;
	const char *error;

	/* A hang (a lock never released) fails the test instead of
	 * blocking prove forever. */
	alarm(120);
	umask(022);
	log_set_sink(sink);
	log_open("t-db", LOG_TARGET_STDERR, LOG_LEVEL_INFO);
	if (str_format(root, sizeof(root), "%s/sealpost-t-db-XXXXXX",
		       getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp") < 0 ||
	    mkdtemp(root) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}

	test_settings();
	env = open_env("main", 1);
	ok(env != NULL, "create an environment");
	db = env != NULL ? open_db(env, "things") : NULL;
	ok(db != NULL, "open a named database");
	if (db == NULL)
		return tap_done();
	is_int(db_open(env, "Bad", &db, &error), -1, "upper case name refused");
	is_int(db_open(env, "../x", &db, &error), -1, "path in name refused");
	db = open_db(env, "things");
	test_basic(db);
	test_cursor(env);
	test_abort(env, db);
	test_records(db);
	db_env_close(&env);

	test_persistence();
	test_schema();
	test_crash_failchk();
	test_crash_reopen();
	test_crash_recovery();
	test_reboot();
	test_kill_mid_write();
	test_live_panic();
	test_concurrent();
	test_deadlock();
	test_fork_rules();
	test_log_removal();
	test_stuck_call();

	(void)nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
