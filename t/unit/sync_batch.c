/* Unit tests for libmail/sync_batch.c: two phases of syncs on a thread,
 * files told apart by inode, each item's outcome on its own, one thread
 * kept for every batch of the process (a batch queues behind the one
 * running); and struct sync_batch_loop: a batch's end told once, from an
 * event loop.  The test's own fdatasync() stands in
 * for the C library's, so that one file's sync can be held. */
#include "tap.h"
#include "proc_self.h"
#include "sync_batch.h"
#include "sync_many.h"
#include "event.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A file whose fdatasync() waits until `held` is cleared. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static bool held;
static ino_t held_ino;

int fdatasync(int fd);

int fdatasync(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && held_ino != 0 && st.st_ino == held_ino) {
		pthread_mutex_lock(&hold_lock);
		while (held)
			pthread_cond_wait(&hold_cond, &hold_lock);
		pthread_mutex_unlock(&hold_lock);
	}
	return (int)syscall(SYS_fdatasync, fd);
}

/* Runs one batch syncing `fd` on the sync thread, as a commit does. */
static int run_on_thread(int fd, int efd)
{
	struct sync_batch *b = sync_batch_new();
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;
	int ret;

	if (sync_batch_add(b, fd, SYNC_BATCH_LOGS, true) < 0 ||
	    sync_batch_start(b, efd) < 0 || poll(&pfd, 1, 30000) != 1 ||
	    read(efd, &count, sizeof(count)) != sizeof(count)) {
		sync_batch_free(&b);
		return -1;
	}
	ret = sync_batch_finish(b);
	sync_batch_free(&b);
	return ret;
}

/* A batch syncing `fd`, started, notifying `efd`. */
static struct sync_batch *start(int fd, int efd)
{
	struct sync_batch *b = sync_batch_new();

	if (sync_batch_add(b, fd, SYNC_BATCH_LOGS, true) < 0 ||
	    sync_batch_start(b, efd) < 0)
		abort();
	return b;
}

static bool notified(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;

	return poll(&pfd, 1, timeout_ms) == 1 &&
		read(efd, &count, sizeof(count)) == sizeof(count);
}

/* A batch started while one is held waits for it, on the one thread. */
static void queue_tests(int slow, int fast)
{
	int efd1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct sync_batch *b1, *b2;
	struct stat st;

	if (efd1 < 0 || efd2 < 0 || fstat(slow, &st) < 0)
		abort();
	held = true;
	held_ino = st.st_ino;
	b1 = start(slow, efd1);
	b2 = start(fast, efd2);
	ok(!notified(efd2, 0), "a second batch waits for the held one");
	pthread_mutex_lock(&hold_lock);
	held = false;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
	ok(notified(efd1, 30000), "released, the held batch is done");
	ok(notified(efd2, 30000), "and the one behind it");
	is_int(sync_batch_finish(b1) + sync_batch_finish(b2), 0, "both succeeded");
	is_int(thread_count() - (int)sync_many_kept_threads(), 2,
	       "one sync thread (besides sync_many's kept ones)");
	held_ino = 0;
	sync_batch_free(&b1);
	sync_batch_free(&b2);
	close(efd1);
	close(efd2);
}

static int open_file(const char *root, const char *name)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1)
		abort();
	return fd;
}

struct loop_state {
	struct event_loop *loop;
	unsigned int done_calls;
	int result, bad_error, good_error;
	int bad, good;		/* item numbers */
};

static void loop_done(void *ctx, struct sync_batch *b, int result)
{
	struct loop_state *st = ctx;

	st->done_calls++;
	st->result = result;
	/* Read here: the items must be final when done runs. */
	st->bad_error = sync_batch_error(b, st->bad);
	st->good_error = sync_batch_error(b, st->good);
	sync_batch_free(&b);
	event_loop_stop(st->loop);
}

static void loop_timeout(void *ctx)
{
	event_loop_stop(ctx);
}

/* A batch of `bad` (fails) and `good` with its caller's copy of `good`
 * closed at once, as an smtpd session that goes away does. */
static struct sync_batch *loop_batch(struct loop_state *st, int bad, int good)
{
	struct sync_batch *b = sync_batch_new();
	int copy = dup(good);

	st->bad = sync_batch_add(b, bad, SYNC_BATCH_NAMES, true);
	st->good = sync_batch_add(b, copy, SYNC_BATCH_NAMES, true);
	close(copy);
	return b;
}

