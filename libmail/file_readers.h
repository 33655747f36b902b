#ifndef SEALPOST_FILE_READERS_H
#define SEALPOST_FILE_READERS_H

/*
 * Reading a run of small files of one folder, by name and in order, from a
 * cold page cache, on helper threads: a SEARCH BODY over a large mailbox
 * that is not cached.  There, the kernel's work for each file (finding its
 * name in a folder of many thousands, reading its inode, putting its
 * pages in the page cache) costs more CPU than the search does with its
 * bytes, and one thread doing both keeps one core busy while the other
 * waits.  Here helper threads take the files a batch at a time, open
 * them and read each batch through an io_uring of their own in one system
 * call (so that the reads of neighbouring files merge, see
 * file_prefetch.h), several batches in flight each; the caller takes each
 * file's bytes in order as its turn comes.
 *
 * Files up to FILE_READERS_KEEP_MAX bytes are kept for the caller; of a
 * bigger one the first FILE_PREFETCH_MAX_LEN bytes are read into the
 * page cache only and file_readers_take() has nothing for it.
 *
 * Only the helpers touch the files; the caller's thread makes no system
 * call but to wake them and to wait.
 */

#include "file_prefetch.h"

#include <stdbool.h>
#include <stddef.h>

/* Kept the same as a read-ahead from the caller's own thread keeps. */
#define FILE_READERS_KEEP_MAX FILE_PREFETCH_KEEP_MAX
/* The longest file name taken, with its NUL. */
#define FILE_READERS_NAME_MAX 32
#define FILE_READERS_MAX_THREADS 8

struct file_readers;

/* `threads` helpers (1..FILE_READERS_MAX_THREADS) reading files of the
 * folder `dir_fd` (borrowed: keep it open until file_readers_free()), at
 * most `window` files added and not yet taken.  NULL where io_uring is
 * refused, a thread cannot be made, or the helpers of all the readers of
 * the process would then be more than `process_max`: read ahead some
 * other way. */
struct file_readers *file_readers_new(int dir_fd, unsigned int threads,
				      unsigned int window,
				      unsigned int process_max);
/* Waits for the reads in flight (their buffers go), then for the
 * helpers. */
void file_readers_free(struct file_readers **r);

/* How many files may be added now.  Never blocks. */
unsigned int file_readers_room(struct file_readers *r);
/* Adds the file `name` (shorter than FILE_READERS_NAME_MAX), of which
 * `len` bytes are wanted, under `tag`, which must grow from one file to
 * the next.  Only while file_readers_room() is above 0; the helpers see it
 * at file_readers_submit(). */
void file_readers_add(struct file_readers *r, const char *name, size_t len,
		      size_t tag);
void file_readers_submit(struct file_readers *r);

/* The bytes of the file added under `tag`, waiting for them if they are
 * still being read, with *len_r the bytes read (check it: a file may have
 * changed).  NULL when there is none: not added, not kept (too big), or
 * its open or read failed.  Files added under a lower tag and never taken
 * are dropped.  The bytes stay valid until the next take. */
const char *file_readers_take(struct file_readers *r, size_t tag,
			      size_t *len_r);

/* How many files in a row, the last ones read, were in the page cache
 * already (counted by the batch: every read of a batch done inside the
 * system call that submitted it). */
unsigned int file_readers_cached_run(struct file_readers *r);

#endif
