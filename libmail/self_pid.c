/* This process's ID, remembered (see self_pid.h). */
#include "self_pid.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

static _Atomic pid_t self_pid_known;
static atomic_bool self_pid_hooked;

/* In the child of fork(), before anything else runs there. */
static void self_pid_forget(void)
{
	atomic_store_explicit(&self_pid_known, 0, memory_order_relaxed);
}

pid_t self_pid(void)
{
	pid_t pid;

	/* Two threads may both register the handler: forgetting twice is
	 * harmless. */
	if (!atomic_load_explicit(&self_pid_hooked, memory_order_acquire)) {
		if (pthread_atfork(NULL, NULL, self_pid_forget) != 0)
			return getpid();
		atomic_store_explicit(&self_pid_hooked, true,
				      memory_order_release);
	}
	pid = atomic_load_explicit(&self_pid_known, memory_order_relaxed);
	if (pid == 0) {
		pid = getpid();
		atomic_store_explicit(&self_pid_known, pid,
				      memory_order_relaxed);
	}
	return pid;
}
