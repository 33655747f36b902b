/* A mailbox on disk: see mbox.h for the design. */
#include "mbox.h"
#include "crc32.h"
#include "log.h"
#include "mbox_format.h"
#include "mbox_log.h"
#include "mbox_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char mbox_error[1024];

int mbox_fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mbox_error, sizeof(mbox_error), fmt, ap);
	va_end(ap);
	*error_r = mbox_error;
	return -1;
}

int mbox_fail_errno(struct mbox *mb, const char **error_r,
			   const char *what)
{
	return mbox_fail(error_r, "%s/%s: %s", mb->dir, what, strerror(errno));
}

/* The kernel's ID of this boot: index writes made without fsync before a
 * reboot may be lost, so the boot they were made in matters. */
void mbox_boot_id(unsigned char id[16])
{
	static unsigned char cached[16];
	static int have;
	char text[64];
	int fd, i, j;

	if (!have) {
		memset(cached, 0, sizeof(cached));
		fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, text, sizeof(text) - 1);

			close(fd);
			text[n > 0 ? n : 0] = '\0';
			for (i = 0, j = 0; text[i] != '\0' && j < 32; i++) {
				int v;

				if (text[i] >= '0' && text[i] <= '9')
					v = text[i] - '0';
				else if (text[i] >= 'a' && text[i] <= 'f')
					v = text[i] - 'a' + 10;
				else
					continue;
				cached[j / 2] |= (unsigned char)(j % 2 ? v : v << 4);
				j++;
			}
		}
		have = 1;
	}
	memcpy(id, cached, 16);
}

char *mbox_path(const struct mbox *mb, const char *name)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s", mb->dir, name);
	return buf_steal(&b);
}

