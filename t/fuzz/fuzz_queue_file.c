/*
 * libFuzzer entry point for the queue file reader: a queue file is written
 * by smtpd and read back by qmgr, the CLI and the bounce writer, so a
 * damaged one (a disk error, a crash mid-write, a hand edit) must be
 * refused as corrupt, never crash or over-allocate.  The input is the file;
 * it is opened read-only through a memory file, and the message is read
 * out in small pieces.
 */
#include "buf.h"
#include "log.h"
#include "queue_file.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_file_limits limits = queue_file_limits_default;
	struct queue_file *qf;
	const char *error;
	char path[64];
	bool corrupt = false;
	int fd = memfd_create("queue-file", MFD_CLOEXEC);

	if (fd < 0)
		log_fatal("memfd_create: %m");
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		log_fatal("write: %m");
	/* Small limits, so short inputs reach the checks. */
	limits.record = 512;
	limits.rcpts = 50;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (queue_file_open(path, false, &limits, &qf, &corrupt, &error) == 0) {
		char piece[100];
		uint64_t offset = 0;
		ssize_t n;

		while ((n = queue_file_read_message(qf, offset, piece,
						    sizeof(piece))) > 0)
			offset += (uint64_t)n;
		queue_file_close(&qf);
	}
	close(fd);
	return 0;
}
