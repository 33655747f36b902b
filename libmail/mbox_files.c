/* Replacing a mailbox's files: the index alone without its tombstones,
 * or the whole set (index, log, cache, fields) without what expunged
 * messages left in them; the switch to a new set and its completion
 * after a crash. */
#include "mbox_private.h"
#include "log.h"
#include "mbox_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The order of a switch: the log first, the index that names it last. */
static const char *const switch_order[] = { "log", "cache", "fields",
					    "index" };
#define SWITCH_FILES (sizeof(switch_order) / sizeof(switch_order[0]))

/* Renames NAME.new over NAME for the files of the switch from `first` on,
 * flushing the folder after each: on a file system that does not keep
 * their order (ext4 without a journal), the index could otherwise be
 * switched before the log.  With `done_ok`, a NAME.new already gone was
 * renamed before a crash. */
static int switch_rename(struct mbox *mb, size_t first, bool done_ok,
			 const char **error_r)
{
	char from[16];
	size_t i;

	for (i = first; i < SWITCH_FILES; i++) {
		snprintf(from, sizeof(from), "%s.new", switch_order[i]);
		if ((renameat(mb->dir_fd, from, mb->dir_fd,
			      switch_order[i]) < 0 &&
		     !(done_ok && errno == ENOENT)) || fsync(mb->dir_fd) < 0)
			return mbox_fail(error_r, "%s/%s: switching to the new "
					 "files: %s", mb->dir, switch_order[i],
					 strerror(errno));
	}
	return 0;
}

int mbox_files_switch(struct mbox *mb, const char **error_r)
{
	/* The new files' names first: a rename must never be on disk
	 * before the file it names. */
	if (fsync(mb->dir_fd) < 0)
		return mbox_fail_errno(mb, error_r, ".");
	return switch_rename(mb, 0, false, error_r);
}

int mbox_files_finish(struct mbox *mb, uint64_t log_seq, const char **error_r)
{
	struct mbox_index_header hdr;
	bool ours;
	int fd;

	fd = openat(mb->dir_fd, "index.new", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* index.new is written whole and flushed before the log is
	 * switched: naming the log's sequence, it is that switch's. */
	ours = pread(fd, &hdr, sizeof(hdr), 0) == sizeof(hdr) &&
		memcmp(hdr.magic, MBOX_INDEX_MAGIC,
		       sizeof(MBOX_INDEX_MAGIC)) == 0 &&
		hdr.log_seq == log_seq;
	close(fd);
	if (!ours)
		return 0;
	/* The log is in place: the rest, those not renamed already. */
	if (switch_rename(mb, 1, true, error_r) < 0)
		return -1;
	log_warn("mbox_switch_finished", "path=%s", mb->dir);
	return mbox_refresh_locked(mb, error_r) < 0 ? -1 : 1;
}

/* One new file written from the start, a buffer at a time. */
struct mbox_new_file {
	const char *name;
	int fd;
	uint64_t size;
	struct buf buf;
	bool failed;
};

#define MBOX_NEW_FILE_BUFFER (256 * 1024)

static int new_file_open(struct mbox *mb, struct mbox_new_file *f,
			 const char *name, const char **error_r)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->fd = openat(mb->dir_fd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		       0600);
	if (f->fd < 0)
		return mbox_fail(error_r, "%s/%s: %s", mb->dir, name,
				 strerror(errno));
	return 0;
}

