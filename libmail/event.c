#include "event.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* How many ready fds one epoll_wait() collects.  More wait for the next
 * round; level-triggering guarantees they are reported again. */
#define EVENT_BATCH 64
#define HEAP_NONE SIZE_MAX

struct event_io {
	struct event_loop *loop;
	int fd;
	unsigned int events;
	event_io_fn *fn;
	void *ctx;
	/* Set when removed during a round: the struct lives until the round
	 * ends because epoll_wait() may have returned it in this batch. */
	bool removed;
	struct event_io *next_dead;
};

struct event_timer {
	struct event_loop *loop;
	uint64_t when;
	uint64_t seq;		/* ties on `when` fire in arming order */
	uint64_t armed_round;
	unsigned int msecs;
	bool repeat;
	size_t heap_index;	/* HEAP_NONE when disarmed */
	event_timer_fn *fn;
	void *ctx;
};

struct event_signal {
	struct event_loop *loop;
	int signo;
	event_signal_fn *fn;
	void *ctx;
	bool removed;
	struct event_signal *next;
};

struct event_loop {
	int epfd;
	uint64_t now_ms;
	uint64_t round;
	uint64_t timer_seq;
	bool running, stop, dispatching;

	struct event_timer **heap;
	size_t heap_len, heap_cap;

	size_t io_count, timer_count, signal_count;
	struct event_io *dead_ios;

	/* One signalfd for every watched signal; its watcher is internal and
	 * does not count as a leftover in event_loop_free(). */
	int sigfd;
	sigset_t sigmask;	/* signals the signalfd reports */
	sigset_t we_blocked;	/* of those, the ones we had to block */
	struct event_io *sig_io;
	struct event_signal *signals;
	bool signals_dirty;
};

static uint64_t event_clock_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		log_panic("clock_gettime(CLOCK_MONOTONIC): %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct event_loop *event_loop_new(void)
{
	struct event_loop *loop = xcalloc(1, sizeof(*loop));

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		log_fatal("epoll_create1: %s", strerror(errno));
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	sigemptyset(&loop->we_blocked);
	loop->now_ms = event_clock_ms();
	return loop;
}

static void event_free_dead(struct event_loop *loop)
{
	while (loop->dead_ios != NULL) {
		struct event_io *io = loop->dead_ios;

		loop->dead_ios = io->next_dead;
		free(io);
	}
}

void event_loop_free(struct event_loop **loopp)
{
	struct event_loop *loop = *loopp;

	if (loop == NULL)
		return;
	if (loop->running)
		log_panic("event_loop_free while the loop runs");
	if (loop->io_count != 0 || loop->timer_count != 0 ||
	    loop->signal_count != 0)
		log_panic("event_loop_free with watchers left: io=%zu "
			  "timer=%zu signal=%zu", loop->io_count,
			  loop->timer_count, loop->signal_count);
	event_free_dead(loop);
	/* The internal signalfd watcher is not counted: it goes with the
	 * signalfd. */
	free(loop->sig_io);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	close(loop->epfd);
	free(loop->heap);
	free(loop);
	*loopp = NULL;
}

uint64_t event_loop_now_ms(struct event_loop *loop)
{
	if (!loop->running)
		loop->now_ms = event_clock_ms();
	return loop->now_ms;
}

void event_loop_stop(struct event_loop *loop)
{
	loop->stop = true;
}

/* ---- fd watchers ---- */

static uint32_t event_to_epoll(unsigned int events)
{
	uint32_t ev = 0;

	if ((events & EVENT_READ) != 0)
		ev |= EPOLLIN | EPOLLRDHUP;
	if ((events & EVENT_WRITE) != 0)
		ev |= EPOLLOUT;
	return ev;
}

static struct event_io *event_io_new(struct event_loop *loop, int fd,
				     unsigned int events, event_io_fn *fn,
				     void *ctx)
{
	struct event_io *io = xcalloc(1, sizeof(*io));
	struct epoll_event ev;

	io->loop = loop;
	io->fd = fd;
	io->events = events;
	io->fn = fn;
	io->ctx = ctx;
	memset(&ev, 0, sizeof(ev));
	ev.events = event_to_epoll(events);
	ev.data.ptr = io;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;

		if (err != ENOMEM && err != ENOSPC)
			log_panic("epoll_ctl(ADD, %d): %s", fd, strerror(err));
		free(io);
		errno = err;
		return NULL;
	}
	return io;
}

