#include "file_readers.h"
#include "buf.h"
#include "file_prefetch.h"
#include "uring.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The files live in a window of `window` entries, by ever-growing index:
 *
 *   head ........ claim ........ ready ........ tail
 *   being read or done  submitted,    added, not
 *   (or taken, at head) not claimed   submitted
 *
 * A helper claims up to FR_BATCH entries from `claim`, opens their files,
 * submits their reads in one call and closes the descriptors (a read
 * submitted holds its file: see file_prefetch.c), and claims more while
 * it has fewer than FR_DEPTH reads in flight, so that opening the next
 * batch overlaps reading the last.  The caller adds at `tail`, takes at
 * `head`, and skips entries nobody claimed without waiting for them.
 * Everything here but the reads' bytes is under `lock`; an entry's buffer
 * is written by the kernel while it is READING and read by the caller
 * once it is DONE, which it learns under the lock.
 */
#define FR_BATCH 32
#define FR_DEPTH 128

enum fr_state {
	FR_QUEUED,
	FR_READING,
	FR_DONE,
};

struct fr_entry {
	char name[FILE_READERS_NAME_MAX];
	size_t len;
	size_t tag;
	char *buf;		/* NULL: too big to keep, read into the
				 * helper's scratch buffer */
	size_t cap;
	enum fr_state state;
	int res;		/* bytes read, or -errno */
};

struct fr_helper {
	struct file_readers *r;
	pthread_t thread;
	struct uring ring;
	char *scratch;		/* FILE_PREFETCH_MAX_LEN bytes nobody reads */
	unsigned int in_flight;	/* reads submitted, not yet completed */
};

struct file_readers {
	int dir_fd;
	unsigned int window, nhelpers;
	struct fr_entry *entries;
	struct fr_helper *helpers;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* the helpers': entries ready, or stop */
	pthread_cond_t done;	/* the caller's: an entry was read */
	uint64_t head, claim, ready, tail;
	bool taken;		/* the entry at head is handed out */
	bool stop;
	unsigned int cached_run;
	unsigned int reserved;	/* counted in fr_live_helpers */
};

static struct fr_entry *fr_entry(struct file_readers *r, uint64_t i)
{
	return &r->entries[i % r->window];
}

/* Records reads that completed (with the lock held). */
static void fr_reap(struct fr_helper *h)
{
	struct file_readers *r = h->r;
	struct io_uring_cqe *cqe;

	while ((cqe = uring_cqe(&h->ring)) != NULL) {
		struct fr_entry *e = fr_entry(r, cqe->user_data);

		e->res = cqe->res;
		e->state = FR_DONE;
		uring_cqe_seen(&h->ring);
		h->in_flight--;
	}
}

/* How many bytes of the entry's file are read: all that were asked for,
 * or the start of a file too big to keep. */
static size_t fr_read_len(const struct fr_entry *e)
{
	return e->buf == NULL && e->len > FILE_PREFETCH_MAX_LEN ?
		FILE_PREFETCH_MAX_LEN : e->len;
}

/* Queues a read of entry i's file, open as `fd`. */
static void fr_queue_read(struct fr_helper *h, uint64_t i, int fd,
			  int rw_flags)
{
	struct fr_entry *e = fr_entry(h->r, i);
	struct io_uring_sqe *sqe = uring_sqe(&h->ring);
	size_t len = fr_read_len(e);

	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)(e->buf != NULL ? e->buf : h->scratch);
	sqe->len = (uint32_t)len;
	sqe->off = 0;
	sqe->rw_flags = rw_flags;
	sqe->user_data = i;
}

/*
 * Reads entries [first, first + n), claimed by this helper, and returns
 * with the lock held.  The reads are first asked with RWF_NOWAIT, which
 * io_uring answers inside the submitting call: the bytes where the file
 * is cached, else EAGAIN (having started the disk read), or the bytes of
 * the pages cached before the first that is not.  Those that got EAGAIN
 * or fewer bytes than the caller expects (one less than asked for, or
 * all asked for) are asked again to wait, in one more call.  So a batch tells exactly whether its
 * files were cached (a read of a cold file can also finish inside the
 * call on a fast disk, which would pass for cached), for the price of a
 * second system call per batch read from the disk.
 */
