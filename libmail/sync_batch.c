/* A two-phase set of syncs run on a thread (see sync_batch.h). */
#include "sync_batch.h"
#include "buf.h"
#include "event.h"
#include "sync_many.h"
#include "self_pid.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

struct sync_batch_file {
	dev_t dev;
	ino_t ino;
	enum sync_batch_phase phase;
};

struct sync_batch {
	/* items[i] and files[i] describe one file; items is what
	 * sync_many() takes, a phase's items contiguous once sorted. */
	struct sync_many_item *items;
	struct sync_batch_file *files;
	size_t count, alloc;
	struct sync_batch *next;	/* in the worker's queue */
	bool running;			/* queued or being synced */
	int notify_fd;
	int result;
};

struct sync_batch *sync_batch_new(void)
{
	struct sync_batch *b = xcalloc(1, sizeof(*b));

	b->notify_fd = -1;
	return b;
}

void sync_batch_free(struct sync_batch **bp)
{
	struct sync_batch *b = *bp;
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->count; i++)
		close(b->items[i].fd);
	free(b->items);
	free(b->files);
	free(b);
	*bp = NULL;
}

int sync_batch_add(struct sync_batch *b, int fd, enum sync_batch_phase phase,
		   bool data_only)
{
	struct stat st;
	size_t i;
	int dup_fd;

	if (fstat(fd, &st) < 0)
		return -1;
	/* Few items (one per file a round touched): a scan is enough. */
	for (i = 0; i < b->count; i++) {
		if (b->files[i].dev == st.st_dev && b->files[i].ino == st.st_ino) {
			/* A folder's fsync covers a data sync too; a file
			 * named by a log is synced in the earlier phase. */
			if (!data_only)
				b->items[i].data_only = false;
			if (phase < b->files[i].phase)
				b->files[i].phase = phase;
			return (int)i;
		}
	}
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return -1;
	if (b->count == b->alloc) {
		b->alloc = b->alloc ? b->alloc * 2 : 16;
		b->items = xrealloc(b->items, b->alloc * sizeof(*b->items));
		b->files = xrealloc(b->files, b->alloc * sizeof(*b->files));
	}
	b->items[b->count].fd = dup_fd;
	b->items[b->count].data_only = data_only;
	b->items[b->count].error = 0;
	b->files[b->count].dev = st.st_dev;
	b->files[b->count].ino = st.st_ino;
	b->files[b->count].phase = phase;
	return (int)b->count++;
}

size_t sync_batch_count(const struct sync_batch *b)
{
	return b->count;
}

/* Syncs the items of one phase, gathered into a scratch array (the items
 * keep their numbers) and their outcome copied back. */
static int sync_batch_phase(struct sync_batch *b, enum sync_batch_phase phase,
			    struct sync_many_item *scratch, size_t *map)
{
	size_t i, n = 0;
	int ret;

	for (i = 0; i < b->count; i++) {
		if (b->files[i].phase == phase) {
			scratch[n] = b->items[i];
			map[n++] = i;
		}
	}
	if (n == 0)
		return 0;
	ret = sync_many(scratch, n);
	for (i = 0; i < n; i++)
		b->items[map[i]].error = scratch[i].error;
	return ret;
}

int sync_batch_run(struct sync_batch *b)
{
	struct sync_many_item *scratch;
	size_t *map;
	int ret = 0;

	if (b->count == 0)
		return 0;
	scratch = xcalloc(b->count, sizeof(*scratch));
	map = xcalloc(b->count, sizeof(*map));
	/* The logs are synced even when a file failed: a log holds every
	 * change of its mailbox, most of them not the failed one's. */
	if (sync_batch_phase(b, SYNC_BATCH_NAMES, scratch, map) < 0)
		ret = -1;
	if (sync_batch_phase(b, SYNC_BATCH_LOGS, scratch, map) < 0)
		ret = -1;
	free(scratch);
	free(map);
	return ret;
}

/*
 * The process's sync thread: made by the first sync_batch_start() and
 * kept, fed batches through a queue, so a commit costs no thread creation (and join) on the caller's
 * loop.  A child made by fork() has no thread of its parent's: it makes
 * its own.
 */
struct sync_worker {
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* a batch queued */
	pthread_cond_t done;	/* a batch finished */
	struct sync_batch *head, **tail;
	pid_t pid;		/* the process the thread runs in */
};

#define SYNC_WORKER_INIT { \
	.lock = PTHREAD_MUTEX_INITIALIZER, \
	.wake = PTHREAD_COND_INITIALIZER, \
	.done = PTHREAD_COND_INITIALIZER, \
}
static struct sync_worker sync_worker = SYNC_WORKER_INIT;

