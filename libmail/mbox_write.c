/* Changing a mailbox: appends (group commit), flags, expunges, checkpoints.
 * Every change follows one order: take the lock, bring the index up to the
 * log, make the change durable in the log (fdatasync), apply it to the
 * index, release the lock. */
#include "mbox_private.h"
#include "crc32.h"
#include "log.h"
#include "mbox_log.h"
#include "sync_many.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A checkpoint rewrites the index without its tombstones when they are
 * this share of its records or more. */
#define MBOX_COMPACT_PERCENT 30
/* A mailbox's files are written again for its live messages alone when
 * the log is this many checkpoint intervals long (mbox_rewrite_due()). */
#define MBOX_REWRITE_LOG_CHECKPOINTS 16

struct mbox_pending {
	char *path;
	struct mbox_new_message msg;
	uint32_t uid;		/* linked under it; 0 before (or a duplicate) */
	char **keywords;
	void *cache;
};

struct mbox_append {
	struct mbox *mb;
	struct mbox_pending *msgs;
	size_t count, alloc;
	bool no_quota;
	/* Between mbox_append_prepare() and the log commit, with the lock
	 * held: the log records, the UIDs given out [first_uid, uid), and
	 * whether their usage was counted. */
	struct buf records;
	uint64_t modseq;
	uint32_t first_uid, uid;
	int64_t added_bytes;
	bool counted;
};

static mbox_usage_fn *mbox_usage_hook;
static mbox_usage_flush_fn *mbox_usage_flush_hook;
static void *mbox_usage_ctx;

void mbox_set_usage_hook(mbox_usage_fn *fn, mbox_usage_flush_fn *flush,
			 void *ctx)
{
	mbox_usage_hook = fn;
	mbox_usage_flush_hook = flush;
	mbox_usage_ctx = ctx;
}

static int mbox_usage_call(struct mbox *mb, int64_t bytes, int64_t messages,
			   bool enforce, bool deferred, bool *over_r,
			   const char **error_r)
{
	*over_r = false;
	if (mbox_usage_hook == NULL || (bytes == 0 && messages == 0))
		return 0;
	return mbox_usage_hook(mbox_usage_ctx, mb->dir, bytes, messages,
			       enforce, deferred && mbox_usage_flush_hook != NULL,
			       over_r, error_r);
}

int mbox_usage_change(struct mbox *mb, int64_t bytes, int64_t messages,
		      bool enforce, bool *over_r, const char **error_r)
{
	return mbox_usage_call(mb, bytes, messages, enforce, false, over_r,
			       error_r);
}

int mbox_usage_change_deferred(struct mbox *mb, int64_t bytes,
			       int64_t messages, bool enforce, bool *over_r,
			       const char **error_r)
{
	return mbox_usage_call(mb, bytes, messages, enforce, true, over_r,
			       error_r);
}

int mbox_usage_flush(const char **error_r)
{
	if (mbox_usage_hook == NULL || mbox_usage_flush_hook == NULL)
		return 0;
	return mbox_usage_flush_hook(mbox_usage_ctx, error_r);
}

static bool mbox_defer(enum mbox_defer_kind kind, int fd, const char *name);
static void mbox_checkpoint_if_due(struct mbox *mb);

/* Whether the usage hook's change may be written without its flush, the
 * defer hook flushing it before any log it syncs. */
static bool mbox_usage_defer(void)
{
	return mbox_usage_hook != NULL && mbox_usage_flush_hook != NULL &&
		mbox_defer(MBOX_DEFER_USAGE, -1, NULL);
}

/* A decrease after a durable change: failing it leaves the counters too
 * high, which reconstruct repairs; the change itself stands.  So it may
 * also be left unflushed (`deferred`): a crash can only lose a decrease. */
static void mbox_usage_release_as(struct mbox *mb, int64_t bytes,
				  int64_t messages, bool deferred)
{
	const char *error;
	bool over;

	if (mbox_usage_call(mb, -bytes, -messages, false, deferred, &over,
			    &error) < 0)
		log_warn("quota_update_failed", "path=%s reason=%s", mb->dir,
			 error);
}

static void mbox_usage_release(struct mbox *mb, int64_t bytes,
			       int64_t messages)
{
	mbox_usage_release_as(mb, bytes, messages, false);
}

bool mbox_over_quota(const struct mbox *mb)
{
	return mb->over_quota;
}

void mbox_append_no_quota(struct mbox_append *a)
{
	a->no_quota = true;
}

/* Takes the exclusive lock and replays whatever a dead writer left. */
static int mbox_write_lock(struct mbox *mb, const char **error_r)
{
	if (mbox_lock(mb, LOCK_EX, error_r) < 0)
		return -1;
	if (mbox_recover_locked(mb, error_r) < 0) {
		mbox_unlock(mb);
		return -1;
	}
	return 0;
}

/* Writes a batch of log records plus COMMIT, and with `sync` makes it
 * durable.  On failure the log is cut back so no partial batch stays
 * behind. */
