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

/* A kept read's place: its buffer, and where the read stands. */
enum file_prefetch_slot_state {
	FP_SLOT_FREE,
	FP_SLOT_FLIGHT,		/* added or submitted, not completed */
	FP_SLOT_DONE,		/* completed, waiting to be taken */
	FP_SLOT_TAKEN,		/* handed out until the next take */
	FP_SLOT_ORPHAN,		/* passed over in flight: freed on completion */
};

struct file_prefetch_slot {
	char *buf;
	size_t cap;
	size_t tag;
	uint32_t gen;		/* tells a stale completion from this read's */
	enum file_prefetch_slot_state state;
	int res;		/* bytes read, or -errno */
};

/* The user data of a read into the scratch buffer; a kept read's is its
 * slot and generation. */
#define FP_SCRATCH UINT64_MAX

struct file_prefetch {
	unsigned int depth;
	bool uring;
	struct uring ring;
	unsigned int in_flight;	/* submitted, completion not yet seen */
	unsigned int pending;	/* added, not yet submitted */
	int *pending_fds;
	int *pending_slots;	/* each one's slot, -1 for a scratch read */
	/* Kept reads: `depth` slots, and their indexes in the order added
	 * (a ring of `kept` entries from `head`). */
	struct file_prefetch_slot *slots;
	unsigned int *order;
	unsigned int head, kept;
	unsigned int done;	/* slots completed and not yet taken */
	int taken;		/* the slot handed out last, or -1 */
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
		p->pending_slots = xcalloc(depth, sizeof(*p->pending_slots));
		p->slots = xcalloc(depth, sizeof(*p->slots));
		p->order = xcalloc(depth, sizeof(*p->order));
	}
	p->taken = -1;
	return p;
}

/* Counts off the reads that finished; a kept read's bytes wait for their
 * taker.  A scratch read's outcome does not matter: a read that failed
 * leaves the file to be read when its turn comes. */
static void file_prefetch_reap(struct file_prefetch *p)
{
	struct io_uring_cqe *cqe;

	while ((cqe = uring_cqe(&p->ring)) != NULL) {
		uint64_t ud = cqe->user_data;

		if (ud != FP_SCRATCH) {
			struct file_prefetch_slot *slot =
				&p->slots[(uint32_t)ud];

			if (slot->gen == (uint32_t)(ud >> 32)) {
				if (slot->state == FP_SLOT_FLIGHT) {
					slot->state = FP_SLOT_DONE;
					slot->res = cqe->res;
					p->done++;
				} else if (slot->state == FP_SLOT_ORPHAN) {
					slot->state = FP_SLOT_FREE;
				}
			}
		}
		uring_cqe_seen(&p->ring);
		p->in_flight--;
	}
}

/* Waits until the slot's read, if one is in flight, has completed. */
static void file_prefetch_wait(struct file_prefetch *p,
			       const struct file_prefetch_slot *slot)
{
	while (slot->state == FP_SLOT_FLIGHT ||
	       slot->state == FP_SLOT_ORPHAN) {
		(void)uring_submit(&p->ring, 1);
		file_prefetch_reap(p);
	}
}

void file_prefetch_free(struct file_prefetch **pp)
{
	struct file_prefetch *p = *pp;
	unsigned int i;

	if (p == NULL)
		return;
	/* Added, never submitted: nothing holds their files but us, and
	 * nothing will be read into their slots. */
	for (i = 0; i < p->pending; i++) {
		close(p->pending_fds[i]);
		if (p->pending_slots[i] >= 0)
			p->slots[p->pending_slots[i]].state = FP_SLOT_FREE;
	}
	/* A kept read still in flight writes into its slot's buffer: wait
	 * for it before the buffers go (a few reads at most, the end of a
	 * search or a client gone). */
	for (i = 0; p->slots != NULL && i < p->depth; i++) {
		file_prefetch_wait(p, &p->slots[i]);
		free(p->slots[i].buf);
	}
	uring_deinit(&p->ring);
	free(p->pending_fds);
	free(p->pending_slots);
	free(p->slots);
	free(p->order);
	free(p);
	*pp = NULL;
}

/* Queues a read of the file's first `len` bytes into `buf`, to be
 * submitted with the others added: `slot` is its kept read's, or -1. */
