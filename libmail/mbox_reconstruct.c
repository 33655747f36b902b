/* Rebuilding a mailbox from its message files (see mbox.h). */
#include "mbox_private.h"
#include "crc32.h"
#include "log.h"
#include "mbox_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct recon_entry {
	struct mbox_record rec;
	bool expunged;
	bool has_file;
	bool from_log;
};

struct recon {
	struct mbox *mb;
	struct recon_entry *e;
	size_t count, alloc;
	uint32_t uidnext;
	uint64_t modseq;
	char keywords[MBOX_MAX_KEYWORDS][64];
	unsigned int keyword_count;
};

static struct recon_entry *recon_find(struct recon *r, uint32_t uid,
				      bool create)
{
	size_t lo = 0, hi = r->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->e[mid].rec.uid == uid)
			return &r->e[mid];
		if (r->e[mid].rec.uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create)
		return NULL;
	if (r->count == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 256;
		r->e = xrealloc(r->e, r->alloc * sizeof(*r->e));
	}
	memmove(&r->e[lo + 1], &r->e[lo], (r->count - lo) * sizeof(*r->e));
	r->count++;
	memset(&r->e[lo], 0, sizeof(r->e[lo]));
	r->e[lo].rec.uid = uid;
	return &r->e[lo];
}

/* The whole log replayed, from its first record: the history of every
 * message the mailbox has had since its last rebuild. */
static int recon_apply(void *ctx, const struct mbox_log_record *rec,
		       const void *payload, size_t size)
{
	struct recon *r = ctx;
	struct recon_entry *e;

	if (rec->modseq > r->modseq)
		r->modseq = rec->modseq;
	switch (rec->type) {
	case MBOX_LOG_APPEND: {
		struct mbox_record add;

		if (size != sizeof(add))
			return -1;
		memcpy(&add, payload, sizeof(add));
		e = recon_find(r, add.uid, true);
		e->rec = add;
		e->from_log = true;
		e->expunged = false;
		if (add.uid >= r->uidnext)
			r->uidnext = add.uid + 1;
		return 0;
	}
	case MBOX_LOG_FLAGS: {
		struct mbox_log_flags f;

		if (size != sizeof(f))
			return -1;
		memcpy(&f, payload, sizeof(f));
		e = recon_find(r, f.uid, false);
		if (e != NULL) {
			e->rec.flags = f.flags;
			e->rec.keywords = f.keywords;
			e->rec.modseq = rec->modseq;
		}
		return 0;
	}
	case MBOX_LOG_EXPUNGE: {
		uint32_t uid;

		if (size != sizeof(uid))
			return -1;
		memcpy(&uid, payload, sizeof(uid));
		e = recon_find(r, uid, true);
		e->expunged = true;
		return 0;
	}
	case MBOX_LOG_KEYWORD: {
		uint32_t idx;

		if (size < sizeof(idx) + 1)
			return -1;
		memcpy(&idx, payload, sizeof(idx));
		if (idx >= MBOX_MAX_KEYWORDS ||
		    size - sizeof(idx) > MBOX_KEYWORD_MAX_LEN)
			return -1;
		memset(r->keywords[idx], 0, sizeof(r->keywords[idx]));
		memcpy(r->keywords[idx], (const char *)payload + sizeof(idx),
		       size - sizeof(idx));
		if (idx >= r->keyword_count)
			r->keyword_count = idx + 1;
		return 0;
	}
	default:
		return -1;
	}
}

/* Reads the index as it is, as the starting point (the log may not reach
 * back to the first message after an earlier rebuild). */
static void recon_load_index(struct recon *r, const struct mbox_index_header *hdr)
{
	struct mbox_record rec;
	uint32_t i;

	for (i = 0; i < hdr->record_count; i++) {
		struct recon_entry *e;

		if (pread(r->mb->index_fd, &rec, sizeof(rec),
			  mbox_record_pos(i)) != sizeof(rec))
			break;
		e = recon_find(r, rec.uid, true);
		e->rec = rec;
		e->rec.flags &= ~MBOX_EXPUNGED;
		e->expunged = (rec.flags & MBOX_EXPUNGED) != 0;
	}
	if (hdr->uidnext > r->uidnext)
		r->uidnext = hdr->uidnext;
	if (hdr->highestmodseq > r->modseq)
		r->modseq = hdr->highestmodseq;
	r->keyword_count = hdr->keyword_count;
	memcpy(r->keywords, hdr->keywords, sizeof(r->keywords));
}

