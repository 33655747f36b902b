/* Unit tests for the order of an append under a defer hook (group commit,
 * mbox_set_defer_hook() in libmail/mbox.h): under a hook that refuses the
 * new message files and their folder, they must be synced before the log
 * record naming them is written, only the log's sync is handed over, and
 * a failed sync leaves no record and no file behind; a hook that takes
 * them gets each new file, the folder and the log, and the writer syncs
 * none of them, and a checkpoint after that flushes the file system, so
 * that the records it passes are not ahead of the files they name.  The
 * test program's own fsync(), fdatasync() and syncfs() stand in for the
 * C library's (the writers' calls, from any
 * thread, come here): each one is recorded with the size the mailbox's
 * log had at that moment, and the recording hook does the same. */
#include "tap.h"
#include "mbox_fixture.h"
#include "mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-mbox-defer-XXXXXX";
static char tmpdir[256];

/* What happened, in order. */
enum event_kind {
	EV_FILE_SYNC,	/* fdatasync of a message file */
	EV_FOLDER_SYNC,	/* fsync of the mailbox's folder */
	EV_LOG_SYNC,	/* fdatasync of the log by the writer */
	EV_HOOK_LOG,	/* the hook took the log's sync */
	EV_HOOK_FILE,	/* ... a new file's */
	EV_HOOK_DIR,	/* ... the folder's */
	EV_HOOK_USAGE,
	EV_SYNCFS,	/* the file system flushed (a checkpoint) */
	EV_OTHER,
};

struct event {
	enum event_kind kind;
	off_t log_size;	/* the log's size when it happened */
};

#define MAX_EVENTS 64
static struct event events[MAX_EVENTS];
static size_t nevents;
static pthread_mutex_t events_lock = PTHREAD_MUTEX_INITIALIZER;

/* The mailbox being watched, and the folder fsync to fail (EIO). */
static struct stat watched_dir;
static char watched_log[400];
static bool fail_folder;

static off_t log_size(void)
{
	struct stat st;

	return stat(watched_log, &st) == 0 ? st.st_size : -1;
}

static enum event_kind classify(int fd, bool data_only)
{
	struct stat st, log_st;

	if (fstat(fd, &st) < 0)
		return EV_OTHER;
	if (S_ISDIR(st.st_mode))
		return st.st_dev == watched_dir.st_dev &&
			st.st_ino == watched_dir.st_ino ? EV_FOLDER_SYNC :
			EV_OTHER;
	if (stat(watched_log, &log_st) == 0 && log_st.st_ino == st.st_ino &&
	    log_st.st_dev == st.st_dev)
		return EV_LOG_SYNC;
	return data_only && S_ISREG(st.st_mode) ? EV_FILE_SYNC : EV_OTHER;
}

static void record(enum event_kind kind)
{
	pthread_mutex_lock(&events_lock);
	if (nevents < MAX_EVENTS) {
		events[nevents].kind = kind;
		events[nevents++].log_size = log_size();
	}
	pthread_mutex_unlock(&events_lock);
}

static int recorded_sync(int fd, bool data_only)
{
	enum event_kind kind = classify(fd, data_only);

	record(kind);
	if (kind == EV_FOLDER_SYNC && fail_folder) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(data_only ? SYS_fdatasync : SYS_fsync, fd);
}

int fsync(int fd);
int fdatasync(int fd);
int syncfs(int fd);

int syncfs(int fd)
{
	record(EV_SYNCFS);
	return (int)syscall(SYS_syncfs, fd);
}

int fsync(int fd)
{
	return recorded_sync(fd, false);
}

int fdatasync(int fd)
{
	return recorded_sync(fd, true);
}

/* The hook takes the log's sync (and syncs it itself, at once, as the
 * group commit would later) and the usage flush; removals it leaves to
 * the writer, and the new files and folder too unless `take_files`. */
static bool take_files;

static int hook(void *ctx, enum mbox_defer_kind kind, int fd,
		const char *name)
{
	switch (kind) {
	case MBOX_DEFER_LOG:
		record(EV_HOOK_LOG);
		return 0;
	case MBOX_DEFER_FILE:
		if (!take_files)
			return -1;
		record(EV_HOOK_FILE);
		return 0;
	case MBOX_DEFER_DIR:
		if (!take_files)
			return -1;
		record(EV_HOOK_DIR);
		return 0;
	case MBOX_DEFER_USAGE:
		record(EV_HOOK_USAGE);
		return 0;
	case MBOX_DEFER_UNLINK:
		return -1;
	}
	return -1;
}

