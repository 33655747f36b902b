#include "uring.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A field of a mapped ring, at the offset the kernel gave. */
static unsigned int *uring_at(void *map, uint32_t offset)
{
	return (unsigned int *)(void *)((char *)map + offset);
}

void uring_deinit(struct uring *r)
{
	if (r->sq_map != NULL && r->sq_map != MAP_FAILED)
		munmap(r->sq_map, r->sq_map_len);
	if (r->cq_map != NULL && r->cq_map != MAP_FAILED)
		munmap(r->cq_map, r->cq_map_len);
	if (r->sqes != NULL && (void *)r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int uring_init(struct uring *r, unsigned int entries)
{
	struct io_uring_params params;
	/* Completions posted when the process next enters the kernel
	 * anyway, rather than by interrupting it; every entry submitted
	 * even after one fails.  Kernels before 5.19 know neither: set up
	 * without. */
	const unsigned int flag_sets[] = {
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL, 0,
	};
	size_t i;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	for (i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		memset(&params, 0, sizeof(params));
		params.flags = flag_sets[i];
		r->fd = (int)syscall(__NR_io_uring_setup, entries, &params);
		if (r->fd >= 0 || errno != EINVAL)
			break;
	}
	if (r->fd < 0)
		return -1;
	r->flags = params.flags;
	if (params.sq_entries < entries || params.cq_entries < 2 * entries) {
		uring_deinit(r);
		return -1;
	}
	r->sq_map_len = params.sq_off.array +
		params.sq_entries * sizeof(unsigned int);
	r->cq_map_len = params.cq_off.cqes +
		params.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = params.sq_entries * sizeof(struct io_uring_sqe);
	r->sq_map = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	r->cq_map = mmap(NULL, r->cq_map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sq_map == MAP_FAILED || r->cq_map == MAP_FAILED ||
	    (void *)r->sqes == MAP_FAILED) {
		uring_deinit(r);
		return -1;
	}
	r->sq_head = uring_at(r->sq_map, params.sq_off.head);
	r->sq_tail = uring_at(r->sq_map, params.sq_off.tail);
	r->sq_mask = uring_at(r->sq_map, params.sq_off.ring_mask);
	r->sq_array = uring_at(r->sq_map, params.sq_off.array);
	r->cq_head = uring_at(r->cq_map, params.cq_off.head);
	r->cq_tail = uring_at(r->cq_map, params.cq_off.tail);
	r->cq_mask = uring_at(r->cq_map, params.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_map +
					  params.cq_off.cqes);
	return 0;
}

struct io_uring_sqe *uring_sqe(struct uring *r)
{
	unsigned int idx = (*r->sq_tail + r->queued++) & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	r->sq_array[idx] = idx;
	return sqe;
}

unsigned int uring_submit(struct uring *r, unsigned int wait)
{
	unsigned int n = r->queued, head0, taken;
	long ret;

	r->queued = 0;
	head0 = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
	__atomic_store_n(r->sq_tail, *r->sq_tail + n, __ATOMIC_RELEASE);
	do {
		taken = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) - head0;
		ret = syscall(__NR_io_uring_enter, r->fd, n - taken,
			      wait, wait > 0 ? IORING_ENTER_GETEVENTS : 0,
			      NULL, 0);
	} while ((ret < 0 && errno == EINTR) ||
		 (ret > 0 && __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) -
		  head0 < n));
	taken = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) - head0;
	if (taken < n)
		__atomic_store_n(r->sq_tail, head0 + taken, __ATOMIC_RELEASE);
	return taken;
}

struct io_uring_cqe *uring_cqe(struct uring *r)
{
	unsigned int head = *r->cq_head;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return NULL;
	return &r->cqes[head & *r->cq_mask];
}

void uring_cqe_seen(struct uring *r)
{
	__atomic_store_n(r->cq_head, *r->cq_head + 1, __ATOMIC_RELEASE);
}

bool uring_register_slots(struct uring *r, unsigned int n)
{
	struct io_uring_rsrc_register reg;

	memset(&reg, 0, sizeof(reg));
	reg.nr = n;
	reg.flags = IORING_RSRC_REGISTER_SPARSE;
	return syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_FILES2,
		       &reg, sizeof(reg)) == 0;
}
