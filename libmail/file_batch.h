#ifndef SEALPOST_FILE_BATCH_H
#define SEALPOST_FILE_BATCH_H

/*
 * Reading many small files whole, whose folder entries and pages are in
 * the kernel's caches (a SEARCH BODY over a mailbox read recently): one
 * system call for a batch instead of an open, a read and a close for
 * each file.  Where system calls are dear (a virtual machine that traps
 * each one), those three calls are most of a warm search's time.
 *
 * Each file is opened into a slot of the ring's own table of files, read
 * from that slot and closed there, the three hard-linked, all of the
 * batch submitted and waited for in one io_uring_enter().  With the
 * caches warm the kernel does each step inline; a file that must come
 * from the disk is handed to the kernel's workers and the call waits for
 * it, so a reader of a cold mailbox reads ahead instead (file_prefetch).
 *
 * Needs kernel 5.19 (IORING_SETUP_SUBMIT_ALL and a sparse table of
 * files): file_batch_new() returns NULL where the kernel refuses, and the
 * caller reads the files itself.
 */

#include <stdbool.h>
#include <stddef.h>

/* The most files one batch reads. */
#define FILE_BATCH_MAX_FILES 64

struct file_batch;

/* A batch reader for up to `files` files (1..FILE_BATCH_MAX_FILES) of up
 * to `max_size` bytes each; NULL where io_uring cannot do it. */
struct file_batch *file_batch_new(unsigned int files, size_t max_size);
void file_batch_free(struct file_batch **b);

/* Reads the files `names[0..n)` of the folder `dirfd`, each expected to
 * be `sizes[i]` bytes long (n at most the batch's files; a size above its
 * max_size is not read).  Afterwards file_batch_data() gives each. */
void file_batch_read(struct file_batch *b, int dirfd,
		     const char *const *names, const size_t *sizes,
		     unsigned int n);
/* The bytes of file i of the last read, NUL-terminated, valid until the
 * next read; NULL when it could not be opened or read, or its size was
 * not the one expected (the caller reads it itself). */
const char *file_batch_data(const struct file_batch *b, unsigned int i);

#endif
