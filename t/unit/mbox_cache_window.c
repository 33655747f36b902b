/* Unit tests for libmail/mbox_cache_window.c: every entry read through a
 * window is the one mbox_cache_read() gives, entries larger than a window
 * and at its edges included; a damaged entry is refused and its
 * neighbours are not. */
#include "tap.h"
#include "buf.h"
#include "mbox.h"
#include "mbox_cache_window.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-cache-window-test-XXXXXX";

#define COUNT 400

int main(void)
{
	struct mbox_append *a;
	struct mbox_append_result *res = xcalloc(COUNT, sizeof(*res));
	struct mbox_cache_window w = MBOX_CACHE_WINDOW_INIT;
	struct buf blobs[COUNT], want = BUF_INIT;
	struct mbox_view view;
	struct mbox *mb;
	char dir[300], path[400];
	const char *err, *data;
	size_t len, i;
	bool same = true;
	int fd;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(dir, sizeof(dir), "%s/box", root);
	if (mbox_create(dir, 1, &err) < 0 || mbox_open(dir, &mb, &err) < 0)
		abort();
	a = mbox_append_begin(mb);
	for (i = 0; i < COUNT; i++) {
		struct mbox_new_message m;
		/* Mostly small entries, some none, some bigger than a
		 * window. */
		size_t size = i % 50 == 7 ? MBOX_CACHE_WINDOW_SIZE + 100 :
			i % 13 == 0 ? 0 : 100 + (i * 37) % 3000;

		blobs[i] = (struct buf)BUF_INIT;
		for (size_t k = 0; k < size; k++)
			buf_append_char(&blobs[i], (char)('a' + (i + k) % 26));
		snprintf(path, sizeof(path), "%s/m%zu", root, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, "x\r\n", 3) != 3)
			abort();
		close(fd);
		memset(&m, 0, sizeof(m));
		m.path = path;
		m.size = 3;
		m.internal_date = 1700000000;
		m.cache = size > 0 ? blobs[i].data : NULL;
		m.cache_size = size;
		mbox_append_add(a, &m);
	}
	if (mbox_append_commit(&a, res, &err) < 0 ||
	    mbox_view_load(mb, &view, &err) < 0 || view.count != COUNT)
		abort();

	for (i = 0; i < COUNT; i++) {
		if (mbox_cache_window_read(mb, &view.records[i], &w, &data,
					   &len, &err) < 0 ||
		    len != blobs[i].len ||
		    (len > 0 && memcmp(data, blobs[i].data, len) != 0))
			same = false;
	}
	ok(same, "every entry as written, in UID order");
	same = true;
	for (i = COUNT; i-- > 0;) {
		if (mbox_cache_window_read(mb, &view.records[i], &w, &data,
					   &len, &err) < 0 ||
		    len != blobs[i].len ||
		    (len > 0 && memcmp(data, blobs[i].data, len) != 0) ||
		    mbox_cache_read(mb, &view.records[i], &want, &err) < 0 ||
		    want.len != len)
			same = false;
	}
	ok(same, "and backwards, the same as mbox_cache_read()");

	/* One byte of entry 5 damaged on disk: a window read before holds
	 * the entry as it was (entries are never rewritten in place; the
	 * window lives for one command); a new window refuses it, and entry
	 * 6 still reads. */
	snprintf(path, sizeof(path), "%s/cache", dir);
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && pwrite(fd, "#", 1, (off_t)view.records[5].cache_offset +
			     8 + 10) == 1, "entry damaged");
	if (fd >= 0)
		close(fd);
	ok(mbox_cache_window_read(mb, &view.records[4], &w, &data, &len,
				  &err) == 0 && len == blobs[4].len,
	   "a window from before the damage");
	mbox_cache_window_free(&w);
	ok(mbox_cache_window_read(mb, &view.records[5], &w, &data, &len,
				  &err) < 0 && strstr(err, "bad entry") != NULL,
	   "the damaged entry is refused");
	ok(mbox_cache_window_read(mb, &view.records[6], &w, &data, &len,
				  &err) == 0 && len == blobs[6].len &&
	   memcmp(data, blobs[6].data, len) == 0, "its neighbour is not");
	ok(mbox_cache_window_read(mb, &view.records[0], &w, &data, &len,
				  &err) == 0 && len == 0 && data == NULL,
	   "a message without an entry has none");

	mbox_cache_window_free(&w);
	mbox_view_free(&view);
	mbox_close(&mb);
	for (i = 0; i < COUNT; i++)
		buf_free(&blobs[i]);
	buf_free(&want);
	free(res);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			tap_diag("could not remove the test folder");
	}
	return tap_done();
}
