/* Unit tests for libmail/sync_batch.c: two phases of syncs on a thread,
 * files told apart by inode, each item's outcome on its own, one thread
 * kept for every batch of the process. */
#include "tap.h"
#include "sync_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The threads of this process, the main one included. */
static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
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
	is_int(thread_count(), 2, "the sync thread stays, waiting");
	is_int(run_on_thread(log, efd) + run_on_thread(log, efd) +
	       run_on_thread(dir, efd), 0, "three more batches on it");
	is_int(thread_count(), 2, "and no thread was added for them");

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
