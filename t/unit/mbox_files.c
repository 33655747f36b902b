/* Unit tests for replacing a mailbox's files (libmail/mbox_files.c): the
 * rewrite a checkpoint makes when expunged messages left much behind,
 * readers across it, the switch finished after a crash between its
 * renames, and cache entries bound to their message's UID. */
#include "tap.h"
#include "buf.h"
#include "mbox.h"
#include "mbox_format.h"
#include "mbox_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-mbox-files-test-XXXXXX";
static char dir[256];
static int spool_seq;

static const char *path_of(const char *name)
{
	static char path[300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static off_t size_of(const char *name)
{
	struct stat st;

	return stat(path_of(name), &st) == 0 ? st.st_size : -1;
}

static ino_t ino_of(const char *name)
{
	struct stat st;

	return stat(path_of(name), &st) == 0 ? st.st_ino : 0;
}

/* Renames the mailbox's file `from` to `to`. */
static int rename_file(const char *from, const char *to)
{
	char a[300], b[300];

	snprintf(a, sizeof(a), "%s/%s", dir, from);
	snprintf(b, sizeof(b), "%s/%s", dir, to);
	return rename(a, b);
}

/* Renames NAME.new over NAME. */
static int rename_in(const char *name)
{
	char from[64];

	snprintf(from, sizeof(from), "%s.new", name);
	return rename_file(from, name);
}

static void copy_file(const char *from, const char *to)
{
	char src[300], buf[65536];
	int in, out;
	ssize_t n;

	snprintf(src, sizeof(src), "%s", path_of(from));
	in = open(src, O_RDONLY);
	out = open(path_of(to), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || out < 0)
		abort();
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n)
			abort();
	}
	close(in);
	close(out);
}

static void read_header(const char *name, struct mbox_index_header *h)
{
	int fd = open(path_of(name), O_RDONLY);

	if (fd < 0 || pread(fd, h, sizeof(*h), 0) != sizeof(*h))
		abort();
	close(fd);
}

static void write_header(const char *name, const struct mbox_index_header *h)
{
	int fd = open(path_of(name), O_RDWR);

	if (fd < 0 || pwrite(fd, h, sizeof(*h), 0) != sizeof(*h))
		abort();
	close(fd);
}

/* Appends `n` messages whose cache entries are `cache_len` bytes (the
 * message's text repeated), returns the first UID. */
static uint32_t append_many(struct mbox *mb, size_t n, size_t cache_len)
{
	struct mbox_append *a = mbox_append_begin(mb);
	struct mbox_append_result res[64];
	char *cache = malloc(cache_len + 1);
	const char *err;
	char path[300], text[64];
	size_t i;
	int fd;

	if (n > 64 || cache == NULL)
		abort();
	for (i = 0; i < n; i++) {
		struct mbox_new_message m;

		snprintf(text, sizeof(text), "Subject: m%d\r\n\r\nbody\r\n",
			 spool_seq);
		snprintf(path, sizeof(path), "%s/spool.%d", root, spool_seq++);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, text, strlen(text)) !=
		    (ssize_t)strlen(text))
			abort();
		close(fd);
		memset(cache, 'a' + (int)(i % 26), cache_len);
		memset(&m, 0, sizeof(m));
		m.path = path;
		m.size = strlen(text);
		m.internal_date = 1700000000;
		m.cache = cache;
		m.cache_size = cache_len;
		m.fields_size = 16;
		mbox_append_add(a, &m);
	}
	if (mbox_append_commit(&a, res, &err) < 0)
		abort();
	free(cache);
	return res[0].uid;
}

/* Whether every message of the view reads its own cache entry, whole. */
static int caches_read(struct mbox *mb, const struct mbox_view *v)
{
	struct buf b = BUF_INIT;
	const char *err;
	size_t i;
	int good = 1;

	for (i = 0; i < v->count; i++) {
		if (mbox_cache_read(mb, &v->records[i], &b, &err) < 0 ||
		    b.len != v->records[i].cache_size)
			good = 0;
	}
	buf_free(&b);
	return good;
}

