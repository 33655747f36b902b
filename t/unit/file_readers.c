/* Unit tests for libmail/file_readers.c: helper threads hand every file's
 * own bytes to the taker in order, cold or cached; a file too big to keep
 * or gone is handed out as nothing; files never asked for are passed
 * over; the window bounds what is added; cached files are counted as
 * such, files cached in part are read whole and not counted; the helpers of the process are bounded; nothing is kept open, whether the readers are freed with reads in
 * flight or with files never submitted. */
#include "tap.h"
#include "proc_self.h"
#include "file_readers.h"
#include "page_cache.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[300];
static int dir_fd;

#define FILES 300
#define WINDOW 32
#define FILE_SIZE 6000
#define BIG_SIZE (FILE_READERS_KEEP_MAX + 8000)
#define GONE 77		/* file 77 is never written */
#define MAX 100		/* helpers of the process: no bound here */

static char paths[FILES][400];

/* Every 50th file is too big to keep. */
static size_t file_size(int i)
{
	return i % 50 == 49 ? BIG_SIZE : FILE_SIZE;
}

static void name_of(int i, char name[FILE_READERS_NAME_MAX])
{
	snprintf(name, FILE_READERS_NAME_MAX, "%d", i + 1);
}

/* Whether `data` is file i's (0-based) whole content. */
static bool is_file(const char *data, size_t len, int i)
{
	char head[32];

	snprintf(head, sizeof(head), "file %d\n", i + 1);
	return data != NULL && len == file_size(i) &&
		strncmp(data, head, strlen(head)) == 0 && data[len - 1] == 'm';
}

/* What a take of file i must give: its bytes, or nothing for the big
 * ones and the one gone. */
static bool take_right(const char *data, size_t len, int i)
{
	if (i == GONE || file_size(i) > FILE_READERS_KEEP_MAX)
		return data == NULL;
	return is_file(data, len, i);
}

/* The files in order as a SEARCH takes them: added ahead as room allows,
 * one in five never asked for.  Returns how many takes were right. */
static int read_all(struct file_readers *r, int *asked)
{
	char name[FILE_READERS_NAME_MAX];
	const char *data;
	size_t len;
	int next = 0, right = 0;

	*asked = 0;
	for (int i = 0; i < FILES; i++) {
		for (unsigned int room = file_readers_room(r);
		     room > 0 && next < FILES; room--, next++) {
			name_of(next, name);
			/* One byte more than the file, as a SEARCH asks. */
			file_readers_add(r, name, file_size(next) + 1,
					 (size_t)next);
		}
		file_readers_submit(r);
		if (i % 5 == 4)
			continue;
		(*asked)++;
		len = 0;
		data = file_readers_take(r, (size_t)i, &len);
		right += take_right(data, len, i);
	}
	return right;
}

static bool drop_all(void)
{
	bool all = true;

	for (int i = 0; i < FILES; i++)
		if (i != GONE)
			all = page_cache_drop(paths[i]) && all;
	return all;
}

/* Reads every file whole, into the page cache; how many there were. */
static int read_every_file(void)
{
	static char data[BIG_SIZE + 1];
	int n = 0;

	for (int i = 0; i < FILES; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		n += read(fd, data, sizeof(data)) == (ssize_t)file_size(i);
		close(fd);
	}
	return n;
}

/* Drops the file's second page from the page cache and keeps the first;
 * the kernel may keep a page it is asked to drop, so it is asked again a
 * few times.  Whether only the first is left. */
static bool drop_second_page(const char *path)
{
	for (int try = 0; try < 20; try++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			abort();
		(void)posix_fadvise(fd, 4096, 0, POSIX_FADV_DONTNEED);
		close(fd);
		if (page_cache_pages(path) == 1)
			return true;
	}
	return false;
}

static void make_files(void)
{
	static char data[BIG_SIZE];

	for (int i = 0; i < FILES; i++) {
		size_t size = file_size(i);
		int fd;

		snprintf(paths[i], sizeof(paths[i]), "%s/%d", root, i + 1);
		if (i == GONE)
			continue;
		memset(data, 'm', size);
		snprintf(data, sizeof(data), "file %d\n", i + 1);
		data[strlen(data)] = 'm';
		fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, data, size) != (ssize_t)size)
			abort();
		close(fd);
	}
}