static void loop_tests(int bad, int good)
{
	struct loop_state st;
	struct sync_batch_loop *l;
	struct event_timer *guard;

	memset(&st, 0, sizeof(st));
	st.loop = event_loop_new();
	st.bad_error = st.good_error = st.result = -2;
	l = sync_batch_loop_new(st.loop, loop_done, &st);
	ok(l != NULL, "a batch loop is made");
	is_int(sync_batch_loop_start(l, loop_batch(&st, bad, good)), 0,
	       "its batch runs on the sync thread");
	is_int(st.done_calls, 0, "done is not called before the loop runs");
	ok(sync_batch_loop_busy(l), "the loop is busy meanwhile");
	guard = event_timer_add(st.loop, 30000, 0, loop_timeout, st.loop);
	event_loop_run(st.loop);
	is_int(st.done_calls, 1, "done is called once, from the loop");
	is_int(st.result, -1, "with the batch's result");
	is_int(st.bad_error, EINVAL, "a failed sync is on its own item");
	is_int(st.good_error, 0, "the other succeeds, its caller's fd gone");
	ok(!sync_batch_loop_busy(l), "and the loop is free again");
	event_timer_remove(&guard);
	/* Drained: waited for, and done called now. */
	(void)sync_batch_loop_start(l, loop_batch(&st, bad, good));
	sync_batch_loop_drain(l);
	is_int(st.done_calls, 2, "a drained batch's done is called at once");
	/* Freed while running (shutting down): done is never called. */
	(void)sync_batch_loop_start(l, loop_batch(&st, bad, good));
	sync_batch_loop_free(&l);
	ok(l == NULL, "a batch loop freed while busy is gone");
	is_int(st.done_calls, 2, "and its batch's done is never called");
	event_loop_free(&st.loop);
}

int main(void)
{
	char root[] = "/tmp/sealpost-sync-batch-XXXXXX";
	struct sync_batch *b;
	struct pollfd pfd;
	uint64_t count = 0;
	int f1, f2, f1again, dir, log, pipefd[2], efd;
	int i1, i2, i1b, idir, ilog, ibad;
	char path[300];

	if (mkdtemp(root) == NULL || pipe(pipefd) < 0)
		abort();
	f1 = open_file(root, "1");
	f2 = open_file(root, "2");
	log = open_file(root, "log");
	snprintf(path, sizeof(path), "%s/1", root);
	f1again = open(path, O_RDONLY | O_CLOEXEC);
	dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	if (f1again < 0 || dir < 0 || efd < 0)
		abort();

	b = sync_batch_new();
	is_int(sync_batch_run(b), 0, "an empty batch succeeds");
	i1 = sync_batch_add(b, f1, SYNC_BATCH_NAMES, true);
	i2 = sync_batch_add(b, f2, SYNC_BATCH_NAMES, true);
	idir = sync_batch_add(b, dir, SYNC_BATCH_NAMES, false);
	ilog = sync_batch_add(b, log, SYNC_BATCH_LOGS, true);
	i1b = sync_batch_add(b, f1again, SYNC_BATCH_LOGS, true);
	ok(i1 >= 0 && i2 >= 0 && idir >= 0 && ilog >= 0, "files added");
	is_int(i1b, i1, "a second descriptor of one file is the same item");
	is_int(sync_batch_count(b), 4, "four distinct files");
	/* The batch holds its own descriptors: the caller's may go. */
	close(f1);
	close(f2);
	close(f1again);
	is_int(sync_batch_start(b, efd), 0, "the batch starts on a thread");
	pfd.fd = efd;
	pfd.events = POLLIN;
	is_int(poll(&pfd, 1, 30000), 1, "the thread notifies when it is done");
	is_int(read(efd, &count, sizeof(count)), sizeof(count), "one eventfd count");
	is_int(count, 1, "of one");
	is_int(sync_batch_finish(b), 0, "every sync succeeded");
	is_int(sync_batch_error(b, i1) + sync_batch_error(b, idir) +
	       sync_batch_error(b, ilog), 0, "and each item says so");
	sync_batch_free(&b);
	ok(b == NULL, "freed");
	is_int(thread_count() - (int)sync_many_kept_threads(), 2,
	       "the sync thread stays, waiting");
	is_int(run_on_thread(log, efd) + run_on_thread(log, efd) +
	       run_on_thread(dir, efd), 0, "three more batches on it");
	is_int(thread_count() - (int)sync_many_kept_threads(), 2,
	       "and no thread was added for them");

	/* A pipe cannot be synced (EINVAL): its item fails, the others,
	 * in both phases, still succeed. */
	b = sync_batch_new();
	ibad = sync_batch_add(b, pipefd[0], SYNC_BATCH_NAMES, true);
	i1 = sync_batch_add(b, dir, SYNC_BATCH_NAMES, false);
	ilog = sync_batch_add(b, log, SYNC_BATCH_LOGS, true);
	is_int(sync_batch_run(b), -1, "a failed sync fails the batch");
	is_int(sync_batch_error(b, ibad), EINVAL, "on its own item");
	is_int(sync_batch_error(b, i1), 0, "the folder still succeeds");
	is_int(sync_batch_error(b, ilog), 0, "the log of the next phase too");
	is_int(sync_batch_error(b, 99), EBADF, "an unknown item is an error");
	sync_batch_free(&b);
	is_int(sync_batch_add(b = sync_batch_new(), -1, SYNC_BATCH_LOGS, true),
	       -1, "a closed descriptor cannot be added");
	sync_batch_free(&b);
	loop_tests(pipefd[0], log);
	f2 = open_file(root, "2");
	queue_tests(f2, log);
	close(f2);

	close(dir);
	close(log);
	close(efd);
	close(pipefd[0]);
	close(pipefd[1]);
	snprintf(path, sizeof(path), "%s/1", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/2", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/log", root);
	unlink(path);
	rmdir(root);
	return tap_done();
}
