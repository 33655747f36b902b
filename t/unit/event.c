/* Unit tests for libmail/event.c: fds, timers, signals, removal rules. */
#include "tap.h"
#include "buf.h"
#include "event.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct event_loop *loop;

/* ---- timers fire in deadline order, ties in arming order ---- */

struct order_case {
	unsigned int msecs[6];
	size_t count;
	const char *want;	/* labels in firing order */
};

static const struct order_case order_cases[] = {
	{ { 30, 10, 20 }, 3, "bca" },
	{ { 5, 5, 5, 5 }, 4, "abcd" },
	{ { 0, 40, 0, 15, 15, 1 }, 6, "acfdeb" },
	{ { 7 }, 1, "a" },
};

static struct buf fired = BUF_INIT;
static size_t pending;

static void order_fire(void *ctx)
{
	buf_append_char(&fired, *(const char *)ctx);
	if (--pending == 0)
		event_loop_stop(loop);
}

static void test_timer_order(void)
{
	static const char labels[] = "abcdef";
	size_t i, j;

	for (i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		const struct order_case *c = &order_cases[i];
		struct event_timer *t[6];

		buf_clear(&fired);
		pending = c->count;
		for (j = 0; j < c->count; j++)
			t[j] = event_timer_add(loop, c->msecs[j], 0, order_fire,
					       (void *)&labels[j]);
		event_loop_run(loop);
		is_str(buf_cstr(&fired), c->want, "timers fire in order");
		for (j = 0; j < c->count; j++)
			event_timer_remove(&t[j]);
	}
}

/* ---- many timers: the heap keeps order ---- */

/* The deadline an add computes lies between two clock reads taken around
 * it; on a loaded machine the gap between them can be many milliseconds,
 * so each timer carries that window rather than a guess. */
struct window {
	uint64_t lo, hi;
};

static uint64_t last_lo;
static int heap_ok = 1;

static void heap_fire(void *ctx)
{
	const struct window *w = ctx;

	/* Out of order only if this deadline is surely before the last. */
	if (w->hi < last_lo)
		heap_ok = 0;
	last_lo = w->lo;
	if (--pending == 0)
		event_loop_stop(loop);
}

static void test_many_timers(void)
{
	enum { N = 5000 };
	struct event_timer **t = calloc(N, sizeof(*t));
	struct window *win = calloc(N, sizeof(*win));
	size_t i;

	srand(7);
	pending = N;
	for (i = 0; i < N; i++) {
		unsigned int ms = (unsigned int)(rand() % 50);

		/* Outside the loop the clock is read afresh at each add, so
		 * the deadline, not the delay, is what orders them. */
		win[i].lo = event_loop_now_ms(loop) + ms;
		t[i] = event_timer_add(loop, ms, 0, heap_fire, &win[i]);
		win[i].hi = event_loop_now_ms(loop) + ms;
	}
	/* Remove every third before it fires: exercises heap deletion in
	 * the middle. */
	for (i = 0; i < N; i += 3) {
		event_timer_remove(&t[i]);
		pending--;
	}
	event_loop_run(loop);
	ok(heap_ok, "5000 random timers fire in deadline order");
	is_int(pending, 0, "every armed timer fired");
	for (i = 0; i < N; i++)
		event_timer_remove(&t[i]);
	free(t);
	free(win);
}

/* ---- repeat, reset, stop ---- */

static int repeat_count;
static struct event_timer *repeat_timer;

static void repeat_fire(void *ctx)
{
	if (++repeat_count == 4) {
		event_timer_remove(&repeat_timer);
		event_loop_stop(loop);
	}
}

static int reset_fired;
static uint64_t reset_started;
static uint64_t reset_fired_at;

static void reset_fire(void *ctx)
{
	reset_fired++;
	reset_fired_at = event_loop_now_ms(loop);
}

static int kick_count;
static struct event_timer *reset_timer;

static void kick_fire(void *ctx)
{
	/* Keep pushing the idle timer back three times, then let it fire. */
	if (++kick_count <= 3)
		event_timer_reset(reset_timer);
	if (kick_count == 8)
		event_loop_stop(loop);
}

