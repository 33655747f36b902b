/* Unit tests for the recovery of a mailbox after a group commit was cut
 * short (mbox_recover_locked() in libmail/mbox.c).
 * mbox_append_commit_many() writes the log records before the files they
 * name are durable, so after a reboot a record may name a file the machine
 * lost (gone, or empty).  Such a message is expunged by a record of its
 * own, its UID is never given again, the others are kept, reconstruct
 * finds nothing to repair, and a second reboot changes nothing more.  A
 * reboot is a different boot ID in the index's header.  A writer that
 * died in this boot after writing its records (the index's applied
 * offset short of the log's end) has its files, the folder and the log
 * made durable by the next open, before the records count.  A sync of
 * the log that fails while the lost are expunged fails the open and
 * leaves the log as it was; the next open expunges them.  The test's own
 * fsync() and fdatasync() stand in for the C library's, to count them
 * and to fail them. */
#include "tap.h"
#include "mbox_fixture.h"
#include "mbox.h"
#include "mbox_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-mbox-lost-XXXXXX";
static char tmpdir[256];

/* The syncs of regular files and of folders, from any thread. */
static unsigned int file_syncs, folder_syncs;
/* A sync of this inode fails with EIO (0: none does). */
static ino_t fail_ino;

int fsync(int fd);
int fdatasync(int fd);

static int counted_sync(int fd, bool data_only)
{
	struct stat st;

	if (fstat(fd, &st) == 0) {
		__atomic_add_fetch(S_ISDIR(st.st_mode) ? &folder_syncs :
				   &file_syncs, 1, __ATOMIC_RELAXED);
		if (fail_ino != 0 && st.st_ino == fail_ino) {
			errno = EIO;
			return -1;
		}
	}
	return (int)syscall(data_only ? SYS_fdatasync : SYS_fsync, fd);
}

int fsync(int fd)
{
	return counted_sync(fd, false);
}

int fdatasync(int fd)
{
	return counted_sync(fd, true);
}

/* Commits the texts into `mb` in one batch, as lmtpd does. */
static int commit(struct mbox *mb, const char *const *texts, size_t n)
{
	struct mbox_append *as[1];
	struct mbox_append_result res[8], *rp[1] = { res };
	struct mbox_new_message m;
	const char *err = "";
	size_t i;
	int ret;

	as[0] = mbox_append_begin(mb);
	for (i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		m.path = spool_file(tmpdir, texts[i]);
		m.size = strlen(texts[i]);
		m.internal_date = 1700000000;
		mbox_append_add(as[0], &m);
	}
	return mbox_append_commit_many(as, 1, rp, &ret, &err);
}

/* The index forgets which boot it was written in, as after a reboot. */
static void reboot(const char *dir)
{
	unsigned char zero[16] = { 0 };
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s/index", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0 || pwrite(fd, zero, sizeof(zero),
			     offsetof(struct mbox_index_header, boot_id)) !=
	    (ssize_t)sizeof(zero))
		abort();
	close(fd);
}

