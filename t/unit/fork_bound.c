/* Unit tests for libmail/fork_bound.c: a child made by fork_bound() is
 * killed when its parent is, and goes on while the parent lives; one made
 * by plain fork() outlives a killed parent (what the test would miss if
 * the binding were gone). */
#include "tap.h"
#include "fork_bound.h"

#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A middle process makes a child (bound or not) that waits for ever,
 * tells the child's pid through `fd`, and waits to be killed. */
static _Noreturn void middle(int fd, bool bound)
{
	pid_t child = bound ? fork_bound() : fork();

	if (child == 0) {
		for (;;)
			pause();
	}
	if (child < 0 || write(fd, &child, sizeof(child)) != sizeof(child))
		_exit(1);
	for (;;)
		pause();
}

/* Whether process `pid` (not ours) ends within `ms`. */
static bool ends_within(pid_t pid, int ms)
{
	struct pollfd pfd = { .events = POLLIN };
	int n;

	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd.fd < 0)
		return true;	/* gone already */
	n = poll(&pfd, 1, ms);
	close(pfd.fd);
	return n > 0;
}

/* Kills the middle process once its child is there; returns the child's
 * pid, or -1. */
static pid_t run(bool bound)
{
	int p[2];
	pid_t mid, child = -1;

	if (pipe(p) < 0)
		abort();
	fflush(stdout);
	if ((mid = fork()) == 0)
		middle(p[1], bound);
	if (read(p[0], &child, sizeof(child)) != sizeof(child))
		child = -1;
	close(p[0]);
	close(p[1]);
	if (child > 0)
		ok(kill(child, 0) == 0,
		   bound ? "a bound child lives while its parent does" :
		   "a plain child lives while its parent does");
	kill(mid, SIGKILL);
	(void)waitpid(mid, NULL, 0);
	return child;
}

int main(void)
{
	pid_t child;

	child = run(true);
	ok(child > 0 && ends_within(child, 10000),
	   "a bound child is killed with its parent");
	child = run(false);
	ok(child > 0 && !ends_within(child, 300),
	   "a plain child outlives it (the test can tell)");
	if (child > 0)
		kill(child, SIGKILL);
	return tap_done();
}
