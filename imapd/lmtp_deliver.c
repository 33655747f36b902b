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

/* Writes the recipient's copy: its own Return-Path and Delivered-To, then
 * the message.  fsync'ed: the mailbox only links it. */
static int lmtp_write_copy(struct lmtp_delivery *d, const struct lmtp_rcpt *r,
			   const char *sender, const char *data, size_t size,
			   struct buf *path,
			   size_t *size_r, const char **error_r)
{
	struct buf head = BUF_INIT;
	size_t done = 0;
	int fd, ret = 0;

	buf_clear(path);
	buf_printf(path, "%s/lmtp.%ld.%u", store_tmp_dir(d->st), (long)getpid(),
		   lmtp_file_seq++);
	buf_printf(&head, "Return-Path: <%s>\r\nDelivered-To: %s\r\n",
		   sender, r->address);
	fd = open(buf_cstr(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		*error_r = strerror(errno);
		buf_free(&head);
		return -1;
	}
	if (write(fd, head.data, head.len) != (ssize_t)head.len)
		ret = -1;
	while (ret == 0 && done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			ret = -1;
		else
			done += (size_t)n;
	}
	if (ret == 0 && fdatasync(fd) < 0)
		ret = -1;
	if (ret < 0) {
		*error_r = strerror(errno);
		(void)unlink(buf_cstr(path));
	}
	close(fd);
	*size_r = head.len + size;
	buf_free(&head);
	return ret;
}

/* The cache record of the copy: the structure is that of the message
 * shifted by the two header lines, so it is parsed from the copy. */
static void lmtp_cache(const char *path, size_t size, struct buf *cache)
{
	struct mime_part *root;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf_clear(cache);
	if (fd < 0)
		return;
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	root = mime_parse(map, size, NULL, NULL);
	mime_cache_write(root, map, size, cache);
	mime_part_free(&root);
	munmap(map, size);
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
	int ret;

	*over_r = false;
	*size_r = 0;
	ret = store_mailbox_open(d->st, r->user, mailbox, &mb, error_r);
	if (ret == 0)
		*error_r = "no such mailbox";
	if (ret <= 0 ||
	    lmtp_write_copy(d, r, sender, data, data_size, &path, size_r,
			    error_r) < 0) {
		mbox_close(&mb);
		buf_free(&path);
		return -1;
	}
	lmtp_cache(buf_cstr(&path), *size_r, &cache);
	memset(&msg, 0, sizeof(msg));
	msg.path = buf_cstr(&path);
	msg.size = *size_r;
	msg.internal_date = (int64_t)time(NULL);
	msg.cache = cache.data;
	msg.cache_size = cache.len;
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
	(void)unlink(buf_cstr(&path));
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

static void lmtp_deliver_one(struct lmtp_delivery *d, struct lmtp_rcpt *r,
			     const char *data, uint64_t hash)
{
	struct buf text = BUF_INIT;
	const char *mailbox = "INBOX", *error = "";
	struct store_mailbox info;
	struct mbox_append_result res;
	size_t size;
	bool over;

	/* +detail goes to that folder when it exists and its list lets
	 * anyone post ("p", RFC 4314); otherwise to INBOX, so a typo in a
	 * detail never loses mail.  A board's recipient was checked at
	 * RCPT. */
	if (r->detail != NULL &&
	    store_mailbox_lookup(d->st, r->user, r->detail, &info, &error) == 1 &&
	    (store_owner_is_shared(r->user) || acl_post_allowed(info.acl)))
		mailbox = info.name;
	if (lmtp_store_copy(d, r, mailbox, d->sender, data, d->size, hash,
			    true, &res, &size, &over, &error) < 0) {
		if (over) {
			log_info("delivery_refused", "user=%s reason=%s",
				 r->user, "over quota");
			if (d->set->lmtp_quota_temporary)
				lmtp_reply(d, r, 452, "4.2.2", "Mailbox is full");
			else
				lmtp_reply(d, r, 552, "5.2.2", "Mailbox is full");
			return;
		}
		log_error("delivery_failed", "user=%s mailbox=%s reason=%s",
			  r->user, mailbox, error);
		lmtp_reply(d, r, 451, "4.3.0",
			   "Temporary failure, try again later");
		return;
	}
	if (res.duplicate) {
		log_info("delivery_duplicate", "user=%s mailbox=%s uid=%u",
			 r->user, mailbox, res.uid);
		buf_printf(&text, "Ok: already delivered to %s as uid %u",
			   mailbox, res.uid);
	} else {
		log_info("delivered", "user=%s mailbox=%s uid=%u size=%zu",
			 r->user, mailbox, res.uid, size);
		buf_printf(&text, "Ok: delivered to %s as uid %u", mailbox,
			   res.uid);
	}
	lmtp_reply(d, r, 250, "2.0.0", buf_cstr(&text));
	buf_free(&text);
	if (!res.duplicate && store_quota_warning_due(d->st, r->user))
		lmtp_quota_warning(d, r);
}

void lmtp_deliver(struct lmtp_delivery *d)
{
	const char *data = "";
	void *map = MAP_FAILED;
	uint64_t hash = 0;
	size_t i;
	int fd;

	fd = open(d->spool_path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && d->size > 0)
		map = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fd >= 0)
		close(fd);
	if (fd < 0 || (d->size > 0 && map == MAP_FAILED)) {
		log_error("delivery_failed", "path=%s reason=%s", d->spool_path,
			  strerror(errno));
		for (i = 0; i < d->rcpt_count; i++)
			lmtp_reply(d, &d->rcpts[i], 451, "4.3.0",
				   "Temporary failure, try again later");
		return;
	}
	if (map != MAP_FAILED)
		data = map;
	hash = lmtp_delivery_hash(data, d->size);
	for (i = 0; i < d->rcpt_count; i++)
		lmtp_deliver_one(d, &d->rcpts[i], data, hash);
	if (map != MAP_FAILED)
		munmap(map, d->size);
}