static int mbox_log_write(struct mbox *mb, struct buf *records,
			  uint64_t modseq, bool sync, uint64_t *end_r,
			  const char **error_r)
{
	off_t start = (off_t)mb->hdr.applied_offset;
	ssize_t n;

	mbox_log_add(records, MBOX_LOG_COMMIT, modseq, NULL, 0);
	n = pwrite(mb->log_fd, records->data, records->len, start);
	if (n != (ssize_t)records->len || (sync && fdatasync(mb->log_fd) < 0)) {
		int err = errno;

		(void)ftruncate(mb->log_fd, start);
		errno = err;
		return mbox_fail_errno(mb, error_r, "log");
	}
	*end_r = (uint64_t)start + records->len;
	return 0;
}

static mbox_defer_fn *mbox_defer_hook;
static void *mbox_defer_ctx;

void mbox_set_defer_hook(mbox_defer_fn *fn, void *ctx)
{
	mbox_defer_hook = fn;
	mbox_defer_ctx = ctx;
}

bool mbox_defer_hook_set(void)
{
	return mbox_defer_hook != NULL;
}

static bool mbox_defer(enum mbox_defer_kind kind, int fd, const char *name)
{
	return mbox_defer_hook != NULL &&
		mbox_defer_hook(mbox_defer_ctx, kind, fd, name) == 0;
}

/* Writes the records and makes them durable now, or has the hook promise
 * to (see mbox_set_defer_hook()). */
static int mbox_log_commit(struct mbox *mb, struct buf *records,
			   uint64_t modseq, uint64_t *end_r,
			   const char **error_r)
{
	bool deferred;

	if (mbox_log_write(mb, records, modseq, false, end_r, error_r) < 0)
		return -1;
	deferred = mbox_defer(MBOX_DEFER_LOG, mb->log_fd, NULL);
	if (!deferred && fdatasync(mb->log_fd) < 0) {
		int err = errno;

		(void)ftruncate(mb->log_fd, (off_t)mb->hdr.applied_offset);
		errno = err;
		return mbox_fail_errno(mb, error_r, "log");
	}
	return 0;
}

/* Applies records already made durable to the index and the header. */
static int mbox_index_update(struct mbox *mb, const struct buf *records,
			     uint64_t end, const char **error_r)
{
	size_t pos = 0;

	while (pos < records->len) {
		const struct mbox_log_record *rec =
			(const void *)(records->data + pos);

		if (rec->type != MBOX_LOG_COMMIT &&
		    mbox_index_apply(mb, rec, rec + 1, rec->payload_size) < 0)
			return mbox_fail_errno(mb, error_r, "index");
		pos += rec->size;
	}
	mb->hdr.applied_offset = end;
	mbox_boot_id(mb->hdr.boot_id);
	return mbox_write_header(mb, error_r);
}

/* The keyword's index, defining it (a KEYWORD log record) if new. */
static int mbox_keyword_index(struct mbox *mb, const char *name,
			      struct buf *records, uint64_t modseq,
			      unsigned int *count, const char **error_r)
{
	unsigned int i;
	size_t len = strlen(name);
	unsigned char payload[sizeof(uint32_t) + MBOX_KEYWORD_MAX_LEN];
	uint32_t idx;

	for (i = 0; i < *count; i++) {
		if (strcasecmp(mb->hdr.keywords[i], name) == 0)
			return (int)i;
	}
	if (len == 0 || len > MBOX_KEYWORD_MAX_LEN)
		return mbox_fail(error_r, "keyword too long");
	if (*count >= MBOX_MAX_KEYWORDS)
		return mbox_fail(error_r, "too many keywords in this mailbox "
				 "(at most %d)", MBOX_MAX_KEYWORDS);
	idx = *count;
	memcpy(payload, &idx, sizeof(idx));
	memcpy(payload + sizeof(idx), name, len);
	mbox_log_add(records, MBOX_LOG_KEYWORD, modseq, payload,
		     sizeof(idx) + len);
	/* Visible to the lookups that follow in this batch. */
	memset(mb->hdr.keywords[idx], 0, sizeof(mb->hdr.keywords[idx]));
	memcpy(mb->hdr.keywords[idx], name, len);
	(*count)++;
	return (int)idx;
}

static int mbox_keyword_mask(struct mbox *mb, const char *const *keywords,
			     struct buf *records, uint64_t modseq,
			     unsigned int *count, uint64_t *mask_r,
			     const char **error_r)
{
	*mask_r = 0;
	for (; keywords != NULL && *keywords != NULL; keywords++) {
		int idx = mbox_keyword_index(mb, *keywords, records, modseq,
					     count, error_r);

		if (idx < 0)
			return -1;
		*mask_r |= 1ULL << idx;
	}
	return 0;
}

struct mbox_append *mbox_append_begin(struct mbox *mb)
{
	struct mbox_append *a = xcalloc(1, sizeof(*a));

	a->mb = mb;
	return a;
}

