#include "pop3_maildrop.h"
#include "buf.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define POP3_MAILDROP_LOCK "pop3.lock"

static char maildrop_error[512];

/* Takes the session lock of the mailbox folder without waiting: a second
 * session must hear IN-USE at once (RFC 2449 section 8.1.2). */
static enum pop3_maildrop_result maildrop_lock(struct mbox *mb, int *fd_r,
					       const char **error_r)
{
	struct buf path = BUF_INIT;
	int fd;

	buf_printf(&path, "%s/%s", mbox_dir(mb), POP3_MAILDROP_LOCK);
	fd = open(buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		bool busy = fd >= 0 && errno == EWOULDBLOCK;

		snprintf(maildrop_error, sizeof(maildrop_error), "%s: %s",
			 buf_cstr(&path), strerror(errno));
		buf_free(&path);
		if (fd >= 0)
			close(fd);
		if (busy)
			return POP3_MAILDROP_IN_USE;
		*error_r = maildrop_error;
		return POP3_MAILDROP_ERROR;
	}
	buf_free(&path);
	*fd_r = fd;
	return POP3_MAILDROP_OK;
}

enum pop3_maildrop_result
pop3_maildrop_open(struct store *st, const char *user,
		   struct pop3_maildrop **md_r, const char **error_r)
{
	struct pop3_maildrop *md;
	enum pop3_maildrop_result res;
	struct mbox *mb;
	int ret, fd;

	*md_r = NULL;
	ret = store_mailbox_open(st, user, "INBOX", &mb, error_r);
	if (ret < 0)
		return POP3_MAILDROP_ERROR;
	if (ret == 0)
		return POP3_MAILDROP_NO_MAILBOX;
	res = maildrop_lock(mb, &fd, error_r);
	if (res != POP3_MAILDROP_OK) {
		mbox_close(&mb);
		return res;
	}
	md = xcalloc(1, sizeof(*md));
	md->mbox = mb;
	md->lock_fd = fd;
	/* The snapshot is taken under our lock, so no other POP3 session
	 * can have marks pending against it. */
	if (mbox_view_load(mb, &md->view, error_r) < 0) {
		pop3_maildrop_free(&md);
		return POP3_MAILDROP_ERROR;
	}
	md->marks = xcalloc(md->view.count + 1, 1);
	*md_r = md;
	return POP3_MAILDROP_OK;
}

void pop3_maildrop_free(struct pop3_maildrop **mdp)
{
	struct pop3_maildrop *md = *mdp;

	if (md == NULL)
		return;
	mbox_view_free(&md->view);
	mbox_close(&md->mbox);
	if (md->lock_fd >= 0)
		close(md->lock_fd);
	free(md->marks);
	free(md);
	*mdp = NULL;
}

const struct mbox_record *pop3_maildrop_get(const struct pop3_maildrop *md,
					    size_t n)
{
	if (n < 1 || n > md->view.count ||
	    (md->marks[n - 1] & POP3_MARK_DELETED) != 0)
		return NULL;
	return &md->view.records[n - 1];
}

size_t pop3_maildrop_live_count(const struct pop3_maildrop *md)
{
	return md->view.count - md->deleted_count;
}

uint64_t pop3_maildrop_live_size(const struct pop3_maildrop *md)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < md->view.count; i++)
		total += md->view.records[i].size;
	return total - md->deleted_size;
}

int pop3_maildrop_delete(struct pop3_maildrop *md, size_t n)
{
	const struct mbox_record *rec = pop3_maildrop_get(md, n);

	if (rec == NULL)
		return -1;
	md->marks[n - 1] |= POP3_MARK_DELETED;
	md->deleted_count++;
	md->deleted_size += rec->size;
	return 0;
}

void pop3_maildrop_retrieved(struct pop3_maildrop *md, size_t n)
{
	if (n >= 1 && n <= md->view.count)
		md->marks[n - 1] |= POP3_MARK_RETRIEVED;
}

void pop3_maildrop_reset(struct pop3_maildrop *md)
{
	size_t i;

	for (i = 0; i < md->view.count; i++)
		md->marks[i] &= (uint8_t)~POP3_MARK_DELETED;
	md->deleted_count = 0;
	md->deleted_size = 0;
}

int pop3_maildrop_commit(struct pop3_maildrop *md, bool expunge_retrieved,
			 const char **error_r)
{
	unsigned int want = POP3_MARK_DELETED |
		(expunge_retrieved ? POP3_MARK_RETRIEVED : 0u);
	uint32_t *uids;
	size_t i, n = 0;
	int ret = 0;

	uids = xcalloc(md->view.count + 1, sizeof(*uids));
	/* The view is in ascending UID order, as mbox_expunge() wants. */
	for (i = 0; i < md->view.count; i++) {
		if ((md->marks[i] & want) != 0)
			uids[n++] = md->view.records[i].uid;
	}
	if (n > 0 && mbox_expunge(md->mbox, uids, n, error_r) < 0)
		ret = -1;
	free(uids);
	return ret < 0 ? -1 : (int)n;
}