static char *spool(const char *text)
{
	return spool_file(tmpdir, text);
}

static void add_message(struct mbox_append *a, const char *path, size_t size,
			bool durable)
{
	struct mbox_new_message m;

	memset(&m, 0, sizeof(m));
	m.path = path;
	m.size = size;
	m.internal_date = 1700000000;
	m.durable = durable;
	mbox_append_add(a, &m);
}

static void add_path(struct mbox_append *a, const char *path, size_t size)
{
	add_message(a, path, size, false);
}

/* A file the caller made durable itself, as imapd's APPEND does before it
 * takes the lock (its sync is not one of the writer's). */
static char *spool_durable(const char *text)
{
	char *path = spool(text);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || syscall(SYS_fdatasync, fd) < 0)
		abort();
	close(fd);
	return path;
}

static struct mbox *box(const char *name, char *dir, size_t size)
{
	return fixture_mailbox(root, name, dir, size);
}

static void watch(const char *dir)
{
	if (stat(dir, &watched_dir) < 0)
		abort();
	snprintf(watched_log, sizeof(watched_log), "%s/log", dir);
	nevents = 0;
}

static size_t count_kind(enum event_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < nevents; i++)
		n += events[i].kind == kind;
	return n;
}

/* Index of the first event of `kind`, or nevents. */
static size_t first(enum event_kind kind)
{
	size_t i;

	for (i = 0; i < nevents && events[i].kind != kind; i++)
		;
	return i;
}

/* Every sync of a file or of the folder came before the hook was handed
 * the log, while the log was still `before` long: nothing named them
 * yet, not even in the page cache. */
static bool synced_before_log(off_t before)
{
	size_t i, hook_at = first(EV_HOOK_LOG);

	if (hook_at == nevents || events[hook_at].log_size <= before)
		return false;
	for (i = 0; i < nevents; i++) {
		if ((events[i].kind == EV_FILE_SYNC ||
		     events[i].kind == EV_FOLDER_SYNC) &&
		    (i > hook_at || events[i].log_size != before))
			return false;
	}
	return true;
}

