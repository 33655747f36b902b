/*
 * fsyncprobe: what the disk under a folder allows, as a bound for the
 * delivery figures of `make bench`.  For about a second each:
 *
 *   durable_file  write a 4 KB file, fsync it, rename it, fsync the folder
 *                 (what one message costs a store without group commit)
 *   log_fdatasync append 256 bytes to a log and fdatasync, per record
 *   log_batch10   the same with one fdatasync per 10 records
 *
 * Prints one JSON object of operations per second.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double fsyncprobe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double fsyncprobe_durable_file(const char *dir, double seconds)
{
	char tmp[4096], final[4096], data[4096];
	double start = fsyncprobe_now();
	long n = 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -1;
	memset(data, 'x', sizeof(data));
	while (fsyncprobe_now() - start < seconds) {
		int fd;

		snprintf(tmp, sizeof(tmp), "%s/tmp.%ld", dir, n);
		snprintf(final, sizeof(final), "%s/msg.%ld", dir, n);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data) ||
		    fsync(fd) < 0 || rename(tmp, final) < 0 || fsync(dfd) < 0) {
			if (fd >= 0)
				close(fd);
			close(dfd);
			return -1;
		}
		close(fd);
		n++;
	}
	close(dfd);
	for (long i = 0; i < n; i++) {
		snprintf(final, sizeof(final), "%s/msg.%ld", dir, i);
		(void)unlink(final);
	}
	return (double)n / (fsyncprobe_now() - start);
}

static double fsyncprobe_log(const char *dir, double seconds, int batch)
{
	char path[4096], rec[256];
	double start = fsyncprobe_now();
	long n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/probe.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -1;
	memset(rec, 'r', sizeof(rec));
	while (fsyncprobe_now() - start < seconds) {
		if (write(fd, rec, sizeof(rec)) != sizeof(rec))
			break;
		if (++n % batch == 0 && fdatasync(fd) < 0)
			break;
	}
	close(fd);
	(void)unlink(path);
	return (double)n / (fsyncprobe_now() - start);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fsyncprobe DIR\n");
		return 2;
	}
	printf("{\"durable_file_per_s\":%.0f,\"log_fdatasync_per_s\":%.0f,"
	       "\"log_batch10_records_per_s\":%.0f}\n",
	       fsyncprobe_durable_file(argv[1], 1.0),
	       fsyncprobe_log(argv[1], 1.0, 1),
	       fsyncprobe_log(argv[1], 1.0, 10));
	return 0;
}
