#ifndef SEALPOST_FORK_BOUND_H
#define SEALPOST_FORK_BOUND_H

#include <sys/types.h>

/* fork() for a short-lived helper child that must not outlive its parent:
 * the child holds all the parent had open (a lock file among them, whose
 * lock then stays taken while the child lives), so it is killed with
 * SIGKILL when the thread that forked it ends, the parent's death
 * included, even one before the binding was made.  Returns as fork()
 * does; a child that cannot be bound exits at once (status 127). */
pid_t fork_bound(void);

#endif