struct event_io *event_io_add(struct event_loop *loop, int fd,
			      unsigned int events, event_io_fn *fn, void *ctx)
{
	struct event_io *io = event_io_new(loop, fd, events, fn, ctx);

	if (io != NULL)
		loop->io_count++;
	return io;
}

void event_io_set(struct event_io *io, unsigned int events)
{
	struct epoll_event ev;

	if (io->removed)
		log_panic("event_io_set on a removed watcher");
	if (io->events == events)
		return;
	io->events = events;
	memset(&ev, 0, sizeof(ev));
	ev.events = event_to_epoll(events);
	ev.data.ptr = io;
	if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		log_panic("epoll_ctl(MOD, %d): %s", io->fd, strerror(errno));
}

static void event_io_release(struct event_io *io)
{
	struct event_loop *loop = io->loop;

	if (io->removed)
		log_panic("event watcher removed twice");
	/* EBADF: the owner closed the fd first, which already dropped it
	 * from the epoll set (when it was the last reference). */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL) < 0 &&
	    errno != EBADF && errno != ENOENT)
		log_panic("epoll_ctl(DEL, %d): %s", io->fd, strerror(errno));
	io->removed = true;
	if (loop->dispatching) {
		io->next_dead = loop->dead_ios;
		loop->dead_ios = io;
	} else {
		free(io);
	}
}

void event_io_remove(struct event_io **iop)
{
	struct event_io *io = *iop;

	if (io == NULL)
		return;
	*iop = NULL;
	io->loop->io_count--;
	event_io_release(io);
}

/* ---- timers: a binary min-heap ordered by (when, seq) ---- */

static bool event_timer_before(const struct event_timer *a,
			       const struct event_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void event_heap_place(struct event_loop *loop, size_t i,
			     struct event_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

static void event_heap_up(struct event_loop *loop, size_t i)
{
	struct event_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!event_timer_before(t, loop->heap[parent]))
			break;
		event_heap_place(loop, i, loop->heap[parent]);
		i = parent;
	}
	event_heap_place(loop, i, t);
}

static void event_heap_down(struct event_loop *loop, size_t i)
{
	struct event_timer *t = loop->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    event_timer_before(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!event_timer_before(loop->heap[child], t))
			break;
		event_heap_place(loop, i, loop->heap[child]);
		i = child;
	}
	event_heap_place(loop, i, t);
}

static void event_heap_insert(struct event_loop *loop, struct event_timer *t)
{
	if (loop->heap_len == loop->heap_cap) {
		loop->heap_cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
		loop->heap = xrealloc(loop->heap,
				      loop->heap_cap * sizeof(*loop->heap));
	}
	event_heap_place(loop, loop->heap_len++, t);
	event_heap_up(loop, t->heap_index);
}

static void event_heap_delete(struct event_loop *loop, struct event_timer *t)
{
	size_t i = t->heap_index;
	struct event_timer *last;

	if (i == HEAP_NONE)
		return;
	t->heap_index = HEAP_NONE;
	last = loop->heap[--loop->heap_len];
	if (i == loop->heap_len)
		return;
	event_heap_place(loop, i, last);
	if (i > 0 && event_timer_before(last, loop->heap[(i - 1) / 2]))
		event_heap_up(loop, i);
	else
		event_heap_down(loop, i);
}

static void event_timer_arm(struct event_timer *t, uint64_t when)
{
	struct event_loop *loop = t->loop;

	event_heap_delete(loop, t);
	t->when = when;
	t->seq = ++loop->timer_seq;
	t->armed_round = loop->round;
	event_heap_insert(loop, t);
}