static int recon_scan_files(struct recon *r,
			    struct mbox_reconstruct_report *rep,
			    bool check_only)
{
	DIR *d = fdopendir(dup(r->mb->dir_fd));
	struct dirent *de;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct recon_entry *e;
		struct stat st;
		char *end;
		unsigned long uid = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end != '\0' ||
		    uid > UINT32_MAX ||
		    fstatat(r->mb->dir_fd, de->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		e = recon_find(r, (uint32_t)uid, true);
		if (e->expunged) {
			rep->leftovers++;
			if (!check_only)
				(void)unlinkat(r->mb->dir_fd, de->d_name, 0);
			continue;
		}
		e->has_file = true;
		if (e->rec.modseq == 0 && !e->from_log && e->rec.size == 0 &&
		    e->rec.internal_date == 0) {
			/* No record named it: back it comes, as new. */
			rep->added++;
			e->rec.internal_date = st.st_mtime;
			e->rec.save_date = st.st_mtime;
			e->rec.modseq = ++r->modseq;
		}
		if (e->rec.size != (uint64_t)st.st_size) {
			if (e->rec.size != 0)
				rep->resized++;
			e->rec.size = (uint64_t)st.st_size;
		}
		if (uid >= r->uidnext) {
			r->uidnext = (uint32_t)uid + 1;
			rep->header_fixed = true;
		}
	}
	closedir(d);
	return 0;
}

/* Whether the record's fields entry is the head of `blob` that
 * header searches read (fields_size bytes; none when 0). */
static bool recon_fields_good(struct recon *r, const struct recon_entry *e,
			      const struct buf *blob, size_t fields_size)
{
	struct buf have = BUF_INIT;
	const char *error;
	bool good;

	if (fields_size == 0)
		return mbox_record_fields_offset(&e->rec) == 0;
	good = mbox_record_fields_offset(&e->rec) != 0 &&
		mbox_fields_read(r->mb, &e->rec, &have, &error) == 0 &&
		have.len == fields_size &&
		memcmp(have.data, blob->data, fields_size) == 0;
	buf_free(&have);
	return good;
}

/* Appends the entry of `data` to `fields` (the new fields file's
 * contents, its header first) and names it in the record. */
static void recon_fields_add(struct recon_entry *e, const char *data,
			     size_t len, struct buf *fields)
{
	struct mbox_fields_header hdr;

	mbox_record_set_fields_offset(&e->rec, 0);
	if (fields->len == 0) {
		mbox_fields_header_init(&hdr);
		buf_append(fields, &hdr, sizeof(hdr));
	}
	if (len == 0 || len > MBOX_FIELDS_MAX_ENTRY ||
	    fields->len + 8 + len > MBOX_FIELDS_MAX_OFFSET)
		return;
	mbox_record_set_fields_offset(&e->rec, fields->len);
	mbox_fields_entry_append(fields, e->rec.uid, data, len);
}

/* Checks each kept record's cache and fields entries, rebuilding the bad
 * ones into `cache` and `fields` (the new files' contents). */
static void recon_cache(struct recon *r, struct recon_entry *e,
			mbox_cache_build_fn *build, mbox_cache_check_fn *check,
			struct buf *cache, struct buf *fields,
			struct mbox_reconstruct_report *rep)
{
	struct buf blob = BUF_INIT;
	const char *error;
	size_t fields_size = 0;
	bool good;

	good = e->rec.cache_size > 0 &&
		mbox_cache_read(r->mb, &e->rec, &blob, &error) == 0 &&
		check(blob.data, blob.len, e->rec.size, &fields_size);
	if (good && !recon_fields_good(r, e, &blob, fields_size))
		rep->refielded++;
	if (!good) {
		int fd = mbox_message_open(r->mb, e->rec.uid);
		void *map = MAP_FAILED;

		buf_clear(&blob);
		if (fd >= 0 && e->rec.size > 0)
			map = mmap(NULL, e->rec.size, PROT_READ, MAP_PRIVATE,
				   fd, 0);
		if (fd >= 0)
			close(fd);
		if (map != MAP_FAILED) {
			build(map, e->rec.size, &blob);
			munmap(map, e->rec.size);
		}
		fields_size = 0;
		if (blob.len > 0 &&
		    !check(blob.data, blob.len, e->rec.size, &fields_size))
			fields_size = 0;
		rep->recached++;
	}
	mbox_record_set_cache_offset(&e->rec, cache->len);
	e->rec.cache_size = (uint32_t)blob.len;
	if (blob.len > 0) {
		mbox_cache_entry_append(cache, e->rec.uid, blob.data, blob.len);
	} else {
		e->rec.cache_size = 0;
	}
	recon_fields_add(e, blob.data, fields_size, fields);
	buf_free(&blob);
}

