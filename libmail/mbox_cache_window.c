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

/* Makes [offset, offset + len) of the cache file lie in the window,
 * reading from `offset` on when it does not. */
static int window_fill(struct mbox *mb, struct mbox_cache_window *w,
		       uint64_t offset, size_t len, const char **error_r)
{
	size_t want = len > MBOX_CACHE_WINDOW_SIZE ? len :
		MBOX_CACHE_WINDOW_SIZE;
	ssize_t n;

	if (offset >= w->offset && w->buf.len >= len &&
	    offset - w->offset <= w->buf.len - len)
		return 0;
	if (mbox_cache_open(mb, error_r) < 0)
		return -1;
	buf_clear(&w->buf);
	buf_reserve(&w->buf, want);
	n = pread(mb->cache_fd, w->buf.data, want, (off_t)offset);
	if (n < 0)
		return mbox_fail_errno(mb, error_r, "cache");
	w->buf.len = (size_t)n;
	w->buf.data[n] = '\0';
	w->offset = offset;
	if ((size_t)n < len)
		return mbox_fail(error_r, "%s/cache: entry past the end",
				 mb->dir);
	return 0;
}

int mbox_cache_window_read(struct mbox *mb, const struct mbox_record *rec,
			   struct mbox_cache_window *w, const char **data_r,
			   size_t *len_r, const char **error_r)
{
	uint32_t head[2];
	const char *p;

	*data_r = NULL;
	*len_r = 0;
	if (rec->cache_size == 0)
		return 0;
	/* Each entry: length, CRC-32C, data (mbox_cache_read()).  A bad
	 * entry in a window read earlier is read again once: the window may
	 * hold it as it was before it was written whole. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (window_fill(mb, w, rec->cache_offset,
				sizeof(head) + (size_t)rec->cache_size,
				error_r) < 0)
			return -1;
		p = w->buf.data + (rec->cache_offset - w->offset);
		memcpy(head, p, sizeof(head));
		if (head[0] == rec->cache_size &&
		    crc32c(0, p + sizeof(head), head[0]) == head[1]) {
			*data_r = p + sizeof(head);
			*len_r = head[0];
			return 0;
		}
		if (w->offset == rec->cache_offset)
			break;	/* just read: it is bad */
		buf_clear(&w->buf);
	}
	return mbox_fail(error_r, "%s/cache: bad entry for uid %u", mb->dir,
			 rec->uid);
}

void mbox_cache_window_free(struct mbox_cache_window *w)
{
	buf_free(&w->buf);
	w->offset = 0;
}
