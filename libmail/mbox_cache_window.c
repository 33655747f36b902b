#include "mbox_cache_window.h"
#include "crc32.h"
#include "mbox_private.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mbox_cache_open(struct mbox *mb, const char **error_r)
{
	char *path;

	if (mb->cache_fd >= 0)
		return 0;
	path = mbox_path(mb, "cache");
	mb->cache_fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (mb->cache_fd < 0)
		return mbox_fail_errno(mb, error_r, "cache");
	return 0;
}

void mbox_fields_header_init(struct mbox_fields_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->magic, MBOX_FIELDS_MAGIC, sizeof(MBOX_FIELDS_MAGIC));
	hdr->version = MBOX_FIELDS_VERSION;
}

uint32_t mbox_entry_crc(uint32_t uid, const void *data, size_t len)
{
	return crc32c(uid, data, len);
}

bool mbox_entry_crc_ok(uint32_t uid, const void *data, size_t len,
		       uint32_t crc)
{
	return crc32c(uid, data, len) == crc || crc32c(0, data, len) == crc;
}

void mbox_cache_entry_append(struct buf *out, uint32_t uid, const void *data,
			     size_t len)
{
	uint32_t head[2];

	head[0] = (uint32_t)len;
	head[1] = mbox_entry_crc(uid, data, len);
	buf_append(out, head, sizeof(head));
	buf_append(out, data, len);
}

void mbox_fields_entry_append(struct buf *out, uint32_t uid, const void *data,
			      size_t len)
{
	static const char zeros[8];
	uint32_t head[2];
	size_t start = out->len;

	head[0] = (uint32_t)len;
	head[1] = mbox_entry_crc(uid, data, len);
	buf_append(out, head, sizeof(head));
	buf_append(out, data, len);
	buf_append(out, zeros, (8 - (out->len - start) % 8) % 8);
}

/* Checks the fields file's header, writing it when the file is new or
 * its header was never written whole (all zero), which only a writer
 * holding the lock may do.  -1 when it cannot be read, -2 when it is
 * not one of this version. */