static off_t file_size(const char *dir, const char *name)
{
	char path[400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* The UIDs a fresh handle sees, as "1 4"; its UIDNEXT and HIGHESTMODSEQ. */
static void look(const char *dir, char *uids, size_t size, uint32_t *uidnext,
		 uint64_t *modseq)
{
	struct mbox *mb = NULL;
	struct mbox_view view;
	const char *err;
	size_t i, len = 0;

	uids[0] = '\0';
	if (mbox_open(dir, &mb, &err) < 0 || mbox_view_load(mb, &view, &err) < 0) {
		snprintf(uids, size, "open failed: %s", err);
		return;
	}
	for (i = 0; i < view.count && len < size; i++)
		len += (size_t)snprintf(uids + len, size - len, "%s%u",
					i > 0 ? " " : "", view.records[i].uid);
	*uidnext = view.uidnext;
	*modseq = view.highestmodseq;
	mbox_view_free(&view);
	mbox_close(&mb);
}

/* Cache entries are not what this test is about: every one is good. */
static void cache_build(const char *data, size_t size, struct buf *out)
{
}

static bool cache_check(const void *data, size_t len, uint64_t size,
			size_t *fields_size_r)
{
	*fields_size_r = 0;
	return true;
}

int main(void)
{
	static const char *const first[] = {
		"Subject: one\r\n\r\none\r\n",
		"Subject: two\r\n\r\ntwo\r\n",
		"Subject: three\r\n\r\nthree\r\n",
	};
	static const char *const second[] = { "Subject: four\r\n\r\nfour\r\n" };
	static const char *const third[] = { "Subject: six\r\n\r\nsix\r\n" };
	struct mbox_reconstruct_report rep;
	char dir[300], uids[200], path[400];
	struct mbox *mb;
	uint32_t uidnext = 0;
	uint64_t modseq = 0, modseq_before;
	off_t log_size;
	const char *err = "";
	int fd;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", root);
	mkdir(tmpdir, 0700);
	/* No checkpoint: every record is replayed after a reboot. */
	mbox_set_checkpoint_bytes(0);
	mb = fixture_mailbox(root, "box", dir, sizeof(dir));
	is_int(commit(mb, first, 3), 0, "three messages in one batch");
	is_int(commit(mb, second, 1), 0, "a fourth in another");
	mbox_close(&mb);
	look(dir, uids, sizeof(uids), &uidnext, &modseq_before);
	is_str(uids, "1 2 3 4", "all four seen");

	/* The machine lost the second file, and the third's data. */
	snprintf(path, sizeof(path), "%s/2", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/3", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd >= 0)
		close(fd);
	reboot(dir);
	log_size = file_size(dir, "log");
	look(dir, uids, sizeof(uids), &uidnext, &modseq);
	is_str(uids, "1 4", "after the reboot the lost two are expunged");
	is_int((long long)uidnext, 5, "their UIDs are not given again");
	ok(modseq > modseq_before, "the expunge has a mod-sequence of its own");
	ok(file_size(dir, "log") > log_size, "and a record in the log");
	is_int((long long)file_size(dir, "3"), -1, "the empty file is gone");
	is_int((long long)file_size(dir, "1"), (long long)strlen(first[0]),
	       "the first file is kept");

	memset(&rep, 0, sizeof(rep));
	is_int(mbox_reconstruct(dir, 0, cache_build, cache_check, true, &rep, &err), 0,
	       "reconstruct checks the mailbox");
	ok(rep.added == 0 && rep.removed == 0 && rep.resized == 0 &&
	   !rep.header_fixed, "and finds nothing to repair");

	/* Another reboot replays the same records: nothing more changes. */
	reboot(dir);
	log_size = file_size(dir, "log");
	modseq_before = modseq;
	look(dir, uids, sizeof(uids), &uidnext, &modseq);
	is_str(uids, "1 4", "a second reboot: the same messages");
	is_int((long long)file_size(dir, "log"), (long long)log_size,
	       "no new record");
	ok(modseq == modseq_before, "the same mod-sequence");

	/* A message expunged before the reboot, its file removed: not
	 * counted lost. */
	mb = NULL;
	if (mbox_open(dir, &mb, &err) < 0)
		abort();
	{
		uint32_t gone = 4;

		is_int(mbox_expunge(mb, &gone, 1, &err), 0,
		       "message 4 expunged");
	}
	snprintf(path, sizeof(path), "%s/4", dir);
	unlink(path);
	is_int(commit(mb, third, 1), 0, "a new message");
	mbox_close(&mb);
	reboot(dir);
	log_size = file_size(dir, "log");
	look(dir, uids, sizeof(uids), &uidnext, &modseq);
	is_str(uids, "1 5", "after a reboot: the new one has UID 5");
	is_int((long long)file_size(dir, "log"), (long long)log_size,
	       "an expunged message's file is not lost");

	/* A writer died after writing its records, before its syncs: the
	 * index says the log ends before them. */
	{
		static const char *const two[] = {
			"Subject: seven\r\n\r\nseven\r\n",
			"Subject: eight\r\n\r\neight\r\n",
		};
		struct mbox_index_header hdr;
		uint64_t applied;

		snprintf(path, sizeof(path), "%s/index", dir);
		fd = open(path, O_RDWR);
		if (fd < 0 || pread(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
			abort();
		applied = hdr.applied_offset;
		mb = NULL;
		if (mbox_open(dir, &mb, &err) < 0)
			abort();
		is_int(commit(mb, two, 2), 0, "two more in one batch");
		mbox_close(&mb);
		if (pwrite(fd, &applied, sizeof(applied),
			   offsetof(struct mbox_index_header, applied_offset)) !=
		    (ssize_t)sizeof(applied))
			abort();
		close(fd);
		file_syncs = folder_syncs = 0;
		look(dir, uids, sizeof(uids), &uidnext, &modseq);
		is_str(uids, "1 5 6 7", "the next open replays them");
		ok(file_syncs >= 3, "their two files and the log are synced");
		ok(folder_syncs >= 1, "and the folder");
		file_syncs = folder_syncs = 0;
		look(dir, uids, sizeof(uids), &uidnext, &modseq);
		ok(file_syncs == 0 && folder_syncs == 0,
		   "an open that finds the index up to date syncs nothing");
	}

	/* The log cannot be synced while the lost are expunged. */
	{
		struct stat st;

		snprintf(path, sizeof(path), "%s/7", dir);
		unlink(path);
		reboot(dir);
		snprintf(path, sizeof(path), "%s/log", dir);
		if (stat(path, &st) < 0)
			abort();
		fail_ino = st.st_ino;
		look(dir, uids, sizeof(uids), &uidnext, &modseq);
		if (!ok(strncmp(uids, "open failed", 11) == 0,
			"a log sync failing while the lost are expunged "
			"fails the open"))
			tap_diag(uids);
		is_int((long long)file_size(dir, "log"),
		       (long long)st.st_size, "and leaves the log as it was");
		fail_ino = 0;
		look(dir, uids, sizeof(uids), &uidnext, &modseq);
		is_str(uids, "1 5 6", "the next open expunges the lost one");
		is_int((long long)uidnext, 8, "and does not give its UID again");
		memset(&rep, 0, sizeof(rep));
		is_int(mbox_reconstruct(dir, 0, cache_build, cache_check, true,
					&rep, &err), 0, "reconstruct checks it");
		ok(rep.added == 0 && rep.removed == 0 && rep.resized == 0 &&
		   !rep.header_fixed, "and finds nothing to repair");
	}
	return tap_done();
}
