/* Reading a mailbox: snapshots, following the log, message files, STATUS. */
#include "mbox_private.h"
#include "crc32.h"
#include "mbox_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Records read per pread when loading a snapshot. */
#define MBOX_VIEW_CHUNK 4096

/* The view takes its records for its own before it changes them: a copy
 * when others hold them too. */
static void mbox_view_unshare(struct mbox_view *view)
{
	struct mbox_record *copy;

	if (view->records_refs == NULL)
		return;
	if (--*view->records_refs == 0) {
		free(view->records_refs);
		view->records_refs = NULL;
		return;
	}
	view->records_refs = NULL;
	view->alloc = view->count;
	copy = xmalloc((view->alloc ? view->alloc : 1) * sizeof(*copy));
	if (view->count > 0)
		memcpy(copy, view->records, view->count * sizeof(*copy));
	view->records = copy;
}

static void mbox_view_reserve(struct mbox_view *view, size_t n)
{
	mbox_view_unshare(view);
	if (n <= view->alloc)
		return;
	/* A snapshot is sized to the mailbox; growth by delivery doubles
	 * from a few (every session holds a view of its own). */
	view->alloc = view->alloc ? view->alloc : n > 4 ? n : 4;
	while (view->alloc < n)
		view->alloc *= 2;
	view->records = xrealloc(view->records,
				 view->alloc * sizeof(*view->records));
}

/* Makes room for keywords 0 .. n-1, the new ones empty. */
static void mbox_view_keywords_grow(struct mbox_view *view, unsigned int n)
{
	if (n <= view->keyword_count)
		return;
	view->keywords = xrealloc(view->keywords,
				  n * sizeof(*view->keywords));
	memset(view->keywords + view->keyword_count, 0,
	       (n - view->keyword_count) * sizeof(*view->keywords));
	view->keyword_count = n;
}

static void mbox_view_keywords(struct mbox_view *view,
			       const struct mbox_index_header *hdr)
{
	unsigned int i;

	mbox_view_keywords_grow(view, hdr->keyword_count);
	for (i = 0; i < hdr->keyword_count; i++) {
		memcpy(view->keywords[i], hdr->keywords[i],
		       MBOX_KEYWORD_MAX_LEN);
		view->keywords[i][MBOX_KEYWORD_MAX_LEN] = '\0';
	}
}

int mbox_index_walk(struct mbox *mb,
		    void (*fn)(void *ctx, const struct mbox_record *rec),
		    void *ctx, const char **error_r)
{
	struct mbox_record *chunk;
	uint32_t i = 0;
	int ret = 0;

	chunk = xmalloc(MBOX_VIEW_CHUNK * sizeof(*chunk));
	while (i < mb->hdr.record_count) {
		uint32_t n = mb->hdr.record_count - i, j;
		ssize_t got;

		if (n > MBOX_VIEW_CHUNK)
			n = MBOX_VIEW_CHUNK;
		got = pread(mb->index_fd, chunk, n * sizeof(*chunk),
			    mbox_record_pos(i));
		if (got != (ssize_t)(n * sizeof(*chunk))) {
			ret = mbox_fail(error_r, "%s/index: short read", mb->dir);
			break;
		}
		for (j = 0; j < n; j++)
			fn(ctx, &chunk[j]);
		i += n;
	}
	free(chunk);
	return ret;
}

static void mbox_view_load_record(void *ctx, const struct mbox_record *rec)
{
	struct mbox_view *view = ctx;

	if (!(rec->flags & MBOX_EXPUNGED))
		view->records[view->count++] = *rec;
}

static int mbox_view_load_index(struct mbox *mb, struct mbox_view *view,
				const char **error_r)
{
	int ret;

	memset(view, 0, sizeof(*view));
	if (mbox_lock(mb, LOCK_SH, error_r) < 0)
		return -1;
	view->uidvalidity = mb->hdr.uidvalidity;
	view->uidnext = mb->hdr.uidnext;
	view->highestmodseq = mb->hdr.highestmodseq;
	view->log_offset = mb->hdr.applied_offset;
	view->log_ino = mb->log_ino;
	mbox_view_keywords(view, &mb->hdr);
	mbox_view_reserve(view, mb->hdr.record_count);
	ret = mbox_index_walk(mb, mbox_view_load_record, view, error_r);
	mbox_unlock(mb);
	if (ret < 0)
		mbox_view_free(view);
	return ret;
}

