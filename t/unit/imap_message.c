/* Unit tests for imapd/imap_message.c: small files are read into memory
 * (one shared buffer, or a buffer of their own while it is held), big ones
 * mapped, and a file whose size is not the index's is still read whole; a
 * file read from the disk, not the page cache, is counted as such. */
#include "tap.h"
#include <stdbool.h>
#include "buf.h"
#include "mbox.h"
#include "imapd/imap_message.h"
#include "page_cache.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-imap-message-test-XXXXXX";

/* Each message its own spooled file: the mailbox hard-links it. */
static void add(struct mbox *mb, const char *spool, const struct buf *text)
{
	static int seq;
	char path[400];
	struct mbox_append *a = mbox_append_begin(mb);
	struct mbox_append_result res[1];
	struct mbox_new_message m;
	const char *err;
	int fd;

	snprintf(path, sizeof(path), "%s.%d", spool, seq++);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text->data, text->len) != (ssize_t)text->len)
		abort();
	close(fd);
	memset(&m, 0, sizeof(m));
	m.path = path;
	m.size = text->len;
	m.internal_date = 1700000000;
	mbox_append_add(a, &m);
	if (mbox_append_commit(&a, res, &err) < 0)
		abort();
}

int main(void)
{
	struct buf small = BUF_INIT, other = BUF_INIT, big = BUF_INIT;
	struct imap_message m1, m2, m3;
	struct mbox_view view;
	struct mbox *mb;
	char dir[300], spool[300], path[400];
	const char *err, *first;
	uint64_t cold;
	int fd;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(dir, sizeof(dir), "%s/box", root);
	snprintf(spool, sizeof(spool), "%s/spool", root);
	if (mbox_create(dir, 1, &err) < 0 || mbox_open(dir, &mb, &err) < 0)
		abort();
	buf_append_str(&small, "Subject: small\r\n\r\nhello\r\n");
	buf_append_str(&other, "Subject: other\r\n\r\nworld, a bit longer\r\n");
	buf_append_str(&big, "Subject: big\r\n\r\n");
	while (big.len <= IMAP_MESSAGE_READ_MAX)
		buf_append_str(&big, "0123456789abcdef0123456789abcdef\r\n");
	add(mb, spool, &small);
	add(mb, spool, &other);
	add(mb, spool, &big);
	if (mbox_view_load(mb, &view, &err) < 0 || view.count != 3)
		abort();

	imap_message_init(&m1, mb, &view.records[0]);
	ok(imap_message_data(&m1, &err) == 0 && m1.size == small.len &&
	   memcmp(m1.data, small.data, small.len) == 0, "small file read");
	ok(!m1.mapped && m1.fd < 0, "into memory, descriptor closed");
	first = m1.data;

	imap_message_init(&m2, mb, &view.records[1]);
	ok(imap_message_data(&m2, &err) == 0 && m2.size == other.len &&
	   memcmp(m2.data, other.data, other.len) == 0,
	   "a second one while the first is held");
	ok(m2.data != m1.data && memcmp(m1.data, small.data, small.len) == 0,
	   "has a buffer of its own, the first is intact");
	imap_message_deinit(&m1);
	imap_message_deinit(&m2);

	imap_message_init(&m1, mb, &view.records[1]);
	ok(imap_message_data(&m1, &err) == 0 && m1.data == first &&
	   memcmp(m1.data, other.data, other.len) == 0,
	   "the shared buffer is used again once given back");
	imap_message_deinit(&m1);

	/* Dropped from the page cache, the file is read all the same, and
	 * counted as read from the disk; once cached again, not.  The
	 * kernel starts reading a missing page before it answers a
	 * RWF_NOWAIT read with EAGAIN, so a process preempted between the
	 * two (on a loaded machine) finds the page there and the read is
	 * not counted: a few tries are allowed.  Code that never counts
	 * fails them all. */
	snprintf(path, sizeof(path), "%s/%u", dir, view.records[1].uid);
	{
		bool dropped = true, whole = true;
		int tries;

		for (tries = 0; tries < 5; tries++) {
			dropped &= page_cache_drop(path);
			cold = imap_message_cold_reads();
			imap_message_check_cold(true);
			imap_message_init(&m1, mb, &view.records[1]);
			whole &= imap_message_data(&m1, &err) == 0 &&
				m1.size == other.len &&
				memcmp(m1.data, other.data, other.len) == 0;
			imap_message_deinit(&m1);
			if (imap_message_cold_reads() == cold + 1)
				break;
		}
		ok(dropped, "a file dropped from the page cache");
		ok(whole, "is read whole");
		if (tries > 0)
			printf("# counted at try %d\n", tries + 1);
	}
	ok(imap_message_cold_reads() == cold + 1, "counted as a cold read");
	ok(imap_message_cold_known(), "the kernel tells (RWF_NOWAIT)");
	imap_message_check_cold(true);
	imap_message_init(&m1, mb, &view.records[1]);
	ok(imap_message_data(&m1, &err) == 0 &&
	   memcmp(m1.data, other.data, other.len) == 0 &&
	   imap_message_cold_reads() == cold + 1,
	   "read again from the page cache: not counted");
	imap_message_deinit(&m1);

	imap_message_init(&m3, mb, &view.records[2]);
	ok(imap_message_data(&m3, &err) == 0 && m3.size == big.len &&
	   memcmp(m3.data, big.data, big.len) == 0 && m3.mapped,
	   "a file over IMAP_MESSAGE_READ_MAX is mapped");
	imap_message_deinit(&m3);

	/* A file longer than the index says: read whole all the same. */
	snprintf(path, sizeof(path), "%s/%u", dir, view.records[0].uid);
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, "x", 1) == 1, "file grown behind the index");
	if (fd >= 0)
		close(fd);
	imap_message_init(&m1, mb, &view.records[0]);
	ok(imap_message_data(&m1, &err) == 0 && m1.size == small.len + 1 &&
	   m1.data[small.len] == 'x', "read at its real size");
	imap_message_deinit(&m1);

	unlink(path);
	imap_message_init(&m1, mb, &view.records[0]);
	ok(imap_message_data(&m1, &err) < 0 && strstr(err, "message") != NULL,
	   "a file gone is an error with a reason");
	imap_message_deinit(&m1);

	mbox_view_free(&view);
	mbox_close(&mb);
	buf_free(&small);
	buf_free(&other);
	buf_free(&big);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			tap_diag("could not remove the test folder");
	}
	return tap_done();
}