static void new_file_flush(struct mbox_new_file *f)
{
	size_t done = 0;

	while (!f->failed && done < f->buf.len) {
		ssize_t n = write(f->fd, f->buf.data + done, f->buf.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			f->failed = true;
		else
			done += (size_t)n;
	}
	buf_clear(&f->buf);
}

static void new_file_write(struct mbox_new_file *f, const void *data,
			   size_t len)
{
	buf_append(&f->buf, data, len);
	f->size += len;
	if (f->buf.len >= MBOX_NEW_FILE_BUFFER)
		new_file_flush(f);
}

/* Writes out what is buffered and flushes the file to disk. */
static int new_file_finish(struct mbox *mb, struct mbox_new_file *f,
			   const char **error_r)
{
	new_file_flush(f);
	if (f->failed || fsync(f->fd) < 0)
		return mbox_fail(error_r, "%s/%s: %s", mb->dir, f->name,
				 f->failed ? "short write" : strerror(errno));
	return 0;
}

static void new_file_close(struct mbox *mb, struct mbox_new_file *f,
			   bool remove)
{
	if (f->fd >= 0) {
		close(f->fd);
		if (remove)
			(void)unlinkat(mb->dir_fd, f->name, 0);
	}
	buf_free(&f->buf);
	f->fd = -1;
}

/* What a new index starts with, its header written over it at the end
 * (new_file_index_header()). */
static const unsigned char index_header_zeros[MBOX_INDEX_HEADER_SIZE];

/* Writes the index header `hdr` over the zeros the file starts with,
 * once the records after it are written out. */
static void new_file_index_header(struct mbox_new_file *index,
				  const struct mbox_index_header *hdr)
{
	unsigned char pad[MBOX_INDEX_HEADER_SIZE];

	new_file_flush(index);
	memset(pad, 0, sizeof(pad));
	memcpy(pad, hdr, sizeof(*hdr));
	if (!index->failed &&
	    pwrite(index->fd, pad, sizeof(pad), 0) != (ssize_t)sizeof(pad))
		index->failed = true;
}

struct compact_ctx {
	struct mbox_new_file *index;
	uint32_t kept;
};

static void compact_record(void *ctx, const struct mbox_record *rec)
{
	struct compact_ctx *c = ctx;

	if (rec->flags & MBOX_EXPUNGED)
		return;
	new_file_write(c->index, rec, sizeof(*rec));
	c->kept++;
}

int mbox_index_compact_locked(struct mbox *mb, const char **error_r)
{
	struct mbox_index_header hdr = mb->hdr;
	struct mbox_new_file index;
	struct compact_ctx c = { &index, 0 };
	struct stat st;
	int ret = -1;

	memset(&index, 0, sizeof(index));
	index.fd = -1;
	if (new_file_open(mb, &index, "index.new", error_r) < 0)
		goto out;
	new_file_write(&index, index_header_zeros, sizeof(index_header_zeros));
	if (mbox_index_walk(mb, compact_record, &c, error_r) < 0)
		goto out;
	hdr.record_count = c.kept;
	hdr.checkpoint_offset = hdr.applied_offset;
	new_file_index_header(&index, &hdr);
	if (new_file_finish(mb, &index, error_r) < 0)
		goto out;
	if (renameat(mb->dir_fd, "index.new", mb->dir_fd, "index") < 0 ||
	    fsync(mb->dir_fd) < 0) {
		mbox_fail(error_r, "%s/index: compacting: %s", mb->dir,
			  strerror(errno));
		goto out;
	}
	close(mb->index_fd);
	mb->index_fd = index.fd;
	index.fd = -1;
	if (fstat(mb->index_fd, &st) == 0)
		mb->index_ino = st.st_ino;
	mb->hdr = hdr;
	ret = 0;
out:
	new_file_close(mb, &index, ret < 0);
	return ret;
}

static void rewrite_collect(void *ctx, const struct mbox_record *rec)
{
	if (!(rec->flags & MBOX_EXPUNGED))
		buf_append(ctx, rec, sizeof(*rec));
}

/* Copies the record's cache and fields entries to the new files, checked
 * and with the CRC of this version, and points the record at them.  An
 * entry that cannot be read is left out: readers parse the message, as
 * they do for any bad entry. */
static void rewrite_entries(struct mbox *mb, struct mbox_record *rec,
			    struct mbox_new_file *cache,
			    struct mbox_new_file *fields, struct buf *entry,
			    struct buf *out)
{
	const char *error;

	if (rec->cache_size > 0 &&
	    mbox_cache_read(mb, rec, entry, &error) == 0 && entry->len > 0) {
		buf_clear(out);
		mbox_cache_entry_append(out, rec->uid, entry->data,
					entry->len);
		mbox_record_set_cache_offset(rec, cache->size);
		new_file_write(cache, out->data, out->len);
	} else {
		mbox_record_set_cache_offset(rec, 0);
		rec->cache_size = 0;
	}
	if (mbox_record_fields_offset(rec) != 0 &&
	    mbox_fields_read(mb, rec, entry, &error) == 0 && entry->len > 0 &&
	    fields->size + 8 + entry->len <= MBOX_FIELDS_MAX_OFFSET) {
		buf_clear(out);
		mbox_fields_entry_append(out, rec->uid, entry->data,
					 entry->len);
		mbox_record_set_fields_offset(rec, fields->size);
		new_file_write(fields, out->data, out->len);
	} else {
		mbox_record_set_fields_offset(rec, 0);
	}
}

int mbox_files_rewrite_locked(struct mbox *mb, const char **error_r)
{
	struct mbox_new_file cache, fields, index;
	struct mbox_index_header hdr = mb->hdr;
	struct mbox_fields_header fh;
	struct buf live = BUF_INIT, entry = BUF_INIT, out = BUF_INIT;
	struct mbox_record *recs;
	size_t i, count;
	bool switching = false;
	char *log_new = mbox_path(mb, "log.new");
	int ret = -1;

	memset(&cache, 0, sizeof(cache));
	memset(&fields, 0, sizeof(fields));
	memset(&index, 0, sizeof(index));
	cache.fd = fields.fd = index.fd = -1;
	if (mbox_index_walk(mb, rewrite_collect, &live, error_r) < 0)
		goto out;
	recs = (struct mbox_record *)(void *)live.data;
	count = live.len / sizeof(*recs);
	(void)unlink(log_new);
	if (new_file_open(mb, &cache, "cache.new", error_r) < 0 ||
	    new_file_open(mb, &fields, "fields.new", error_r) < 0 ||
	    new_file_open(mb, &index, "index.new", error_r) < 0)
		goto out;
	mbox_fields_header_init(&fh);
	new_file_write(&fields, &fh, sizeof(fh));
	new_file_write(&index, index_header_zeros, sizeof(index_header_zeros));
	for (i = 0; i < count; i++) {
		rewrite_entries(mb, &recs[i], &cache, &fields, &entry, &out);
		new_file_write(&index, &recs[i], sizeof(recs[i]));
	}
	hdr.record_count = (uint32_t)count;
	hdr.log_seq++;
	hdr.applied_offset = hdr.checkpoint_offset = MBOX_LOG_HEADER_SIZE;
	mbox_boot_id(hdr.boot_id);
	new_file_index_header(&index, &hdr);
	if (new_file_finish(mb, &cache, error_r) < 0 ||
	    new_file_finish(mb, &fields, error_r) < 0 ||
	    new_file_finish(mb, &index, error_r) < 0 ||
	    mbox_log_create(log_new, hdr.uidvalidity, hdr.log_seq,
			    error_r) < 0)
		goto out;
	switching = true;
	if (mbox_files_switch(mb, error_r) < 0 ||
	    mbox_refresh_locked(mb, error_r) < 0) {
		ret = -2;
		goto out;
	}
	ret = 0;
out:
	/* New files not switched to are removed.  Once the switch began,
	 * those not renamed yet are what mbox_files_finish() completes it
	 * with, so they stay. */
	new_file_close(mb, &cache, ret < 0 && !switching);
	new_file_close(mb, &fields, ret < 0 && !switching);
	new_file_close(mb, &index, ret < 0 && !switching);
	if (ret < 0 && !switching)
		(void)unlink(log_new);
	free(log_new);
	buf_free(&live);
	buf_free(&entry);
	buf_free(&out);
	return ret;
}