static void file_prefetch_queue(struct file_prefetch *p, int fd, char *buf,
				size_t len, uint64_t user_data, int slot)
{
	struct io_uring_sqe *sqe = uring_sqe(&p->ring);

	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = (uint32_t)len;
	sqe->off = 0;
	sqe->user_data = user_data;
	p->pending_slots[p->pending] = slot;
	p->pending_fds[p->pending++] = fd;
}

unsigned int file_prefetch_room(struct file_prefetch *p)
{
	if (!p->uring)
		return p->depth;
	file_prefetch_reap(p);
	return p->depth - p->in_flight - p->pending - p->done -
		(p->taken >= 0 ? 1 : 0);
}

/* A free slot: there is one whenever there is room (every slot not free
 * is in flight, done or taken, which room counts). */
static unsigned int file_prefetch_free_slot(struct file_prefetch *p)
{
	unsigned int i;

	for (i = 0; i < p->depth; i++) {
		if (p->slots[i].state == FP_SLOT_FREE)
			return i;
	}
	abort();
}

void file_prefetch_add_kept(struct file_prefetch *p, int fd, size_t len,
			    size_t tag)
{
	struct file_prefetch_slot *slot;
	unsigned int i;

	if (!p->uring || len > FILE_PREFETCH_KEEP_MAX ||
	    file_prefetch_room(p) == 0) {
		file_prefetch_add(p, fd, len);
		return;
	}
	i = file_prefetch_free_slot(p);
	slot = &p->slots[i];
	if (slot->cap < len) {
		free(slot->buf);
		slot->buf = xmalloc(len);
		slot->cap = len;
	}
	slot->tag = tag;
	slot->gen++;
	slot->state = FP_SLOT_FLIGHT;
	slot->res = 0;
	p->order[(p->head + p->kept++) % p->depth] = i;
	file_prefetch_queue(p, fd, slot->buf, len,
			    (uint64_t)slot->gen << 32 | i, (int)i);
}

/* Passes over the kept reads added before `tag`, which nobody asked for
 * (the search needed no file for them), and gives the previous taken
 * slot back. */
static void file_prefetch_skip_to(struct file_prefetch *p, size_t tag)
{
	if (p->taken >= 0) {
		p->slots[p->taken].state = FP_SLOT_FREE;
		p->taken = -1;
	}
	while (p->kept > 0) {
		struct file_prefetch_slot *slot = &p->slots[p->order[p->head]];

		if (slot->tag >= tag)
			break;
		if (slot->state == FP_SLOT_DONE) {
			slot->state = FP_SLOT_FREE;
			p->done--;
		} else {
			slot->state = FP_SLOT_ORPHAN;
		}
		p->head = (p->head + 1) % p->depth;
		p->kept--;
	}
}

const char *file_prefetch_take(struct file_prefetch *p, size_t tag,
			       size_t *len_r)
{
	struct file_prefetch_slot *slot;
	unsigned int i;

	if (!p->uring)
		return NULL;
	file_prefetch_reap(p);
	file_prefetch_skip_to(p, tag);
	if (p->kept == 0 || p->slots[p->order[p->head]].tag != tag)
		return NULL;
	i = p->order[p->head];
	slot = &p->slots[i];
	/* Submitted, so already on its way from the disk: waiting for it
	 * costs less than opening and reading the file again. */
	file_prefetch_wait(p, slot);
	p->head = (p->head + 1) % p->depth;
	p->kept--;
	p->done--;
	if (slot->res < 0) {
		slot->state = FP_SLOT_FREE;
		return NULL;
	}
	slot->state = FP_SLOT_TAKEN;
	p->taken = (int)i;
	*len_r = (size_t)slot->res;
	return slot->buf;
}

void file_prefetch_add(struct file_prefetch *p, int fd, size_t len)
{
	if (!p->uring || p->in_flight + p->pending >= p->depth) {
		file_prefetch_fadvise(fd);
		return;
	}
	if (len > FILE_PREFETCH_MAX_LEN)
		len = FILE_PREFETCH_MAX_LEN;
	file_prefetch_queue(p, fd, file_prefetch_scratch, len, FP_SCRATCH, -1);
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
	/* Kept reads the kernel did not take are the last added: their
	 * slots go back (their files were advised above). */
	for (i = n; i > taken; i--) {
		int slot = p->pending_slots[i - 1];

		if (slot >= 0) {
			p->slots[slot].state = FP_SLOT_FREE;
			p->kept--;
		}
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
