#include "file_batch.h"
#include "buf.h"
#include "uring.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What a completion is (the high half of its user_data; the low half is
 * the file's index in the batch). */
enum {
	FB_OPEN = 1,
	FB_READ = 2,
	FB_CLOSE = 3,
};

struct file_batch {
	struct uring ring;
	unsigned int files;
	size_t max_size;
	char *bufs;		/* files * (max_size + 1) bytes */
	size_t sizes[FILE_BATCH_MAX_FILES];
	bool ok[FILE_BATCH_MAX_FILES];
	/* The kernel once took only part of a batch: what it took may
	 * still complete, so the ring is not used again. */
	bool broken;
};

struct file_batch *file_batch_new(unsigned int files, size_t max_size)
{
	struct file_batch *b;

	if (files < 1 || files > FILE_BATCH_MAX_FILES)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	b->files = files;
	b->max_size = max_size;
	/* Three entries a file; without SUBMIT_ALL a refused entry would
	 * cut a chain short and leave its slot open. */
	if (uring_init(&b->ring, files * 3) < 0) {
		free(b);
		return NULL;
	}
	if ((b->ring.flags & IORING_SETUP_SUBMIT_ALL) == 0 ||
	    !uring_register_slots(&b->ring, files)) {
		uring_deinit(&b->ring);
		free(b);
		return NULL;
	}
	b->bufs = xmalloc((size_t)files * (max_size + 1));
	return b;
}

void file_batch_free(struct file_batch **bp)
{
	struct file_batch *b = *bp;

	if (b == NULL)
		return;
	/* Closing the ring closes what its slots still hold. */
	uring_deinit(&b->ring);
	free(b->bufs);
	free(b);
	*bp = NULL;
}

static char *file_batch_buf(const struct file_batch *b, unsigned int i)
{
	return b->bufs + (size_t)i * (b->max_size + 1);
}

void file_batch_read(struct file_batch *b, int dirfd,
		     const char *const *names, const size_t *sizes,
		     unsigned int n)
{
	struct io_uring_cqe *cqe;
	unsigned int i, queued = 0, taken, seen = 0;

	if (n > b->files)
		n = b->files;
	memset(b->ok, 0, sizeof(b->ok));
	if (b->broken)
		return;
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe;

		b->sizes[i] = sizes[i];
		if (sizes[i] > b->max_size)
			continue;
		/* Slot i.  Descriptors in the ring's table take no
		 * O_CLOEXEC: they are never in the process's own. */
		sqe = uring_sqe(&b->ring);
		sqe->opcode = IORING_OP_OPENAT;
		sqe->flags = IOSQE_IO_HARDLINK;
		sqe->fd = dirfd;
		sqe->addr = (uint64_t)(uintptr_t)names[i];
		sqe->open_flags = O_RDONLY;
		sqe->file_index = i + 1;
		sqe->user_data = (uint64_t)FB_OPEN << 32 | i;
		/* One byte more than expected: a file of another size shows
		 * itself without an fstat().  Hard-linked, since a read
		 * shorter than asked for is a failure to a plain link and
		 * the CLOSE must run whatever happens. */
		sqe = uring_sqe(&b->ring);
		sqe->opcode = IORING_OP_READ;
		sqe->flags = IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
		sqe->fd = (int)i;
		sqe->addr = (uint64_t)(uintptr_t)file_batch_buf(b, i);
		sqe->len = (uint32_t)(sizes[i] + 1);
		sqe->user_data = (uint64_t)FB_READ << 32 | i;
		sqe = uring_sqe(&b->ring);
		sqe->opcode = IORING_OP_CLOSE;
		sqe->file_index = i + 1;
		sqe->user_data = (uint64_t)FB_CLOSE << 32 | i;
		queued += 3;
	}
	if (queued == 0)
		return;
	/* Submitted and waited for in one call.  A submission cut short
	 * returns without waiting: then nothing of the batch is used. */
	taken = uring_submit(&b->ring, queued);
	if (taken != queued) {
		b->broken = true;
		return;
	}
	while (seen < taken && (cqe = uring_cqe(&b->ring)) != NULL) {
		unsigned int k = (unsigned int)cqe->user_data;

		if (cqe->user_data >> 32 == FB_READ && k < n &&
		    cqe->res >= 0 && (size_t)cqe->res == b->sizes[k]) {
			file_batch_buf(b, k)[b->sizes[k]] = '\0';
			b->ok[k] = true;
		}
		uring_cqe_seen(&b->ring);
		seen++;
	}
}

const char *file_batch_data(const struct file_batch *b, unsigned int i)
{
	if (i >= b->files || !b->ok[i])
		return NULL;
	return file_batch_buf(b, i);
}
