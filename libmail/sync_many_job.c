/* sync_many() on a thread, its end reported to the event loop through an
 * eventfd (see sync_many_job.h). */
#include "sync_many_job.h"
#include "buf.h"
#include "event.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct sync_many_job {
	struct sync_many_item *items;
	size_t n;
	int efd;
	struct event_io *io;
	pthread_t thread;
	sync_many_done_fn *done;
	void *ctx;
};

static void *sync_many_job_thread(void *arg)
{
	struct sync_many_job *job = arg;
	uint64_t one = 1;

	(void)sync_many(job->items, job->n);
	/* An eventfd write of 1 cannot fail short of a counter overflow. */
	if (write(job->efd, &one, sizeof(one)) < 0) {
		/* Nothing to do from here: the loop would never hear. */
	}
	return NULL;
}

static void sync_many_job_free(struct sync_many_job *job)
{
	pthread_join(job->thread, NULL);
	event_io_remove(&job->io);
	close(job->efd);
	free(job);
}

static void sync_many_job_ready(void *ctx, unsigned int events)
{
	struct sync_many_job *job = ctx;
	sync_many_done_fn *done = job->done;
	void *done_ctx = job->ctx;
	uint64_t count;

	if (read(job->efd, &count, sizeof(count)) < 0)
		return;		/* spurious: the thread has not written yet */
	sync_many_job_free(job);
	done(done_ctx);
}

struct sync_many_job *sync_many_job_start(struct event_loop *loop,
					  struct sync_many_item *items,
					  size_t n, sync_many_done_fn *done,
					  void *ctx)
{
	struct sync_many_job *job = xcalloc(1, sizeof(*job));

	job->items = items;
	job->n = n;
	job->done = done;
	job->ctx = ctx;
	job->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (job->efd >= 0) {
		job->io = event_io_add(loop, job->efd, EVENT_READ,
				       sync_many_job_ready, job);
		if (job->io != NULL &&
		    pthread_create(&job->thread, NULL, sync_many_job_thread,
				   job) == 0)
			return job;
		event_io_remove(&job->io);
		close(job->efd);
	}
	free(job);
	/* Out of threads or descriptors: the same syncs, in this thread. */
	(void)sync_many(items, n);
	done(ctx);
	return NULL;
}

void sync_many_job_wait(struct sync_many_job **jobp)
{
	struct sync_many_job *job = *jobp;

	if (job == NULL)
		return;
	*jobp = NULL;
	sync_many_job_free(job);
}