void mbox_append_add(struct mbox_append *a, const struct mbox_new_message *msg)
{
	struct mbox_pending *p;
	size_t n = 0;

	if (a->count == a->alloc) {
		a->alloc = a->alloc ? a->alloc * 2 : 8;
		a->msgs = xrealloc(a->msgs, a->alloc * sizeof(*a->msgs));
	}
	p = &a->msgs[a->count++];
	memset(p, 0, sizeof(*p));
	p->msg = *msg;
	p->path = xstrdup(msg->path);
	while (msg->keywords != NULL && msg->keywords[n] != NULL)
		n++;
	p->keywords = xcalloc(n + 1, sizeof(*p->keywords));
	for (n = 0; msg->keywords != NULL && msg->keywords[n] != NULL; n++)
		p->keywords[n] = xstrdup(msg->keywords[n]);
	if (msg->cache_size > 0) {
		p->cache = xmalloc(msg->cache_size);
		memcpy(p->cache, msg->cache, msg->cache_size);
	}
}

void mbox_append_abort(struct mbox_append **ap)
{
	struct mbox_append *a = *ap;
	size_t i, j;

	if (a == NULL)
		return;
	for (i = 0; i < a->count; i++) {
		free(a->msgs[i].path);
		for (j = 0; a->msgs[i].keywords[j] != NULL; j++)
			free(a->msgs[i].keywords[j]);
		free(a->msgs[i].keywords);
		free(a->msgs[i].cache);
	}
	free(a->msgs);
	free(a);
	*ap = NULL;
}

/* Appends the message's fields entry (mbox_format.h) at the next
 * multiple of 8 of the fields file.  Nothing is written when the file is
 * of another version or full: the record then has no fields entry, and
 * header searches read its cache entry. */
static void mbox_fields_append(struct mbox *mb, struct mbox_pending *p,
			       struct mbox_record *rec)
{
	size_t len = p->msg.fields_size;
	struct buf entry = BUF_INIT;
	const char *error;
	struct stat st;
	uint64_t offset;

	if (len == 0 || len > p->msg.cache_size ||
	    len > MBOX_FIELDS_MAX_ENTRY ||
	    mbox_fields_open(mb, true, &error) < 0 ||
	    fstat(mb->fields_fd, &st) < 0)
		return;
	offset = ((uint64_t)st.st_size + 7) & ~(uint64_t)7;
	mbox_fields_entry_append(&entry, rec->uid, p->cache, len);
	if (offset >= MBOX_FIELDS_HEADER_SIZE &&
	    offset + entry.len <= MBOX_FIELDS_MAX_OFFSET &&
	    pwrite(mb->fields_fd, entry.data, entry.len, (off_t)offset) ==
	    (ssize_t)entry.len)
		mbox_record_set_fields_offset(rec, offset);
	buf_free(&entry);
}

/* Appends the cache entries (not fsync'ed: a lost entry is detected by its
 * CRC and rebuilt from the message). */
static int mbox_cache_append(struct mbox *mb, struct mbox_pending *p,
			     struct mbox_record *rec, const char **error_r)
{
	uint32_t head[2];
	struct stat st;

	if (p->msg.cache_size == 0)
		return 0;
	/* A handle that has read the cache holds it read-only. */
	if (mb->cache_fd < 0 || !mb->cache_writable) {
		char *path = mbox_path(mb, "cache");

		if (mb->cache_fd >= 0)
			close(mb->cache_fd);
		mb->cache_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		mb->cache_writable = mb->cache_fd >= 0;
		free(path);
	}
	if (mb->cache_fd < 0 || fstat(mb->cache_fd, &st) < 0)
		return mbox_fail_errno(mb, error_r, "cache");
	if ((uint64_t)st.st_size >= UINT64_C(1) << MBOX_CACHE_OFFSET_BITS)
		return 0;
	head[0] = (uint32_t)p->msg.cache_size;
	head[1] = mbox_entry_crc(rec->uid, p->cache, p->msg.cache_size);
	if (pwrite(mb->cache_fd, head, sizeof(head), st.st_size) != sizeof(head) ||
	    pwrite(mb->cache_fd, p->cache, p->msg.cache_size,
		   st.st_size + (off_t)sizeof(head)) != (ssize_t)p->msg.cache_size)
		return mbox_fail_errno(mb, error_r, "cache");
	mbox_record_set_cache_offset(rec, (uint64_t)st.st_size);
	rec->cache_size = (uint32_t)p->msg.cache_size;
	mbox_fields_append(mb, p, rec);
	return 0;
}

/* Undoes a prepared append that will not be committed: the usage it
 * counted, the names it linked; then unlocks. */
static void mbox_append_undo(struct mbox_append *a)
{
	struct mbox *mb = a->mb;
	const char *error;
	char name[16];

	if (a->counted)
		mbox_usage_release(mb, a->added_bytes,
				   (int64_t)(a->uid - a->first_uid));
	a->counted = false;
	for (; a->uid > a->first_uid; a->uid--) {
		snprintf(name, sizeof(name), "%u", a->uid - 1);
		(void)unlinkat(mb->dir_fd, name, 0);
	}
	/* Forget keyword names defined only in memory. */
	(void)mbox_lock(mb, LOCK_EX, &error);
	mbox_unlock(mb);
}

