/* Unit tests for a mailbox's fields file (libmail/mbox_format.h): each
 * message's entry reads back as written and survives compaction; a torn
 * tail costs only the torn entry; a header never written whole is
 * written by the next writer; a file of another version is left alone;
 * an index of version 1 (no fields entries) is read and upgraded; a
 * window read before another writer appended reads the new entries. */
#include "tap.h"
#include "buf.h"
#include "mbox.h"
#include "mbox_cache_window.h"
#include "mbox_fixture.h"
#include "mbox_format.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-mbox-fields-test-XXXXXX";

/* Appends one message whose cache entry is `text`, the first
 * `fields_size` bytes of it stored apart; returns its UID. */
static uint32_t add(struct mbox *mb, const char *text, size_t fields_size)
{
	struct mbox_append *a = mbox_append_begin(mb);
	struct mbox_append_result res;
	struct mbox_new_message m;
	const char *err;

	memset(&m, 0, sizeof(m));
	m.path = spool_file(root, text);
	m.size = strlen(text);
	m.internal_date = 1700000000;
	m.cache = text;
	m.cache_size = strlen(text);
	m.fields_size = fields_size;
	mbox_append_add(a, &m);
	if (mbox_append_commit(&a, &res, &err) < 0) {
		fprintf(stderr, "# %s\n", err);
		abort();
	}
	return res.uid;
}

/* The record of `uid` as a fresh view has it. */
static struct mbox_record record(struct mbox *mb, uint32_t uid)
{
	struct mbox_view view;
	struct mbox_record rec;
	const char *err;
	ssize_t i;

	memset(&view, 0, sizeof(view));
	memset(&rec, 0, sizeof(rec));
	if (mbox_view_load(mb, &view, &err) < 0)
		abort();
	i = mbox_view_find(&view, uid);
	if (i >= 0)
		rec = view.records[i];
	mbox_view_free(&view);
	return rec;
}

/* 1: the fields entry of `uid` is the first `len` bytes of `text` (none
 * when len is 0); 0: it is something else; -1: it reads as bad. */
static int fields_are(struct mbox *mb, uint32_t uid, const char *text,
		      size_t len)
{
	struct mbox_record rec = record(mb, uid);
	struct buf got = BUF_INIT;
	const char *err;
	int ret;

	if (mbox_fields_read(mb, &rec, &got, &err) < 0)
		ret = -1;
	else
		ret = got.len == len &&
			(len == 0 || memcmp(got.data, text, len) == 0) &&
			(mbox_record_fields_offset(&rec) != 0) == (len > 0);
	buf_free(&got);
	return ret;
}

static bool cache_is(struct mbox *mb, uint32_t uid, const char *text)
{
	struct mbox_record rec = record(mb, uid);
	struct buf got = BUF_INIT;
	const char *err;
	bool ret = mbox_cache_read(mb, &rec, &got, &err) == 0 &&
		got.len == strlen(text) && memcmp(got.data, text, got.len) == 0;

	buf_free(&got);
	return ret;
}

static off_t file_size(const char *dir, const char *name)
{
	char path[400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) < 0 ? -1 : st.st_size;
}

static void file_write(const char *dir, const char *name, const void *data,
		       size_t len, off_t at)
{
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0 || pwrite(fd, data, len, at) != (ssize_t)len)
		abort();
	close(fd);
}

static void reopen(struct mbox **mb, const char *dir)
{
	const char *err;

	mbox_close(mb);
	if (mbox_open(dir, mb, &err) < 0) {
		tap_diag(err);
		abort();
	}
}

static const char *const texts[] = {
	"alpha head|alpha structure", "bravo head|bravo structure",
	"charlie head|charlie structure", "delta head|delta structure",
	"echo head|echo structure", "foxtrot head|foxtrot structure",
	"golf head|golf structure", "hotel head|hotel structure",
	"india head|india structure", "juliet head|juliet structure",
};
#define TEXTS (sizeof(texts) / sizeof(texts[0]))

static size_t head_len(const char *text)
{
	return (size_t)(strchr(text, '|') - text);
}