static int recon_write_file(struct mbox *mb, const char *name,
			    const void *data, size_t len, const char **error_r)
{
	char *path = mbox_path(mb, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0)
		ret = mbox_fail(error_r, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	return ret;
}

/* Writes the rebuilt files beside the old ones, then switches to them
 * (mbox_files_switch()): the log first (a new, empty one with the next
 * sequence number), then the cache and the fields file, then the index
 * that names them.  A crash between the renames is finished at the next
 * open (mbox_files_finish()); generations are never mixed. */
static int recon_commit(struct recon *r, uint32_t uidvalidity,
			uint64_t old_seq, const struct buf *cache,
			const struct buf *fields, const char **error_r)
{
	struct mbox *mb = r->mb;
	struct mbox_index_header hdr;
	struct buf index = BUF_INIT;
	char *log_new = mbox_path(mb, "log.new");
	size_t i;
	int ret = -1;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, MBOX_INDEX_MAGIC, sizeof(MBOX_INDEX_MAGIC));
	hdr.version = MBOX_INDEX_VERSION;
	hdr.record_size = sizeof(struct mbox_record);
	hdr.uidvalidity = uidvalidity;
	hdr.uidnext = r->uidnext;
	hdr.highestmodseq = r->modseq;
	hdr.keyword_count = r->keyword_count;
	memcpy(hdr.keywords, r->keywords, sizeof(hdr.keywords));
	hdr.applied_offset = hdr.checkpoint_offset = MBOX_LOG_HEADER_SIZE;
	hdr.log_seq = old_seq + 1;
	mbox_boot_id(hdr.boot_id);
	buf_reserve(&index, MBOX_INDEX_HEADER_SIZE);
	memset(index.data, 0, MBOX_INDEX_HEADER_SIZE);
	memcpy(index.data, &hdr, sizeof(hdr));
	index.len = MBOX_INDEX_HEADER_SIZE;
	for (i = 0; i < r->count; i++) {
		if (r->e[i].has_file) {
			buf_append(&index, &r->e[i].rec, sizeof(r->e[i].rec));
			hdr.record_count++;
		}
	}
	memcpy(index.data, &hdr, sizeof(hdr));
	(void)unlink(log_new);
	if (mbox_log_create(log_new, uidvalidity, hdr.log_seq, error_r) < 0 ||
	    recon_write_file(mb, "cache.new", cache->data, cache->len,
			     error_r) < 0 ||
	    recon_write_file(mb, "fields.new", fields->data, fields->len,
			     error_r) < 0 ||
	    recon_write_file(mb, "index.new", index.data, index.len,
			     error_r) < 0)
		goto out;
	if (mbox_files_switch(mb, error_r) < 0)
		goto out;
	ret = 0;
out:
	free(log_new);
	buf_free(&index);
	return ret;
}

/* Whether the rebuilt records differ from the index as it is. */
static bool recon_index_differs(struct recon *r,
				const struct mbox_index_header *hdr)
{
	struct mbox_record rec;
	uint32_t i, live = 0;
	size_t j = 0;

	for (i = 0; i < hdr->record_count; i++) {
		struct recon_entry *e;

		if (pread(r->mb->index_fd, &rec, sizeof(rec),
			  mbox_record_pos(i)) != sizeof(rec))
			return true;
		if (rec.flags & MBOX_EXPUNGED)
			continue;
		live++;
		while (j < r->count && !r->e[j].has_file)
			j++;
		if (j == r->count)
			return true;
		e = &r->e[j++];
		if (e->rec.uid != rec.uid || e->rec.flags != rec.flags ||
		    e->rec.keywords != rec.keywords || e->rec.size != rec.size)
			return true;
	}
	while (j < r->count && !r->e[j].has_file)
		j++;
	return j != r->count;
}

