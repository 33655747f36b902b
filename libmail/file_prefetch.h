#ifndef SEALPOST_FILE_PREFETCH_H
#define SEALPOST_FILE_PREFETCH_H

/*
 * Reading many small files from a cold page cache (a SEARCH BODY over a
 * large mailbox, one file per message): the caller goes through them one
 * at a time, and asks for the next ones ahead of time so that they are in
 * the page cache when their turn comes.
 *
 * The files ahead are read through io_uring, many in one system call:
 * submitted together, the reads of neighbouring files reach the block
 * layer as one batch and are merged into few requests, where one
 * posix_fadvise(WILLNEED) per file makes a request (and, on a virtual
 * disk, a notification of the host) per file.  What is read goes to a
 * scratch buffer and is thrown away (only the page cache is wanted), or,
 * for kept reads (below), to a buffer of its own for the caller.  Each
 * file's descriptor is closed as soon as its read is submitted (the read
 * holds the file), so a prefetch holds no descriptors.
 *
 * Where io_uring is not available (an old kernel, or switched off by
 * kernel.io_uring_disabled or a seccomp policy) each file gets
 * posix_fadvise(WILLNEED) instead, as before.
 */

#include <stdbool.h>
#include <stddef.h>

/* At most this many bytes of a file are read ahead: the rest of a bigger
 * file is left to the kernel's own read-ahead when it is read. */
#define FILE_PREFETCH_MAX_LEN (256 * 1024)
/* The most reads one prefetch may have in flight. */
#define FILE_PREFETCH_MAX_DEPTH 4096

enum file_prefetch_method {
	FILE_PREFETCH_AUTO,	/* io_uring when the kernel allows it */
	FILE_PREFETCH_FADVISE,	/* posix_fadvise() only */
};

struct file_prefetch;

/* At most `depth` (1..FILE_PREFETCH_MAX_DEPTH) reads in flight. */
struct file_prefetch *file_prefetch_new(unsigned int depth,
					enum file_prefetch_method method);
/* Reads still in flight finish on their own, into the scratch buffer. */
void file_prefetch_free(struct file_prefetch **p);

/* How many files may be added now: the reads that finished are counted
 * off first.  Never blocks. */
unsigned int file_prefetch_room(struct file_prefetch *p);
/* Asks for the first `len` bytes of an open file (up to
 * FILE_PREFETCH_MAX_LEN) and takes the descriptor: it is closed once the
 * read is submitted.  Call only while file_prefetch_room() is above 0. */
void file_prefetch_add(struct file_prefetch *p, int fd, size_t len);
/* Submits the files added since the last call, all at once. */
void file_prefetch_submit(struct file_prefetch *p);

/*
 * Kept reads: the bytes of a file are kept for the caller instead of
 * thrown away, so that its turn needs no open, read and close of its own
 * (three system calls; on a machine that traps each one, most of a cold
 * BODY search's time).  Like file_prefetch_add(), with `len` bytes (at
 * most FILE_PREFETCH_KEEP_MAX: a bigger file, or one added with no room,
 * is read ahead as before) and a `tag` naming the file, which must grow
 * from one kept read to the next.  file_prefetch_take() hands out the
 * bytes of the read tagged `tag`, waiting for it if it is still in flight,
 * with *len_r the bytes read (check it: a file may have changed); NULL
 * when there is none or it failed.  The bytes stay valid until the next
 * take; reads tagged below `tag` that were never taken are dropped.
 * Take only with everything added submitted (file_prefetch_submit()).
 */
#define FILE_PREFETCH_KEEP_MAX (32 * 1024)
void file_prefetch_add_kept(struct file_prefetch *p, int fd, size_t len,
			    size_t tag);
const char *file_prefetch_take(struct file_prefetch *p, size_t tag,
			       size_t *len_r);

/* Reads submitted and not yet finished (those that finished are counted
 * off first).  Right after file_prefetch_submit(), 0 means every read was
 * done inside it: its files were in the page cache. */
unsigned int file_prefetch_in_flight(struct file_prefetch *p);
/* Whether the reads go through io_uring. */
bool file_prefetch_uses_uring(const struct file_prefetch *p);

#endif