int main(void)
{
	struct file_readers *r;
	char name[FILE_READERS_NAME_MAX];
	const char *data;
	bool uring_allowed;
	int fds, right, asked, i;
	size_t len;
	FILE *f;

	if (!page_cache_test_dir("sealpost-file-readers-test", root,
				sizeof(root)))
		abort();
	make_files();
	dir_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		abort();
	/* io_uring is expected where kernel.io_uring_disabled is 0. */
	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	uring_allowed = f != NULL && fgetc(f) == '0';
	if (f != NULL)
		fclose(f);
	fds = open_fds();

	ok(file_readers_new(dir_fd, 0, WINDOW, MAX) == NULL &&
	   file_readers_new(dir_fd, FILE_READERS_MAX_THREADS + 1, WINDOW,
			    MAX) ==
	   NULL, "no helpers, or too many, are refused");
	r = file_readers_new(dir_fd, 2, WINDOW, MAX);
	if (!uring_allowed) {
		ok(r == NULL, "refused without io_uring");
		return tap_done();
	}
	ok(r != NULL, "two helpers");
	is_int(file_readers_room(r), WINDOW, "the whole window is free");

	ok(drop_all(), "the files are dropped from the page cache (the test "
	   "folder is on a disk)");
	right = read_all(r, &asked);
	is_int(right, asked, "cold: every file asked for was handed out "
	       "whole, its own bytes; nothing for the big ones and the "
	       "one gone");
	len = 0;
	ok(file_readers_take(r, FILES + 5, &len) == NULL,
	   "nothing for a file never added");
	file_readers_free(&r);
	ok(r == NULL, "freed");
	is_int(open_fds(), fds, "no descriptor kept");

	/* Cached now (read here too: the cold pass may have passed over a
	 * file before a helper took it): every batch is read inside the call
	 * that submits it. */
	is_int(read_every_file(), FILES - 1, "every file read");
	r = file_readers_new(dir_fd, 2, WINDOW, MAX);
	right = read_all(r, &asked);
	is_int(right, asked, "cached: every file asked for handed out whole");
	ok(file_readers_cached_run(r) > 0,
	   "cached: the files read were counted as found in the page cache");
	file_readers_free(&r);

	/* Cached in part: the first page of each file, not the second.  A
	 * read that must not wait gives the first page only; the helpers
	 * read the rest, and the file is not counted as cached. */
	{
		int partial = 0, whole = 0;

		for (i = 0; i < 10; i++)
			partial += drop_second_page(paths[i]);
		is_int(partial, 10, "ten files cached in part");
		r = file_readers_new(dir_fd, 2, WINDOW, MAX);
		for (i = 0; i < 10; i++) {
			name_of(i, name);
			file_readers_add(r, name, FILE_SIZE + 1, (size_t)i);
		}
		file_readers_submit(r);
		for (i = 0; i < 10; i++) {
			data = file_readers_take(r, (size_t)i, &len);
			whole += is_file(data, len, i);
		}
		is_int(whole, 10, "each handed out whole");
		is_int(file_readers_cached_run(r), 0,
		       "and not counted as found in the page cache");
		file_readers_free(&r);
	}

	/* The window: what is added and not yet taken holds its room. */
	ok(drop_all(), "dropped again");
	r = file_readers_new(dir_fd, 2, WINDOW, MAX);
	for (i = 0; i < WINDOW; i++) {
		name_of(i, name);
		file_readers_add(r, name, FILE_SIZE + 1, (size_t)i);
	}
	is_int(file_readers_room(r), 0, "a full window has no room");
	/* Not submitted yet: a take submits what it waits for. */
	data = file_readers_take(r, 3, &len);
	ok(is_file(data, len, 3),
	   "a later file taken first, unsubmitted, passes over the earlier");
	is_int(file_readers_room(r), 3,
	       "...which gives their room back; the one taken holds its own");
	data = file_readers_take(r, 2, &len);
	ok(data == NULL, "an earlier file passed over is gone");
	is_int(file_readers_room(r), 4, "the next take frees the last one");
	file_readers_submit(r);
	file_readers_free(&r);	/* with reads perhaps in flight */
	is_int(open_fds(), fds, "freed mid-way: no descriptor kept");

	/* Freed with some files submitted and others only added. */
	ok(drop_all(), "dropped again");
	r = file_readers_new(dir_fd, 3, WINDOW, MAX);
	for (i = 0; i < WINDOW; i++) {
		name_of(i, name);
		file_readers_add(r, name, FILE_SIZE + 1, (size_t)i);
		if (i == WINDOW / 2)
			file_readers_submit(r);
	}
	file_readers_free(&r);
	ok(r == NULL, "freed with some never submitted");
	is_int(open_fds(), fds, "no descriptor kept");

	/* The helpers of every reader of the process are bounded. */
	{
		struct file_readers *a, *b, *c;

		a = file_readers_new(dir_fd, 2, WINDOW, 3);
		ok(a != NULL, "two helpers of at most 3 in the process");
		b = file_readers_new(dir_fd, 2, WINDOW, 3);
		ok(b == NULL, "two more are refused");
		c = file_readers_new(dir_fd, 1, WINDOW, 3);
		ok(c != NULL, "one more is not");
		file_readers_free(&a);
		b = file_readers_new(dir_fd, 2, WINDOW, 3);
		ok(b != NULL, "once the first two are freed, two fit again");
		file_readers_free(&b);
		file_readers_free(&c);
		ok(file_readers_new(dir_fd, 1, WINDOW, 0) == NULL,
		   "a bound of 0 allows none");
	}
	is_int(open_fds(), fds, "no descriptor kept");

	close(dir_fd);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			tap_diag("could not remove the test folder");
	}
	return tap_done();
}