static int fields_check_header(struct mbox *mb, bool write,
			       const char **error_r)
{
	struct mbox_fields_header hdr, zero;
	ssize_t n;

	memset(&zero, 0, sizeof(zero));
	n = pread(mb->fields_fd, &hdr, sizeof(hdr), 0);
	if (n < 0)
		return mbox_fail_errno(mb, error_r, "fields");
	if ((size_t)n < sizeof(hdr))
		memset((char *)&hdr + n, 0, sizeof(hdr) - (size_t)n);
	if (memcmp(&hdr, &zero, sizeof(hdr)) == 0) {
		/* For a reader, not yet: the next writer writes it. */
		if (!write)
			return mbox_fail(error_r, "%s/fields: no header yet",
					 mb->dir);
		mbox_fields_header_init(&hdr);
		if (pwrite(mb->fields_fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
			return mbox_fail_errno(mb, error_r, "fields");
	}
	if (memcmp(hdr.magic, MBOX_FIELDS_MAGIC, sizeof(MBOX_FIELDS_MAGIC)) != 0) {
		mbox_fail(error_r, "%s/fields: not a fields file", mb->dir);
		return -2;
	}
	if (hdr.version != MBOX_FIELDS_VERSION) {
		mbox_fail(error_r, "%s/fields: version %u is not the one this "
			  "program knows (%d)", mb->dir, hdr.version,
			  MBOX_FIELDS_VERSION);
		return -2;
	}
	return 0;
}

int mbox_fields_open(struct mbox *mb, bool write, const char **error_r)
{
	char *path;
	int ret;

	if (mb->fields_bad)
		return mbox_fail(error_r, "%s/fields: unusable", mb->dir);
	if (mb->fields_fd >= 0 && (!write || mb->fields_writable))
		return 0;
	if (mb->fields_fd >= 0)
		close(mb->fields_fd);
	path = mbox_path(mb, "fields");
	mb->fields_fd = open(path, write ? O_RDWR | O_CREAT | O_CLOEXEC :
			     O_RDONLY | O_CLOEXEC, 0600);
	free(path);
	mb->fields_writable = write;
	if (mb->fields_fd < 0)
		return mbox_fail_errno(mb, error_r, "fields");
	ret = fields_check_header(mb, write, error_r);
	if (ret < 0) {
		/* A file of another version is left alone, by readers and
		 * writers: the cache answers for every message. */
		mb->fields_bad = ret == -2;
		close(mb->fields_fd);
		mb->fields_fd = -1;
		return -1;
	}
	return 0;
}

void mbox_cache_close(struct mbox *mb)
{
	if (mb->cache_fd >= 0)
		close(mb->cache_fd);
	if (mb->fields_fd >= 0)
		close(mb->fields_fd);
	mb->cache_fd = mb->fields_fd = -1;
	mb->cache_writable = mb->fields_writable = mb->fields_bad = false;
}

/* Makes [offset, offset + len) of the file `name` at `fd` lie in the
 * span, reading from `offset` on when it does not. */
static int span_fill(struct mbox *mb, int fd, const char *name,
		     struct mbox_window_span *s, uint64_t offset, size_t len,
		     const char **error_r)
{
	size_t want = len > MBOX_CACHE_WINDOW_SIZE ? len :
		MBOX_CACHE_WINDOW_SIZE;
	ssize_t n;

	if (offset >= s->offset && s->buf.len >= len &&
	    offset - s->offset <= s->buf.len - len)
		return 0;
	buf_clear(&s->buf);
	buf_reserve(&s->buf, want);
	n = pread(fd, s->buf.data, want, (off_t)offset);
	if (n < 0)
		return mbox_fail_errno(mb, error_r, name);
	s->buf.len = (size_t)n;
	s->buf.data[n] = '\0';
	s->offset = offset;
	if ((size_t)n < len)
		return mbox_fail(error_r, "%s/%s: entry past the end", mb->dir,
				 name);
	return 0;
}

/* The entry at `offset` of the file: length, CRC-32C, data.  `want` is
 * its length as the index knows it, or 0 when the index does not (then
 * at most MBOX_FIELDS_MAX_ENTRY).  A bad entry in a window read earlier
 * is read again once: the window may hold it as it was before it was
 * written whole. */
static int span_entry(struct mbox *mb, int fd, const char *name,
		      struct mbox_window_span *s, uint64_t offset,
		      uint32_t want, uint32_t uid, const char **data_r,
		      size_t *len_r, const char **error_r)
{
	uint32_t head[2], len;
	const char *p;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (span_fill(mb, fd, name, s, offset, sizeof(head),
			      error_r) < 0)
			return -1;
		memcpy(head, s->buf.data + (offset - s->offset), sizeof(head));
		len = head[0];
		if (want != 0 ? len == want : len <= MBOX_FIELDS_MAX_ENTRY) {
			if (span_fill(mb, fd, name, s, offset,
				      sizeof(head) + (size_t)len, error_r) < 0)
				return -1;
			p = s->buf.data + (offset - s->offset);
			memcpy(head, p, sizeof(head));
			if (head[0] == len &&
			    mbox_entry_crc_ok(uid, p + sizeof(head), len,
					      head[1])) {
				*data_r = p + sizeof(head);
				*len_r = len;
				return 0;
			}
		}
		if (s->offset == offset)
			break;	/* just read: it is bad */
		buf_clear(&s->buf);
	}
	return mbox_fail(error_r, "%s/%s: bad entry for uid %u", mb->dir, name,
			 uid);
}

int mbox_cache_window_read(struct mbox *mb, const struct mbox_record *rec,
			   struct mbox_cache_window *w, const char **data_r,
			   size_t *len_r, const char **error_r)
{
	*data_r = NULL;
	*len_r = 0;
	if (rec->cache_size == 0)
		return 0;
	if (mbox_cache_open(mb, error_r) < 0)
		return -1;
	return span_entry(mb, mb->cache_fd, "cache", &w->cache,
			  mbox_record_cache_offset(rec), rec->cache_size,
			  rec->uid, data_r, len_r, error_r);
}

int mbox_fields_window_read(struct mbox *mb, const struct mbox_record *rec,
			    struct mbox_cache_window *w, const char **data_r,
			    size_t *len_r, const char **error_r)
{
	uint64_t offset = mbox_record_fields_offset(rec);

	*data_r = NULL;
	*len_r = 0;
	if (offset == 0)
		return 0;
	if (mbox_fields_open(mb, false, error_r) < 0)
		return -1;
	return span_entry(mb, mb->fields_fd, "fields", &w->fields, offset, 0,
			  rec->uid, data_r, len_r, error_r);
}

int mbox_fields_read(struct mbox *mb, const struct mbox_record *rec,
		     struct buf *out, const char **error_r)
{
	uint64_t offset = mbox_record_fields_offset(rec);
	uint32_t head[2];

	buf_clear(out);
	if (offset == 0)
		return 0;
	if (mbox_fields_open(mb, false, error_r) < 0)
		return -1;
	if (pread(mb->fields_fd, head, sizeof(head), (off_t)offset) !=
	    sizeof(head) || head[0] > MBOX_FIELDS_MAX_ENTRY)
		goto bad;
	buf_reserve(out, head[0]);
	if (pread(mb->fields_fd, out->data, head[0],
		  (off_t)(offset + sizeof(head))) != (ssize_t)head[0] ||
	    !mbox_entry_crc_ok(rec->uid, out->data, head[0], head[1]))
		goto bad;
	out->len = head[0];
	out->data[out->len] = '\0';
	return 0;
bad:
	buf_clear(out);
	return mbox_fail(error_r, "%s/fields: bad entry for uid %u", mb->dir,
			 rec->uid);
}

void mbox_cache_window_free(struct mbox_cache_window *w)
{
	buf_free(&w->cache.buf);
	buf_free(&w->fields.buf);
	w->cache.offset = w->fields.offset = 0;
}
