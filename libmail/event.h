#ifndef SEALPOST_EVENT_H
#define SEALPOST_EVENT_H

/*
 * One event loop per process (epoll): file descriptor watchers, one-shot
 * and repeating timers, and signals delivered as ordinary events (signalfd),
 * so no handler ever runs at an awkward moment.
 *
 * Callbacks run from event_loop_run().  A callback may add or remove any
 * watcher, including its own; a removed watcher's callback is never called
 * again, even if its event was already collected in the same epoll round.
 *
 * Watchers are level-triggered: an fd that stays readable is reported again
 * on every round until it is drained or its interest is dropped.  Timers are
 * kept in a binary heap (O(log n) add, remove and reset), so ten thousand
 * idle sessions each with an idle timer cost nothing per round.  Timers due
 * in the same round fire in deadline order, ties in the order they were
 * armed; a timer armed from a callback never fires in the round it was
 * armed in, so a 0 ms repeating timer cannot starve the fds.
 *
 * None of these functions fail on a peer's behaviour; misuse (a second
 * watcher on one fd, an invalid fd, removing twice) is a panic.
 */

#include <signal.h>
#include <stdint.h>

#define EVENT_READ  0x1u
#define EVENT_WRITE 0x2u
/* Reported, never requested: the peer hung up or the fd has an error. */
#define EVENT_ERROR 0x4u

struct event_loop;
struct event_io;
struct event_timer;
struct event_signal;

typedef void event_io_fn(void *ctx, unsigned int events);
typedef void event_timer_fn(void *ctx);
typedef void event_signal_fn(void *ctx, int signo);

struct event_loop *event_loop_new(void);
/* Frees the loop; every watcher must have been removed first (a leftover is
 * a panic, since its owner would hold a dangling pointer). */
void event_loop_free(struct event_loop **loop);

/* Runs until event_loop_stop() is called from a callback.  Not reentrant:
 * calling it from a callback of the same loop is a panic. */
void event_loop_run(struct event_loop *loop);
/* Makes event_loop_run() return after the current round's callbacks; asked
 * for outside a run, makes the next run return at once. */
void event_loop_stop(struct event_loop *loop);

/* Milliseconds on the monotonic clock, cached once per loop iteration (read
 * afresh when the loop is not running). */
uint64_t event_loop_now_ms(struct event_loop *loop);

/* In a child after fork() and before exec(): unblocks the signals this loop
 * blocked for its signalfd, since a blocked mask survives exec and would
 * leave the new program deaf to SIGTERM.  The loop itself is not touched
 * and must not be used (or freed) in the child. */
void event_loop_fork_child(struct event_loop *loop);

/* Watches `fd` for `events` (EVENT_READ and/or EVENT_WRITE; 0 is allowed
 * and means only errors).  The fd is not closed by the loop; remove the
 * watcher before closing it.  One watcher per fd.  Returns NULL with errno
 * set only when the kernel is out of resources (ENOMEM, ENOSPC from
 * max_user_watches): the caller drops that one connection. */
struct event_io *event_io_add(struct event_loop *loop, int fd,
			      unsigned int events, event_io_fn *fn, void *ctx);
void event_io_set(struct event_io *io, unsigned int events);
/* Stops watching and sets *io to NULL; NULL is allowed. */
void event_io_remove(struct event_io **io);

/* Calls `fn` after `msecs`; once, or every `msecs` when `repeat` is set.
 * A one-shot timer that has fired stays allocated (disarmed) until its owner
 * removes it, so the owner's pointer never dangles; event_timer_reset()
 * arms it again. */
struct event_timer *event_timer_add(struct event_loop *loop, unsigned int msecs,
				    int repeat, event_timer_fn *fn, void *ctx);
/* Restarts the countdown from now (for idle timeouts); also re-arms a fired
 * or stopped timer. */
void event_timer_reset(struct event_timer *timer);
/* Disarms the timer without freeing it; event_timer_reset() re-arms it. */
void event_timer_stop(struct event_timer *timer);
/* Frees the timer (armed or not) and sets *timer to NULL; NULL is allowed. */
void event_timer_remove(struct event_timer **timer);

/* Blocks `signo` for normal delivery and reports it through the loop.
 * Several watchers may share a signal; each is called.  When the last one
 * is removed the signal is unblocked again if the loop had blocked it. */
struct event_signal *event_signal_add(struct event_loop *loop, int signo,
				      event_signal_fn *fn, void *ctx);
void event_signal_remove(struct event_signal **sig);

#endif