static bool file_exists(const char *dir, uint32_t uid)
{
	char path[400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%u", dir, uid);
	return stat(path, &st) == 0;
}

int main(void)
{
	static const char t1[] = "Subject: a\r\n\r\na\r\n";
	static const char t2[] = "Subject: b\r\n\r\nb\r\n";
	char d1[300], d2[300], path[400];
	struct mbox *b1, *b2;
	struct mbox_append *a;
	struct mbox_append_result r[4];
	const char *err = "";
	off_t before;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", root);
	mkdir(tmpdir, 0700);
	b1 = box("one", d1, sizeof(d1));
	b2 = box("two", d2, sizeof(d2));
	mbox_set_defer_hook(hook, NULL);
	ok(mbox_defer_hook_set(), "the hook is set");

	/* An APPEND of two messages the caller did not sync. */
	watch(d1);
	before = log_size();
	a = mbox_append_begin(b1);
	add_path(a, spool(t1), strlen(t1));
	add_path(a, spool(t2), strlen(t2));
	is_int(mbox_append_commit(&a, r, &err), 0, "append commits");
	ok(r[0].uid == 1 && r[1].uid == 2, "uids 1 and 2");
	is_int(count_kind(EV_FILE_SYNC), 2, "both new files synced");
	is_int(count_kind(EV_FOLDER_SYNC), 1, "the folder synced once");
	is_int(count_kind(EV_HOOK_LOG), 1, "the log's sync handed over");
	is_int(count_kind(EV_LOG_SYNC), 0, "and not run by the writer");
	ok(synced_before_log(before),
	   "files and folder durable before the log record was written");

	/* A COPY: the source is a durable file of another mailbox, linked
	 * under a new name, which must be durable before the record. */
	watch(d2);
	before = log_size();
	snprintf(path, sizeof(path), "%s/1", d1);
	a = mbox_append_begin(b2);
	add_path(a, path, strlen(t1));
	is_int(mbox_append_commit(&a, r, &err), 0, "copy commits");
	is_int(r[0].uid, 1, "copy gets uid 1");
	is_int(count_kind(EV_FOLDER_SYNC), 1, "copy: the folder synced");
	ok(synced_before_log(before),
	   "copy: the new name durable before the log record was written");

	/* Files the caller made durable before (an APPEND that synced its
	 * messages before taking the lock, a COPY of durable messages):
	 * only the folder is synced under the lock, still before the log
	 * record; a file not marked so in the same batch is synced. */
	watch(d1);
	before = log_size();
	a = mbox_append_begin(b1);
	add_message(a, spool_durable(t1), strlen(t1), true);
	add_message(a, spool(t2), strlen(t2), false);
	snprintf(path, sizeof(path), "%s/1", d1);
	add_message(a, path, strlen(t1), true);
	is_int(mbox_append_commit(&a, r, &err), 0, "durable append commits");
	ok(r[0].uid == 3 && r[1].uid == 4 && r[2].uid == 5, "uids 3, 4 and 5");
	is_int(count_kind(EV_FILE_SYNC), 1,
	       "only the file not made durable before is synced");
	is_int(count_kind(EV_FOLDER_SYNC), 1, "the folder synced once");
	is_int(count_kind(EV_HOOK_LOG), 1, "the log's sync handed over");
	ok(synced_before_log(before),
	   "durable files: the names durable before the log record");
	ok(file_exists(d1, 3) && file_exists(d1, 4) && file_exists(d1, 5),
	   "all three linked");

	/* The same when the folder's sync fails: nothing names the files,
	 * which stay the caller's (a crash after the caller's sync and
	 * before the record leaves them only under their own names). */
	watch(d1);
	before = log_size();
	fail_folder = true;
	a = mbox_append_begin(b1);
	add_message(a, spool_durable(t2), strlen(t2), true);
	is_int(mbox_append_commit(&a, r, &err), -1,
	       "durable append: a failed folder sync fails");
	fail_folder = false;
	is_int(count_kind(EV_FILE_SYNC), 0, "durable append: no file sync");
	is_int(count_kind(EV_HOOK_LOG), 0, "durable append: nothing handed over");
	ok(log_size() == before, "durable append: no log record written");
	ok(!file_exists(d1, 6), "durable append: no file left under the uid");

	/* The folder's sync fails: no record written, no file left under
	 * the uid it was given. */
	watch(d2);
	before = log_size();
	fail_folder = true;
	a = mbox_append_begin(b2);
	add_path(a, spool(t2), strlen(t2));
	is_int(mbox_append_commit(&a, r, &err), -1, "a failed sync fails");
	fail_folder = false;
	is_int(count_kind(EV_HOOK_LOG), 0, "nothing handed over");
	ok(log_size() == before, "no log record written");
	ok(!file_exists(d2, 2), "no file left under the uid");

	/* A hook that takes the files: one round for everything, the
	 * records written first; the writer syncs nothing. */
	take_files = true;
	watch(d1);
	before = log_size();
	a = mbox_append_begin(b1);
	add_path(a, spool(t1), strlen(t1));
	add_path(a, spool(t2), strlen(t2));
	add_message(a, spool_durable(t1), strlen(t1), true);
	is_int(mbox_append_commit(&a, r, &err), 0, "append with the files taken");
	is_int(count_kind(EV_HOOK_FILE), 2,
	       "the two files not made durable before are handed over");
	is_int(count_kind(EV_HOOK_DIR), 1, "and the folder");
	is_int(count_kind(EV_HOOK_LOG), 1, "and the log");
	ok(count_kind(EV_FILE_SYNC) == 0 && count_kind(EV_FOLDER_SYNC) == 0 &&
	   count_kind(EV_LOG_SYNC) == 0, "the writer synced none of them");
	ok(log_size() > before, "the records are written");
	/* Whoever checkpoints next cannot know whether the commit that
	 * took them has run: a checkpoint flushes the file system. */
	nevents = 0;
	is_int(mbox_checkpoint(b1, &err), 0, "a checkpoint");
	is_int(count_kind(EV_SYNCFS), 1, "flushes the file system first");
	take_files = false;

	/* Without a hook: the caller synced the files; only the folder and
	 * the log are synced, in that order. */
	mbox_set_defer_hook(NULL, NULL);
	ok(!mbox_defer_hook_set(), "the hook is off");
	watch(d2);
	before = log_size();
	a = mbox_append_begin(b2);
	add_path(a, spool(t2), strlen(t2));
	is_int(mbox_append_commit(&a, r, &err), 0, "plain append commits");
	is_int(r[0].uid, 2, "with the next uid");
	is_int(count_kind(EV_FILE_SYNC), 0, "no file sync (the caller's)");
	ok(first(EV_FOLDER_SYNC) < first(EV_LOG_SYNC) &&
	   first(EV_LOG_SYNC) < nevents, "folder, then log");

	mbox_close(&b1);
	mbox_close(&b2);
	return tap_done();
}
