#ifndef SEALPOST_MBOX_PRIVATE_H
#define SEALPOST_MBOX_PRIVATE_H

/* Shared by the files that implement mbox.h; nothing else includes it. */

#include "mbox.h"
#include "mbox_format.h"

#include <sys/file.h>

struct mbox {
	char *dir;
	char *log_path;
	int dir_fd;
	int lock_fd;
	int index_fd;
	ino_t index_ino;
	int log_fd;
	ino_t log_ino;
	int cache_fd;
	bool cache_writable;	/* cache_fd was opened for writing */
	/* The fields file: -1 until opened (mbox_fields_open()), which
	 * checks its header once; fields_bad when that failed, so reads
	 * go to the cache file without trying again. */
	int fields_fd;
	bool fields_writable;
	bool fields_bad;
	struct mbox_index_header hdr;	/* valid while locked */
	bool over_quota;		/* the last append failed for quota */
	/* mbox_open_shared(): the handles of this process, and how many
	 * holders this one has (mbox_close() drops one). */
	unsigned int refs;
	bool shared;
	struct mbox *shared_next;
	struct mbox *kept_next;	/* kept with no holder (mbox.c) */
	/* A shared mailbox's last snapshot, brought up to date from the
	 * log for the next mbox_view_load() instead of reading the index;
	 * NULL until the first. */
	struct mbox_view *snapshot;
	/* The duplicate check's table (mbox_dedup.c); NULL until the
	 * first delivery with a hash. */
	struct mbox_dedup *dedup;
};

/* The usage hook of mbox_set_usage_hook(), called by the writers. */
int mbox_usage_change(struct mbox *mb, int64_t bytes, int64_t messages,
		      bool enforce, bool *over_r, const char **error_r);
/* The same, deferred (see mbox_usage_flush_fn); then mbox_usage_flush(). */
int mbox_usage_change_deferred(struct mbox *mb, int64_t bytes,
			       int64_t messages, bool enforce, bool *over_r,
			       const char **error_r);

/* The UID of the newest message stored at or after `since` whose
 * delivery hash is `hash`, or 0; under the lock, with the index brought
 * up to the log.  In mbox_dedup.c, with the table's free. */
uint32_t mbox_dedup_find(struct mbox *mb, uint64_t hash, int64_t since);
void mbox_dedup_free(struct mbox *mb);

int mbox_fail(const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int mbox_fail_errno(struct mbox *mb, const char **error_r, const char *what);
void mbox_boot_id(unsigned char id[16]);
char *mbox_path(const struct mbox *mb, const char *name);
int mbox_write_header(struct mbox *mb, const char **error_r);
/* Opens the cache file for reading once (mb->cache_fd). */
int mbox_cache_open(struct mbox *mb, const char **error_r);
/* Opens the fields file once (mb->fields_fd), for writing too with
 * `write` (creating it, with its header, when it is new or its header
 * torn: hold the lock).  -1 when there is none or its header is not of
 * this version; the caller reads or writes the cache alone. */
int mbox_fields_open(struct mbox *mb, bool write, const char **error_r);
/*
 * The CRC-32C of a cache or fields entry of message `uid`.  It starts from
 * the UID, so an entry checked for another message fails: a reader whose
 * offsets come from an index older than the file it reads (one rewritten
 * since by a compaction or reconstruct) finds a bad entry and parses the
 * message instead, never another message's entry of the same length.
 * Entries written before this started from 0; they are still taken.
 */
uint32_t mbox_entry_crc(uint32_t uid, const void *data, size_t len);
bool mbox_entry_crc_ok(uint32_t uid, const void *data, size_t len,
		       uint32_t crc);
/* The header of a new fields file. */
void mbox_fields_header_init(struct mbox_fields_header *hdr);
/* Appends a fields entry of `data` to `out`: length, CRC-32C, the data,
 * zero padding to a multiple of 8 bytes. */
void mbox_fields_entry_append(struct buf *out, uint32_t uid, const void *data,
			      size_t len);
/* Appends a cache entry of `data` for message `uid` to `out`: length,
 * CRC-32C, the data (as delivery writes it, unpadded). */
void mbox_cache_entry_append(struct buf *out, uint32_t uid, const void *data,
			     size_t len);
/* Closes the cache and fields files, to be opened again when next used
 * (they were replaced). */
void mbox_cache_close(struct mbox *mb);

/* Takes the lock (LOCK_SH or LOCK_EX), reopening the index and log if
 * they were replaced, and reads the index header. */
int mbox_lock(struct mbox *mb, int how, const char **error_r);
/* The same, with the lock held already: after the files were replaced. */
int mbox_refresh_locked(struct mbox *mb, const char **error_r);

/*
 * Replacing the set of files (mbox_files.c).  The caller, holding the
 * exclusive lock, has written log.new (the next log_seq), cache.new,
 * fields.new and index.new (naming that log_seq) and made them durable;
 * they are renamed in that order, the folder flushed after each, so a
 * crash leaves either the old index with the old log or index.new beside
 * the new log, which mbox_files_finish() completes.
 */
int mbox_files_switch(struct mbox *mb, const char **error_r);
/* With the exclusive lock, when the log's `log_seq` is not the index's:
 * finishes a switch a crash interrupted (1, the index reopened and its
 * header read), or finds none to finish (0). */
int mbox_files_finish(struct mbox *mb, uint64_t log_seq, const char **error_r);
/* With the exclusive lock and the log synced: writes the index again
 * without the records of expunged messages (new file, fsync, rename,
 * folder fsync) and marks it as reflecting the whole log.  Other
 * processes find the new file at their next lock; the log is the same,
 * so readers following it notice nothing. */
int mbox_index_compact_locked(struct mbox *mb, const char **error_r);
/* With the exclusive lock and the log synced: writes the mailbox's files
 * again with only what its live messages use (their index records, cache
 * and fields entries) and an empty log, and switches to them.  -1 when
 * it failed before the switch (nothing changed), -2 when the switch
 * failed (the next lock finishes it). */
int mbox_files_rewrite_locked(struct mbox *mb, const char **error_r);
void mbox_unlock(struct mbox *mb);

off_t mbox_record_pos(uint32_t i);
ssize_t mbox_index_find(struct mbox *mb, uint32_t uid,
			struct mbox_record *rec_r);
int mbox_index_apply(void *ctx, const struct mbox_log_record *rec,
		     const void *payload, size_t size);
int mbox_recover_locked(struct mbox *mb, const char **error_r);
/* Calls `fn` for every record of the index, tombstones included, in UID
 * order, reading the index a few thousand records at a time; the caller
 * holds the lock. */
int mbox_index_walk(struct mbox *mb,
		    void (*fn)(void *ctx, const struct mbox_record *rec),
		    void *ctx, const char **error_r);

#endif