struct event_timer *event_timer_add(struct event_loop *loop, unsigned int msecs,
				    int repeat, event_timer_fn *fn, void *ctx)
{
	struct event_timer *t = xcalloc(1, sizeof(*t));

	t->loop = loop;
	t->msecs = msecs;
	t->repeat = repeat != 0;
	t->fn = fn;
	t->ctx = ctx;
	t->heap_index = HEAP_NONE;
	loop->timer_count++;
	event_timer_arm(t, event_loop_now_ms(loop) + msecs);
	return t;
}

void event_timer_reset(struct event_timer *t)
{
	event_timer_arm(t, event_loop_now_ms(t->loop) + t->msecs);
}

void event_timer_stop(struct event_timer *t)
{
	event_heap_delete(t->loop, t);
}

void event_timer_remove(struct event_timer **tp)
{
	struct event_timer *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	event_heap_delete(t->loop, t);
	t->loop->timer_count--;
	/* Safe to free at once: the expiry pass holds no pointer to a timer
	 * across a callback. */
	free(t);
}

/* Fires every timer due at the cached time.  A repeating timer is re-armed
 * before its callback, so the callback may remove or reset it freely. */
static void event_run_timers(struct event_loop *loop)
{
	while (loop->heap_len > 0 && !loop->stop) {
		struct event_timer *t = loop->heap[0];

		if (t->when > loop->now_ms || t->armed_round == loop->round)
			break;
		if (t->repeat) {
			uint64_t next = t->when + t->msecs;

			/* After a stall, skip the missed ticks rather than
			 * firing them all in a burst. */
			if (next <= loop->now_ms)
				next = loop->now_ms + t->msecs;
			event_timer_arm(t, next);
		} else {
			event_heap_delete(loop, t);
		}
		t->fn(t->ctx);
	}
}

static int event_wait_timeout(struct event_loop *loop)
{
	uint64_t when;

	if (loop->heap_len == 0)
		return -1;
	when = loop->heap[0]->when;
	if (when <= loop->now_ms)
		return 0;
	if (when - loop->now_ms > INT_MAX)
		return INT_MAX;
	return (int)(when - loop->now_ms);
}

/* ---- signals ---- */

static void event_signal_sweep(struct event_loop *loop)
{
	struct event_signal **sp = &loop->signals;

	while (*sp != NULL) {
		struct event_signal *sig = *sp;

		if (sig->removed) {
			*sp = sig->next;
			free(sig);
		} else {
			sp = &sig->next;
		}
	}
	loop->signals_dirty = false;
}

