/* The store in a long-running process (smtpd, lmtpd, imapd) survives
 * another process's full recovery of the database environment: after one
 * failed call it reopens the environment and works again, instead of
 * failing every call until it is restarted. */
#include "tap.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/store_reopen_test.XXXXXX";
static struct buf home = BUF_INIT;

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

static struct db_env *open_env(void)
{
	struct db_env_settings set = { .home = buf_cstr(&home),
				       .schema_version = 1 };
	struct db_env *env;
	const char *error;

	if (db_env_open(&set, &env, &error) < 0) {
		printf("# db_env_open: %s\n", error);
		return NULL;
	}
	return env;
}

/* Holds the store open across the others' crashes, then uses it.  Exits
 * with the number of the step that went wrong, or 0. */
static _Noreturn void live_child(int ready_fd, int go_fd)
{
	struct store *st;
	const char *error;
	char c = 'r';
	int r1, r2, r3;

	if (store_open(dir, &st, &error) < 0 ||
	    store_user_add(st, "alice", &error) < 0 ||
	    write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(1);
	r1 = store_user_exists(st, "alice", &error);
	r2 = store_user_exists(st, "alice", &error);
	r3 = store_user_exists(st, "bob", &error);
	if (r1 == 1)
		_exit(2);		/* never saw the recovery */
	if (r2 != 1)
		_exit(3);		/* did not come back */
	if (r3 != 0)
		_exit(4);
	store_close(&st);
	_exit(0);
}

/* Dies holding a transaction: the next open must clean up after it. */
static _Noreturn void crash_child(void)
{
	struct db_env *env = open_env();
	struct db *db;
	struct db_txn *txn;
	const char *error;

	if (env == NULL || db_open(env, "crash", &db, &error) < 0 ||
	    db_txn_begin(env, &txn, &error) < 0 ||
	    db_put(db, txn, "k", 1, "v", 1, &error) < 0)
		_exit(2);
	_exit(0);
}

/* Dies at the first message the library prints while cleaning up after
 * the dead one: inside the library, so the next open recovers fully. */
static void die_in_library(enum log_level level, const char *line)
{
	if (strstr(line, "db_recovery") != NULL)
		_exit(0);
}

int main(void)
{
	int ready[2], go[2], status;
	pid_t live, pid;
	char c = 'g';

	ok(mkdtemp(dir) != NULL, "temp dir");
	buf_printf(&home, "%s/db", dir);
	if (pipe(ready) < 0 || pipe(go) < 0)
		return tap_done();
	fflush(stdout);
	if ((live = fork()) == 0)
		live_child(ready[1], go[0]);
	ok(read(ready[0], &c, 1) == 1, "a live process has the store open");

	fflush(stdout);
	if ((pid = fork()) == 0)
		crash_child();
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a process dies holding a transaction");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		log_set_sink(die_in_library);
		(void)open_env();
		_exit(1);
	}
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "another dies inside the library, cleaning up after it");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct db_env *env = open_env();

		db_env_close(&env);
		_exit(0);
	}
	status = wait_child(pid);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a third opens: full recovery");

	c = 'g';
	if (write(go[1], &c, 1) != 1)
		ok(0, "pipe");
	status = wait_child(live);
	ok(WIFEXITED(status) && WEXITSTATUS(status) != 2,
	   "the live store's next call fails: its environment was recovered");
	ok(WIFEXITED(status) && WEXITSTATUS(status) != 3,
	   "the call after that reopens it and works");
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	       "and so does the next");
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ok(system(cmd) == 0, "cleaned up");
	}
	buf_free(&home);
	return tap_done();
}