static int mbox_link_message(struct mbox *mb, const char *from,
			     const char *name)
{
	if (linkat(AT_FDCWD, from, mb->dir_fd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != EEXIST || unlinkat(mb->dir_fd, name, 0) < 0)
		return -1;
	return linkat(AT_FDCWD, from, mb->dir_fd, name, AT_SYMLINK_FOLLOW);
}

/* Takes the lock, finds the duplicates, gives out UIDs, links the files
 * under them, appends their cache entries and counts the usage.  0 with
 * the lock held (a->uid == a->first_uid when all were duplicates: nothing
 * to commit), or -1 with everything undone and the lock released. */
static int mbox_append_prepare(struct mbox_append *a,
			       struct mbox_append_result *results,
			       bool deferred, const char **error_r)
{
	struct mbox *mb = a->mb;
	unsigned int keyword_count;
	size_t i, j;
	bool over = false;
	char name[16];

	mb->over_quota = false;
	if (mbox_write_lock(mb, error_r) < 0)
		return -1;
	a->uid = a->first_uid = mb->hdr.uidnext;
	a->modseq = mb->hdr.highestmodseq + 1;
	keyword_count = mb->hdr.keyword_count;
	for (i = 0; i < a->count; i++) {
		struct mbox_pending *p = &a->msgs[i];
		struct mbox_record rec;

		results[i].duplicate = false;
		if (p->msg.delivery_hash != 0) {
			uint32_t found = mbox_dedup_find(mb,
							 p->msg.delivery_hash,
							 p->msg.dedup_since);

			/* Also within this batch. */
			for (j = 0; found == 0 && j < i; j++) {
				if (!results[j].duplicate &&
				    a->msgs[j].msg.delivery_hash == p->msg.delivery_hash)
					found = results[j].uid;
			}
			if (found != 0) {
				results[i].uid = found;
				results[i].duplicate = true;
				continue;
			}
		}
		memset(&rec, 0, sizeof(rec));
		rec.uid = results[i].uid = a->uid;
		rec.flags = p->msg.flags & MBOX_SYSTEM_FLAGS;
		rec.modseq = a->modseq;
		rec.internal_date = p->msg.internal_date;
		rec.tz_minutes = p->msg.tz_minutes;
		rec.size = p->msg.size;
		rec.save_date = (int64_t)time(NULL);
		rec.delivery_hash = p->msg.delivery_hash;
		if (mbox_keyword_mask(mb, (const char *const *)p->keywords,
				      &a->records, a->modseq, &keyword_count,
				      &rec.keywords, error_r) < 0)
			goto fail;
		snprintf(name, sizeof(name), "%u", rec.uid);
		/* Following the link: the path may be /proc/self/fd/N of a
		 * file made with O_TMPFILE (the same for a plain file).  A
		 * file already under this UID can only be the remains of a
		 * commit that never reached the log: it goes, and the link
		 * is tried again (rare, so not a call before every link). */
		if (mbox_link_message(mb, p->path, name) < 0) {
			mbox_fail(error_r, "%s/%s: link from %s: %s", mb->dir,
				  name, p->path, strerror(errno));
			goto fail;
		}
		p->uid = rec.uid;
		a->uid++;
		if (mbox_cache_append(mb, p, &rec, error_r) < 0)
			goto fail;
		mbox_log_add(&a->records, MBOX_LOG_APPEND, a->modseq, &rec,
			     sizeof(rec));
		a->added_bytes += (int64_t)rec.size;
	}
	if (a->uid == a->first_uid)
		return 0;	/* all duplicates: nothing to write */
	/* Counted before the commit (see mbox_set_usage_hook()). */
	if (mbox_usage_call(mb, a->added_bytes,
			    (int64_t)(a->uid - a->first_uid), !a->no_quota,
			    deferred, &over, error_r) < 0 || over) {
		if (over) {
			mb->over_quota = true;
			*error_r = "over quota";
		}
		goto fail;
	}
	a->counted = true;
	return 0;
fail:
	mbox_append_undo(a);
	return -1;
}

/* The log records of a prepared append are durable at `end`: applies
 * them to the index and unlocks. */
static void mbox_append_applied(struct mbox_append *a, uint64_t end)
{
	const char *error;

	if (mbox_index_update(a->mb, &a->records, end, &error) < 0) {
		/* Durable in the log: the next writer replays it. */
		log_warn("mbox_index_update_failed", "path=%s reason=%s",
			 a->mb->dir, error);
	} else {
		mbox_checkpoint_if_due(a->mb);
	}
	mbox_unlock(a->mb);
}

static void mbox_append_free(struct mbox_append **ap)
{
	if (*ap != NULL)
		buf_free(&(*ap)->records);
	mbox_append_abort(ap);
}

static int mbox_files_durable(struct mbox_append **live, size_t n,
			      bool with_logs, bool with_usage,
			      const char **error_r);

/* The names a prepared append linked durable now: with a defer hook set,
 * the files too, with the folder, at once (sync_many()); else the caller
 * synced the files and only the folder is left. */
static int mbox_new_files_durable(struct mbox_append *a, const char **error_r)
{
	if (mbox_defer_hook != NULL)
		return mbox_files_durable(&a, 1, false, false, error_r);
	if (fsync(a->mb->dir_fd) < 0)
		return mbox_fail_errno(a->mb, error_r, ".");
	return 0;
}

/* Hands the new files of a prepared append and their folder to the defer
 * hook, to be synced with the log (see mbox_set_defer_hook()); false when
 * there is no hook or it refused one (those it took are synced twice). */
static bool mbox_new_files_deferred(struct mbox_append *a)
{
	struct mbox *mb = a->mb;
	size_t j;

	if (mbox_defer_hook == NULL)
		return false;
	for (j = 0; j < a->count; j++) {
		const struct mbox_pending *p = &a->msgs[j];
		bool taken;
		int fd;

		if (p->uid == 0 || p->msg.durable)
			continue;
		fd = mbox_message_open(mb, p->uid);
		if (fd < 0)
			return false;
		taken = mbox_defer(MBOX_DEFER_FILE, fd, NULL);
		close(fd);
		if (!taken)
			return false;
	}
	return mbox_defer(MBOX_DEFER_DIR, mb->dir_fd, NULL);
}

int mbox_append_commit(struct mbox_append **ap,
		       struct mbox_append_result *results,
		       const char **error_r)
{
	struct mbox_append *a = *ap;
	struct mbox *mb = a->mb;
	uint64_t end;
	int ret = -1;

	/* Deferred, the count goes up unflushed; the defer hook flushes it
	 * before it syncs the log. */
	if (mbox_append_prepare(a, results, mbox_usage_defer(), error_r) < 0)
		goto out;
	if (a->uid == a->first_uid) {
		mbox_unlock(mb);
		ret = 0;
		goto out;
	}
	/* The new names (and, under a defer hook, the files: the caller
	 * left them to us) are synced with the log by a hook that takes
	 * them; else they must be on disk before the log record naming
	 * them is even written: once written, the kernel may write the log
	 * back whenever it likes (see mbox_set_defer_hook()). */
	if (!mbox_new_files_deferred(a) &&
	    mbox_new_files_durable(a, error_r) < 0) {
		mbox_append_undo(a);
		goto out;
	}
	if (mbox_log_commit(mb, &a->records, a->modseq, &end, error_r) < 0) {
		mbox_append_undo(a);
		goto out;
	}
	mbox_append_applied(a, end);
	ret = 0;
out:
	mbox_append_free(ap);
	return ret;
}

static int mbox_append_cmp_dir(const void *x, const void *y)
{
	const struct mbox_append *const *a = x, *const *b = y;

	return strcmp((*a)->mb->dir, (*b)->mb->dir);
}

/* The usage hook's flush, run beside a batch's syncs. */
struct mbox_usage_flush_call {
	const char *error;
};

static int mbox_usage_flush_beside(void *arg)
{
	struct mbox_usage_flush_call *u = arg;

	return mbox_usage_flush(&u->error);
}

/* Runs the syncs, and the usage flush beside them when `usage` is set;
 * reports the first failure. */
static int mbox_sync_items(struct mbox_append **live,
			   struct sync_many_item *items, size_t n,
			   struct mbox_usage_flush_call *usage,
			   const char **error_r)
{
	size_t i;

	if (usage != NULL)
		usage->error = NULL;
	if (sync_many_beside(items, n, usage != NULL ?
			     mbox_usage_flush_beside : NULL, usage) == 0)
		return 0;
	if (usage != NULL && usage->error != NULL) {
		*error_r = usage->error;
		return -1;
	}
	for (i = 0; i < n && items[i].error == 0; i++)
		;
	errno = items[i].error;
	return mbox_fail_errno(live[0]->mb, error_r, "sync");
}

/* The files of a batch, not yet durable, and their new names, made
 * durable together: the files' fdatasyncs and the folders' fsyncs run at
 * once (sync_many()), at most MBOX_SYNC_FILES open files at a time, so
 * that a batch of many copies does not run out of descriptors.  With
 * `with_logs` (mbox_append_commit_many(): the records are written
 * already), the logs' fdatasyncs run in the same round as the folders'.
 * With `with_usage`, the usage hook's flush (the quota counters the batch
 * changed) runs at the same time on the caller's thread. */
#define MBOX_SYNC_FILES 256

static int mbox_files_durable(struct mbox_append **live, size_t n,
			      bool with_logs, bool with_usage,
			      const char **error_r)
{
	struct sync_many_item *items;
	struct mbox_usage_flush_call usage;
	size_t i, j, count = 0, k;
	int ret = 0;
	char name[16];

	items = xcalloc(MBOX_SYNC_FILES + 2 * n, sizeof(*items));
	for (i = 0; i < n && ret == 0; i++) {
		struct mbox *mb = live[i]->mb;

		for (j = 0; j < live[i]->count; j++) {
			const struct mbox_pending *p = &live[i]->msgs[j];

			/* Not linked (a duplicate), or its data made
			 * durable by the caller: its name is the folder's. */
			if (p->uid == 0 || p->msg.durable)
				continue;
			if (count == MBOX_SYNC_FILES) {
				ret = mbox_sync_items(live, items, count, NULL,
						      error_r);
				for (k = 0; k < count; k++)
					close(items[k].fd);
				count = 0;
				if (ret < 0)
					break;
			}
			snprintf(name, sizeof(name), "%u", p->uid);
			items[count].fd = openat(mb->dir_fd, name,
						 O_RDONLY | O_CLOEXEC);
			if (items[count].fd < 0) {
				ret = mbox_fail_errno(mb, error_r, name);
				break;
			}
			items[count++].data_only = true;
		}
	}
	k = count;
	for (i = 0; i < n && ret == 0; i++) {
		items[k].fd = live[i]->mb->dir_fd;
		items[k++].data_only = false;
		if (with_logs) {
			items[k].fd = live[i]->mb->log_fd;
			items[k++].data_only = true;
		}
	}
	if (ret == 0)
		ret = mbox_sync_items(live, items, k,
				      with_usage ? &usage : NULL, error_r);
	for (i = 0; i < count; i++)
		close(items[i].fd);
	free(items);
	return ret;
}

int mbox_append_commit_many(struct mbox_append **as, size_t n,
			    struct mbox_append_result **results, int *rets,
			    const char **error_r)
{
	struct mbox_append **sorted = xcalloc(n, sizeof(*sorted));
	struct mbox_append **live = xcalloc(n, sizeof(*live));
	uint64_t *ends = xcalloc(n, sizeof(*ends));
	size_t i, k, nlive = 0, nsync;
	int ret = 0;

	for (i = 0; i < n; i++) {
		sorted[i] = as[i];
		rets[i] = -1;
	}
	/* Locks are taken in the order of the folders' names, so two
	 * processes committing overlapping sets never wait on each other
	 * in a circle. */
	qsort(sorted, n, sizeof(*sorted), mbox_append_cmp_dir);
	for (i = 0; i < n; i++) {
		struct mbox_append *a = sorted[i];

		for (k = 0; as[k] != a; k++)
			;
		if (i > 0 && strcmp(sorted[i - 1]->mb->dir, a->mb->dir) == 0) {
			/* A second lock on it would wait on the first. */
			mbox_fail(error_r, "%s: twice in one commit", a->mb->dir);
			continue;
		}
		if (mbox_append_prepare(a, results[k], true, error_r) < 0)
			continue;
		rets[k] = 0;
		if (a->uid == a->first_uid)
			mbox_unlock(a->mb);
		else
			live[nlive++] = a;
	}
	if (nlive == 0)
		goto out;
	/* One round of syncs for the whole batch (see mbox.h): the records
	 * are written first, then the files, their names, the logs and the
	 * usage counted for the batch are made durable at once.  A machine
	 * that stops in the middle may keep a record whose file it lost:
	 * the recovery after the reboot finds it out (mbox_recover_locked()). */
	nsync = 0;
	for (i = 0; i < nlive; i++) {
		struct mbox_append *a = live[i];

		if (mbox_log_write(a->mb, &a->records, a->modseq, false,
				   &ends[i], error_r) < 0) {
			for (k = 0; as[k] != a; k++)
				;
			rets[k] = -1;
			mbox_append_undo(a);
			continue;
		}
		live[nsync] = a;
		ends[nsync++] = ends[i];
	}
	nlive = nsync;
	if (nlive > 0 && mbox_files_durable(live, nlive, true, true,
					    error_r) < 0) {
		/* The records go before the files they name. */
		for (i = 0; i < nlive; i++)
			(void)ftruncate(live[i]->mb->log_fd,
					(off_t)live[i]->mb->hdr.applied_offset);
		goto fail_all;
	}
	for (i = 0; i < nlive; i++)
		mbox_append_applied(live[i], ends[i]);
	goto out;
fail_all:
	for (i = 0; i < nlive; i++) {
		for (k = 0; as[k] != live[i]; k++)
			;
		rets[k] = -1;
		mbox_append_undo(live[i]);
	}
out:
	for (i = 0; i < n; i++) {
		if (rets[i] < 0)
			ret = -1;
		mbox_append_free(&as[i]);
	}
	free(sorted);
	free(live);
	free(ends);
	return ret;
}

static uint32_t mbox_new_flags(enum mbox_flag_op op, uint32_t old,
			       uint32_t flags)
{
	switch (op) {
	case MBOX_FLAGS_ADD: return old | flags;
	case MBOX_FLAGS_REMOVE: return old & ~flags;
	default: return flags;
	}
}

int mbox_store(struct mbox *mb, const uint32_t *uids, size_t count,
	       enum mbox_flag_op op, uint32_t flags,
	       const char *const *keywords, uint64_t unchangedsince,
	       struct buf *modified, const char **error_r)
{
	struct buf records = BUF_INIT;
	unsigned int keyword_count;
	uint64_t modseq, mask, end;
	size_t i;
	int ret = -1;

	flags &= MBOX_SYSTEM_FLAGS;
	if (mbox_write_lock(mb, error_r) < 0)
		return -1;
	modseq = mb->hdr.highestmodseq + 1;
	keyword_count = mb->hdr.keyword_count;
	/* Removing a keyword nobody defined needs no definition. */
	if (op == MBOX_FLAGS_REMOVE) {
		mask = 0;
		for (; keywords != NULL && *keywords != NULL; keywords++) {
			unsigned int k;

			for (k = 0; k < keyword_count; k++) {
				if (strcasecmp(mb->hdr.keywords[k], *keywords) == 0)
					mask |= 1ULL << k;
			}
		}
	} else if (mbox_keyword_mask(mb, keywords, &records, modseq,
				     &keyword_count, &mask, error_r) < 0) {
		goto out;
	}
	for (i = 0; i < count; i++) {
		struct mbox_record rec;
		struct mbox_log_flags f;

		if (mbox_index_find(mb, uids[i], &rec) < 0 ||
		    (rec.flags & MBOX_EXPUNGED))
			continue;
		if (unchangedsince != 0 && rec.modseq > unchangedsince) {
			if (modified != NULL)
				buf_append(modified, &uids[i], sizeof(uids[i]));
			continue;
		}
		f.uid = rec.uid;
		f.flags = mbox_new_flags(op, rec.flags, flags);
		f.keywords = op == MBOX_FLAGS_ADD ? rec.keywords | mask :
			op == MBOX_FLAGS_REMOVE ? rec.keywords & ~mask : mask;
		if (f.flags == rec.flags && f.keywords == rec.keywords)
			continue;
		mbox_log_add(&records, MBOX_LOG_FLAGS, modseq, &f, sizeof(f));
	}
	ret = 0;
	if (records.len > 0) {
		ret = mbox_log_commit(mb, &records, modseq, &end, error_r);
		if (ret == 0 && mbox_index_update(mb, &records, end, error_r) < 0)
			log_warn("mbox_index_update_failed", "path=%s reason=%s",
				 mb->dir, *error_r);
		else if (ret == 0)
			mbox_checkpoint_if_due(mb);
	}
out:
	mbox_unlock(mb);
	buf_free(&records);
	return ret;
}

int mbox_expunge(struct mbox *mb, const uint32_t *uids, size_t count,
		 const char **error_r)
{
	struct buf records = BUF_INIT;
	uint64_t modseq, end;
	int64_t bytes = 0, messages = 0;
	size_t i;
	int ret = 0;
	bool due = false;
	char name[16];

	if (mbox_write_lock(mb, error_r) < 0)
		return -1;
	modseq = mb->hdr.highestmodseq + 1;
	for (i = 0; i < count; i++) {
		struct mbox_record rec;

		if (mbox_index_find(mb, uids[i], &rec) < 0 ||
		    (rec.flags & MBOX_EXPUNGED))
			continue;
		mbox_log_add(&records, MBOX_LOG_EXPUNGE, modseq, &uids[i],
			     sizeof(uids[i]));
		bytes += (int64_t)rec.size;
		messages++;
	}
	if (records.len > 0) {
		ret = mbox_log_commit(mb, &records, modseq, &end, error_r);
		if (ret == 0 && mbox_index_update(mb, &records, end, error_r) < 0)
			log_warn("mbox_index_update_failed", "path=%s reason=%s",
				 mb->dir, *error_r);
		else if (ret == 0)
			due = true;
		/* Under the lock, so a concurrent expunge of the same
		 * messages finds them gone and counts nothing. */
		if (ret == 0)
			mbox_usage_release_as(mb, bytes, messages,
					      mbox_usage_defer());
	}
	/* Files go only once the log says they are expunged; a file left by
	 * a crash here is removed by reconstruct. */
	for (i = 0; ret == 0 && i < count; i++) {
		snprintf(name, sizeof(name), "%u", uids[i]);
		if (!mbox_defer(MBOX_DEFER_UNLINK, mb->dir_fd, name))
			(void)unlinkat(mb->dir_fd, name, 0);
	}
	if (due)
		mbox_checkpoint_if_due(mb);
	mbox_unlock(mb);
	buf_free(&records);
	return ret;
}

/* What a checkpoint looks at to choose what to do. */
struct mbox_checkpoint_scan {
	uint32_t expunged;
	uint64_t live_cache;	/* bytes of the live messages' cache entries */
};

static void mbox_scan_record(void *ctx, const struct mbox_record *rec)
{
	struct mbox_checkpoint_scan *u = ctx;

	if (rec->flags & MBOX_EXPUNGED)
		u->expunged++;
	else if (rec->cache_size > 0)
		u->live_cache += 8 + (uint64_t)rec->cache_size;
}

/* Log bytes after which a writer makes a checkpoint (0: never). */
static uint64_t mbox_checkpoint_bytes = MBOX_CHECKPOINT_BYTES_DEFAULT;

void mbox_set_checkpoint_bytes(uint64_t bytes)
{
	mbox_checkpoint_bytes = bytes;
}

/* Whether the mailbox's files are worth writing again: the cache holds
 * more than one checkpoint interval beyond twice what its live messages
 * use (the fields file follows it, a fraction of its size), or the log
 * has grown to MBOX_REWRITE_LOG_CHECKPOINTS intervals.  A rewrite makes
 * every reader read the index again, so it is rare; one setting scales
 * both, so that tests can make rewrites frequent. */
static bool mbox_rewrite_due(struct mbox *mb, const struct mbox_checkpoint_scan *u)
{
	uint64_t interval = mbox_checkpoint_bytes > 0 ? mbox_checkpoint_bytes :
		MBOX_CHECKPOINT_BYTES_DEFAULT;
	struct stat st;

	if (fstat(mb->log_fd, &st) < 0)
		return false;
	if ((uint64_t)st.st_size / MBOX_REWRITE_LOG_CHECKPOINTS >= interval)
		return true;
	return fstatat(mb->dir_fd, "cache", &st, 0) == 0 &&
		(uint64_t)st.st_size > 2 * u->live_cache + interval;
}

/* The bytes of the index, log, cache and fields files. */
static uint64_t mbox_files_size(struct mbox *mb)
{
	static const char *const names[] = { "index", "log", "cache",
					     "fields" };
	uint64_t total = 0;
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (fstatat(mb->dir_fd, names[i], &st, 0) == 0)
			total += (uint64_t)st.st_size;
	}
	return total;
}