static void fr_read_batch(struct fr_helper *h, uint64_t first, unsigned int n)
{
	struct file_readers *r = h->r;
	struct io_uring_cqe *cqe;
	int fds[FR_BATCH];
	uint64_t again[FR_BATCH];
	unsigned int i, queued = 0, took, nagain = 0, failed = 0;

	for (i = 0; i < n; i++) {
		fds[i] = openat(r->dir_fd, fr_entry(r, first + i)->name,
				O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			fr_entry(r, first + i)->res = -errno;
			failed++;
			continue;
		}
		fr_queue_read(h, first + i, fds[i], RWF_NOWAIT);
		queued++;
	}
	took = queued > 0 ? uring_submit(&h->ring, 0) : 0;
	h->in_flight += took;
	/* What the kernel did not take was taken back from the queue: the
	 * last ones queued.  Their turn reads them. */
	for (i = n; i > 0 && queued > took; i--) {
		if (fds[i - 1] >= 0) {
			fr_entry(r, first + i - 1)->res = -EAGAIN;
			failed++;
			queued--;
		}
	}
	pthread_mutex_lock(&r->lock);
	while ((cqe = uring_cqe(&h->ring)) != NULL) {
		struct fr_entry *e = fr_entry(r, cqe->user_data);

		if (cqe->user_data >= first && cqe->user_data - first < n &&
		    (cqe->res == -EAGAIN ||
		     (cqe->res >= 0 &&
		      (size_t)cqe->res + 1 < fr_read_len(e))))
			again[nagain++] = cqe->user_data;
		else {
			e->res = cqe->res;
			e->state = FR_DONE;
		}
		uring_cqe_seen(&h->ring);
		h->in_flight--;
	}
	r->cached_run = nagain == 0 && queued == took && failed == 0 ?
		r->cached_run + n : 0;
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < nagain; i++)
		fr_queue_read(h, again[i], fds[again[i] - first], 0);
	took = nagain > 0 ? uring_submit(&h->ring, 0) : 0;
	h->in_flight += took;
	for (i = took; i < nagain; i++)
		fr_entry(r, again[i])->res = -EAGAIN;
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < n; i++) {
		struct fr_entry *e = fr_entry(r, first + i);

		if (e->res < 0 && e->state != FR_DONE)
			e->state = FR_DONE;
	}
	fr_reap(h);
	pthread_cond_broadcast(&r->done);
}

