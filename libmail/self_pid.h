#ifndef SEALPOST_SELF_PID_H
#define SEALPOST_SELF_PID_H

#include <sys/types.h>

/* This process's ID, asked of the kernel once per process rather than on
 * every call (a system call each, paid on every database call and log
 * line): a child of fork() forgets the parent's, so its first call asks
 * again.  Safe from any thread. */
pid_t self_pid(void);

#endif