/*
 * A checkpoint, with the exclusive lock held.  The file system is synced
 * first (syncfs()): under a defer hook the log's last records may not be
 * durable yet, nor the message files and folder names an append handed
 * over with them (mbox_set_defer_hook()), whichever process's commit is
 * still to sync them; an index marked as reflecting the log up to an
 * offset must never be ahead of the log on disk, and the recovery after
 * a reboot checks the files of the records after the checkpoint only.
 * One flush of the file system per mailbox_checkpoint_log_bytes of log,
 * where a sync of each file appended since would be thousands.  Then, when what expunged messages left behind (or
 * the log) has grown large, every file is written again for the live
 * messages alone (mbox_files_rewrite_locked()); else the index is
 * rewritten without its tombstones, when they are MBOX_COMPACT_PERCENT of
 * its records or more; else its records are fsync'ed and its header
 * marked.
 */
static int mbox_checkpoint_locked(struct mbox *mb, const char **error_r)
{
	struct mbox_checkpoint_scan u = { 0, 0 };
	uint32_t before = mb->hdr.record_count;
	uint64_t covered = mb->hdr.applied_offset - mb->hdr.checkpoint_offset;

	if (syncfs(mb->dir_fd) < 0)
		return mbox_fail_errno(mb, error_r, "sync");
	if (mbox_index_walk(mb, mbox_scan_record, &u, error_r) < 0)
		return -1;
	if (mbox_rewrite_due(mb, &u)) {
		uint64_t size = mbox_files_size(mb), after;
		int ret = mbox_files_rewrite_locked(mb, error_r);

		if (ret == 0) {
			after = mbox_files_size(mb);
			log_info("mbox_rewritten", "path=%s count=%u size=%llu",
				 mb->dir, mb->hdr.record_count,
				 (unsigned long long)(size > after ?
						      size - after : 0));
			return 0;
		}
		if (ret == -2)
			return -1;
		/* Nothing changed (a full disk, say): the checkpoint is
		 * made as usual, so the next try waits for the next one
		 * instead of coming with every write. */
		log_warn("mbox_rewrite_failed", "path=%s reason=%s", mb->dir,
			 *error_r);
	}
	if (u.expunged > 0 &&
	    (uint64_t)u.expunged * 100 >=
	    (uint64_t)mb->hdr.record_count * MBOX_COMPACT_PERCENT) {
		if (mbox_index_compact_locked(mb, error_r) < 0)
			return -1;
		log_info("mbox_compacted", "path=%s count=%u size=%llu",
			 mb->dir, before - mb->hdr.record_count,
			 (unsigned long long)covered);
		return 0;
	}
	if (fsync(mb->index_fd) < 0)
		return mbox_fail_errno(mb, error_r, "index");
	mb->hdr.checkpoint_offset = mb->hdr.applied_offset;
	if (mbox_write_header(mb, error_r) < 0)
		return -1;
	if (fdatasync(mb->index_fd) < 0)
		return mbox_fail_errno(mb, error_r, "index");
	log_info("mbox_checkpoint", "path=%s size=%llu", mb->dir,
		 (unsigned long long)covered);
	return 0;
}

/* Called by every writer just before it unlocks, with the index brought
 * up to its change: a checkpoint once the log has grown by
 * mbox_checkpoint_bytes since the last.  The change itself is durable
 * already, so a failure is only logged. */
static void mbox_checkpoint_if_due(struct mbox *mb)
{
	const char *error;

	if (mbox_checkpoint_bytes == 0 ||
	    mb->hdr.applied_offset < mb->hdr.checkpoint_offset ||
	    mb->hdr.applied_offset - mb->hdr.checkpoint_offset <
	    mbox_checkpoint_bytes)
		return;
	if (mbox_checkpoint_locked(mb, &error) < 0)
		log_warn("mbox_checkpoint_failed", "path=%s reason=%s",
			 mb->dir, error);
}

int mbox_checkpoint(struct mbox *mb, const char **error_r)
{
	int ret;

	if (mbox_write_lock(mb, error_r) < 0)
		return -1;
	ret = mbox_checkpoint_locked(mb, error_r);
	mbox_unlock(mb);
	return ret;
}
