/*
 * Cleaning up after dead processes at open, without waiting for ever.
 *
 * When the registry names processes that died without closing the
 * environment while others still have it open, the library's open runs
 * failchk (DB_FAILCHK): it releases what the dead held and the living
 * carry on undisturbed.  But Berkeley DB 5.3 first enters the opening
 * process in its thread table, which takes a region mutex, and when a
 * dead process held that mutex its failchk-aware wait finds the holder
 * dead, decides recovery is needed and tries the mutex again, for ever,
 * spinning on a core.  So that open is tried first in a child process:
 * when the child is done within DBW_FAILCHK_OPEN_MS, the dead are cleaned
 * up and the real open joins as usual; when not, the child is killed and
 * the real open leaves DB_FAILCHK out, which makes the library mark the
 * environment panicked for everyone and recover it from fresh regions (the
 * processes still using it get DB_RUNRECOVERY and reopen, see store.h).
 *
 * Only an open that found dead processes beside live ones pays for the
 * child; with none dead, or all dead (db_boot.c), it is not needed.
 */
#include "db_private.h"
#include "fork_bound.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child: the open the parent would have made, then a close, which
 * also clears the child's own registry slot.  The exit status says
 * whether both went well. */
static void db_failchk_child(const struct db_env *parent,
			     const struct db_env_settings *set,
			     unsigned int flags)
{
	struct db_env *env = db_env_new(set, parent->dev, parent->ino);
	const char *error;
	int ret;

	if (db_env_create(&env->dbenv, 0) != 0 ||
	    db_env_configure(env, set, &error) < 0)
		_exit(2);
	ret = env->dbenv->open(env->dbenv, set->home, flags, (int)env->mode);
	if (ret == 0)
		ret = env->dbenv->close(env->dbenv, 0);
	_exit(ret == 0 ? 0 : 1);
}

/* Waits up to `ms` for the child to end; true with its status.  Without
 * a pidfd (a kernel before 5.3) the wait could not be bounded: false, and
 * the open recovers instead, which is always safe. */
static bool db_failchk_wait(pid_t pid, int ms, int *status_r)
{
	struct pollfd pfd = { .events = POLLIN };
	int n;

	if ((pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		return false;
	while ((n = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
		;
	close(pfd.fd);
	return n > 0 && waitpid(pid, status_r, 0) == pid;
}

bool db_failchk_open_check(struct db_env *env,
			   const struct db_env_settings *set,
			   unsigned int flags)
{
	const char *failed = NULL;
	char reason[128];
	int status = 0;
	pid_t pid;

	/* A child left waiting on the library after its parent was killed
	 * would hold the parent's boot lock (db_boot.c), and every later
	 * open of the store would wait for it for ever. */
	pid = fork_bound();
	if (pid == 0)
		db_failchk_child(env, set, flags);
	if (pid < 0) {
		failed = "found no child to try it in";
	} else if (!db_failchk_wait(pid, DBW_FAILCHK_OPEN_MS, &status)) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		failed = "did not finish";
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		failed = "failed";
	}
	if (failed == NULL)
		return true;
	snprintf(reason, sizeof(reason), "cleaning up after dead processes "
		 "%s; recovering the environment for everyone instead",
		 failed);
	log_warn("db_failchk_open", "home=%s count=%u reason=%s", env->home,
		 env->dead_slots, reason);
	return false;
}