static void test_repeat_reset(void)
{
	struct event_timer *kick, *never;

	repeat_timer = event_timer_add(loop, 2, 1, repeat_fire, NULL);
	event_loop_run(loop);
	is_int(repeat_count, 4, "repeat timer fires until removed in its "
	       "own callback");
	ok(repeat_timer == NULL, "remove clears the pointer");

	reset_started = event_loop_now_ms(loop);
	reset_timer = event_timer_add(loop, 30, 0, reset_fire, NULL);
	kick = event_timer_add(loop, 20, 1, kick_fire, NULL);
	never = event_timer_add(loop, 5, 0, reset_fire, NULL);
	event_timer_stop(never);
	event_loop_run(loop);
	is_int(reset_fired, 1, "one-shot fires once; stopped timer never");
	ok(reset_fired_at - reset_started >= 60 + 30,
	   "reset postpones the deadline");

	/* A fired one-shot stays allocated; reset re-arms it. */
	kick_count = 4;
	event_timer_reset(reset_timer);
	event_loop_run(loop);
	is_int(reset_fired, 2, "reset re-arms a fired one-shot timer");
	event_timer_remove(&kick);
	event_timer_remove(&never);
	event_timer_remove(&reset_timer);
	event_timer_remove(&reset_timer);
	ok(1, "removing NULL is harmless");
}

/* ---- a 0 ms repeating timer does not starve the fds ---- */

static int spin_count;
static int spin_fd_seen;
static struct event_io *spin_io;

static void spin_fire(void *ctx)
{
	if (++spin_count > 1000 || spin_fd_seen)
		event_loop_stop(loop);
}

static void spin_io_cb(void *ctx, unsigned int events)
{
	spin_fd_seen = 1;
}

static void test_zero_repeat(int fds[2])
{
	struct event_timer *t = event_timer_add(loop, 0, 1, spin_fire, NULL);

	spin_io = event_io_add(loop, fds[0], EVENT_READ, spin_io_cb, NULL);
	if (write(fds[1], "x", 1) != 1)
		abort();
	event_loop_run(loop);
	ok(spin_fd_seen && spin_count < 10, "0 ms repeat timer lets fds run");
	event_timer_remove(&t);
	event_io_remove(&spin_io);
	if (read(fds[0], &(char){ 0 }, 1) != 1)
		abort();
}

/* ---- fd readiness ---- */

static void stop_cb(void *ctx)
{
	event_loop_stop(loop);
}

static unsigned int got_events;
static int io_calls;

static void io_cb(void *ctx, unsigned int events)
{
	got_events = events;
	io_calls++;
	event_loop_stop(loop);
}

static void test_io(void)
{
	int fds[2];
	struct event_io *io;
	struct event_timer *guard;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) < 0)
		abort();
	io = event_io_add(loop, fds[0], EVENT_WRITE, io_cb, NULL);
	ok(io != NULL, "io watcher added");
	event_loop_run(loop);
	is_int(got_events, EVENT_WRITE, "empty socket is writable");

	event_io_set(io, EVENT_READ);
	if (write(fds[1], "hi", 2) != 2)
		abort();
	event_loop_run(loop);
	is_int(got_events, EVENT_READ, "data makes it readable");

	/* Nothing requested: only errors are reported.  A guard timer
	 * proves the idle socket stays quiet. */
	if (read(fds[0], (char[2]){ 0 }, 2) != 2)
		abort();
	event_io_set(io, 0);
	io_calls = 0;
	guard = event_timer_add(loop, 20, 0, stop_cb, NULL);
	event_loop_run(loop);
	is_int(io_calls, 0, "interest 0 reports nothing on a healthy fd");
	event_timer_remove(&guard);

	close(fds[1]);
	event_loop_run(loop);
	ok((got_events & EVENT_ERROR) != 0, "hang-up is reported as error");
	event_io_remove(&io);
	ok(io == NULL, "remove clears the pointer");
	close(fds[0]);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) < 0)
		abort();
	test_zero_repeat(fds);
	close(fds[0]);
	close(fds[1]);
}

/* ---- removal from inside callbacks ---- */

struct pair_ctx {
	struct event_io *io[2];
	int calls[2];
};

static void pair_cb(struct pair_ctx *p, int me)
{
	p->calls[me]++;
	/* Both fds are ready in the same epoll batch: whichever runs first
	 * removes both, so the other's already-collected event must be
	 * dropped, not dispatched to freed memory. */
	event_io_remove(&p->io[0]);
	event_io_remove(&p->io[1]);
	event_loop_stop(loop);
}

static void pair_cb0(void *ctx, unsigned int events) { pair_cb(ctx, 0); }
static void pair_cb1(void *ctx, unsigned int events) { pair_cb(ctx, 1); }

static struct event_timer *victim;
static int victim_fired;

static void victim_fire(void *ctx) { victim_fired++; }

static void killer_fire(void *ctx)
{
	event_timer_remove(&victim);
	event_loop_stop(loop);
}

