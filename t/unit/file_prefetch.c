/* Unit tests for libmail/file_prefetch.c: files dropped from the page
 * cache are in it again once their reads are seen finished, by io_uring
 * (where the kernel allows it) and by posix_fadvise(); never more reads
 * in flight than the depth; cached files are read inside the submitting
 * call; kept reads hand each file's own bytes to its taker; no descriptor
 * kept, whether the reads finished, are still in flight when the prefetch
 * is freed, or were never submitted. */
#include "tap.h"
#include "proc_self.h"
#include "buf.h"
#include "file_prefetch.h"
#include "page_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char root[300];

#define FILES 300
#define DEPTH 16
#define FILE_SIZE 6000	/* two pages */

static char paths[FILES][400];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* File i (0-based), open for reading; the test cannot go on without. */
static int open_file(int i)
{
	int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		abort();
	return fd;
}

static bool drop_all(void)
{
	bool all = true;

	for (int i = 0; i < FILES; i++)
		all = page_cache_drop(paths[i]) && all;
	return all;
}

static int cached_files(void)
{
	int n = 0;

	for (int i = 0; i < FILES; i++)
		n += page_cache_pages(paths[i]) == (FILE_SIZE + 4095) / 4096;
	return n;
}

/* Every file through one prefetch, a batch of a quarter of the depth at a
 * time as a SEARCH does; then until every read is seen finished (or ten
 * seconds).  Returns the most reads seen in flight. */
static unsigned int run(struct file_prefetch *p, bool *all_done)
{
	unsigned int most = 0;
	int next = 0;
	double deadline;

	while (next < FILES) {
		unsigned int room = file_prefetch_room(p);

		for (unsigned int k = 0; k < room && k < DEPTH / 4 &&
		     next < FILES; k++) {
			file_prefetch_add(p, open_file(next++), FILE_SIZE);
		}
		file_prefetch_submit(p);
		if (file_prefetch_in_flight(p) > most)
			most = file_prefetch_in_flight(p);
		if (room == 0)
			(void)getppid();	/* enter the kernel: completions */
	}
	deadline = now() + 10;
	while (file_prefetch_room(p) < DEPTH && now() < deadline)
		(void)getppid();
	*all_done = file_prefetch_in_flight(p) == 0;
	return most;
}

/* Whether `data` is file i's (0-based) whole content. */
static bool is_file(const char *data, size_t len, int i)
{
	char head[32];

	snprintf(head, sizeof(head), "file %d\n", i + 1);
	return data != NULL && len == FILE_SIZE &&
		strncmp(data, head, strlen(head)) == 0 &&
		data[FILE_SIZE - 1] == 'm';
}

/* Kept reads as a cold SEARCH makes them: files added ahead as room
 * allows, taken in order, one in five never asked for (the search needed
 * no file for it); then freed with reads in flight. */
static void test_kept(bool uring_allowed)
{
	struct file_prefetch *p;
	const char *data;
	double deadline;
	size_t len;
	int next = 0, i, right = 0, asked = 0, fd;

	ok(drop_all(), "kept reads: dropped again");
	p = file_prefetch_new(DEPTH, FILE_PREFETCH_AUTO);
	for (i = 0; i < FILES; i++) {
		unsigned int room = file_prefetch_room(p);

		for (; room > 0 && next < FILES && next < i + DEPTH; room--) {
			fd = open_file(next);
			/* One byte more than the file: a short read shows
			 * the size is right. */
			file_prefetch_add_kept(p, fd, FILE_SIZE + 1,
					       (size_t)next);
			next++;
		}
		file_prefetch_submit(p);
		if (i % 5 == 4)
			continue;
		asked++;
		data = file_prefetch_take(p, (size_t)i, &len);
		right += is_file(data, len, i);
	}
	if (uring_allowed)
		is_int(right, asked, "kept reads: every file asked for was "
		       "handed out whole, its own bytes");
	else
		is_int(right, 0, "kept reads: none without io_uring");
	ok(file_prefetch_take(p, FILES + 5, &len) == NULL,
	   "kept reads: nothing for a file never added");
	file_prefetch_free(&p);

	ok(drop_all(), "kept reads: dropped again");
	p = file_prefetch_new(DEPTH, FILE_PREFETCH_AUTO);
	for (i = 0; i < DEPTH; i++) {
		fd = open_file(i);
		file_prefetch_add_kept(p, fd, FILE_SIZE + 1, (size_t)i);
	}
	file_prefetch_submit(p);
	ok(file_prefetch_room(p) == 0 || !uring_allowed,
	   "kept reads: done or not, untaken reads hold their room");
	data = file_prefetch_take(p, 3, &len);
	ok(!uring_allowed || is_file(data, len, 3),
	   "kept reads: a later file taken first passes over the earlier");
	/* Those still in flight give it back when they finish. */
	deadline = now() + 10;
	while (file_prefetch_room(p) < 3 && now() < deadline)
		(void)getppid();
	ok(!uring_allowed || file_prefetch_room(p) >= 3,
	   "kept reads: ...which gives their room back");
	file_prefetch_free(&p);	/* with reads perhaps in flight */

	/* Freed with kept reads submitted and others only added. */
	p = file_prefetch_new(DEPTH, FILE_PREFETCH_AUTO);
	for (i = 0; i < DEPTH / 2; i++) {
		fd = open_file(i);
		file_prefetch_add_kept(p, fd, FILE_SIZE + 1, (size_t)i);
		if (i == DEPTH / 4 - 1)
			file_prefetch_submit(p);
	}
	file_prefetch_free(&p);
	ok(p == NULL, "kept reads: freed with some never submitted");
}