/* Entries as written, after an expunge and the compaction it leads to. */
static void test_compaction(void)
{
	struct mbox *mb;
	char dir[300], magic[8];
	uint32_t uids[TEXTS], gone[7];
	const char *err;
	bool all = true;
	size_t i;
	int fd;

	mb = fixture_mailbox(root, "compact", dir, sizeof(dir));
	for (i = 0; i < TEXTS; i++)
		uids[i] = add(mb, texts[i], i == 4 ? 0 : head_len(texts[i]));
	for (i = 0; i < TEXTS; i++) {
		if (fields_are(mb, uids[i], texts[i],
			       i == 4 ? 0 : head_len(texts[i])) != 1 ||
		    !cache_is(mb, uids[i], texts[i]))
			all = false;
	}
	ok(all, "each fields entry is the head of its cache entry");
	{
		char path[400];

		snprintf(path, sizeof(path), "%s/fields", dir);
		fd = open(path, O_RDONLY);
		ok(fd >= 0 && pread(fd, magic, sizeof(magic), 0) ==
		   sizeof(magic) && memcmp(magic, MBOX_FIELDS_MAGIC,
					   sizeof(MBOX_FIELDS_MAGIC)) == 0,
		   "the fields file starts with its magic");
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < 7; i++)
		gone[i] = uids[i];
	is_int(mbox_expunge(mb, gone, 7, &err), 0, "seven expunged");
	is_int(mbox_checkpoint(mb, &err), 0, "checkpoint (compaction)");
	all = true;
	for (i = 7; i < TEXTS; i++) {
		if (fields_are(mb, uids[i], texts[i], head_len(texts[i])) != 1 ||
		    !cache_is(mb, uids[i], texts[i]))
			all = false;
	}
	ok(all, "the rest read the same after compaction");
	reopen(&mb, dir);
	ok(fields_are(mb, uids[9], texts[9], head_len(texts[9])) == 1,
	   "and after opening again");
	mbox_close(&mb);
}

/* A crash in the middle of an entry; a header never written whole; a
 * file of a version this program does not know. */
static void test_damage(void)
{
	static const char zero[MBOX_FIELDS_HEADER_SIZE];
	struct mbox_fields_header hdr;
	struct mbox_record rec;
	struct mbox *mb;
	char dir[300];
	uint32_t a, b, c, d, e;
	off_t size;

	mb = fixture_mailbox(root, "damage", dir, sizeof(dir));
	a = add(mb, texts[0], head_len(texts[0]));
	b = add(mb, texts[1], head_len(texts[1]));
	rec = record(mb, b);
	size = (off_t)mbox_record_fields_offset(&rec) + 8 + 3;
	{
		char path[400];

		snprintf(path, sizeof(path), "%s/fields", dir);
		ok(size > 11 && truncate(path, size) == 0,
		   "the last fields entry torn");
	}
	is_int(fields_are(mb, b, texts[1], head_len(texts[1])), -1,
	       "the torn entry reads as bad");
	c = add(mb, texts[2], head_len(texts[2]));
	rec = record(mb, c);
	ok(mbox_record_fields_offset(&rec) % 8 == 0 &&
	   (off_t)mbox_record_fields_offset(&rec) >= size,
	   "the next entry goes after it, aligned");
	ok(fields_are(mb, a, texts[0], head_len(texts[0])) == 1 &&
	   fields_are(mb, c, texts[2], head_len(texts[2])) == 1 &&
	   cache_is(mb, b, texts[1]), "the others read, and the cache");

	/* The header lost (a crash just after the file was made). */
	mbox_close(&mb);
	file_write(dir, "fields", zero, sizeof(zero), 0);
	reopen(&mb, dir);
	is_int(fields_are(mb, a, texts[0], head_len(texts[0])), -1,
	       "without its header the file is not read");
	d = add(mb, texts[3], head_len(texts[3]));
	ok(fields_are(mb, a, texts[0], head_len(texts[0])) == 1 &&
	   fields_are(mb, d, texts[3], head_len(texts[3])) == 1,
	   "the next writer writes the header again");

	/* Another version: left alone by writers and readers. */
	mbox_close(&mb);
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, MBOX_FIELDS_MAGIC, sizeof(MBOX_FIELDS_MAGIC));
	hdr.version = MBOX_FIELDS_VERSION + 1;
	file_write(dir, "fields", &hdr, sizeof(hdr), 0);
	size = file_size(dir, "fields");
	reopen(&mb, dir);
	is_int(fields_are(mb, a, texts[0], head_len(texts[0])), -1,
	       "a file of another version is not read");
	e = add(mb, texts[4], head_len(texts[4]));
	rec = record(mb, e);
	ok(mbox_record_fields_offset(&rec) == 0 &&
	   file_size(dir, "fields") == size && cache_is(mb, e, texts[4]),
	   "nor written: the message has its cache entry alone");
	mbox_close(&mb);
}