static void test_removal(void)
{
	struct pair_ctx p = { { NULL, NULL }, { 0, 0 } };
	int a[2], b[2];
	struct event_timer *killer;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, b) < 0)
		abort();
	if (write(a[1], "x", 1) != 1 || write(b[1], "x", 1) != 1)
		abort();
	p.io[0] = event_io_add(loop, a[0], EVENT_READ, pair_cb0, &p);
	p.io[1] = event_io_add(loop, b[0], EVENT_READ, pair_cb1, &p);
	event_loop_run(loop);
	is_int(p.calls[0] + p.calls[1], 1,
	       "watcher removed by another callback in the same batch is "
	       "not called");
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);

	/* Same deadline: the first removes the second before it fires. */
	killer = event_timer_add(loop, 5, 0, killer_fire, NULL);
	victim = event_timer_add(loop, 5, 0, victim_fire, NULL);
	event_loop_run(loop);
	is_int(victim_fired, 0, "due timer removed by an earlier one is not "
	       "called");
	event_timer_remove(&killer);
}

/* ---- signals ---- */

static int sig_seen[2];
static struct event_signal *sig_second;

static void sig_cb(void *ctx, int signo)
{
	int which = *(int *)ctx;

	sig_seen[which] = signo;
	event_loop_stop(loop);
}

static void test_signals(void)
{
	static int zero = 0, one = 1;
	struct event_signal *s1, *s2;
	sigset_t mask;

	s1 = event_signal_add(loop, SIGUSR1, sig_cb, &zero);
	s2 = event_signal_add(loop, SIGUSR2, sig_cb, &one);
	sig_second = event_signal_add(loop, SIGUSR1, sig_cb, &one);
	raise(SIGUSR1);
	event_loop_run(loop);
	is_int(sig_seen[0], SIGUSR1, "first SIGUSR1 watcher called");
	is_int(sig_seen[1], SIGUSR1, "second SIGUSR1 watcher called too");
	event_signal_remove(&sig_second);

	sig_seen[0] = sig_seen[1] = 0;
	raise(SIGUSR2);
	event_loop_run(loop);
	is_int(sig_seen[1], SIGUSR2, "SIGUSR2 reaches its watcher");
	is_int(sig_seen[0], 0, "and not the SIGUSR1 one");

	event_signal_remove(&s1);
	event_signal_remove(&s2);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	ok(!sigismember(&mask, SIGUSR1) && !sigismember(&mask, SIGUSR2),
	   "signals unblocked after the last watcher goes");
}

/* ---- panics: misuse aborts (in a child, so we can watch) ---- */

static void io_noop(void *ctx, unsigned int events) { }

static int panics(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		/* Silence the panic line. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(1);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void panic_leftover(void)
{
	struct event_loop *l = event_loop_new();

	event_timer_add(l, 10, 0, victim_fire, NULL);
	event_loop_free(&l);
}

static void panic_same_fd(void)
{
	struct event_loop *l = event_loop_new();
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		_exit(1);
	event_io_add(l, fds[0], EVENT_READ, io_noop, NULL);
	event_io_add(l, fds[0], EVENT_READ, io_noop, NULL);
}

static void panic_reenter_cb(void *ctx)
{
	event_loop_run(ctx);
}

static void panic_reenter(void)
{
	struct event_loop *l = event_loop_new();

	event_timer_add(l, 0, 0, panic_reenter_cb, l);
	event_loop_run(l);
}

/* ---- a stop before the run ---- */

static int early_fired;

static void early_fire(void *ctx)
{
	early_fired++;
	event_loop_stop(loop);
}

static void test_stop_before_run(void)
{
	struct event_timer *t = event_timer_add(loop, 10, 0, early_fire, NULL);

	/* As when a start function finishes at once and its callback stops
	 * the loop before the caller runs it: the run must not wait. */
	event_loop_stop(loop);
	event_loop_run(loop);
	is_int(early_fired, 0, "a stop asked for before the run ends it at once");
	/* That stop was used up: the next run waits for the timer. */
	event_loop_run(loop);
	is_int(early_fired, 1, "and only that run: the next one runs");
	event_timer_remove(&t);
}

int main(void)
{
	loop = event_loop_new();
	test_stop_before_run();
	test_io();
	test_timer_order();
	test_many_timers();
	test_repeat_reset();
	test_removal();
	test_signals();
	event_loop_free(&loop);
	ok(loop == NULL, "loop freed cleanly with no watchers left");

	ok(panics(panic_leftover), "freeing a loop with a watcher panics");
	ok(panics(panic_same_fd), "two watchers on one fd panics");
	ok(panics(panic_reenter), "running a loop from its callback panics");
	buf_free(&fired);
	return tap_done();
}