int main(void)
{
	struct file_prefetch *p;
	char data[FILE_SIZE];
	bool uring_allowed, done;
	int fds, fd, i, cached;
	unsigned int most;
	double deadline;
	FILE *f;

	if (!page_cache_test_dir("sealpost-file-prefetch-test", root,
				sizeof(root)))
		abort();
	memset(data, 'm', sizeof(data));
	for (i = 0; i < FILES; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%d", root, i + 1);
		/* Each file's own first line, for the kept reads. */
		snprintf(data, sizeof(data), "file %d\n", i + 1);
		data[strlen(data)] = 'm';
		fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data))
			abort();
		close(fd);
	}
	/* io_uring is expected where kernel.io_uring_disabled is 0. */
	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	uring_allowed = f != NULL && fgetc(f) == '0';
	if (f != NULL)
		fclose(f);
	fds = open_fds();

	ok(drop_all() && cached_files() == 0,
	   "the files are dropped from the page cache (the test folder is "
	   "on a disk)");
	p = file_prefetch_new(DEPTH, FILE_PREFETCH_AUTO);
	ok(file_prefetch_uses_uring(p) == uring_allowed,
	   uring_allowed ? "io_uring is used" : "io_uring refused: fadvise");
	most = run(p, &done);
	ok(done, "every read seen finished");
	/* A disk fast enough finishes every read inside its submission:
	 * then none was ever seen in flight, which is no failure. */
	ok(most <= DEPTH, "never more reads in flight than the depth");
	is_int(cached_files(), FILES, "every file is in the page cache");
	file_prefetch_free(&p);
	ok(p == NULL, "freed");
	is_int(open_fds(), fds, "no descriptor kept");

	/* Cached now: io_uring reads them inside the submitting call. */
	p = file_prefetch_new(DEPTH, FILE_PREFETCH_AUTO);
	for (i = 0; i < DEPTH / 2; i++) {
		fd = open_file(i);
		file_prefetch_add(p, fd, FILE_SIZE);
	}
	file_prefetch_submit(p);
	is_int(file_prefetch_in_flight(p), 0,
	       "cached files: nothing left in flight after the submission");
	file_prefetch_free(&p);

	ok(drop_all(), "dropped again");
	p = file_prefetch_new(DEPTH, FILE_PREFETCH_FADVISE);
	ok(!file_prefetch_uses_uring(p), "fadvise when asked for");
	(void)run(p, &done);
	ok(done && file_prefetch_in_flight(p) == 0,
	   "fadvise keeps nothing in flight");
	/* WILLNEED starts the reads and returns: wait for them. */
	deadline = now() + 10;
	while ((cached = cached_files()) < FILES && now() < deadline)
		(void)getppid();
	is_int(cached, FILES, "every file is in the page cache");
	file_prefetch_free(&p);
	is_int(open_fds(), fds, "no descriptor kept");

	/* Freed with reads in flight, and with files added and never
	 * submitted. */
	ok(drop_all(), "dropped again");
	p = file_prefetch_new(DEPTH, FILE_PREFETCH_AUTO);
	for (i = 0; i < DEPTH; i++) {
		fd = open_file(i);
		file_prefetch_add(p, fd, FILE_SIZE);
		if (i == DEPTH / 2 - 1)
			file_prefetch_submit(p);
	}
	/* Reads of the submitted half may have finished already (a loaded
	 * machine, a fast disk); the half added and not submitted always
	 * counts against the depth. */
	ok(file_prefetch_room(p) <= DEPTH / 2 || !file_prefetch_uses_uring(p),
	   "the files not yet submitted count against the depth");
	fd = open(paths[DEPTH], O_RDONLY | O_CLOEXEC);
	file_prefetch_add(p, fd, FILE_SIZE);	/* over the depth: fadvise */
	file_prefetch_free(&p);
	is_int(open_fds(), fds, "freed mid-way: no descriptor kept");

	test_kept(uring_allowed);
	is_int(open_fds(), fds, "kept reads: no descriptor kept");

	p = file_prefetch_new(0, FILE_PREFETCH_AUTO);
	fd = open(paths[0], O_RDONLY | O_CLOEXEC);
	ok(file_prefetch_room(p) == 1, "a depth of 0 is taken as 1");
	file_prefetch_add(p, fd, 100 * FILE_PREFETCH_MAX_LEN);
	file_prefetch_submit(p);
	file_prefetch_free(&p);
	p = file_prefetch_new(FILE_PREFETCH_MAX_DEPTH + 1, FILE_PREFETCH_AUTO);
	ok(file_prefetch_room(p) == FILE_PREFETCH_MAX_DEPTH,
	   "the depth is bounded");
	file_prefetch_free(&p);
	is_int(open_fds(), fds, "no descriptor kept");

	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			tap_diag("could not remove the test folder");
	}
	return tap_done();
}