static void mbox_view_copy(struct mbox_view *to, struct mbox_view *from)
{
	memset(to, 0, sizeof(*to));
	to->uidvalidity = from->uidvalidity;
	to->uidnext = from->uidnext;
	to->highestmodseq = from->highestmodseq;
	to->log_offset = from->log_offset;
	to->log_ino = from->log_ino;
	mbox_view_keywords_grow(to, from->keyword_count);
	if (from->keyword_count > 0)
		memcpy(to->keywords, from->keywords,
		       from->keyword_count * sizeof(*to->keywords));
	if (from->count == 0)
		return;
	if (from->records_refs == NULL) {
		from->records_refs = xmalloc(sizeof(*from->records_refs));
		*from->records_refs = 1;
	}
	(*from->records_refs)++;
	to->records_refs = from->records_refs;
	to->records = from->records;
	to->count = from->count;
	to->alloc = from->alloc;
	to->seen_prefix = from->seen_prefix;
}

/*
 * A mailbox shared by the sessions of a process keeps the snapshot it
 * last loaded and brings it up to date from the log (what every session
 * does with its own view anyway), so selecting a mailbox this process
 * already has open shares its message list (records_refs) instead of
 * reading the whole index or copying it.
 * When the log cannot be followed (it was replaced) the index is read
 * again, as for a mailbox opened alone.
 */
int mbox_view_load(struct mbox *mb, struct mbox_view *view,
		   const char **error_r)
{
	const char *error;

	if (!mb->shared)
		return mbox_view_load_index(mb, view, error_r);
	if (mb->snapshot != NULL &&
	    mbox_sync(mb, mb->snapshot, NULL, NULL, &error) >= 0) {
		(void)mbox_view_first_unseen(mb->snapshot);
		mbox_view_copy(view, mb->snapshot);
		return 0;
	}
	/* A replaced log may come with a replaced cache and fields file
	 * (reconstruct): they are opened again when next read. */
	if (mb->snapshot != NULL)
		mbox_cache_close(mb);
	if (mbox_view_load_index(mb, view, error_r) < 0)
		return -1;
	(void)mbox_view_first_unseen(view);
	if (mb->snapshot == NULL)
		mb->snapshot = xcalloc(1, sizeof(*mb->snapshot));
	else
		mbox_view_free(mb->snapshot);
	mbox_view_copy(mb->snapshot, view);
	return 0;
}

struct mbox_vanished_ctx {
	uint64_t since;
	struct buf old;		/* uint32_t UIDs expunged at or before it */
};

static void mbox_vanished_record(void *ctx, const struct mbox_record *rec)
{
	struct mbox_vanished_ctx *v = ctx;

	if ((rec->flags & MBOX_EXPUNGED) && rec->modseq <= v->since)
		buf_append(&v->old, &rec->uid, sizeof(rec->uid));
}

static void mbox_vanished_range(struct buf *out, uint32_t lo, uint32_t hi)
{
	buf_append(out, &lo, sizeof(lo));
	buf_append(out, &hi, sizeof(hi));
}

int mbox_vanished(struct mbox *mb, const struct mbox_view *view,
		  uint64_t since, struct buf *out, const char **error_r)
{
	struct mbox_vanished_ctx v;
	const uint32_t *old;
	size_t i = 0, j = 0, n_old;
	uint32_t prev = 0;
	int ret;

	memset(&v, 0, sizeof(v));
	v.since = since;
	if (mbox_lock(mb, LOCK_SH, error_r) < 0)
		return -1;
	ret = mbox_index_walk(mb, mbox_vanished_record, &v, error_r);
	mbox_unlock(mb);
	if (ret < 0) {
		buf_free(&v.old);
		return -1;
	}
	/* Every UID below UIDNEXT was given to a message once.  What is
	 * neither live in the view nor known to have gone by `since` is
	 * reported: merge the two ascending lists and emit their gaps. */
	old = (const uint32_t *)(const void *)v.old.data;
	n_old = v.old.len / sizeof(*old);
	while (i < view->count || j < n_old) {
		uint32_t u;

		if (j >= n_old ||
		    (i < view->count && view->records[i].uid < old[j]))
			u = view->records[i++].uid;
		else
			u = old[j++];
		if (u >= view->uidnext)
			break;
		if (u > prev + 1)
			mbox_vanished_range(out, prev + 1, u - 1);
		if (u > prev)
			prev = u;
	}
	if (view->uidnext > 0 && view->uidnext - 1 > prev)
		mbox_vanished_range(out, prev + 1, view->uidnext - 1);
	buf_free(&v.old);
	return 0;
}

