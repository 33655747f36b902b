/* Unit tests for libmail/sync_many.c: many syncs at once, each one's
 * outcome reported on its own item.  (Off an event loop: sync_batch.c.) */
#include "tap.h"
#include "proc_self.h"
#include "sync_many.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The work sync_many_beside() ran beside the syncs: on which thread, how
 * often, and what it returned. */
struct beside {
	pthread_t thread;
	int calls;
	int ret;
};

static int beside_fn(void *arg)
{
	struct beside *b = arg;

	b->thread = pthread_self();
	b->calls++;
	return b->ret;
}

/* Twenty items (19 files and their folder) for a second caller. */
static struct sync_many_item other[20];

static void *other_caller(void *arg)
{
	int *result = arg;

	for (int round = 0; round < 50; round++) {
		if (sync_many(other, 20) < 0)
			*result = -1;
	}
	return NULL;
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
	/* The helping threads are kept, not made for each call. */
	is_int(sync_many_kept_threads(), SYNC_MANY_THREADS,
	       "the helping threads are kept");
	is_int(thread_count(), 1 + SYNC_MANY_THREADS, "and only they");
	for (i = 0; i < 20; i++)
		ok_all = sync_many(items, 20) == 0 && ok_all;
	ok(ok_all, "twenty calls more succeed");
	is_int(thread_count(), 1 + SYNC_MANY_THREADS, "on the same threads");
	/* A batch of three files wants two helpers: the other kept
	 * threads sleep through it. */
	{
		long tid0[16], sw0[16], tid1[16], sw1[16];
		int n0, n1, a, b, woken = 0;

		/* The helpers of the last call may still be on their way
		 * back to sleep: wait until two looks agree. */
		n0 = thread_switches(tid0, sw0, 16);
		for (int tries = 0; tries < 1000; tries++) {
			struct timespec ms = { 0, 1000000 };

			nanosleep(&ms, NULL);
			n1 = thread_switches(tid1, sw1, 16);
			if (n1 == n0 && memcmp(sw0, sw1, sizeof(long) * n0) == 0)
				break;
			n0 = thread_switches(tid0, sw0, 16);
		}
		ok_all = sync_many(items, 3) == 0;
		n1 = thread_switches(tid1, sw1, 16);
		for (a = 0; a < n1; a++) {
			if (tid1[a] == (long)getpid())
				continue;
			for (b = 0; b < n0; b++)
				woken += tid0[b] == tid1[a] && sw0[b] != sw1[a];
		}
		ok(ok_all && n0 == n1, "a batch of three succeeds");
		if (!ok(woken <= 2, "and wakes at most two helpers")) {
			char msg[64];

			snprintf(msg, sizeof(msg), "woke %d", woken);
			tap_diag(msg);
		}
	}
	/* Two callers at once: one has the kept threads, the other makes
	 * its own for the call; both get every sync done. */
	{
		pthread_t t;
		int other_result = 0, mine = 0;

		memcpy(other, items, sizeof(other));
		if (pthread_create(&t, NULL, other_caller, &other_result) != 0)
			abort();
		for (int round = 0; round < 50; round++) {
			if (sync_many(items, 20) < 0)
				mine = -1;
		}
		pthread_join(t, NULL);
		ok(mine == 0 && other_result == 0,
		   "two callers at once both succeed");
	}
	/* A fork's child has none of the parent's threads: it makes its
	 * own and they work. */
	{
		pid_t pid;
		int status;

		fflush(stdout);
		if ((pid = fork()) == 0)
			_exit(sync_many(items, 20) == 0 &&
			      sync_many_kept_threads() == SYNC_MANY_THREADS &&
			      thread_count() == 1 + SYNC_MANY_THREADS ? 0 : 1);
		ok(pid > 0 && waitpid(pid, &status, 0) == pid &&
		   WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "a child of fork() syncs on threads of its own");
	}
	/* Work of the caller's own beside the syncs: on the caller's
	 * thread, once, and its failure fails the call. */
	{
		struct beside b = { .ret = 0 };

		for (i = 0; i < 20; i++)
			items[i].error = -1;
		is_int(sync_many_beside(items, 20, beside_fn, &b), 0,
		       "syncs beside the caller's work succeed");
		ok_all = 1;
		for (i = 0; i < 20; i++)
			ok_all = ok_all && items[i].error == 0;
		ok(ok_all && b.calls == 1 &&
		   pthread_equal(b.thread, pthread_self()),
		   "every item synced; the work ran once, on the caller's "
		   "thread");
		items[0].error = -1;
		is_int(sync_many_beside(items, 1, beside_fn, &b), 0,
		       "one item beside the work (a helper takes it)");
		ok(items[0].error == 0 && b.calls == 2, "both done");
		is_int(sync_many_beside(items, 0, beside_fn, &b), 0,
		       "no item: only the work");
		is_int(b.calls, 3, "which ran");
		b.ret = -1;
		is_int(sync_many_beside(items, 20, beside_fn, &b), -1,
		       "work that fails fails the call");
		is_int(items[19].error, 0, "the syncs still done");
	}
	/* One that fails does not hide the others' outcome. */
	close(items[7].fd);
	items[7].fd = -1;
	is_int(sync_many(items, 20), -1, "a failed sync fails the call");
	is_int(items[7].error, EBADF, "on its own item");
	is_int(items[6].error, 0, "the others still succeed");
	is_int(items[19].error, 0, "the folder too");
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
