#ifndef SEALPOST_URING_H
#define SEALPOST_URING_H

/*
 * An io_uring driven through its system calls and the kernel's uapi
 * header (no library): the three rings mapped, entries filled by hand,
 * no kernel submission thread.  Shared by file_prefetch and file_batch.
 */

#include <linux/io_uring.h>
#include <stdbool.h>
#include <stddef.h>

struct uring {
	int fd;
	unsigned int flags;	/* the IORING_SETUP_ flags it was set up with */
	void *sq_map, *cq_map;
	size_t sq_map_len, cq_map_len, sqes_len;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned int queued;	/* entries filled, not yet handed over */
};

/* Sets up a ring of at least `entries` submission entries and twice as
 * many completions, asking for IORING_SETUP_COOP_TASKRUN and
 * IORING_SETUP_SUBMIT_ALL where the kernel knows them (5.19); -1 where
 * io_uring is refused (an old kernel, kernel.io_uring_disabled, a
 * seccomp policy). */
int uring_init(struct uring *r, unsigned int entries);
void uring_deinit(struct uring *r);

/* The next entry of the submission queue, cleared; at most `entries`
 * may be queued before uring_submit(). */
struct io_uring_sqe *uring_sqe(struct uring *r);
/* Hands the queued entries to the kernel and, with `wait` above 0, waits
 * until that many completions are posted; returns how many entries the
 * kernel took (those it did not are taken back from the queue). */
unsigned int uring_submit(struct uring *r, unsigned int wait);
/* The next completion not yet seen, or NULL; uring_cqe_seen() after. */
struct io_uring_cqe *uring_cqe(struct uring *r);
void uring_cqe_seen(struct uring *r);

/* A sparse table of `n` files for the ring (kernel 5.19); false when
 * refused. */
bool uring_register_slots(struct uring *r, unsigned int n);

#endif
