/*
 * Runs one fuzz target over its seed corpus, once, as a TAP test: the way
 * `make check` keeps every fuzz target and every crash ever found (each one
 * becomes a seed) exercised in both builds without clang or libFuzzer.
 *
 * The corpus folder is t/fuzz/corpus/TARGET relative to the top of the tree
 * (where prove runs), or the folders named on the command line.  A seed
 * that crashes the target aborts the program, which prove reports; a seed
 * that returns fails its TAP line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=\"name\""
#endif

/* Seeds are small by design; a bigger file is a mistake in the corpus. */
#define SEED_MAX (4 * 1024 * 1024)

static int tests;

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_seed(const char *path, uint8_t **data_r, size_t *size_r)
{
	struct stat st;
	uint8_t *data;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SEED_MAX) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	/* One byte more than needed, so an empty seed is not a NULL buffer. */
	data = malloc((size_t)st.st_size + 1);
	if (data == NULL) {
		close(fd);
		return -1;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, data + done, (size_t)st.st_size - done);

		if (n <= 0) {
			free(data);
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	*data_r = data;
	*size_r = done;
	return 0;
}

static int run_folder(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, alloc = 0;

	if (d == NULL) {
		printf("not ok %d - open %s: %s\n", ++tests, dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (count == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			names = realloc(names, alloc * sizeof(*names));
			if (names == NULL)
				abort();
		}
		names[count] = strdup(de->d_name);
		if (names[count++] == NULL)
			abort();
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), names_cmp);

	int failed = 0;

	for (size_t i = 0; i < count; i++) {
		char path[4096];
		uint8_t *data;
		size_t size;
		int n = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

		if (n < 0 || (size_t)n >= sizeof(path) ||
		    read_seed(path, &data, &size) < 0) {
			printf("not ok %d - read %s/%s\n", ++tests, dir, names[i]);
			failed = -1;
		} else {
			int ret = LLVMFuzzerTestOneInput(data, size);

			printf("%sok %d - %s %s (%zu bytes)\n", ret == 0 ? "" : "not ",
			       ++tests, FUZZ_TARGET, names[i], size);
			if (ret != 0)
				failed = -1;
			free(data);
		}
		fflush(stdout);
		free(names[i]);
	}
	free(names);
	if (count == 0) {
		/* A target without seeds is a target nobody checks. */
		printf("not ok %d - %s has no seeds\n", ++tests, dir);
		failed = -1;
	}
	return failed;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			failed |= run_folder(argv[i]);
	} else {
		failed = run_folder("t/fuzz/corpus/" FUZZ_TARGET);
	}
	printf("1..%d\n", tests);
	return failed == 0 ? 0 : 1;
}