static void *fr_helper_main(void *arg)
{
	struct fr_helper *h = arg;
	struct file_readers *r = h->r;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		if (!r->stop && r->claim < r->ready &&
		    h->in_flight + FR_BATCH <= FR_DEPTH) {
			uint64_t first = r->claim;
			unsigned int n = r->ready - first < FR_BATCH ?
				(unsigned int)(r->ready - first) : FR_BATCH;

			r->claim += n;
			for (unsigned int i = 0; i < n; i++)
				fr_entry(r, first + i)->state = FR_READING;
			pthread_mutex_unlock(&r->lock);
			fr_read_batch(h, first, n);	/* returns locked */
			continue;
		}
		if (h->in_flight > 0) {
			pthread_mutex_unlock(&r->lock);
			(void)uring_submit(&h->ring, 1);
			pthread_mutex_lock(&r->lock);
			fr_reap(h);
			pthread_cond_broadcast(&r->done);
			continue;
		}
		if (r->stop)
			break;
		pthread_cond_wait(&r->work, &r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* The helpers of every file_readers of the process, counted when they
 * are asked for: many SEARCHes at once each get helpers only while there
 * are few, and the others read ahead from their own thread. */
static unsigned int fr_live_helpers;

static bool fr_reserve(unsigned int threads, unsigned int process_max)
{
	unsigned int live = __atomic_load_n(&fr_live_helpers, __ATOMIC_RELAXED);

	do {
		if (threads > process_max || live > process_max - threads)
			return false;
	} while (!__atomic_compare_exchange_n(&fr_live_helpers, &live,
					      live + threads, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

struct file_readers *file_readers_new(int dir_fd, unsigned int threads,
				      unsigned int window,
				      unsigned int process_max)
{
	struct file_readers *r;
	sigset_t all, old;
	unsigned int i;

	if (threads < 1 || threads > FILE_READERS_MAX_THREADS ||
	    !fr_reserve(threads, process_max))
		return NULL;
	if (window < FR_BATCH)
		window = FR_BATCH;
	r = xcalloc(1, sizeof(*r));
	r->dir_fd = dir_fd;
	r->window = window;
	r->reserved = threads;
	r->entries = xcalloc(window, sizeof(*r->entries));
	r->helpers = xcalloc(threads, sizeof(*r->helpers));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	/* The helpers take no signal: the event loop's thread does. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < threads; i++) {
		struct fr_helper *h = &r->helpers[i];

		h->r = r;
		if (uring_init(&h->ring, FR_DEPTH) < 0)
			break;
		h->scratch = xmalloc(FILE_PREFETCH_MAX_LEN);
		if (pthread_create(&h->thread, NULL, fr_helper_main, h) != 0) {
			uring_deinit(&h->ring);
			free(h->scratch);
			break;
		}
		r->nhelpers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r->nhelpers < threads) {
		file_readers_free(&r);
		return NULL;
	}
	return r;
}

void file_readers_free(struct file_readers **rp)
{
	struct file_readers *r = *rp;
	unsigned int i;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->lock);
	/* A helper leaves once its reads in flight are done. */
	for (i = 0; i < r->nhelpers; i++) {
		pthread_join(r->helpers[i].thread, NULL);
		uring_deinit(&r->helpers[i].ring);
		free(r->helpers[i].scratch);
	}
	for (i = 0; i < r->window; i++)
		free(r->entries[i].buf);
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->work);
	pthread_mutex_destroy(&r->lock);
	free(r->entries);
	free(r->helpers);
	__atomic_sub_fetch(&fr_live_helpers, r->reserved, __ATOMIC_RELAXED);
	free(r);
	*rp = NULL;
}

unsigned int file_readers_room(struct file_readers *r)
{
	unsigned int room;

	pthread_mutex_lock(&r->lock);
	room = r->window - (unsigned int)(r->tail - r->head);
	pthread_mutex_unlock(&r->lock);
	return room;
}

void file_readers_add(struct file_readers *r, const char *name, size_t len,
		      size_t tag)
{
	struct fr_entry *e;

	pthread_mutex_lock(&r->lock);
	/* Past head, the entry's last read is done and nobody holds it. */
	e = fr_entry(r, r->tail);
	/* A name too long is left empty, so its open fails and its turn
	 * reads it. */
	(void)str_copy(e->name, sizeof(e->name), name);
	e->len = len;
	e->tag = tag;
	e->res = 0;
	e->state = FR_QUEUED;
	if (len <= FILE_READERS_KEEP_MAX) {
		if (e->cap < len || e->buf == NULL) {
			free(e->buf);
			e->buf = xmalloc(len > 0 ? len : 1);
			e->cap = len > 0 ? len : 1;
		}
	} else {
		free(e->buf);
		e->buf = NULL;
		e->cap = 0;
	}
	r->tail++;
	pthread_mutex_unlock(&r->lock);
}

/* With the lock held. */
static void fr_submit_locked(struct file_readers *r)
{
	if (r->ready < r->tail) {
		r->ready = r->tail;
		pthread_cond_broadcast(&r->work);
	}
}

void file_readers_submit(struct file_readers *r)
{
	pthread_mutex_lock(&r->lock);
	fr_submit_locked(r);
	pthread_mutex_unlock(&r->lock);
}

const char *file_readers_take(struct file_readers *r, size_t tag,
			      size_t *len_r)
{
	const char *data = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->taken) {
		r->head++;
		r->taken = false;
	}
	while (r->head < r->tail) {
		struct fr_entry *e = fr_entry(r, r->head);

		if (e->tag > tag)
			break;
		if (e->tag < tag && r->head >= r->claim) {
			/* Nobody reads it: drop it unread. */
			r->claim = r->head + 1;
			if (r->ready < r->claim)
				r->ready = r->claim;
			r->head++;
			continue;
		}
		if (e->state != FR_DONE) {
			fr_submit_locked(r);
			pthread_cond_wait(&r->done, &r->lock);
			continue;
		}
		if (e->tag < tag) {
			r->head++;
			continue;
		}
		if (e->buf != NULL && e->res >= 0) {
			data = e->buf;
			*len_r = (size_t)e->res;
		}
		r->taken = true;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return data;
}

unsigned int file_readers_cached_run(struct file_readers *r)
{
	unsigned int n;

	pthread_mutex_lock(&r->lock);
	n = r->cached_run;
	pthread_mutex_unlock(&r->lock);
	return n;
}