static void event_signal_read(void *ctx, unsigned int events)
{
	struct event_loop *loop = ctx;
	struct signalfd_siginfo info;
	ssize_t n;

	while ((n = read(loop->sigfd, &info, sizeof(info))) ==
	       (ssize_t)sizeof(info)) {
		struct event_signal *sig;

		/* Watchers added by a callback here are appended at the
		 * head, so they miss this signal, as they should. */
		for (sig = loop->signals; sig != NULL; sig = sig->next) {
			if (!sig->removed && sig->signo == (int)info.ssi_signo)
				sig->fn(sig->ctx, sig->signo);
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_panic("read(signalfd): %s", strerror(errno));
}

static void event_signalfd_update(struct event_loop *loop)
{
	int fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK |
			  SFD_CLOEXEC);

	if (fd < 0)
		log_fatal("signalfd: %s", strerror(errno));
	if (loop->sigfd < 0) {
		loop->sigfd = fd;
		loop->sig_io = event_io_new(loop, fd, EVENT_READ,
					    event_signal_read, loop);
		if (loop->sig_io == NULL)
			log_fatal("epoll_ctl(signalfd): %s", strerror(errno));
	}
}

struct event_signal *event_signal_add(struct event_loop *loop, int signo,
				      event_signal_fn *fn, void *ctx)
{
	struct event_signal *sig = xcalloc(1, sizeof(*sig));

	if (sigismember(&loop->sigmask, signo) != 1) {
		sigset_t one, old;

		sigemptyset(&one);
		if (sigaddset(&one, signo) < 0)
			log_panic("event_signal_add: bad signal %d", signo);
		if (sigprocmask(SIG_BLOCK, &one, &old) < 0)
			log_panic("sigprocmask: %s", strerror(errno));
		if (sigismember(&old, signo) != 1)
			sigaddset(&loop->we_blocked, signo);
		sigaddset(&loop->sigmask, signo);
		event_signalfd_update(loop);
	}
	sig->loop = loop;
	sig->signo = signo;
	sig->fn = fn;
	sig->ctx = ctx;
	sig->next = loop->signals;
	loop->signals = sig;
	loop->signal_count++;
	return sig;
}

void event_signal_remove(struct event_signal **sigp)
{
	struct event_signal *sig = *sigp, *other;
	struct event_loop *loop;

	if (sig == NULL)
		return;
	*sigp = NULL;
	loop = sig->loop;
	if (sig->removed)
		log_panic("signal watcher removed twice");
	sig->removed = true;
	loop->signal_count--;
	for (other = loop->signals; other != NULL; other = other->next) {
		if (!other->removed && other->signo == sig->signo)
			break;
	}
	if (other == NULL) {
		sigdelset(&loop->sigmask, sig->signo);
		event_signalfd_update(loop);
		if (sigismember(&loop->we_blocked, sig->signo) == 1) {
			sigset_t one;

			sigemptyset(&one);
			sigaddset(&one, sig->signo);
			sigdelset(&loop->we_blocked, sig->signo);
			if (sigprocmask(SIG_UNBLOCK, &one, NULL) < 0)
				log_panic("sigprocmask: %s", strerror(errno));
		}
	}
	if (loop->dispatching)
		loop->signals_dirty = true;
	else
		event_signal_sweep(loop);
}

void event_loop_fork_child(struct event_loop *loop)
{
	if (sigprocmask(SIG_UNBLOCK, &loop->we_blocked, NULL) < 0)
		log_panic("sigprocmask: %s", strerror(errno));
}

/* ---- the loop ---- */

static unsigned int event_from_epoll(uint32_t ev)
{
	unsigned int events = 0;

	if ((ev & (EPOLLIN | EPOLLRDHUP)) != 0)
		events |= EVENT_READ;
	if ((ev & EPOLLOUT) != 0)
		events |= EVENT_WRITE;
	if ((ev & (EPOLLERR | EPOLLHUP)) != 0)
		events |= EVENT_ERROR;
	return events;
}

static void event_loop_round(struct event_loop *loop)
{
	struct epoll_event evs[EVENT_BATCH];
	int i, n;

	n = epoll_wait(loop->epfd, evs, EVENT_BATCH, event_wait_timeout(loop));
	if (n < 0 && errno != EINTR)
		log_panic("epoll_wait: %s", strerror(errno));
	loop->now_ms = event_clock_ms();
	loop->round++;
	loop->dispatching = true;
	for (i = 0; i < n; i++) {
		struct event_io *io = evs[i].data.ptr;
		unsigned int events;

		if (io->removed)
			continue;
		/* Report only what was asked for, plus errors: a watcher
		 * that dropped EVENT_WRITE earlier in this batch must not
		 * hear about writability. */
		events = event_from_epoll(evs[i].events) &
			(io->events | EVENT_ERROR);
		if (events != 0)
			io->fn(io->ctx, events);
	}
	event_run_timers(loop);
	loop->dispatching = false;
	event_free_dead(loop);
	if (loop->signals_dirty)
		event_signal_sweep(loop);
}

void event_loop_run(struct event_loop *loop)
{
	if (loop->running)
		log_panic("event_loop_run is not reentrant");
	loop->running = true;
	/* A stop asked for before the run (a callback that a start
	 * function called at once, before the caller ran the loop) ends it
	 * at once: clearing it here made such a run wait forever. */
	loop->now_ms = event_clock_ms();
	while (!loop->stop)
		event_loop_round(loop);
	loop->running = false;
	loop->stop = false;
}