int mbox_reconstruct(const char *dir, uint32_t uidvalidity,
		     mbox_cache_build_fn *build, mbox_cache_check_fn *check,
		     bool check_only, struct mbox_reconstruct_report *rep,
		     const char **error_r)
{
	struct mbox *mb = xcalloc(1, sizeof(*mb));
	struct mbox_index_header hdr;
	struct recon r;
	struct buf cache = BUF_INIT, fields = BUF_INIT;
	uint64_t end, log_seq = 0;
	bool torn, index_ok, log_ok;
	size_t i;
	char *lock_path;
	int ret = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	r.mb = mb;
	r.uidnext = 1;
	mb->dir = xstrdup(dir);
	mb->log_path = mbox_path(mb, "log");
	mb->index_fd = mb->log_fd = mb->cache_fd = mb->fields_fd = -1;
	mb->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	lock_path = mbox_path(mb, "lock");
	mb->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock_path);
	if (mb->dir_fd < 0 || mb->lock_fd < 0) {
		mbox_fail(error_r, "%s: %s", dir, strerror(errno));
		goto out_close;
	}
	while (flock(mb->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			mbox_fail_errno(mb, error_r, "lock");
			goto out_close;
		}
	}
	/* Whatever of the index and log can be read is the starting
	 * point; neither is required. */
	{
		char *p = mbox_path(mb, "index");

		mb->index_fd = open(p, O_RDONLY | O_CLOEXEC);
		free(p);
		mb->log_fd = open(mb->log_path, O_RDONLY | O_CLOEXEC);
	}
	index_ok = mb->index_fd >= 0 &&
		pread(mb->index_fd, &hdr, sizeof(hdr), 0) == sizeof(hdr) &&
		memcmp(hdr.magic, MBOX_INDEX_MAGIC, sizeof(MBOX_INDEX_MAGIC)) == 0 &&
		(hdr.version == MBOX_INDEX_VERSION ||
		 hdr.version == MBOX_INDEX_VERSION_NO_FIELDS) &&
		hdr.record_size == sizeof(struct mbox_record) &&
		hdr.keyword_count <= MBOX_MAX_KEYWORDS;
	if (index_ok) {
		recon_load_index(&r, &hdr);
		log_seq = hdr.log_seq;
		if (uidvalidity == 0)
			uidvalidity = hdr.uidvalidity;
	} else {
		memset(&hdr, 0, sizeof(hdr));
		rep->header_fixed = true;
	}
	log_ok = mb->log_fd >= 0 &&
		mbox_log_check_header(mb->log_fd, error_r) == 0;
	if (log_ok) {
		struct mbox_log_header lh;

		if (pread(mb->log_fd, &lh, sizeof(lh), 0) == sizeof(lh)) {
			if (index_ok && lh.log_seq != hdr.log_seq)
				rep->header_fixed = true;
			if (lh.log_seq > log_seq)
				log_seq = lh.log_seq;
			if (uidvalidity == 0)
				uidvalidity = lh.uidvalidity;
		}
		if (mbox_log_scan(mb->log_fd, MBOX_LOG_HEADER_SIZE, recon_apply,
				  &r, &end, &torn, error_r) < 0)
			goto out_unlock;
		if (index_ok && end != hdr.applied_offset)
			rep->header_fixed = true;
	} else {
		rep->header_fixed = true;
	}
	if (uidvalidity == 0)
		uidvalidity = (uint32_t)time(NULL);
	if (recon_scan_files(&r, rep, check_only) < 0) {
		mbox_fail_errno(mb, error_r, ".");
		goto out_unlock;
	}
	for (i = 0; i < r.count; i++) {
		struct recon_entry *e = &r.e[i];

		if (!e->has_file) {
			if (!e->expunged && e->rec.size != 0)
				rep->removed++;
			continue;
		}
		recon_cache(&r, e, build, check, &cache, &fields, rep);
	}
	if (index_ok && r.uidnext != hdr.uidnext)
		rep->header_fixed = true;
	if (index_ok && recon_index_differs(&r, &hdr) && rep->added == 0 &&
	    rep->removed == 0 && rep->resized == 0)
		rep->header_fixed = true;
	ret = 0;
	if (!check_only && (rep->added || rep->removed || rep->resized ||
			    rep->recached || rep->refielded ||
			    rep->header_fixed))
		ret = recon_commit(&r, uidvalidity, log_seq, &cache, &fields,
				   error_r);
	if (ret == 0 && !check_only && (rep->added || rep->removed ||
					rep->resized || rep->recached ||
					rep->refielded ||
					rep->header_fixed || rep->leftovers))
		log_info("mbox_reconstructed", "path=%s count=%u",
			 dir, rep->added + rep->removed + rep->resized +
			 rep->recached + rep->refielded + rep->leftovers);
out_unlock:
	flock(mb->lock_fd, LOCK_UN);
out_close:
	free(r.e);
	buf_free(&cache);
	buf_free(&fields);
	mbox_close(&mb);
	return ret;
}
