/* Unit tests for libmail/sync_many.c: many syncs at once, each one's
 * outcome reported on its own item; and sync_many_job.c: the same off an
 * event loop, its end reported once, from the loop. */
#include "tap.h"
#include "sync_many.h"
#include "sync_many_job.h"
#include "event.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job_state {
	struct event_loop *loop;
	struct sync_many_item *items;
	unsigned int done_calls;
	int item7_error, item6_error;
};

static void job_done(void *ctx)
{
	struct job_state *st = ctx;

	st->done_calls++;
	/* Read here: the items must be final when done runs. */
	st->item7_error = st->items[7].error;
	st->item6_error = st->items[6].error;
	event_loop_stop(st->loop);
}

static void job_timeout(void *ctx)
{
	event_loop_stop(ctx);
}

/* items[7] is closed (fd -1); the others are files and a folder. */
static void job_tests(struct sync_many_item *items)
{
	struct job_state st;
	struct sync_many_job *job;
	struct event_timer *guard;
	size_t i;

	memset(&st, 0, sizeof(st));
	st.loop = event_loop_new();
	st.items = items;
	for (i = 0; i < 20; i++)
		items[i].error = -1;
	st.item7_error = st.item6_error = -1;
	job = sync_many_job_start(st.loop, items, 20, job_done, &st);
	ok(job != NULL, "a job runs on its own thread");
	is_int(st.done_calls, 0, "done is not called before the loop runs");
	guard = event_timer_add(st.loop, 30000, 0, job_timeout, st.loop);
	event_loop_run(st.loop);
	is_int(st.done_calls, 1, "done is called once, from the loop");
	is_int(st.item7_error, EBADF, "a failed sync is on its own item");
	is_int(st.item6_error, 0, "the others succeed");
	event_timer_remove(&guard);
	/* Waiting for a job that is still running never calls done. */
	job = sync_many_job_start(st.loop, items, 6, job_done, &st);
	sync_many_job_wait(&job);
	ok(job == NULL, "a job waited for is gone");
	is_int(st.done_calls, 1, "and its done is never called");
	event_loop_free(&st.loop);
}

int main(void)
{
	char root[] = "/tmp/sealpost-sync-many-XXXXXX";
	struct sync_many_item items[20];
	char path[300];
	size_t i;
	int ok_all = 1;

	if (mkdtemp(root) == NULL)
		abort();
	is_int(sync_many(items, 0), 0, "nothing to sync");
	/* More files than threads, and a folder. */
	memset(items, 0, sizeof(items));
	for (i = 0; i < 19; i++) {
		snprintf(path, sizeof(path), "%s/f%zu", root, i);
		items[i].fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (items[i].fd < 0 || write(items[i].fd, "x", 1) != 1)
			abort();
		items[i].data_only = true;
		items[i].error = -1;
	}
	items[19].fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	items[19].error = -1;
	is_int(sync_many(items, 20), 0, "twenty syncs succeed");
	for (i = 0; i < 20; i++)
		ok_all = ok_all && items[i].error == 0;
	ok(ok_all, "and each says so");
	/* One that fails does not hide the others' outcome. */
	close(items[7].fd);
	items[7].fd = -1;
	is_int(sync_many(items, 20), -1, "a failed sync fails the call");
	is_int(items[7].error, EBADF, "on its own item");
	is_int(items[6].error, 0, "the others still succeed");
	is_int(items[19].error, 0, "the folder too");
	job_tests(items);
	for (i = 0; i < 20; i++) {
		if (items[i].fd >= 0)
			close(items[i].fd);
	}
	for (i = 0; i < 19; i++) {
		snprintf(path, sizeof(path), "%s/f%zu", root, i);
		unlink(path);
	}
	rmdir(root);
	return tap_done();
}
