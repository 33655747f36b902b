#include "fork_bound.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

pid_t fork_bound(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* The parent may have died before the binding was made. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	return 0;
}
