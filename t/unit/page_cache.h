#ifndef SEALPOST_T_PAGE_CACHE_H
#define SEALPOST_T_PAGE_CACHE_H

/* For the tests of code that reads files from a cold page cache: a file
 * is written back and dropped from the page cache (which needs the test
 * folder on a disk, not on tmpfs), and whether its pages are cached is
 * asked of mincore(). */

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* Makes a fresh folder named after `name` for such files, in $TMPDIR (or
 * /tmp) unless that is a tmpfs, whose pages cannot be dropped, and then
 * in /var/tmp, which lives on a disk.  Its path goes to `path`; false on
 * an error. */
static inline bool page_cache_test_dir(const char *name, char *path,
				       size_t size)
{
	const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	struct statfs fs;

	if (statfs(base, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
		base = "/var/tmp";
	if ((size_t)snprintf(path, size, "%s/%s-XXXXXX", base, name) >= size)
		return false;
	return mkdtemp(path) != NULL;
}

/* Written back and dropped: true when none of its pages stayed. */
static inline bool page_cache_drop(const char *path);
/* How many of the file's pages are cached; -1 on an error. */
static inline long page_cache_pages(const char *path);

static inline long page_cache_pages(const char *path)
{
	long page = sysconf(_SC_PAGESIZE), pages, i, n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *vec;
	struct stat st;
	void *map;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		if (fd >= 0)
			close(fd);
		return fd < 0 ? -1 : 0;
	}
	pages = (st.st_size + page - 1) / page;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	vec = calloc((size_t)pages, 1);
	if (vec == NULL || mincore(map, (size_t)st.st_size, vec) < 0)
		n = -1;
	for (i = 0; n >= 0 && i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	munmap(map, (size_t)st.st_size);
	return n;
}

static inline bool page_cache_drop(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	(void)fdatasync(fd);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return page_cache_pages(path) == 0;
}

#endif
