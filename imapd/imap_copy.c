#include "imapd/imap_copy.h"
#include "buf.h"
#include "mbox_cache_window.h"
#include "mime_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imap_copy_messages(struct mbox *src, const struct mbox_view *view,
		       const struct mbox_record *recs, size_t count,
		       struct mbox *dst, bool count_quota, uint32_t *uids_r,
		       const char **error_r)
{
	struct mbox_append *a = mbox_append_begin(dst);
	struct mbox_append_result *results;
	/* The cache entries, read many at a time (the new message copies
	 * its own). */
	struct mbox_cache_window window = MBOX_CACHE_WINDOW_INIT;
	struct buf path = BUF_INIT;
	const char *kw[MBOX_MAX_KEYWORDS + 1];
	size_t i, k;
	int ret;

	for (i = 0; i < count; i++) {
		struct mbox_new_message msg;
		const char *cache_error, *cache;
		size_t cache_len;

		memset(&msg, 0, sizeof(msg));
		buf_clear(&path);
		buf_printf(&path, "%s/%u", mbox_dir(src), recs[i].uid);
		msg.path = buf_cstr(&path);
		msg.size = recs[i].size;
		msg.internal_date = recs[i].internal_date;
		msg.tz_minutes = recs[i].tz_minutes;
		msg.flags = recs[i].flags & MBOX_SYSTEM_FLAGS;
		/* Synced with the copy's record, though a message of a
		 * mailbox is durable most of the time: a record may be
		 * seen while the commit that writes its file out still
		 * runs (an lmtpd's or another imapd's, mbox.h), and a copy
		 * answered before that commit ended could lose its file
		 * in a machine crash.  A file already on disk costs little
		 * to sync. */
		msg.durable = false;
		for (k = 0, ret = 0; k < view->keyword_count; k++) {
			if (recs[i].keywords & (1ULL << k))
				kw[ret++] = view->keywords[k];
		}
		kw[ret] = NULL;
		msg.keywords = kw;
		/* A missing or damaged cache entry is rebuilt when read. */
		if (mbox_cache_window_read(src, &recs[i], &window, &cache,
					   &cache_len, &cache_error) == 0 &&
		    cache_len > 0) {
			msg.cache = cache;
			msg.cache_size = cache_len;
			msg.fields_size = mime_cache_fields_size(cache,
								 cache_len,
								 recs[i].size);
		}
		mbox_append_add(a, &msg);
	}
	mbox_cache_window_free(&window);
	buf_free(&path);
	if (!count_quota)
		mbox_append_no_quota(a);
	results = xcalloc(count + 1, sizeof(*results));
	ret = mbox_append_commit(&a, results, error_r);
	for (i = 0; ret == 0 && i < count; i++)
		uids_r[i] = results[i].uid;
	free(results);
	return ret;
}

void imap_copy_uidset(const uint32_t *uids, size_t count, struct buf *out)
{
	size_t i = 0;

	while (i < count) {
		size_t j = i;

		while (j + 1 < count && uids[j + 1] == uids[j] + 1)
			j++;
		if (i > 0)
			buf_append_char(out, ',');
		if (j > i)
			buf_printf(out, "%u:%u", uids[i], uids[j]);
		else
			buf_printf(out, "%u", uids[i]);
		i = j + 1;
	}
}