void mbox_view_free(struct mbox_view *view)
{
	if (view->records_refs != NULL && --*view->records_refs > 0)
		view->records = NULL;	/* the others' still */
	else
		free(view->records_refs);
	free(view->records);
	free(view->keywords);
	memset(view, 0, sizeof(*view));
}

size_t mbox_view_first_unseen(struct mbox_view *view)
{
	while (view->seen_prefix < view->count &&
	       (view->records[view->seen_prefix].flags & MBOX_SEEN))
		view->seen_prefix++;
	return view->seen_prefix;
}

ssize_t mbox_view_find(const struct mbox_view *view, uint32_t uid)
{
	size_t lo = 0, hi = view->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (view->records[mid].uid == uid)
			return (ssize_t)mid;
		if (view->records[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct mbox_sync_ctx {
	struct mbox_view *view;
	mbox_change_fn *fn;
	void *ctx;
	int changes;
};

static void mbox_sync_notify(struct mbox_sync_ctx *s,
			     const struct mbox_change *change)
{
	s->changes++;
	if (s->fn != NULL)
		s->fn(s->ctx, s->view, change);
}

static void mbox_view_before_write(struct mbox_view *view)
{
	void (*fn)(void *ctx) = view->before_write;

	if (fn != NULL) {
		view->before_write = NULL;
		fn(view->before_write_ctx);
	}
	mbox_view_unshare(view);
}

static int mbox_sync_apply(void *ctx, const struct mbox_log_record *rec,
			   const void *payload, size_t size)
{
	struct mbox_sync_ctx *s = ctx;
	struct mbox_view *view = s->view;
	struct mbox_change change;
	ssize_t pos;

	memset(&change, 0, sizeof(change));
	change.modseq = rec->modseq;
	if (rec->modseq > view->highestmodseq)
		view->highestmodseq = rec->modseq;
	switch (rec->type) {
	case MBOX_LOG_APPEND: {
		struct mbox_record add;

		if (size != sizeof(add))
			return -1;
		memcpy(&add, payload, sizeof(add));
		if (add.uid < view->uidnext)
			return 0;	/* already in the snapshot */
		mbox_view_before_write(view);
		mbox_view_reserve(view, view->count + 1);
		view->records[view->count++] = add;
		view->uidnext = add.uid + 1;
		change.type = MBOX_CHANGE_APPEND;
		change.record = &view->records[view->count - 1];
		mbox_sync_notify(s, &change);
		return 0;
	}
	case MBOX_LOG_FLAGS: {
		struct mbox_log_flags f;

		if (size != sizeof(f))
			return -1;
		memcpy(&f, payload, sizeof(f));
		pos = mbox_view_find(view, f.uid);
		if (pos < 0 || rec->modseq <= view->records[pos].modseq)
			return 0;
		mbox_view_before_write(view);
		view->records[pos].flags = f.flags;
		view->records[pos].keywords = f.keywords;
		view->records[pos].modseq = rec->modseq;
		if (!(f.flags & MBOX_SEEN) && (size_t)pos < view->seen_prefix)
			view->seen_prefix = (size_t)pos;
		change.type = MBOX_CHANGE_FLAGS;
		change.record = &view->records[pos];
		mbox_sync_notify(s, &change);
		return 0;
	}
	case MBOX_LOG_EXPUNGE: {
		uint32_t uid;

		if (size != sizeof(uid))
			return -1;
		memcpy(&uid, payload, sizeof(uid));
		pos = mbox_view_find(view, uid);
		if (pos < 0)
			return 0;
		mbox_view_before_write(view);
		change.type = MBOX_CHANGE_EXPUNGE;
		change.uid = uid;
		mbox_sync_notify(s, &change);
		memmove(&view->records[pos], &view->records[pos + 1],
			(view->count - (size_t)pos - 1) * sizeof(*view->records));
		view->count--;
		if ((size_t)pos < view->seen_prefix)
			view->seen_prefix--;
		return 0;
	}
	case MBOX_LOG_KEYWORD: {
		uint32_t idx;
		size_t len;

		if (size < sizeof(idx) + 1)
			return -1;
		memcpy(&idx, payload, sizeof(idx));
		len = size - sizeof(idx);
		if (idx >= MBOX_MAX_KEYWORDS || len > MBOX_KEYWORD_MAX_LEN)
			return -1;
		if (idx < view->keyword_count)
			return 0;
		mbox_view_keywords_grow(view, idx + 1);
		memcpy(view->keywords[idx], (const char *)payload + sizeof(idx),
		       len);
		view->keywords[idx][len] = '\0';
		change.type = MBOX_CHANGE_KEYWORD;
		change.keyword = view->keywords[idx];
		mbox_sync_notify(s, &change);
		return 0;
	}
	default:
		return -1;
	}
}

int mbox_sync(struct mbox *mb, struct mbox_view *view, mbox_change_fn *fn,
	      void *ctx, const char **error_r)
{
	struct mbox_sync_ctx s = { view, fn, ctx, 0 };
	uint64_t end;
	bool torn;
	struct stat st;

	/* The log we hold may have been replaced by a newer one; the view
	 * cannot follow across that, so it starts from a fresh snapshot and
	 * reports the difference. */
	if (stat(mb->log_path, &st) < 0)
		return mbox_fail(error_r, "%s: %s", mb->log_path, strerror(errno));
	if (st.st_ino != view->log_ino)
		return mbox_fail(error_r, "%s: the log was replaced", mb->dir);
	if (mb->log_fd < 0 || mb->log_ino != view->log_ino) {
		int fd = open(mb->log_path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return mbox_fail(error_r, "%s: %s", mb->log_path,
					 strerror(errno));
		if (mb->log_fd >= 0)
			close(mb->log_fd);
		mb->log_fd = fd;
		mb->log_ino = st.st_ino;
	}
	if ((uint64_t)st.st_size <= view->log_offset)
		return 0;
	if (mbox_log_scan(mb->log_fd, view->log_offset, mbox_sync_apply, &s,
			  &end, &torn, error_r) < 0)
		return -1;
	view->log_offset = end;
	return s.changes;
}

void mbox_message_name(uint32_t uid, char name[MBOX_MESSAGE_NAME_SIZE])
{
	snprintf(name, MBOX_MESSAGE_NAME_SIZE, "%u", uid);
}

int mbox_dir_fd(const struct mbox *mb)
{
	return mb->dir_fd;
}

int mbox_message_open(struct mbox *mb, uint32_t uid)
{
	char name[MBOX_MESSAGE_NAME_SIZE];

	mbox_message_name(uid, name);
	return openat(mb->dir_fd, name, O_RDONLY | O_CLOEXEC);
}

int mbox_cache_read(struct mbox *mb, const struct mbox_record *rec,
		    struct buf *out, const char **error_r)
{
	uint32_t head[2];

	buf_clear(out);
	if (rec->cache_size == 0)
		return 0;
	if (mbox_cache_open(mb, error_r) < 0)
		return -1;
	/* Each entry: length, CRC-32C, data.  A bad entry (the cache is not
	 * fsync'ed) is reported, and the caller parses the message again. */
	if (pread(mb->cache_fd, head, sizeof(head),
		  (off_t)mbox_record_cache_offset(rec)) != sizeof(head) ||
	    head[0] != rec->cache_size)
		return mbox_fail(error_r, "%s/cache: bad entry for uid %u",
				 mb->dir, rec->uid);
	buf_reserve(out, head[0]);
	if (pread(mb->cache_fd, out->data, head[0],
		  (off_t)(mbox_record_cache_offset(rec) + sizeof(head))) !=
	    (ssize_t)head[0] ||
	    !mbox_entry_crc_ok(rec->uid, out->data, head[0], head[1])) {
		buf_clear(out);
		return mbox_fail(error_r, "%s/cache: bad entry for uid %u",
				 mb->dir, rec->uid);
	}
	out->len = head[0];
	out->data[out->len] = '\0';
	return 0;
}

int mbox_status(struct mbox *mb, struct mbox_status *st, const char **error_r)
{
	struct mbox_view view;
	size_t i;

	if (mbox_view_load(mb, &view, error_r) < 0)
		return -1;
	if (mbox_sync(mb, &view, NULL, NULL, error_r) < 0) {
		mbox_view_free(&view);
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->uidnext = view.uidnext;
	st->uidvalidity = view.uidvalidity;
	st->highestmodseq = view.highestmodseq;
	for (i = 0; i < view.count; i++) {
		st->messages++;
		st->size += view.records[i].size;
		if (!(view.records[i].flags & MBOX_SEEN))
			st->unseen++;
		if (view.records[i].flags & MBOX_DELETED) {
			st->deleted++;
			st->deleted_size += view.records[i].size;
		}
	}
	mbox_view_free(&view);
	return 0;
}
