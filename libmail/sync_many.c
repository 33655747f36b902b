/* Syncs in parallel (see sync_many.h).  The helping threads are made once
 * per process and kept: a delivery's batch is small, and making and
 * joining a few threads for each (a clone, a stack mapped and unmapped)
 * cost lmtpd, smtpd and qmgr more CPU than the rest of their system calls
 * for it.  One caller at a time has the kept threads; a second caller at
 * the same moment (imapd syncs on two lanes) makes its own, as all did. */
#include "sync_many.h"
#include "self_pid.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

struct sync_many_ctx {
	struct sync_many_item *items;
	size_t n;
	atomic_size_t next;
	int (*beside)(void *arg);	/* the caller's own work, or NULL */
	void *beside_arg;
	int beside_ret;
};

static void sync_many_worker(struct sync_many_ctx *c)
{
	size_t i;

	while ((i = atomic_fetch_add(&c->next, 1)) < c->n) {
		struct sync_many_item *it = &c->items[i];
		int ret = it->data_only ? fdatasync(it->fd) : fsync(it->fd);

		it->error = ret < 0 ? errno : 0;
	}
}

/* The caller's thread: its own work first, while the helping threads
 * start on the items, then a share of the items. */
static void sync_many_caller(struct sync_many_ctx *c)
{
	if (c->beside != NULL)
		c->beside_ret = c->beside(c->beside_arg);
	sync_many_worker(c);
}

static void *sync_many_thread(void *arg)
{
	sync_many_worker(arg);
	return NULL;
}

/* The kept threads.  `gen` counts the jobs handed out and `slots` says
 * how many threads a job still wants: a thread waits for `gen` to move
 * past the last job it saw, takes a slot if one is left (else lets that
 * job go by), helps, and says it is done; the caller waits for every
 * thread it woke before its job (on its stack) goes away.  Waking only
 * the threads a job can use matters: most batches are a few files, and
 * waking all seven for each made lmtpd ten times the futex calls. */
static struct {
	pthread_mutex_t job;	/* held by the caller using the threads */
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	pid_t pid;		/* the process the threads run in */
	unsigned int count;
	unsigned int running;	/* threads still on the current job */
	unsigned int slots;	/* threads the current job still wants */
	uint64_t gen;
	struct sync_many_ctx *ctx;
} sync_pool = {
	.job = PTHREAD_MUTEX_INITIALIZER,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

static void *sync_pool_thread(void *arg)
{
	uint64_t seen = (uint64_t)(uintptr_t)arg;

	pthread_mutex_lock(&sync_pool.lock);
	for (;;) {
		struct sync_many_ctx *c;

		while (sync_pool.gen == seen || sync_pool.slots == 0) {
			seen = sync_pool.gen;	/* a job with its hands full */
			pthread_cond_wait(&sync_pool.wake, &sync_pool.lock);
		}
		seen = sync_pool.gen;
		sync_pool.slots--;
		c = sync_pool.ctx;
		pthread_mutex_unlock(&sync_pool.lock);
		sync_many_worker(c);
		pthread_mutex_lock(&sync_pool.lock);
		if (--sync_pool.running == 0)
			pthread_cond_signal(&sync_pool.done);
	}
	return NULL;
}

/* Called with the lock held: up to `want` threads in this process.  A
 * fork's child has none of its parent's threads. */
static void sync_pool_grow(unsigned int want)
{
	pthread_attr_t attr;
	pthread_t thread;

	if (sync_pool.pid != self_pid()) {
		sync_pool.pid = self_pid();
		sync_pool.count = 0;
	}
	if (sync_pool.count >= want)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (sync_pool.count < want &&
	       pthread_create(&thread, &attr, sync_pool_thread,
			      (void *)(uintptr_t)sync_pool.gen) == 0)
		sync_pool.count++;
	pthread_attr_destroy(&attr);
}

static void sync_pool_run(struct sync_many_ctx *c, unsigned int want)
{
	unsigned int i;

	pthread_mutex_lock(&sync_pool.lock);
	sync_pool_grow(want);
	sync_pool.ctx = c;
	sync_pool.slots = want < sync_pool.count ? want : sync_pool.count;
	sync_pool.running = sync_pool.slots;
	sync_pool.gen++;
	/* A kept thread is either waiting, and a signal wakes it, or on its
	 * way back to wait (woken for a job already staffed), and then it
	 * sees this one itself: at least `slots` threads look, and exactly
	 * `slots` take one. */
	for (i = 0; i < sync_pool.slots; i++)
		pthread_cond_signal(&sync_pool.wake);
	pthread_mutex_unlock(&sync_pool.lock);
	/* A thread that could not be made leaves its share to the others. */
	sync_many_caller(c);
	pthread_mutex_lock(&sync_pool.lock);
	while (sync_pool.running > 0)
		pthread_cond_wait(&sync_pool.done, &sync_pool.lock);
	pthread_mutex_unlock(&sync_pool.lock);
}

/* The busy case: threads of this call's own. */
static void sync_own_threads(struct sync_many_ctx *c, unsigned int want)
{
	pthread_t threads[SYNC_MANY_THREADS];
	unsigned int i, started = 0;

	while (started < want &&
	       pthread_create(&threads[started], NULL, sync_many_thread,
			      c) == 0)
		started++;
	sync_many_caller(c);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

unsigned int sync_many_kept_threads(void)
{
	unsigned int n;

	pthread_mutex_lock(&sync_pool.lock);
	n = sync_pool.pid == self_pid() ? sync_pool.count : 0;
	pthread_mutex_unlock(&sync_pool.lock);
	return n;
}

int sync_many_beside(struct sync_many_item *items, size_t n,
		     int (*beside)(void *arg), void *arg)
{
	struct sync_many_ctx c;
	size_t i, want;

	c.items = items;
	c.n = n;
	atomic_init(&c.next, 0);
	c.beside = beside;
	c.beside_arg = arg;
	c.beside_ret = 0;
	/* The caller takes an item of its own only when it has nothing
	 * else to do. */
	want = beside != NULL ? n : n > 0 ? n - 1 : 0;
	if (want > SYNC_MANY_THREADS)
		want = SYNC_MANY_THREADS;
	if (want == 0)
		sync_many_caller(&c);
	else if (pthread_mutex_trylock(&sync_pool.job) == 0) {
		sync_pool_run(&c, (unsigned int)want);
		pthread_mutex_unlock(&sync_pool.job);
	} else
		sync_own_threads(&c, (unsigned int)want);
	for (i = 0; i < n; i++) {
		if (items[i].error != 0)
			return -1;
	}
	return c.beside_ret < 0 ? -1 : 0;
}

int sync_many(struct sync_many_item *items, size_t n)
{
	return sync_many_beside(items, n, NULL, NULL);
}
