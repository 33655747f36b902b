/* Syncs in parallel (see sync_many.h).  Threads are made per call: a call
 * syncs a batch of deliveries, whose syncs cost far more than starting a
 * few threads, and no thread lingers between batches. */
#include "sync_many.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

struct sync_many_ctx {
	struct sync_many_item *items;
	size_t n;
	atomic_size_t next;
};

static void *sync_many_worker(void *arg)
{
	struct sync_many_ctx *c = arg;
	size_t i;

	while ((i = atomic_fetch_add(&c->next, 1)) < c->n) {
		struct sync_many_item *it = &c->items[i];
		int ret = it->data_only ? fdatasync(it->fd) : fsync(it->fd);

		it->error = ret < 0 ? errno : 0;
	}
	return NULL;
}

int sync_many(struct sync_many_item *items, size_t n)
{
	struct sync_many_ctx c;
	pthread_t threads[SYNC_MANY_THREADS];
	size_t i, started = 0, want = n > 0 ? n - 1 : 0;

	c.items = items;
	c.n = n;
	atomic_init(&c.next, 0);
	if (want > SYNC_MANY_THREADS)
		want = SYNC_MANY_THREADS;
	/* A file and its folder (a lone delivery) gain nothing from a
	 * thread but its cost. */
	if (n <= 2)
		want = 0;
	/* A thread that cannot be made leaves its share to the others. */
	while (started < want &&
	       pthread_create(&threads[started], NULL, sync_many_worker, &c) == 0)
		started++;
	sync_many_worker(&c);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < n; i++) {
		if (items[i].error != 0)
			return -1;
	}
	return 0;
}
