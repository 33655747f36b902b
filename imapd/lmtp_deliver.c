#include "lmtp_deliver.h"
#include "log.h"
#include "mbox.h"
#include "message_header.h"
#include "mime_cache.h"
#include "mime_parse.h"
#include "mime_part.h"
#include "quota.h"
#include "queue_message.h"
#include "smtp_reply.h"
#include "acl.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned int lmtp_file_seq;
/* Copies made without a name, held open until their commit links them:
 * past this many a copy gets a named file, so that a large batch cannot
 * run the process out of descriptors. */
#define LMTP_UNNAMED_MAX 256
static unsigned int lmtp_unnamed_open;
static int lmtp_proc_fd = -1;	/* /proc/self/fd is there: 1, not: 0 */

static void lmtp_reply(struct lmtp_delivery *d, struct lmtp_rcpt *r,
		       unsigned int code, const char *enhanced,
		       const char *text)
{
	const char *error;

	buf_clear(&r->reply);
	if (smtp_reply_write(&r->reply, code,
			     d->enhanced_codes ? enhanced : NULL, text,
			     &error) < 0)
		log_panic("lmtp reply: %s", error);
}

/* What identifies this delivery when it comes again: its Message-ID, or
 * when it has none its exact bytes.  64 bits of SHA-256. */
static uint64_t lmtp_delivery_hash(const char *data, size_t size)
{
	struct message_header hdr;
	struct buf mid = BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	uint64_t hash;

	message_header_init(&hdr, NULL);
	message_header_parse(&hdr, data, size);
	if (message_header_get(&hdr, "Message-ID", &mid) && mid.len > 2)
		EVP_Digest(mid.data, mid.len, md, &md_len, EVP_sha256(), NULL);
	else
		EVP_Digest(data, size, md, &md_len, EVP_sha256(), NULL);
	message_header_deinit(&hdr);
	buf_free(&mid);
	memcpy(&hash, md, sizeof(hash));
	/* 0 means "no hash" to the store. */
	return hash != 0 ? hash : 1;
}

/* Creates the file of a copy: when the file system allows, one without a
 * name in the mailbox's own folder (O_TMPFILE), which the commit links in
 * through /proc/self/fd and which vanishes by itself if it never is; the
 * descriptor then stays open in *keep_fd until lmtp_copy_release().
 * Otherwise a named file in the store's tmp folder.  Unnamed files spare
 * the shared tmp folder a name created and removed per copy. */
static int lmtp_copy_create(struct lmtp_delivery *d, const char *dir,
			    struct buf *path, int *keep_fd)
{
	int fd;