static void sync_batch_notify(struct sync_batch *b)
{
	uint64_t one = 1;

	/* An eventfd takes 8 bytes; a pipe takes them as well.  Nothing
	 * to do if it fails: the pipe cannot be full (one batch at a
	 * time). */
	while (write(b->notify_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *sync_worker_thread(void *arg)
{
	struct sync_worker *w = arg;
	struct sync_batch *b;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->head == NULL)
			pthread_cond_wait(&w->wake, &w->lock);
		b = w->head;
		w->head = b->next;
		if (w->head == NULL)
			w->tail = &w->head;
		pthread_mutex_unlock(&w->lock);
		b->result = sync_batch_run(b);
		pthread_mutex_lock(&w->lock);
		/* Finished before notified: sync_batch_finish() on the
		 * notification never waits. */
		b->running = false;
		pthread_cond_broadcast(&w->done);
		sync_batch_notify(b);
	}
	return NULL;
}

/* Called with the lock held. */
static int sync_worker_ensure(struct sync_worker *w)
{
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	if (w->pid == self_pid())
		return 0;
	/* A fork's child: whatever the parent had queued is not ours. */
	w->head = NULL;
	w->tail = &w->head;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&thread, &attr, sync_worker_thread, w);
	pthread_attr_destroy(&attr);
	if (err != 0)
		return err;
	w->pid = self_pid();
	return 0;
}

int sync_batch_start(struct sync_batch *b, int notify_fd)
{
	struct sync_worker *w = &sync_worker;
	int err;

	b->notify_fd = notify_fd;
	b->next = NULL;
	pthread_mutex_lock(&w->lock);
	err = sync_worker_ensure(w);
	if (err == 0) {
		b->running = true;
		*w->tail = b;
		w->tail = &b->next;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

int sync_batch_finish(struct sync_batch *b)
{
	struct sync_worker *w = &sync_worker;

	pthread_mutex_lock(&w->lock);
	while (b->running)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	return b->result;
}

int sync_batch_error(const struct sync_batch *b, int item)
{
	if (item < 0 || (size_t)item >= b->count)
		return EBADF;
	return b->items[item].error;
}

struct sync_batch_loop {
	int efd;
	struct event_io *io;
	struct sync_batch *batch;	/* the running one */
	sync_batch_done_fn *done;
	void *ctx;
};

/* The batch is over (the thread has notified, or is known to have):
 * collects it and hands it to done. */
static void sync_batch_loop_end(struct sync_batch_loop *l)
{
	struct sync_batch *b = l->batch;
	uint64_t count;
	int ret;

	/* Emptied, so the loop does not call again for this batch; the
	 * notification was written before sync_batch_finish() can return
	 * (under the worker's lock), so none comes late. */
	ret = sync_batch_finish(b);
	if (read(l->efd, &count, sizeof(count)) < 0) {
		/* EAGAIN: already read by the loop. */
	}
	l->batch = NULL;
	l->done(l->ctx, b, ret);
}

static void sync_batch_loop_ready(void *ctx, unsigned int events)
{
	struct sync_batch_loop *l = ctx;

	if (l->batch != NULL)
		sync_batch_loop_end(l);
}

struct sync_batch_loop *sync_batch_loop_new(struct event_loop *loop,
					    sync_batch_done_fn *done,
					    void *ctx)
{
	struct sync_batch_loop *l = xcalloc(1, sizeof(*l));
	int e;

	l->done = done;
	l->ctx = ctx;
	l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->efd < 0) {
		free(l);
		return NULL;
	}
	l->io = event_io_add(loop, l->efd, EVENT_READ, sync_batch_loop_ready,
			     l);
	if (l->io == NULL) {
		e = errno;
		close(l->efd);
		free(l);
		errno = e;
		return NULL;
	}
	return l;
}

void sync_batch_loop_free(struct sync_batch_loop **lp)
{
	struct sync_batch_loop *l = *lp;

	if (l == NULL)
		return;
	*lp = NULL;
	if (l->batch != NULL) {
		/* Its thread still reads the batch's descriptors. */
		(void)sync_batch_finish(l->batch);
		sync_batch_free(&l->batch);
	}
	event_io_remove(&l->io);
	close(l->efd);
	free(l);
}

int sync_batch_loop_start(struct sync_batch_loop *l, struct sync_batch *b)
{
	uint64_t one = 1;
	int e;

	l->batch = b;
	if (sync_batch_start(b, l->efd) == 0)
		return 0;
	/* No thread: the same syncs here, their end told to the loop as
	 * the thread would have told it (a write of 1 to an eventfd fails
	 * only on a counter overflow). */
	e = errno;
	b->result = sync_batch_run(b);
	if (write(l->efd, &one, sizeof(one)) < 0) {
		/* Nothing else to tell it with. */
	}
	errno = e;
	return -1;
}

bool sync_batch_loop_busy(const struct sync_batch_loop *l)
{
	return l->batch != NULL;
}

void sync_batch_loop_drain(struct sync_batch_loop *l)
{
	if (l->batch != NULL)
		sync_batch_loop_end(l);
}
