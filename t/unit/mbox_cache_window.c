/* Unit tests for libmail/mbox_cache_window.c: every entry read through a
 * window is the one mbox_cache_read() gives, entries larger than a window
 * and at its edges included; a damaged entry is refused and its
 * neighbours are not.  The same for the fields entries (the head of each
 * cache entry, stored apart), whose offsets the index packs beside the
 * cache's. */
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

/* The bytes of entry i's head stored apart: none for some. */
static size_t fields_size(size_t i, size_t size)
{
	return i % 3 == 1 ? 0 : size / 3 + (i % 2);
}

/* Whether every fields entry reads through `w` as written, in the
 * order of `step` (1 or -1). */
static bool fields_same(struct mbox *mb, const struct mbox_view *view,
			struct mbox_cache_window *w, const struct buf *blobs,
			int step)
{
	struct buf one = BUF_INIT;
	const char *err, *data;
	size_t len, want;
	bool same = true;

	for (size_t n = 0; n < COUNT; n++) {
		size_t i = step > 0 ? n : COUNT - 1 - n;

		want = blobs[i].len > 0 ? fields_size(i, blobs[i].len) : 0;
		if (mbox_fields_window_read(mb, &view->records[i], w, &data,
					    &len, &err) < 0 || len != want ||
		    (len > 0 && memcmp(data, blobs[i].data, len) != 0) ||
		    mbox_fields_read(mb, &view->records[i], &one, &err) < 0 ||
		    one.len != want ||
		    (want > 0 && memcmp(one.data, blobs[i].data, want) != 0) ||
		    (mbox_record_fields_offset(&view->records[i]) != 0) !=
		    (want > 0) ||
		    mbox_record_fields_offset(&view->records[i]) % 8 != 0)
			same = false;
	}
	buf_free(&one);
	return same;
}

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
		m.fields_size = size > 0 ? fields_size(i, size) : 0;
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
	ok(fields_same(mb, &view, &w, blobs, 1),
	   "every fields entry as written, apart from the cache");
	ok(fields_same(mb, &view, &w, blobs, -1), "and backwards");
	same = true;
	for (i = 0; i < COUNT; i++) {
		struct mbox_record r = view.records[i];

		/* The two offsets share bits: setting one keeps the other. */
		mbox_record_set_fields_offset(&r, MBOX_FIELDS_MAX_OFFSET - 8);
		mbox_record_set_cache_offset(&r, (UINT64_C(1) << 48) - 1);
		if (mbox_record_fields_offset(&r) != MBOX_FIELDS_MAX_OFFSET - 8 ||
		    mbox_record_cache_offset(&r) != (UINT64_C(1) << 48) - 1)
			same = false;
		mbox_record_set_cache_offset(
			&r, mbox_record_cache_offset(&view.records[i]));
		mbox_record_set_fields_offset(
			&r, mbox_record_fields_offset(&view.records[i]));
		if (memcmp(&r, &view.records[i], sizeof(r)) != 0)
			same = false;
	}
	ok(same, "cache and fields offsets are set apart");

	/* One byte of entry 5 damaged on disk: a window read before holds
	 * the entry as it was (entries are never rewritten in place; the
	 * window lives for one command); a new window refuses it, and entry
	 * 6 still reads. */
	snprintf(path, sizeof(path), "%s/cache", dir);
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && pwrite(fd, "#", 1,
			     (off_t)mbox_record_cache_offset(&view.records[5]) +
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

	/* The same for a fields entry: entry 2's length damaged so that it
	 * claims more than it has. */
	snprintf(path, sizeof(path), "%s/fields", dir);
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && pwrite(fd, "\x7f", 1,
			     (off_t)mbox_record_fields_offset(&view.records[2])) == 1,
	   "fields entry damaged");
	if (fd >= 0)
		close(fd);
	mbox_cache_window_free(&w);
	ok(mbox_fields_window_read(mb, &view.records[2], &w, &data, &len,
				   &err) < 0 && strstr(err, "bad entry") != NULL,
	   "the damaged fields entry is refused");
	ok(mbox_fields_read(mb, &view.records[2], &want, &err) < 0 &&
	   want.len == 0, "by mbox_fields_read() too");
	ok(mbox_fields_window_read(mb, &view.records[3], &w, &data, &len,
				   &err) == 0 && len == fields_size(3, blobs[3].len) &&
	   memcmp(data, blobs[3].data, len) == 0, "its neighbour is not");
	ok(mbox_fields_window_read(mb, &view.records[1], &w, &data, &len,
				   &err) == 0 && len == 0,
	   "a message stored without one has none");

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
