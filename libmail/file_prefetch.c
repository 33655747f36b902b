#include "file_prefetch.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * io_uring through its system calls and the kernel's uapi header: the
 * three rings mapped, the submission queue filled by hand.  Only READ is
 * ever submitted, without links, drains or IOSQE_ASYNC, and without a
 * kernel submission thread, so every read is issued inside
 * io_uring_enter(), which takes its reference on the file there: the
 * descriptor can be closed when the call returns.
 */

/* Where the reads' bytes go.  Shared by every prefetch of the process and
 * never freed: a read still in flight when its prefetch is freed (or
 * several at once) writes here, and nobody reads it. */
static char file_prefetch_scratch[FILE_PREFETCH_MAX_LEN];

struct file_prefetch {
	unsigned int depth;
	bool uring;
	int ring_fd;
	void *sq_map, *cq_map;
	size_t sq_map_len, cq_map_len, sqes_len;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned int in_flight;	/* submitted, completion not yet seen */
	unsigned int pending;	/* added, not yet submitted */
	int *pending_fds;
};

static void file_prefetch_fadvise(int fd)
{
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	close(fd);
}

static void file_prefetch_unmap(struct file_prefetch *p)
{
	if (p->sq_map != NULL && p->sq_map != MAP_FAILED)
		munmap(p->sq_map, p->sq_map_len);
	if (p->cq_map != NULL && p->cq_map != MAP_FAILED)
		munmap(p->cq_map, p->cq_map_len);
	if (p->sqes != NULL && (void *)p->sqes != MAP_FAILED)
		munmap(p->sqes, p->sqes_len);
	if (p->ring_fd >= 0)
		close(p->ring_fd);
	p->sq_map = p->cq_map = NULL;
	p->sqes = NULL;
	p->ring_fd = -1;
}

/* A field of a mapped ring, at the offset the kernel gave. */
static unsigned int *file_prefetch_at(void *map, uint32_t offset)
{
	return (unsigned int *)(void *)((char *)map + offset);
}

static int file_prefetch_setup(struct file_prefetch *p)
{
	struct io_uring_params params;
	/* Completions posted when imapd next enters the kernel anyway,
	 * rather than by interrupting it; every entry submitted even after
	 * one fails.  Kernels before 5.19 know neither: set up without. */
	const unsigned int flag_sets[] = {
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL, 0,
	};
	size_t i;

	for (i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		memset(&params, 0, sizeof(params));
		params.flags = flag_sets[i];
		p->ring_fd = (int)syscall(__NR_io_uring_setup, p->depth,
					  &params);
		if (p->ring_fd >= 0 || errno != EINVAL)
			break;
	}
	if (p->ring_fd < 0)
		return -1;
	/* In flight at most depth; the completion queue holds at least
	 * that many, so it cannot overflow. */
	if (params.sq_entries < p->depth || params.cq_entries < p->depth) {
		file_prefetch_unmap(p);
		return -1;
	}
	p->sq_map_len = params.sq_off.array +
		params.sq_entries * sizeof(unsigned int);
	p->cq_map_len = params.cq_off.cqes +
		params.cq_entries * sizeof(struct io_uring_cqe);
	p->sqes_len = params.sq_entries * sizeof(struct io_uring_sqe);
	p->sq_map = mmap(NULL, p->sq_map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, p->ring_fd,
			 IORING_OFF_SQ_RING);
	p->cq_map = mmap(NULL, p->cq_map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, p->ring_fd,
			 IORING_OFF_CQ_RING);
	p->sqes = mmap(NULL, p->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, p->ring_fd, IORING_OFF_SQES);
	if (p->sq_map == MAP_FAILED || p->cq_map == MAP_FAILED ||
	    (void *)p->sqes == MAP_FAILED) {
		file_prefetch_unmap(p);
		return -1;
	}
	p->sq_head = file_prefetch_at(p->sq_map, params.sq_off.head);
	p->sq_tail = file_prefetch_at(p->sq_map, params.sq_off.tail);
	p->sq_mask = file_prefetch_at(p->sq_map, params.sq_off.ring_mask);
	p->sq_array = file_prefetch_at(p->sq_map, params.sq_off.array);
	p->cq_head = file_prefetch_at(p->cq_map, params.cq_off.head);
	p->cq_tail = file_prefetch_at(p->cq_map, params.cq_off.tail);
	p->cq_mask = file_prefetch_at(p->cq_map, params.cq_off.ring_mask);
	p->cqes = (struct io_uring_cqe *)((char *)p->cq_map +
					  params.cq_off.cqes);
	return 0;
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
	p->ring_fd = -1;
	if (method == FILE_PREFETCH_AUTO && file_prefetch_setup(p) == 0) {
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
	file_prefetch_unmap(p);
	free(p->pending_fds);
	free(p);
	*pp = NULL;
}

/* Counts off the reads that finished.  Their outcome does not matter: a
 * read that failed leaves the file to be read when its turn comes. */
static void file_prefetch_reap(struct file_prefetch *p)
{
	unsigned int head = *p->cq_head;
	unsigned int tail = __atomic_load_n(p->cq_tail, __ATOMIC_ACQUIRE);

	if (head == tail)
		return;
	p->in_flight -= tail - head;
	__atomic_store_n(p->cq_head, tail, __ATOMIC_RELEASE);
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
	unsigned int idx;

	if (!p->uring || p->in_flight + p->pending >= p->depth) {
		file_prefetch_fadvise(fd);
		return;
	}
	if (len > FILE_PREFETCH_MAX_LEN)
		len = FILE_PREFETCH_MAX_LEN;
	idx = (*p->sq_tail + p->pending) & *p->sq_mask;
	sqe = &p->sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)file_prefetch_scratch;
	sqe->len = (uint32_t)len;
	sqe->off = 0;
	p->sq_array[idx] = idx;
	p->pending_fds[p->pending++] = fd;
}

void file_prefetch_submit(struct file_prefetch *p)
{
	unsigned int n = p->pending, head0, taken, i;
	long ret;

	if (!p->uring || n == 0)
		return;
	head0 = __atomic_load_n(p->sq_head, __ATOMIC_ACQUIRE);
	__atomic_store_n(p->sq_tail, *p->sq_tail + n, __ATOMIC_RELEASE);
	do {
		ret = syscall(__NR_io_uring_enter, p->ring_fd,
			      n - (__atomic_load_n(p->sq_head,
						   __ATOMIC_ACQUIRE) - head0),
			      0, 0, NULL, 0);
	} while ((ret < 0 && errno == EINTR) ||
		 (ret > 0 && __atomic_load_n(p->sq_head, __ATOMIC_ACQUIRE) -
		  head0 < n));
	/* What the kernel took is in flight (a read it refused posts a
	 * completion too); what it did not take is taken back from the
	 * queue, and those files get posix_fadvise() instead. */
	taken = __atomic_load_n(p->sq_head, __ATOMIC_ACQUIRE) - head0;
	if (taken < n)
		__atomic_store_n(p->sq_tail, head0 + taken, __ATOMIC_RELEASE);
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
