/* Unit tests for libmail/file_batch.c: a batch of files read whole, each
 * with exactly its bytes; a file that is missing, of another size than
 * expected, or above the batch's size limit is refused alone, its
 * neighbours still read; the ring's slots are used again batch after
 * batch; no descriptor is kept.  Where the kernel refuses io_uring (or
 * its table of files), file_batch_new() says so and nothing more is
 * asked of it. */
#include "tap.h"
#include "proc_self.h"
#include "file_batch.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILES 40
#define MAX_SIZE 4096

static char root[] = "/tmp/sealpost-file-batch-XXXXXX";
static char contents[FILES][MAX_SIZE + 100];
static size_t lens[FILES];
static char names[FILES][16];

static void write_file(int i, size_t len)
{
	char path[1024];
	int fd;

	snprintf(names[i], sizeof(names[i]), "%d", i + 1);
	snprintf(path, sizeof(path), "%s/%s", root, names[i]);
	for (size_t k = 0; k < len; k++)
		contents[i][k] = (char)('a' + (i * 7 + k) % 26);
	lens[i] = len;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, contents[i], len) != (ssize_t)len)
		abort();
	close(fd);
}

int main(void)
{
	struct file_batch *b;
	const char *name_ptrs[FILES];
	size_t sizes[FILES];
	int dirfd, fds, i, right = 0, round;
	FILE *f;
	bool uring_allowed;

	if (mkdtemp(root) == NULL)
		abort();
	for (i = 0; i < FILES; i++)
		write_file(i, (size_t)(i * 97 % MAX_SIZE) + 1);
	write_file(FILES - 1, MAX_SIZE + 50);	/* above the limit */
	dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	uring_allowed = f != NULL && fgetc(f) == '0';
	if (f != NULL)
		fclose(f);
	fds = open_fds();

	ok(file_batch_new(0, MAX_SIZE) == NULL &&
	   file_batch_new(FILE_BATCH_MAX_FILES + 1, MAX_SIZE) == NULL,
	   "a batch of no files, or of too many, is refused");
	b = file_batch_new(32, MAX_SIZE);
	if (!uring_allowed) {
		ok(b == NULL, "io_uring refused: no batch reader");
		return tap_done();
	}
	if (b == NULL) {
		/* A kernel before 5.19: the caller reads alone. */
		tap_diag("io_uring without a table of files: no batch reader");
		ok(1, "no batch reader on this kernel");
		return tap_done();
	}
	ok(b != NULL, "a batch reader");
	for (i = 0; i < 32; i++) {
		name_ptrs[i] = names[i];
		sizes[i] = lens[i];
	}
	file_batch_read(b, dirfd, name_ptrs, sizes, 32);
	for (i = 0; i < 32; i++) {
		const char *d = file_batch_data(b, (unsigned int)i);

		right += d != NULL && memcmp(d, contents[i], lens[i]) == 0 &&
			d[lens[i]] == '\0';
	}
	is_int(right, 32, "every file read whole, NUL-terminated");
	ok(file_batch_data(b, 32) == NULL, "no file past the batch");

	/* Refused alone: missing, a size other than the index's, above the
	 * limit; their neighbours still read. */
	name_ptrs[3] = "no-such-file";
	sizes[5] = lens[5] + 1;		/* the file is shorter */
	sizes[6] = lens[6] - 1;		/* the file is longer */
	name_ptrs[8] = names[FILES - 1];
	sizes[8] = lens[FILES - 1];
	file_batch_read(b, dirfd, name_ptrs, sizes, 10);
	ok(file_batch_data(b, 3) == NULL, "a missing file is refused");
	ok(file_batch_data(b, 5) == NULL, "a shorter file is refused");
	ok(file_batch_data(b, 6) == NULL, "a longer file is refused");
	ok(file_batch_data(b, 8) == NULL, "a file above the limit is refused");
	ok(file_batch_data(b, 4) != NULL &&
	   memcmp(file_batch_data(b, 4), contents[4], lens[4]) == 0 &&
	   file_batch_data(b, 9) != NULL &&
	   memcmp(file_batch_data(b, 9), contents[9], lens[9]) == 0,
	   "their neighbours are read");
	ok(file_batch_data(b, 12) == NULL, "nothing beyond the files asked for");

	/* The slots are closed and used again, batch after batch, more
	 * files than the batch holds asked for at once (the rest is left). */
	for (i = 0; i < FILES - 1; i++) {
		name_ptrs[i] = names[i];
		sizes[i] = lens[i];
	}
	right = 0;
	for (round = 0; round < 200; round++) {
		unsigned int first = (unsigned int)(round % 8);
		const char *d;

		file_batch_read(b, dirfd, name_ptrs + first, sizes + first,
				FILES - 1 - first);
		d = file_batch_data(b, 31);
		right += d != NULL && memcmp(d, contents[first + 31],
					     lens[first + 31]) == 0;
	}
	is_int(right, 200, "200 batches in a row read right");
	is_int(open_fds(), fds + 1, "no descriptor kept but the ring's");
	file_batch_free(&b);
	ok(b == NULL, "freed");
	is_int(open_fds(), fds, "and its descriptor closed");

	close(dirfd);
	for (i = 0; i < FILES; i++) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		unlink(path);
	}
	rmdir(root);
	return tap_done();
}