int main(void)
{
	struct mbox *mb = NULL, *reader = NULL;
	struct mbox_view view, old;
	struct mbox_index_header h;
	struct buf b = BUF_INIT;
	const char *err = "";
	uint32_t first, uids[64];
	ino_t log_ino;
	off_t cache_before;
	size_t i;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(dir, sizeof(dir), "%s/box", root);
	is_int(mbox_create(dir, 42, &err), 0, "create");
	is_int(mbox_open(dir, &mb, &err), 0, "open");
	is_int(mbox_open(dir, &reader, &err), 0, "a reader's handle");

	/* A cache entry is bound to its message: a record of another UID
	 * pointing at an entry of the same length reads as bad. */
	first = append_many(mb, 2, 100);
	is_int(mbox_view_load(mb, &view, &err), 0, "two messages");
	{
		struct mbox_record wrong = view.records[1];

		mbox_record_set_cache_offset(&wrong,
			mbox_record_cache_offset(&view.records[0]));
		ok(mbox_cache_read(mb, &wrong, &b, &err) < 0,
		   "another message's entry of the same length is refused");
		is_int(mbox_cache_read(mb, &view.records[0], &b, &err), 0,
		       "its own reads");
	}
	mbox_view_free(&view);

	/* 40 messages of 64 KiB of cache, 38 expunged: 2.4 MiB of cache
	 * the live two do not use. */
	mbox_set_checkpoint_bytes(0);
	first = append_many(mb, 40, 65536);
	for (i = 0; i < 40; i++)
		uids[i] = first + (uint32_t)i;
	is_int(mbox_view_load(reader, &old, &err), 0, "the reader's view");
	is_int(mbox_expunge(mb, uids, 38, &err), 0, "38 expunged");
	cache_before = size_of("cache");
	log_ino = ino_of("log");
	read_header("index", &h);
	is_int(mbox_checkpoint(mb, &err), 0, "a checkpoint");
	{
		struct mbox_index_header after;

		read_header("index", &after);
		is_int(after.log_seq, h.log_seq + 1, "starts a new log");
		is_int(after.record_count, 4, "the index holds the live four");
		is_int(after.applied_offset, MBOX_LOG_HEADER_SIZE,
		       "applied at the new log's start");
		is_int(after.checkpoint_offset, MBOX_LOG_HEADER_SIZE,
		       "and checkpointed there");
		is_int(after.highestmodseq, h.highestmodseq,
		       "HIGHESTMODSEQ is kept");
		is_int(after.uidnext, h.uidnext, "UIDNEXT is kept");
	}
	ok(ino_of("log") != log_ino, "the log is a new file");
	is_int(size_of("log"), MBOX_LOG_HEADER_SIZE, "an empty one");
	ok(size_of("cache") < cache_before / 10,
	   "the cache shrank to what the live messages use");
	ok(access(path_of("cache.new"), F_OK) < 0 &&
	   access(path_of("index.new"), F_OK) < 0 &&
	   access(path_of("log.new"), F_OK) < 0, "no .new file is left");

	/* The writer's handle goes on; the reader finds the log replaced
	 * and loads the mailbox again. */
	is_int(mbox_view_load(mb, &view, &err), 0, "the writer loads");
	is_int(view.count, 4, "four messages");
	ok(view.records[2].uid == first + 38 && view.records[3].uid == first + 39,
	   "the two not expunged of the forty");
	ok(caches_read(mb, &view), "whose cache entries read");
	is_int(mbox_cache_read(mb, &view.records[3], &b, &err), 0,
	       "the last one's entry reads");
	is_int(b.len, 65536, "whole");
	{
		struct buf f = BUF_INIT;

		is_int(mbox_fields_read(mb, &view.records[3], &f, &err), 0,
		       "and its fields entry");
		is_int(f.len, 16, "whole too");
		buf_free(&f);
	}
	ok(mbox_sync(reader, &old, NULL, NULL, &err) < 0 &&
	   strstr(err, "replaced") != NULL,
	   "the reader's old view cannot follow the new log");
	/* The last of the forty: its entry is 64 KiB of 'n'. */
	ok(mbox_cache_read(reader, &old.records[3], &b, &err) == 0 ?
	   b.len == 65536 && b.data[0] == 'n' && b.data[65535] == 'n' :
	   strstr(err, "bad entry") != NULL,
	   "an old record reads its entry or none, never another's");
	mbox_view_free(&old);
	is_int(mbox_view_load(reader, &old, &err), 0, "the reader loads again");
	is_int(old.count, 4, "and sees the four");
	ok(caches_read(reader, &old), "reading the new cache");
	mbox_view_free(&old);

	/* The next change goes to the new log and is seen by both. */
	first = append_many(mb, 1, 100);
	ok(mbox_sync(mb, &view, NULL, NULL, &err) >= 0 && view.count == 5,
	   "a new message");
	is_int(mbox_view_load(reader, &old, &err), 0, "the reader");
	is_int(old.count, 5, "sees it");
	mbox_view_free(&old);
	mbox_view_free(&view);

	/* A rewrite that cannot be made (here cache.new cannot be created;
	 * a full disk, say) changes nothing, and the checkpoint is made as
	 * usual, so the next try waits for the next checkpoint. */
	first = append_many(mb, 30, 65536);
	for (i = 0; i < 30; i++)
		uids[i] = first + (uint32_t)i;
	is_int(mbox_expunge(mb, uids, 30, &err), 0, "30 more expunged");
	ok(mkdir(path_of("cache.new"), 0700) == 0, "cache.new is in the way");
	log_ino = ino_of("log");
	is_int(mbox_checkpoint(mb, &err), 0, "the checkpoint is made");
	read_header("index", &h);
	ok(ino_of("log") == log_ino && h.checkpoint_offset == h.applied_offset &&
	   h.applied_offset == (uint64_t)size_of("log"),
	   "on the same log, without the rewrite");
	ok(access(path_of("index.new"), F_OK) < 0 &&
	   access(path_of("fields.new"), F_OK) < 0 &&
	   access(path_of("log.new"), F_OK) < 0, "leaving no new file");
	ok(rmdir(path_of("cache.new")) == 0, "out of the way again");
	is_int(mbox_view_load(mb, &view, &err), 0, "the mailbox loads");
	is_int(view.count, 5, "with its five messages");
	mbox_view_free(&view);

	/* A switch that fails half-way (here the fields file cannot be
	 * replaced): the checkpoint fails, the new files not yet renamed
	 * stay, and the next writer's lock finishes the switch once it
	 * can. */
	first = append_many(mb, 30, 65536);
	for (i = 0; i < 30; i++)
		uids[i] = first + (uint32_t)i;
	is_int(mbox_expunge(mb, uids, 30, &err), 0, "30 more expunged");
	ok(rename_file("fields", "fields.kept") == 0 &&
	   mkdir(path_of("fields"), 0700) == 0 &&
	   mkdir(path_of("fields/x"), 0700) == 0,
	   "a full folder where the fields file goes");
	log_ino = ino_of("log");
	ok(mbox_checkpoint(mb, &err) < 0 && strstr(err, "fields") != NULL,
	   "the checkpoint's switch fails at the fields file");
	ok(ino_of("log") != log_ino && access(path_of("index.new"), F_OK) == 0 &&
	   access(path_of("fields.new"), F_OK) == 0,
	   "after the log and cache, with the rest left for later");
	ok(rmdir(path_of("fields/x")) == 0 && rmdir(path_of("fields")) == 0 &&
	   unlink(path_of("fields.kept")) == 0, "the way is clear again");
	first = append_many(mb, 1, 100);
	ok(access(path_of("index.new"), F_OK) < 0 &&
	   access(path_of("fields.new"), F_OK) < 0,
	   "the next writer finishes the switch");
	is_int(mbox_view_load(mb, &view, &err), 0, "the mailbox loads");
	is_int(view.count, 6, "with its six messages");
	ok(caches_read(mb, &view), "and their cache");
	mbox_view_free(&view);

	/* A crash between the switch's renames: the new log is in place,
	 * the new index is still index.new.  The next open finishes the
	 * switch. */
	mbox_close(&mb);
	mbox_close(&reader);
	read_header("index", &h);
	copy_file("index", "index.new");
	copy_file("cache", "cache.new");
	copy_file("fields", "fields.new");
	h.log_seq++;
	h.applied_offset = h.checkpoint_offset = MBOX_LOG_HEADER_SIZE;
	write_header("index.new", &h);
	is_int(mbox_log_create(path_of("log.new"), 42, h.log_seq, &err), 0,
	       "a new log");
	ok(rename_in("log") == 0, "renamed in, as the switch does first");
	is_int(mbox_open(dir, &mb, &err), 0, "the open finishes the switch");
	ok(access(path_of("index.new"), F_OK) < 0 &&
	   access(path_of("cache.new"), F_OK) < 0, "renaming the rest in");
	is_int(mbox_view_load(mb, &view, &err), 0, "the mailbox loads");
	is_int(view.count, 6, "with its six messages");
	ok(caches_read(mb, &view), "and their cache");
	mbox_view_free(&view);

	/* The same crash right after a switch, when the old index's log
	 * offset is the log's header size, as the new log's length is: the
	 * open still finishes the switch rather than take the old index as
	 * current. */
	mbox_close(&mb);
	read_header("index", &h);
	ok(h.applied_offset == MBOX_LOG_HEADER_SIZE, "an index just switched to");
	copy_file("index", "index.new");
	copy_file("cache", "cache.new");
	copy_file("fields", "fields.new");
	h.log_seq++;
	write_header("index.new", &h);
	is_int(mbox_log_create(path_of("log.new"), 42, h.log_seq, &err), 0,
	       "another new log");
	ok(rename_in("log") == 0, "renamed in");
	is_int(mbox_open(dir, &mb, &err), 0, "the open");
	ok(access(path_of("index.new"), F_OK) < 0,
	   "finishes that switch too");
	append_many(mb, 1, 100);
	mbox_close(&mb);

	/* Without the new index, a new log beside the old index (which a
	 * change since its switch left ahead of the log's start) is refused
	 * as before: reconstruct rebuilds that. */
	read_header("index", &h);
	is_int(mbox_log_create(path_of("log.new"), 42, h.log_seq + 1, &err),
	       0, "a log of the next sequence");
	ok(rename_in("log") == 0, "put in place");
	ok(mbox_open(dir, &mb, &err) < 0 && strstr(err, "disagree") != NULL,
	   "is refused without an index.new of it");

	buf_free(&b);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd) != 0)
			tap_diag("cleanup failed");
	}
	return tap_done();
}