	buf_clear(path);
	*keep_fd = -1;
	/* The commit links the file through /proc: without it, names. */
	if (lmtp_proc_fd < 0)
		lmtp_proc_fd = access("/proc/self/fd", X_OK) == 0 ? 1 : 0;
	if (lmtp_proc_fd == 1 && lmtp_unnamed_open < LMTP_UNNAMED_MAX) {
		fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		if (fd >= 0) {
			buf_printf(path, "/proc/self/fd/%d", fd);
			*keep_fd = fd;
			lmtp_unnamed_open++;
			return fd;
		}
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -1;
	}
	buf_printf(path, "%s/lmtp.%ld.%u", store_tmp_dir(d->st), (long)getpid(),
		   lmtp_file_seq++);
	return open(buf_cstr(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
}

/* The copy is linked into its mailbox, or given up: its temporary name
 * goes, or its descriptor is closed. */
static void lmtp_copy_release(struct buf *path, int *keep_fd)
{
	if (*keep_fd >= 0) {
		close(*keep_fd);
		*keep_fd = -1;
		lmtp_unnamed_open--;
	} else if (path->len > 0) {
		(void)unlink(buf_cstr(path));
	}
	buf_clear(path);
}

/* The cache record of the copy: the structure is that of the message
 * shifted by the two header lines, so it is parsed from the copy's own
 * bytes, `len` of them at `bytes`. */
static void lmtp_cache_parse(const char *bytes, size_t len, struct buf *cache)
{
	struct mime_part *root = mime_parse(bytes, len, NULL, NULL);

	mime_cache_write(root, bytes, len, cache);
	mime_part_free(&root);
}

/* The same, read back from the file written, for a copy too large to
 * have been put together in memory. */
static void lmtp_cache_from_file(const char *path, size_t size,
				 struct buf *cache)
{
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	lmtp_cache_parse(map, size, cache);
	munmap(map, size);
}

static int lmtp_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes the recipient's copy: its own Return-Path and Delivered-To, then
 * the message, and makes its cache record.  With `sync` fdatasync'ed, for
 * mbox_append_commit() (the mailbox only links it); without, for
 * mbox_append_commit_many(), which makes a whole batch durable at once.
 * `dir` is the mailbox's folder; the caller releases the copy with
 * lmtp_copy_release() once committed, also after a failure here.
 *
 * A copy of at most LMTP_COPY_INLINE_MAX is put together in memory,
 * written at once and parsed from there; a larger one is written in two
 * parts and parsed from the file (mapped), so as not to hold the message
 * twice.  Reading every copy back through a mapping cost lmtpd an open, a
 * mmap, page faults and a munmap per copy, and the munmap a TLB flush on
 * every core its threads ran on. */
#define LMTP_COPY_INLINE_MAX (1024 * 1024)
static int lmtp_write_copy(struct lmtp_delivery *d, const struct lmtp_rcpt *r,
			   const char *dir, const char *sender,
			   const char *data, size_t size, bool sync,
			   struct buf *path, int *keep_fd, struct buf *cache,
			   size_t *size_r, const char **error_r)
{
	struct buf copy = BUF_INIT;	/* the header lines, then the message */
	bool inline_copy;
	int fd, ret;

	buf_clear(cache);
	buf_printf(&copy, "Return-Path: <%s>\r\nDelivered-To: %s\r\n",
		   sender, r->address);
	fd = lmtp_copy_create(d, dir, path, keep_fd);
	if (fd < 0) {
		*error_r = strerror(errno);
		buf_free(&copy);
		return -1;
	}
	inline_copy = copy.len + size <= LMTP_COPY_INLINE_MAX;
	if (inline_copy) {
		buf_append(&copy, data, size);
		ret = lmtp_write_all(fd, copy.data, copy.len);
		*size_r = copy.len;
	} else {
		ret = lmtp_write_all(fd, copy.data, copy.len);
		if (ret == 0)
			ret = lmtp_write_all(fd, data, size);
		*size_r = copy.len + size;
	}
	if (ret == 0 && sync && fdatasync(fd) < 0)
		ret = -1;
	if (ret < 0)
		*error_r = strerror(errno);
	if (fd != *keep_fd)
		close(fd);
	if (ret == 0 && inline_copy)
		lmtp_cache_parse(copy.data, copy.len, cache);
	else if (ret == 0)
		lmtp_cache_from_file(buf_cstr(path), *size_r, cache);
	buf_free(&copy);
	return ret;
}

/* Writes the recipient's copy of `data` and appends it to `mailbox`:
 * 0 (res filled), or -1 with *over_r when the quota refused it. */
static int lmtp_store_copy(struct lmtp_delivery *d, struct lmtp_rcpt *r,
			   const char *mailbox, const char *sender,
			   const char *data, size_t data_size, uint64_t hash,
			   bool count_quota, struct mbox_append_result *res,
			   size_t *size_r, bool *over_r, const char **error_r)
{
	struct buf path = BUF_INIT, cache = BUF_INIT;
	struct mbox *mb = NULL;
	struct mbox_append *a;
	struct mbox_new_message msg;
	int ret, keep_fd = -1;

	*over_r = false;
	*size_r = 0;
	ret = store_mailbox_open(d->st, r->user, mailbox, &mb, error_r);
	if (ret == 0)
		*error_r = "no such mailbox";
	if (ret <= 0 ||
	    lmtp_write_copy(d, r, mbox_dir(mb), sender, data, data_size, true,
			    &path, &keep_fd, &cache, size_r, error_r) < 0) {
		lmtp_copy_release(&path, &keep_fd);
		mbox_close(&mb);
		buf_free(&path);
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	msg.path = buf_cstr(&path);
	msg.size = *size_r;
	msg.internal_date = (int64_t)time(NULL);
	msg.cache = cache.data;
	msg.cache_size = cache.len;
	msg.fields_size = mime_cache_fields_size(cache.data, cache.len,
						 *size_r);
	if (hash != 0 && d->set->lmtp_dedup_window != 0) {
		msg.delivery_hash = hash;
		msg.dedup_since = msg.internal_date -
			(int64_t)d->set->lmtp_dedup_window;
	}
	a = mbox_append_begin(mb);
	if (!count_quota)
		mbox_append_no_quota(a);
	mbox_append_add(a, &msg);
	ret = mbox_append_commit(&a, res, error_r);
	if (ret < 0)
		*over_r = mbox_over_quota(mb);
	lmtp_copy_release(&path, &keep_fd);
	mbox_close(&mb);
	buf_free(&path);
	buf_free(&cache);
	return ret;
}

/* One short message to the user's INBOX when a delivery took them to
 * quota_warn_percent: not counted against the quota (it must arrive), but
 * counted in the usage.  Failing it does not fail the delivery. */
static void lmtp_quota_warning(struct lmtp_delivery *d, struct lmtp_rcpt *r)
{
	struct quota_record q;
	struct quota_limits lim;
	struct mbox_append_result res;
	struct buf text = BUF_INIT;
	const char *error = "no such user";
	size_t size;
	bool over;
	int64_t now = (int64_t)time(NULL);

	if (store_quota_get(d->st, r->user, &q, &lim, &error) <= 0)
		goto fail;
	buf_printf(&text, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
		   "To: %s\r\nSubject: Your mailbox is almost full\r\n"
		   "Date: ", d->hostname, r->address);
	queue_message_date(&text, now);
	buf_printf(&text, "\r\nMessage-ID: <quota.%lld.%ld.%s@%s>\r\n"
		   "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
		   "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
		   "Your mailboxes are %u%% full:\r\n\r\n",
		   (long long)now, (long)getpid(), r->user, d->hostname,
		   quota_percent(&lim, q.bytes, q.messages));
	if (lim.has_storage)
		buf_printf(&text, "  storage: %llu KiB of %llu KiB\r\n",
			   (unsigned long long)quota_kb(q.bytes),
			   (unsigned long long)lim.storage_kb);
	if (lim.has_messages)
		buf_printf(&text, "  messages: %llu of %llu\r\n",
			   (unsigned long long)q.messages,
			   (unsigned long long)lim.messages);
	buf_append_str(&text, "\r\nWhen they are full, new mail to you will be "
		       "refused.  Please delete\r\nmessages you no longer "
		       "need, and empty the Trash.\r\n");
	if (lmtp_store_copy(d, r, "INBOX", "", text.data, text.len, 0, false,
			    &res, &size, &over, &error) < 0)
		goto fail;
	log_info("quota_warning", "user=%s mailbox=INBOX uid=%u size=%zu",
		 r->user, res.uid, size);
	buf_free(&text);
	return;
fail:
	log_error("quota_warning_failed", "user=%s reason=%s", r->user, error);
	buf_free(&text);
}

/* The folder a recipient's copy goes to: +detail goes to that folder when
 * it exists and its list lets anyone post ("p", RFC 4314); otherwise to
 * INBOX, so a typo in a detail never loses mail.  A board's recipient was
 * checked at RCPT. */
static char *lmtp_target_mailbox(struct lmtp_delivery *d,
				 const struct lmtp_rcpt *r)
{
	struct store_mailbox info;
	const char *error;

	if (r->detail != NULL &&
	    store_mailbox_lookup(d->st, r->user, r->detail, &info, &error) == 1 &&
	    (store_owner_is_shared(r->user) || acl_post_allowed(info.acl)))
		return xstrdup(info.name);
	return xstrdup("INBOX");
}

/* One recipient's copy in a batch. */
struct lmtp_job {
	struct lmtp_delivery *d;
	struct lmtp_rcpt *r;
	char *mailbox;
	struct buf path;	/* the copy, until the commit links it */
	int keep_fd;		/* its descriptor when it has no name */
	struct buf cache;	/* its parsed structure */
	struct mbox_new_message msg;
	size_t size;
	size_t group;		/* its mailbox in the batch */
	size_t index;		/* its place in that mailbox's append */
	bool answered;		/* its reply is set */
	bool stored;		/* a new message (not a duplicate) */
};

/* One mailbox of a batch, with every copy that goes to it. */
struct lmtp_group {
	struct mbox *mb;
	struct mbox_append *append;
	struct mbox_append_result *results;
	size_t count, alloc;
	int ret;
};

/* A delivery that did not happen: its reply, and the log line. */
static void lmtp_job_failed(struct lmtp_job *j, bool over, const char *error)
{
	struct lmtp_delivery *d = j->d;

	j->answered = true;
	if (over) {
		log_info("delivery_refused", "user=%s reason=%s", j->r->user,
			 "over quota");
		if (d->set->lmtp_quota_temporary)
			lmtp_reply(d, j->r, 452, "4.2.2", "Mailbox is full");
		else
			lmtp_reply(d, j->r, 552, "5.2.2", "Mailbox is full");
		return;
	}
	log_error("delivery_failed", "user=%s mailbox=%s reason=%s",
		  j->r->user, j->mailbox, error);
	lmtp_reply(d, j->r, 451, "4.3.0", "Temporary failure, try again later");
}

static void lmtp_job_done(struct lmtp_job *j,
			  const struct mbox_append_result *res)
{
	struct buf text = BUF_INIT;

	j->answered = true;
	j->stored = !res->duplicate;
	if (res->duplicate) {
		log_info("delivery_duplicate", "user=%s mailbox=%s uid=%u",
			 j->r->user, j->mailbox, res->uid);
		buf_printf(&text, "Ok: already delivered to %s as uid %u",
			   j->mailbox, res->uid);
	} else {
		log_info("delivered", "user=%s mailbox=%s uid=%u size=%zu",
			 j->r->user, j->mailbox, res->uid, j->size);
		buf_printf(&text, "Ok: delivered to %s as uid %u", j->mailbox,
			   res->uid);
	}
	lmtp_reply(j->d, j->r, 250, "2.0.0", buf_cstr(&text));
	buf_free(&text);
}

/* Writes the recipient's copy (not yet durable) and adds it to the append
 * of its mailbox, opening the mailbox when it is the batch's first copy
 * for it.  On failure the job is answered. */
static void lmtp_job_prepare(struct lmtp_job *j, const char *data,
			     uint64_t hash, struct lmtp_group **groups,
			     size_t *group_count)
{
	struct lmtp_delivery *d = j->d;
	struct mbox_new_message *msg = &j->msg;
	struct lmtp_group *g;
	struct mbox *mb = NULL;
	const char *error = "no such mailbox";
	size_t i;

	j->keep_fd = -1;
	if (store_mailbox_open(d->st, j->r->user, j->mailbox, &mb, &error) <= 0 ||
	    lmtp_write_copy(d, j->r, mbox_dir(mb), d->sender, data, d->size,
			    false, &j->path, &j->keep_fd, &j->cache, &j->size,
			    &error) < 0) {
		lmtp_copy_release(&j->path, &j->keep_fd);
		mbox_close(&mb);
		lmtp_job_failed(j, false, error);
		return;
	}
	/* One append per mailbox: a second lock on it would wait on the
	 * first. */
	for (i = 0; i < *group_count; i++) {
		if (strcmp(mbox_dir((*groups)[i].mb), mbox_dir(mb)) == 0)
			break;
	}
	if (i == *group_count) {
		*groups = xrealloc(*groups, (i + 1) * sizeof(**groups));
		g = &(*groups)[i];
		memset(g, 0, sizeof(*g));
		g->mb = mb;
		g->append = mbox_append_begin(mb);
		(*group_count)++;
	} else {
		mbox_close(&mb);
	}
	g = &(*groups)[i];
	memset(msg, 0, sizeof(*msg));
	msg->path = buf_cstr(&j->path);
	msg->size = j->size;
	msg->internal_date = (int64_t)time(NULL);
	msg->cache = j->cache.data;
	msg->cache_size = j->cache.len;
	msg->fields_size = mime_cache_fields_size(j->cache.data, j->cache.len,
						  j->size);
	if (hash != 0 && d->set->lmtp_dedup_window != 0) {
		msg->delivery_hash = hash;
		msg->dedup_since = msg->internal_date -
			(int64_t)d->set->lmtp_dedup_window;
	}
	mbox_append_add(g->append, msg);
	j->group = i;
	j->index = g->count++;
}

/* Gives a copy without a name one in the store's tmp folder, synced.  The
 * failed batch linked the unnamed file into the mailbox and unlinked it
 * again, and the kernel links such a file only once; a named copy can be
 * linked again.  0, or -1 with errno. */
static int lmtp_copy_name(struct lmtp_job *j)
{
	struct buf named = BUF_INIT;
	char chunk[65536];
	ssize_t n = 0;
	int in, out, err;

	buf_printf(&named, "%s/lmtp.%ld.%u", store_tmp_dir(j->d->st),
		   (long)getpid(), lmtp_file_seq++);
	in = open(buf_cstr(&j->path), O_RDONLY | O_CLOEXEC);
	out = open(buf_cstr(&named), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		   0600);
	while (in >= 0 && out >= 0 && (n = read(in, chunk, sizeof(chunk))) > 0) {
		if (write(out, chunk, (size_t)n) != n) {
			n = -1;
			break;
		}
	}
	err = errno;
	if (in < 0 || out < 0 || n < 0 || fdatasync(out) < 0) {
		err = errno;
		if (out >= 0)
			(void)unlink(buf_cstr(&named));
		n = -1;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (n < 0) {
		buf_free(&named);
		errno = err;
		return -1;
	}
	lmtp_copy_release(&j->path, &j->keep_fd);
	buf_clear(&j->path);
	buf_append(&j->path, named.data, named.len);
	buf_free(&named);
	j->msg.path = buf_cstr(&j->path);
	return 0;
}

/* A mailbox whose batch failed as a whole, say over quota with all its
 * copies but not with the first few: each copy is committed alone, as if
 * it had come by itself. */
static void lmtp_job_commit_alone(struct lmtp_job *j, struct lmtp_group *g)
{
	struct mbox_append_result res;
	struct mbox_append *a;
	const char *error = "";
	int fd;

	if (j->keep_fd >= 0) {
		if (lmtp_copy_name(j) < 0) {
			lmtp_job_failed(j, false, strerror(errno));
			return;
		}
	} else {
		fd = open(buf_cstr(&j->path), O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fdatasync(fd) < 0) {
			error = strerror(errno);
			if (fd >= 0)
				close(fd);
			lmtp_job_failed(j, false, error);
			return;
		}
		close(fd);
	}
	a = mbox_append_begin(g->mb);
	mbox_append_add(a, &j->msg);
	if (mbox_append_commit(&a, &res, &error) < 0)
		lmtp_job_failed(j, mbox_over_quota(g->mb), error);
	else
		lmtp_job_done(j, &res);
}

static void lmtp_log_ctx(const struct lmtp_delivery *d)
{
	if (d->log != NULL)
		log_set_ctx(d->log);
}

/* Writes the copies of one transaction's message, one job per
 * recipient, whichever way the session held the message. */
static void lmtp_deliver_prepare(struct lmtp_delivery *d, const char *data,
				 uint64_t *hash_r, struct lmtp_job *jobs,
				 size_t *njobs, struct lmtp_group **groups,
				 size_t *ngroups)
{
	size_t k;

	*hash_r = lmtp_delivery_hash(data, d->size);
	for (k = 0; k < d->rcpt_count; k++) {
		struct lmtp_job *j = &jobs[(*njobs)++];

		j->d = d;
		j->r = &d->rcpts[k];
		j->mailbox = lmtp_target_mailbox(d, j->r);
		lmtp_job_prepare(j, data, *hash_r, groups, ngroups);
	}
}

void lmtp_deliver_batch(struct lmtp_delivery **ds, size_t n)
{
	struct lmtp_job *jobs;
	struct lmtp_group *groups = NULL;
	struct mbox_append **appends;
	struct mbox_append_result **results;
	void **maps = xcalloc(n, sizeof(*maps));
	uint64_t *hashes = xcalloc(n, sizeof(*hashes));
	size_t i, k, njobs = 0, ngroups = 0;
	int *rets;
	const char *error = "";
	const struct log_ctx *outer = log_get_ctx();
	int fd;

	for (i = 0; i < n; i++)
		njobs += ds[i]->rcpt_count;
	jobs = xcalloc(njobs, sizeof(*jobs));
	njobs = 0;
	for (i = 0; i < n; i++) {
		struct lmtp_delivery *d = ds[i];
		const char *data = "";

		lmtp_log_ctx(d);
		maps[i] = MAP_FAILED;
		if (d->spool_data != NULL) {
			lmtp_deliver_prepare(d, d->spool_data, &hashes[i],
					     jobs, &njobs, &groups, &ngroups);
			continue;
		}
		fd = open(d->spool_path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && d->size > 0)
			maps[i] = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE,
				       fd, 0);
		if (fd >= 0)
			close(fd);
		if (fd < 0 || (d->size > 0 && maps[i] == MAP_FAILED)) {
			log_error("delivery_failed", "path=%s reason=%s",
				  d->spool_path, strerror(errno));
			for (k = 0; k < d->rcpt_count; k++)
				lmtp_reply(d, &d->rcpts[k], 451, "4.3.0",
					   "Temporary failure, try again later");
			continue;
		}
		if (maps[i] != MAP_FAILED)
			data = maps[i];
		lmtp_deliver_prepare(d, data, &hashes[i], jobs, &njobs,
				     &groups, &ngroups);
	}
	appends = xcalloc(ngroups + 1, sizeof(*appends));
	results = xcalloc(ngroups + 1, sizeof(*results));
	rets = xcalloc(ngroups + 1, sizeof(*rets));
	for (i = 0; i < ngroups; i++) {
		groups[i].results = xcalloc(groups[i].count,
					    sizeof(*groups[i].results));
		appends[i] = groups[i].append;
		results[i] = groups[i].results;
	}
	if (ngroups > 0) {
		log_set_ctx(outer);
		(void)mbox_append_commit_many(appends, ngroups, results, rets,
					      &error);
		log_info("delivery_commit", "batch=%zu count=%zu", njobs,
			 ngroups);
	}
	for (i = 0; i < njobs; i++) {
		struct lmtp_job *j = &jobs[i];
		struct lmtp_group *g = &groups[j->group];

		if (j->answered)
			continue;
		lmtp_log_ctx(j->d);
		if (rets[j->group] == 0)
			lmtp_job_done(j, &g->results[j->index]);
		else if (g->count > 1)
			lmtp_job_commit_alone(j, g);
		else
			lmtp_job_failed(j, mbox_over_quota(g->mb), error);
	}
	for (i = 0; i < njobs; i++)
		lmtp_copy_release(&jobs[i].path, &jobs[i].keep_fd);
	for (i = 0; i < ngroups; i++) {
		mbox_close(&groups[i].mb);
		free(groups[i].results);
	}
	/* After the commit, so a warning never holds up a reply. */
	for (i = 0; i < njobs; i++) {
		struct lmtp_job *j = &jobs[i];

		lmtp_log_ctx(j->d);
		if (j->stored && store_quota_warning_due(j->d->st, j->r->user))
			lmtp_quota_warning(j->d, j->r);
		buf_free(&j->path);
		buf_free(&j->cache);
		free(j->mailbox);
	}
	for (i = 0; i < n; i++) {
		if (maps[i] != MAP_FAILED)
			munmap(maps[i], ds[i]->size);
	}
	log_set_ctx(outer);
	free(jobs);
	free(groups);
	free(appends);
	free(results);
	free(rets);
	free(maps);
	free(hashes);
}