/* An index written before the fields file (version 1) reads as it is;
 * the next write says version 2; a newer version is refused. */
static void test_index_v1(void)
{
	struct mbox_index_header hdr;
	struct mbox_record rec;
	struct mbox *mb;
	char dir[300], path[400];
	uint32_t uids[3], n, i;
	const char *err = NULL;
	bool all = true;
	int fd;

	mb = fixture_mailbox(root, "v1", dir, sizeof(dir));
	for (i = 0; i < 3; i++)
		uids[i] = add(mb, texts[i], head_len(texts[i]));
	mbox_close(&mb);
	/* As version 1 wrote it: no fields file, no offsets. */
	snprintf(path, sizeof(path), "%s/fields", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/index", dir);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		abort();
	hdr.version = MBOX_INDEX_VERSION_NO_FIELDS;
	if (pwrite(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		abort();
	for (n = 0; n < hdr.record_count; n++) {
		off_t at = MBOX_INDEX_HEADER_SIZE + (off_t)n * (off_t)sizeof(rec);

		if (pread(fd, &rec, sizeof(rec), at) != sizeof(rec))
			abort();
		mbox_record_set_fields_offset(&rec, 0);
		if (pwrite(fd, &rec, sizeof(rec), at) != sizeof(rec))
			abort();
	}
	close(fd);

	reopen(&mb, dir);
	for (i = 0; i < 3; i++) {
		if (fields_are(mb, uids[i], "", 0) != 1 ||
		    !cache_is(mb, uids[i], texts[i]))
			all = false;
	}
	ok(all, "a version 1 index reads, its messages without fields "
	   "entries");
	uids[0] = add(mb, texts[5], head_len(texts[5]));
	ok(fields_are(mb, uids[0], texts[5], head_len(texts[5])) == 1,
	   "a message added to it has one");
	fd = open(path, O_RDWR);
	ok(fd >= 0 && pread(fd, &hdr, sizeof(hdr), 0) == sizeof(hdr) &&
	   hdr.version == MBOX_INDEX_VERSION, "the index says version 2 now");
	mbox_close(&mb);

	hdr.version = MBOX_INDEX_VERSION + 1;
	if (fd < 0 || pwrite(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		abort();
	close(fd);
	ok(mbox_open(dir, &mb, &err) < 0 && err != NULL &&
	   strstr(err, "newer") != NULL, "a newer index is refused");
	if (mb != NULL)
		mbox_close(&mb);
}

/* A reader's window holds the file as it was; entries another handle
 * appends after it are read from the file again. */
static void test_concurrent(void)
{
	struct mbox_cache_window w = MBOX_CACHE_WINDOW_INIT;
	struct mbox *reader, *writer;
	struct mbox_record rec;
	char dir[300];
	const char *err, *data;
	uint32_t a, b;
	size_t len;

	reader = fixture_mailbox(root, "concurrent", dir, sizeof(dir));
	if (mbox_open(dir, &writer, &err) < 0)
		abort();
	a = add(writer, texts[0], head_len(texts[0]));
	rec = record(reader, a);
	ok(mbox_fields_window_read(reader, &rec, &w, &data, &len, &err) == 0 &&
	   len == head_len(texts[0]) && memcmp(data, texts[0], len) == 0,
	   "the reader's window holds the first entry");
	b = add(writer, texts[1], head_len(texts[1]));
	rec = record(reader, b);
	ok(mbox_fields_window_read(reader, &rec, &w, &data, &len, &err) == 0 &&
	   len == head_len(texts[1]) && memcmp(data, texts[1], len) == 0,
	   "and reads one appended after it by another writer");
	mbox_cache_window_free(&w);
	mbox_close(&writer);
	mbox_close(&reader);
}

int main(void)
{
	if (mkdtemp(root) == NULL)
		abort();
	test_compaction();
	test_damage();
	test_index_v1();
	test_concurrent();
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			tap_diag("could not remove the test folder");
	}
	return tap_done();
}