int mbox_create(const char *dir, uint32_t uidvalidity, const char **error_r)
{
	struct mbox_index_header hdr;
	struct buf path = BUF_INIT;
	unsigned char pad[MBOX_INDEX_HEADER_SIZE];
	int fd, dfd, ret = -1;

	if (mkdir(dir, 0700) < 0)
		return mbox_fail(error_r, "%s: %s", dir, strerror(errno));
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, MBOX_INDEX_MAGIC, sizeof(MBOX_INDEX_MAGIC));
	hdr.version = MBOX_INDEX_VERSION;
	hdr.record_size = sizeof(struct mbox_record);
	hdr.uidvalidity = uidvalidity;
	hdr.uidnext = 1;
	hdr.applied_offset = MBOX_LOG_HEADER_SIZE;
	hdr.checkpoint_offset = MBOX_LOG_HEADER_SIZE;
	hdr.log_seq = 1;
	mbox_boot_id(hdr.boot_id);
	memset(pad, 0, sizeof(pad));
	memcpy(pad, &hdr, sizeof(hdr));

	buf_printf(&path, "%s/log", dir);
	if (mbox_log_create(buf_cstr(&path), uidvalidity, 1, error_r) < 0)
		goto out;
	buf_clear(&path);
	buf_printf(&path, "%s/index", dir);
	fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, pad, sizeof(pad)) != sizeof(pad) ||
	    fdatasync(fd) < 0) {
		mbox_fail(error_r, "%s: %s", buf_cstr(&path), strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	buf_clear(&path);
	buf_printf(&path, "%s/lock", dir);
	fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	buf_clear(&path);
	buf_printf(&path, "%s/cache", dir);
	fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	/* The folder's entries must be durable before anyone relies on the
	 * mailbox existing. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		mbox_fail(error_r, "%s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	ret = 0;
out:
	buf_free(&path);
	return ret;
}

static int mbox_read_header(struct mbox *mb, const char **error_r)
{
	if (pread(mb->index_fd, &mb->hdr, sizeof(mb->hdr), 0) !=
	    sizeof(mb->hdr))
		return mbox_fail(error_r, "%s/index: short header", mb->dir);
	if (memcmp(mb->hdr.magic, MBOX_INDEX_MAGIC,
		   sizeof(MBOX_INDEX_MAGIC)) != 0)
		return mbox_fail(error_r, "%s/index: not a sealpost index",
				 mb->dir);
	/* A version 1 index is a version 2 one without fields entries
	 * (mbox_format.h): it says so from its next header write on. */
	if (mb->hdr.version == MBOX_INDEX_VERSION_NO_FIELDS)
		mb->hdr.version = MBOX_INDEX_VERSION;
	if (mb->hdr.version != MBOX_INDEX_VERSION)
		return mbox_fail(error_r, "%s/index: version %u is newer than "
				 "this program knows (%d)", mb->dir,
				 mb->hdr.version, MBOX_INDEX_VERSION);
	if (mb->hdr.record_size != sizeof(struct mbox_record) ||
	    mb->hdr.keyword_count > MBOX_MAX_KEYWORDS)
		return mbox_fail(error_r, "%s/index: corrupt header", mb->dir);
	return 0;
}

int mbox_write_header(struct mbox *mb, const char **error_r)
{
	if (pwrite(mb->index_fd, &mb->hdr, sizeof(mb->hdr), 0) !=
	    sizeof(mb->hdr))
		return mbox_fail_errno(mb, error_r, "index");
	return 0;
}

/* (Re)opens `name` if the file at the path is not the one we hold: another
 * process may have replaced the index (compaction) or the log. */
static int mbox_reopen(struct mbox *mb, const char *name, int *fd,
		       ino_t *ino, int flags, const char **error_r)
{
	char *path = mbox_path(mb, name);
	struct stat st;
	int newfd;

	if (stat(path, &st) < 0) {
		mbox_fail(error_r, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (*fd >= 0 && st.st_ino == *ino) {
		free(path);
		return 0;
	}
	newfd = open(path, flags | O_CLOEXEC);
	if (newfd < 0) {
		mbox_fail(error_r, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (*fd >= 0)
		close(*fd);
	*fd = newfd;
	if (fstat(newfd, &st) == 0)
		*ino = st.st_ino;
	return 0;
}

int mbox_refresh_locked(struct mbox *mb, const char **error_r)
{
	int old_log_fd = mb->log_fd;
	ino_t old_log_ino = mb->log_ino;

	if (mbox_reopen(mb, "index", &mb->index_fd, &mb->index_ino, O_RDWR,
			error_r) < 0 ||
	    mbox_reopen(mb, "log", &mb->log_fd, &mb->log_ino,
			O_RDWR, error_r) < 0 ||
	    mbox_read_header(mb, error_r) < 0)
		return -1;
	/* A new log comes with a new cache and fields file (reconstruct,
	 * a rewrite): entries appended to the old ones would be lost. */
	if (old_log_fd >= 0 && mb->log_ino != old_log_ino)
		mbox_cache_close(mb);
	return 0;
}

int mbox_lock(struct mbox *mb, int how, const char **error_r)
{
	while (flock(mb->lock_fd, how) < 0) {
		if (errno != EINTR)
			return mbox_fail_errno(mb, error_r, "lock");
	}
	if (mbox_refresh_locked(mb, error_r) < 0) {
		flock(mb->lock_fd, LOCK_UN);
		return -1;
	}
	return 0;
}

void mbox_unlock(struct mbox *mb)
{
	flock(mb->lock_fd, LOCK_UN);
}

off_t mbox_record_pos(uint32_t i)
{
	return (off_t)MBOX_INDEX_HEADER_SIZE +
		(off_t)i * (off_t)sizeof(struct mbox_record);
}

/* Finds `uid` among the index's records (sorted by UID); returns its
 * position or -1.  The last record is read first: an append looks up a
 * UID above every record's, and ends there after one read instead of a
 * binary search's log2(n). */
ssize_t mbox_index_find(struct mbox *mb, uint32_t uid,
			       struct mbox_record *rec_r)
{
	uint32_t lo = 0, hi = mb->hdr.record_count;

	if (hi == 0)
		return -1;
	if (pread(mb->index_fd, rec_r, sizeof(*rec_r),
		  mbox_record_pos(hi - 1)) != sizeof(*rec_r))
		return -1;
	if (rec_r->uid == uid)
		return hi - 1;
	if (rec_r->uid < uid)
		return -1;
	hi--;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (pread(mb->index_fd, rec_r, sizeof(*rec_r),
			  mbox_record_pos(mid)) != sizeof(*rec_r))
			return -1;
		if (rec_r->uid == uid)
			return mid;
		if (rec_r->uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Applies one log record to the index (idempotent: replaying a record the
 * index already has changes nothing). */
int mbox_index_apply(void *ctx, const struct mbox_log_record *rec,
			    const void *payload, size_t size)
{
	struct mbox *mb = ctx;
	struct mbox_record r;
	ssize_t pos;

	if (rec->modseq > mb->hdr.highestmodseq)
		mb->hdr.highestmodseq = rec->modseq;
	switch (rec->type) {
	case MBOX_LOG_APPEND: {
		struct mbox_record add;

		if (size != sizeof(add))
			return -1;
		memcpy(&add, payload, sizeof(add));
		pos = mbox_index_find(mb, add.uid, &r);
		if (pos < 0) {
			if (add.uid < mb->hdr.uidnext && mb->hdr.record_count > 0)
				return 0;	/* expunged and compacted away */
			pos = mb->hdr.record_count++;
		}
		if (pwrite(mb->index_fd, &add, sizeof(add),
			   mbox_record_pos((uint32_t)pos)) != sizeof(add))
			return -1;
		if (add.uid >= mb->hdr.uidnext)
			mb->hdr.uidnext = add.uid + 1;
		return 0;
	}
	case MBOX_LOG_FLAGS: {
		struct mbox_log_flags f;

		if (size != sizeof(f))
			return -1;
		memcpy(&f, payload, sizeof(f));
		pos = mbox_index_find(mb, f.uid, &r);
		if (pos < 0 || (r.flags & MBOX_EXPUNGED))
			return 0;
		r.flags = f.flags;
		r.keywords = f.keywords;
		r.modseq = rec->modseq;
		return pwrite(mb->index_fd, &r, sizeof(r),
			      mbox_record_pos((uint32_t)pos)) == sizeof(r) ? 0 : -1;
	}
	case MBOX_LOG_EXPUNGE: {
		uint32_t uid;

		if (size != sizeof(uid))
			return -1;
		memcpy(&uid, payload, sizeof(uid));
		pos = mbox_index_find(mb, uid, &r);
		if (pos < 0)
			return 0;
		r.flags |= MBOX_EXPUNGED;
		r.modseq = rec->modseq;
		return pwrite(mb->index_fd, &r, sizeof(r),
			      mbox_record_pos((uint32_t)pos)) == sizeof(r) ? 0 : -1;
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
		memset(mb->hdr.keywords[idx], 0, sizeof(mb->hdr.keywords[idx]));
		memcpy(mb->hdr.keywords[idx], (const char *)payload + sizeof(idx),
		       len);
		if (idx >= mb->hdr.keyword_count)
			mb->hdr.keyword_count = idx + 1;
		return 0;
	}
	default:
		return -1;
	}
}

/* Removes message files that no committed log record names: the remains
 * of a writer that died between placing its files and its log write. */
static void mbox_remove_uncommitted(struct mbox *mb)
{
	DIR *d = fdopendir(dup(mb->dir_fd));
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long uid = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
		    *end == '\0' && uid >= mb->hdr.uidnext) {
			log_warn("mbox_uncommitted_removed", "path=%s uid=%lu",
				 mb->dir, uid);
			(void)unlinkat(mb->dir_fd, de->d_name, 0);
		}
	}
	closedir(d);
}

/* What a recovery learns while it replays the log beside the index (see
 * mbox_recover_locked()). */
struct mbox_replay {
	struct mbox *mb;
	bool rebooted;		/* else the writer died in this boot */
	uint32_t *kept;		/* this boot: the files to make durable */
	size_t kept_count, kept_alloc;
	uint32_t *lost;		/* after a reboot: records without their file */
	size_t lost_count, lost_alloc;
};

static void mbox_replay_push(uint32_t **uids, size_t *count, size_t *alloc,
			     uint32_t uid)
{
	if (*count == *alloc) {
		*alloc = *alloc > 0 ? *alloc * 2 : 64;
		*uids = xrealloc(*uids, *alloc * sizeof(**uids));
	}
	(*uids)[(*count)++] = uid;
}

/* Whether the message file the record names is there whole: its size is
 * the one the record gives (a file the machine lost is gone, or empty). */
static bool mbox_replay_file_whole(struct mbox_replay *r,
				   const struct mbox_record *add)
{
	struct stat st;
	char name[MBOX_MESSAGE_NAME_SIZE];

	mbox_message_name(add->uid, name);
	if (fstatat(r->mb->dir_fd, name, &st, 0) == 0)
		return (uint64_t)st.st_size == add->size;
	return false;
}

static int mbox_replay_apply(void *ctx, const struct mbox_log_record *rec,
			     const void *payload, size_t size)
{
	struct mbox_replay *r = ctx;
	struct mbox_record add;

	if (rec->type == MBOX_LOG_EXPUNGE && size == sizeof(uint32_t) &&
	    r->lost_count > 0) {
		uint32_t uid;
		size_t i;

		/* Expunged since, so its file went with good reason. */
		memcpy(&uid, payload, sizeof(uid));
		for (i = r->lost_count; i-- > 0;) {
			if (r->lost[i] == uid) {
				r->lost[i] = r->lost[--r->lost_count];
				break;
			}
		}
	}
	if (rec->type != MBOX_LOG_APPEND || size != sizeof(add))
		return mbox_index_apply(r->mb, rec, payload, size);
	memcpy(&add, payload, sizeof(add));
	if (!r->rebooted) {
		mbox_replay_push(&r->kept, &r->kept_count, &r->kept_alloc,
				 add.uid);
	} else if (!mbox_replay_file_whole(r, &add)) {
		/* Its UID is never given again: the index goes past it
		 * (and the record is applied, to be expunged at once). */
		mbox_replay_push(&r->lost, &r->lost_count, &r->lost_alloc,
				 add.uid);
	}
	return mbox_index_apply(r->mb, rec, payload, size);
}

/* A writer that died in this boot left records the index did not have:
 * their files, the folder and the log are made durable now, as the
 * writer would have before it answered (mbox_append_commit_many() writes
 * the records before its syncs), and before a checkpoint can pass them.
 * A file already gone was expunged by a later record. */
static int mbox_replay_make_durable(struct mbox_replay *r,
				    const char **error_r)
{
	struct mbox *mb = r->mb;
	char name[MBOX_MESSAGE_NAME_SIZE];
	size_t i;

	for (i = 0; i < r->kept_count; i++) {
		int fd = mbox_message_open(mb, r->kept[i]);

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || fdatasync(fd) < 0) {
			if (fd >= 0)
				close(fd);
			mbox_message_name(r->kept[i], name);
			return mbox_fail_errno(mb, error_r, name);
		}
		close(fd);
	}
	if (r->kept_count > 0 &&
	    (fsync(mb->dir_fd) < 0 || fdatasync(mb->log_fd) < 0))
		return mbox_fail_errno(mb, error_r, "sync");
	return 0;
}

/* After a reboot: the messages whose records outlived their files are
 * expunged, with a record of their own, so that every reader (and
 * reconstruct) agrees they are gone and a client that saw one is told.
 * Their deliveries were never acknowledged: the writer answers only once
 * the file, its name and the record are all durable. */
static int mbox_replay_expunge_lost(struct mbox_replay *r, uint64_t *end,
				    const char **error_r)
{
	struct mbox *mb = r->mb;
	struct buf records = BUF_INIT;
	uint64_t modseq = mb->hdr.highestmodseq + 1;
	char name[MBOX_MESSAGE_NAME_SIZE];
	size_t i, pos;
	int ret = 0;

	if (r->lost_count == 0)
		return 0;
	for (i = 0; i < r->lost_count; i++) {
		log_warn("mbox_message_lost", "path=%s uid=%u", mb->dir,
			 r->lost[i]);
		/* A file left with the wrong size goes too. */
		mbox_message_name(r->lost[i], name);
		(void)unlinkat(mb->dir_fd, name, 0);
		mbox_log_add(&records, MBOX_LOG_EXPUNGE, modseq, &r->lost[i],
			     sizeof(r->lost[i]));
	}
	mbox_log_add(&records, MBOX_LOG_COMMIT, modseq, NULL, 0);
	if (pwrite(mb->log_fd, records.data, records.len, (off_t)*end) !=
	    (ssize_t)records.len || fdatasync(mb->log_fd) < 0) {
		(void)ftruncate(mb->log_fd, (off_t)*end);
		ret = mbox_fail_errno(mb, error_r, "log");
	}
	for (pos = 0; ret == 0 && pos < records.len;) {
		const struct mbox_log_record *rec =
			(const void *)(records.data + pos);

		if (rec->type != MBOX_LOG_COMMIT &&
		    mbox_index_apply(mb, rec, rec + 1, rec->payload_size) < 0)
			ret = mbox_fail_errno(mb, error_r, "index");
		pos += rec->size;
	}
	if (ret == 0)
		*end += records.len;
	buf_free(&records);
	return ret;
}

/* Under the exclusive lock: brings the index up to the log.  A writer that
 * died may have left a torn batch (cut off) or an unapplied one (replayed,
 * and made durable); after a reboot the unsynced index writes may be
 * lost, so replay starts at the last checkpoint, and a record whose file
 * the machine lost is found and its message expunged. */
int mbox_recover_locked(struct mbox *mb, const char **error_r)
{
	unsigned char boot[16];
	uint64_t from, end;
	bool torn;
	struct stat st;
	struct mbox_replay replay;
	int ret = -1;

	struct mbox_log_header lh;

	if (mbox_log_check_header(mb->log_fd, error_r) < 0)
		return -1;
	/* A crash in the middle of replacing the files (a reconstruct, a
	 * rewrite) leaves a new log beside the old index: the replacement
	 * is finished when its new index is there; otherwise the two are
	 * never mixed. */
	if (pread(mb->log_fd, &lh, sizeof(lh), 0) != sizeof(lh))
		return mbox_fail_errno(mb, error_r, "log");
	if (lh.log_seq != mb->hdr.log_seq) {
		int done = mbox_files_finish(mb, lh.log_seq, error_r);

		if (done < 0)
			return -1;
		if (done == 0 || lh.log_seq != mb->hdr.log_seq)
			return mbox_fail(error_r, "%s: index and log disagree: "
					 "run sealpost reconstruct", mb->dir);
	}
	mbox_boot_id(boot);
	memset(&replay, 0, sizeof(replay));
	replay.mb = mb;
	replay.rebooted = memcmp(boot, mb->hdr.boot_id, 16) != 0;
	from = replay.rebooted ? mb->hdr.checkpoint_offset :
		mb->hdr.applied_offset;
	if (fstat(mb->log_fd, &st) < 0)
		return mbox_fail_errno(mb, error_r, "log");
	if ((uint64_t)st.st_size == from && from == mb->hdr.applied_offset)
		return 0;
	if (mbox_log_scan(mb->log_fd, from, mbox_replay_apply, &replay, &end,
			  &torn, error_r) < 0)
		goto out;
	if (torn) {
		log_warn("mbox_log_truncated", "path=%s size=%llu", mb->dir,
			 (unsigned long long)((uint64_t)st.st_size - end));
		if (ftruncate(mb->log_fd, (off_t)end) < 0 ||
		    fdatasync(mb->log_fd) < 0) {
			mbox_fail_errno(mb, error_r, "log");
			goto out;
		}
	}
	if (mbox_replay_make_durable(&replay, error_r) < 0 ||
	    mbox_replay_expunge_lost(&replay, &end, error_r) < 0)
		goto out;
	mb->hdr.applied_offset = end;
	memcpy(mb->hdr.boot_id, boot, 16);
	if (mbox_write_header(mb, error_r) < 0)
		goto out;
	mbox_remove_uncommitted(mb);
	ret = 0;
out:
	free(replay.kept);
	free(replay.lost);
	return ret;
}

int mbox_open(const char *dir, struct mbox **mb_r, const char **error_r)
{
	struct mbox *mb = xcalloc(1, sizeof(*mb));
	char *lock_path;
	struct stat st;
	int ret;

	mb->refs = 1;
	mb->dir = xstrdup(dir);
	mb->log_path = mbox_path(mb, "log");
	mb->index_fd = mb->log_fd = mb->cache_fd = mb->fields_fd = -1;
	mb->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	lock_path = mbox_path(mb, "lock");
	mb->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock_path);
	if (mb->dir_fd < 0 || mb->lock_fd < 0) {
		mbox_fail(error_r, "%s: %s", dir, strerror(errno));
		mbox_close(&mb);
		return -1;
	}
	if (mbox_lock(mb, LOCK_SH, error_r) < 0) {
		mbox_close(&mb);
		return -1;
	}
	/* Most opens find the index current and need no exclusive lock:
	 * the log ends where the index says, in this boot, and is the log
	 * of the index's sequence (a switch a crash interrupted is finished
	 * by the recovery below). */
	ret = fstat(mb->log_fd, &st) == 0 &&
		(uint64_t)st.st_size == mb->hdr.applied_offset;
	if (ret) {
		unsigned char boot[16];
		struct mbox_log_header lh;

		mbox_boot_id(boot);
		ret = memcmp(boot, mb->hdr.boot_id, 16) == 0 &&
			pread(mb->log_fd, &lh, sizeof(lh), 0) == sizeof(lh) &&
			lh.log_seq == mb->hdr.log_seq;
	}
	mbox_unlock(mb);
	if (!ret) {
		if (mbox_lock(mb, LOCK_EX, error_r) < 0 ||
		    mbox_recover_locked(mb, error_r) < 0) {
			mbox_unlock(mb);
			mbox_close(&mb);
			return -1;
		}
		mbox_unlock(mb);
	}
	*mb_r = mb;
	return 0;
}

/* The mailboxes opened by mbox_open_shared(); few (one per mailbox
 * selected in this process, or kept), so a list. */
static struct mbox *mbox_shared_list;
/* The shared mailboxes whose last holder closed them, kept open (in the
 * list, with no references, a snapshot kept too), the last closed first:
 * a client that selects a mailbox again, or logs in again to check for
 * mail, finds it loaded, and a delivery to a recent recipient opens no
 * file.  At most mbox_kept_max, so what they hold is bounded. */
static struct mbox *mbox_kept;
static unsigned int mbox_kept_count, mbox_kept_max = 1;

static void mbox_free(struct mbox *mb);

static void mbox_kept_remove(struct mbox *mb)
{
	struct mbox **p;

	for (p = &mbox_kept; *p != NULL; p = &(*p)->kept_next) {
		if (*p == mb) {
			*p = mb->kept_next;
			mb->kept_next = NULL;
			mbox_kept_count--;
			return;
		}
	}
}

/* Closes kept mailboxes, the longest kept first, down to `max`. */
static void mbox_kept_trim(unsigned int max)
{
	while (mbox_kept_count > max) {
		struct mbox *mb = mbox_kept, *oldest = NULL;

		for (; mb != NULL; mb = mb->kept_next)
			oldest = mb;
		mbox_kept_remove(oldest);
		mbox_free(oldest);
	}
}

void mbox_shared_keep(unsigned int max)
{
	mbox_kept_max = max;
	mbox_kept_trim(max);
}

/* Whether the folder at a kept mailbox's path is still the one it holds
 * open: a folder put in its place (a restore, say) is another mailbox. */
static bool mbox_kept_current(struct mbox *mb)
{
	struct stat a, b;

	return stat(mb->dir, &a) == 0 && fstat(mb->dir_fd, &b) == 0 &&
		a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

void mbox_shared_sweep(void)
{
	struct mbox *mb = mbox_kept, *next;

	for (; mb != NULL; mb = next) {
		next = mb->kept_next;
		if (!mbox_kept_current(mb)) {
			mbox_kept_remove(mb);
			mbox_free(mb);
		}
	}
}

int mbox_open_shared(const char *dir, struct mbox **mb_r,
		     const char **error_r)
{
	struct mbox *mb;

	for (mb = mbox_shared_list; mb != NULL; mb = mb->shared_next) {
		if (strcmp(mb->dir, dir) != 0)
			continue;
		if (mb->refs == 0) {
			mbox_kept_remove(mb);
			if (!mbox_kept_current(mb)) {
				mbox_free(mb);
				break;
			}
		}
		mb->refs++;
		*mb_r = mb;
		return 0;
	}
	if (mbox_open(dir, &mb, error_r) < 0)
		return -1;
	mb->shared = true;
	mb->shared_next = mbox_shared_list;
	mbox_shared_list = mb;
	*mb_r = mb;
	return 0;
}

static void mbox_shared_remove(struct mbox *mb)
{
	struct mbox **p;

	for (p = &mbox_shared_list; *p != NULL; p = &(*p)->shared_next) {
		if (*p == mb) {
			*p = mb->shared_next;
			return;
		}
	}
}

void mbox_close(struct mbox **mbp)
{
	struct mbox *mb = *mbp;

	if (mb == NULL)
		return;
	*mbp = NULL;
	if (mb->refs > 1) {
		mb->refs--;
		return;
	}
	if (mb->shared && mb->refs == 1 && mbox_kept_max > 0) {
		mb->refs = 0;
		mb->kept_next = mbox_kept;
		mbox_kept = mb;
		mbox_kept_count++;
		mbox_kept_trim(mbox_kept_max);
		return;
	}
	mbox_free(mb);
}

static void mbox_free(struct mbox *mb)
{
	if (mb->shared)
		mbox_shared_remove(mb);
	if (mb->snapshot != NULL) {
		mbox_view_free(mb->snapshot);
		free(mb->snapshot);
	}
	if (mb->dir_fd >= 0)
		close(mb->dir_fd);
	if (mb->lock_fd >= 0)
		close(mb->lock_fd);
	if (mb->index_fd >= 0)
		close(mb->index_fd);
	if (mb->log_fd >= 0)
		close(mb->log_fd);
	mbox_cache_close(mb);
	mbox_dedup_free(mb);
	free(mb->dir);
	free(mb->log_path);
	free(mb);
}

const char *mbox_dir(const struct mbox *mb)
{
	return mb->dir;
}

const char *mbox_log_path(const struct mbox *mb)
{
	return mb->log_path;
}
