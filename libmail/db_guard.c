/*
 * The watch on calls into Berkeley DB (see db_set_stuck_handler in db.h).
 *
 * A process killed while it held one of the environment's mutexes leaves
 * that mutex held for ever, and the library waits on its mutexes without
 * a bound.  failchk cleans up after a dead process only where the library
 * thought to ask whether the holder is alive, and a single-threaded daemon
 * blocked inside a call cannot run its own checks at all.  So the process
 * keeps a thread that looks, once a second, at whether a call that began
 * more than the limit ago is still in progress; if so the environment is
 * wedged and only a recovery with every process gone can free it, which
 * the handler arranges (the store exits for the master to restart
 * everything, see store.h).
 *
 * The calls are counted, not timed: entering and leaving a call is two
 * relaxed atomic additions and no clock, so the watch costs the hot paths
 * nothing measurable.  A call is stuck when the count of calls begun has
 * not moved for the whole limit while one is in progress.
 */
#include "db_private.h"
#include "log.h"
#include "self_pid.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static atomic_uint db_guard_inside;	/* calls in progress */
static atomic_ulong db_guard_begun;	/* calls begun, ever */
static _Atomic(const char *) db_guard_what;
static atomic_uint db_guard_timeout_s;
static _Atomic(db_stuck_fn *) db_guard_handler;
/* The process whose thread watches: a child of fork() has no thread. */
static pid_t db_guard_pid;

void db_call_begin(const char *what)
{
	atomic_store_explicit(&db_guard_what, what, memory_order_relaxed);
	atomic_fetch_add_explicit(&db_guard_begun, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&db_guard_inside, 1, memory_order_relaxed);
}

void db_call_end(void)
{
	atomic_fetch_sub_explicit(&db_guard_inside, 1, memory_order_relaxed);
}

static void *db_guard_main(void *arg)
{
	const struct timespec second = { 1, 0 };
	unsigned long seen = 0;
	unsigned int still = 0;

	(void)arg;
	for (;;) {
		unsigned int limit;
		unsigned long begun;
		db_stuck_fn *handler;

		(void)nanosleep(&second, NULL);
		limit = atomic_load(&db_guard_timeout_s);
		begun = atomic_load(&db_guard_begun);
		if (limit == 0 || atomic_load(&db_guard_inside) == 0 ||
		    begun != seen) {
			seen = begun;
			still = 0;
			continue;
		}
		if (++still < limit)
			continue;
		handler = atomic_load(&db_guard_handler);
		if (handler != NULL)
			handler(atomic_load(&db_guard_what), still);
		still = 0;
	}
	return NULL;
}

void db_set_stuck_handler(unsigned int timeout_s, db_stuck_fn *fn)
{
	pthread_attr_t attr;
	pthread_t thread;
	pid_t pid = self_pid();

	atomic_store(&db_guard_timeout_s, timeout_s);
	atomic_store(&db_guard_handler, fn);
	if (timeout_s == 0 || fn == NULL || db_guard_pid == pid)
		return;
	/* A small stack: the thread only sleeps, compares and calls the
	 * handler, which logs a line and exits. */
	if (pthread_attr_init(&attr) != 0)
		return;
	(void)pthread_attr_setstacksize(&attr, 256 * 1024);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, db_guard_main, NULL) == 0)
		db_guard_pid = pid;
	else
		log_warn("db_guard_failed", "detail=no thread for the watch "
			 "on stuck calls");
	pthread_attr_destroy(&attr);
}
