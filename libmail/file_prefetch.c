#include "file_prefetch.h"
#include "buf.h"
#include "uring.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Only READ is ever submitted (libmail/uring), without links, drains or
 * IOSQE_ASYNC, and without a kernel submission thread, so every read is
 * issued inside io_uring_enter(), which takes its reference on the file
 * there: the descriptor can be closed when the call returns.
 */

/* Where the reads' bytes go.  Shared by every prefetch of the process and
 * never freed: a read still in flight when its prefetch is freed (or
 * several at once) writes here, and nobody reads it. */
static char file_prefetch_scratch[FILE_PREFETCH_MAX_LEN];

struct file_prefetch {
	unsigned int depth;
	bool uring;
	struct uring ring;
	unsigned int in_flight;	/* submitted, completion not yet seen */
	unsigned int pending;	/* added, not yet submitted */
	int *pending_fds;
};

static void file_prefetch_fadvise(int fd)
{
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	close(fd);
}

struct file_prefetch *file_prefetch_new(unsigned int depth,
					enum file_prefetch_method method)
{
	struct file_prefetch *p = xcalloc(1, sizeof(*p));

	if (depth < 1)
		depth = 1;
	if (depth > FILE_PREFETCH_MAX_DEPTH)
		depth = FILE_PREFETCH_MAX_DEPTH;
	p->depth = depth;
	p->ring.fd = -1;
	/* In flight at most depth; the completion queue holds twice that,
	 * so it cannot overflow. */
	if (method == FILE_PREFETCH_AUTO && uring_init(&p->ring, depth) == 0) {
		p->uring = true;
		p->pending_fds = xcalloc(depth, sizeof(*p->pending_fds));
	}
	return p;
}

void file_prefetch_free(struct file_prefetch **pp)
{
	struct file_prefetch *p = *pp;
	unsigned int i;

	if (p == NULL)
		return;
	/* Added, never submitted: nothing holds their files but us. */
	for (i = 0; i < p->pending; i++)
		close(p->pending_fds[i]);
	uring_deinit(&p->ring);
	free(p->pending_fds);
	free(p);
	*pp = NULL;
}

/* Counts off the reads that finished.  Their outcome does not matter: a
 * read that failed leaves the file to be read when its turn comes. */
static void file_prefetch_reap(struct file_prefetch *p)
{
	while (uring_cqe(&p->ring) != NULL) {
		uring_cqe_seen(&p->ring);
		p->in_flight--;
	}
}

unsigned int file_prefetch_room(struct file_prefetch *p)
{
	if (!p->uring)
		return p->depth;
	file_prefetch_reap(p);
	return p->depth - p->in_flight - p->pending;
}

void file_prefetch_add(struct file_prefetch *p, int fd, size_t len)
{
	struct io_uring_sqe *sqe;

	if (!p->uring || p->in_flight + p->pending >= p->depth) {
		file_prefetch_fadvise(fd);
		return;
	}
	if (len > FILE_PREFETCH_MAX_LEN)
		len = FILE_PREFETCH_MAX_LEN;
	sqe = uring_sqe(&p->ring);
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)file_prefetch_scratch;
	sqe->len = (uint32_t)len;
	sqe->off = 0;
	p->pending_fds[p->pending++] = fd;
}

void file_prefetch_submit(struct file_prefetch *p)
{
	unsigned int n = p->pending, taken, i;

	if (!p->uring || n == 0)
		return;
	/* What the kernel took is in flight (a read it refused posts a
	 * completion too); what it did not take is taken back from the
	 * queue, and those files get posix_fadvise() instead. */
	taken = uring_submit(&p->ring, 0);
	for (i = 0; i < n; i++) {
		if (i < taken)
			close(p->pending_fds[i]);
		else
			file_prefetch_fadvise(p->pending_fds[i]);
	}
	p->in_flight += taken;
	p->pending = 0;
}

unsigned int file_prefetch_in_flight(struct file_prefetch *p)
{
	if (p->uring)
		file_prefetch_reap(p);
	return p->in_flight;
}

bool file_prefetch_uses_uring(const struct file_prefetch *p)
{
	return p->uring;
}
