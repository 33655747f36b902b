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

/* Runs until event_loop_stop() is called from a callback. */
void event_loop_run(struct event_loop *loop);
void event_loop_stop(struct event_loop *loop);

/* Milliseconds on the monotonic clock, cached once per loop iteration. */
uint64_t event_loop_now_ms(struct event_loop *loop);

/* Watches `fd` for `events` (EVENT_READ and/or EVENT_WRITE; 0 is allowed
 * and means only errors).  The fd is not closed by the loop. */
struct event_io *event_io_add(struct event_loop *loop, int fd,
			      unsigned int events, event_io_fn *fn, void *ctx);
void event_io_set(struct event_io *io, unsigned int events);
/* Stops watching and sets *io to NULL; NULL is allowed. */
void event_io_remove(struct event_io **io);

/* Calls `fn` after `msecs`; once, or every `msecs` when `repeat` is set. */
struct event_timer *event_timer_add(struct event_loop *loop, unsigned int msecs,
				    int repeat, event_timer_fn *fn, void *ctx);
/* Restarts the countdown from now (for idle timeouts). */
void event_timer_reset(struct event_timer *timer);
void event_timer_remove(struct event_timer **timer);

/* Blocks `signo` for normal delivery and reports it through the loop. */
struct event_signal *event_signal_add(struct event_loop *loop, int signo,
				      event_signal_fn *fn, void *ctx);
void event_signal_remove(struct event_signal **sig);

#endif
