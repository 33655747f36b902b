/* Unit tests for libmail/self_pid.c: the remembered process ID is the
 * kernel's, in the process, in a thread of it, and in a child of fork()
 * after the parent had asked. */
#include "tap.h"
#include "self_pid.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *from_thread(void *arg)
{
	*(pid_t *)arg = self_pid();
	return NULL;
}

int main(void)
{
	pthread_t thread;
	pid_t in_thread = 0, child;
	int status;

	is_int((int)self_pid(), (int)getpid(), "the process's own ID");
	is_int((int)self_pid(), (int)getpid(), "and again, remembered");
	if (pthread_create(&thread, NULL, from_thread, &in_thread) != 0 ||
	    pthread_join(thread, NULL) != 0)
		abort();
	is_int((int)in_thread, (int)getpid(), "the same from another thread");
	fflush(stdout);
	child = fork();
	if (child == 0)
		_exit(self_pid() == getpid() ? 0 : 1);
	ok(child > 0 && waitpid(child, &status, 0) == child &&
	   WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a child of fork() has its own, not its parent's");
	is_int((int)self_pid(), (int)getpid(), "the parent's is unchanged");
	return tap_done();
}
