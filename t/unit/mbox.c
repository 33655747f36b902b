/* Unit tests for the mailbox on disk (libmail/mbox*.c): appends, views that
 * follow other writers, flags, expunges, recovery from every kind of crash
 * a writer can leave behind, compaction, concurrent writers. */
#include "tap.h"
#include "proc_self.h"
#include "buf.h"
#include "mbox.h"
#include "mbox_format.h"
#include "mbox_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-mbox-test-XXXXXX";
static char dir[256], tmpdir[256];
static int tmp_seq;

/* Writes a message file as a delivery would, returns its path. */
static char *spool(const char *text)
{
	static char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/m%d.%d", tmpdir, (int)getpid(), tmp_seq++);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fsync(fd);
	close(fd);
	return path;
}

static int append_texts(struct mbox *mb, const char *const *texts, size_t n,
			uint32_t *first)
{
	struct mbox_append *a = mbox_append_begin(mb);
	struct mbox_append_result res[64];
	const char *err;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		struct mbox_new_message m;

		memset(&m, 0, sizeof(m));
		m.path = spool(texts[i]);
		m.size = strlen(texts[i]);
		m.internal_date = 1700000000 + (int64_t)i;
		m.cache = texts[i];
		m.cache_size = strlen(texts[i]);
		mbox_append_add(a, &m);
	}
	ret = mbox_append_commit(&a, res, &err);
	*first = res[0].uid;
	return ret;
}

struct seen {
	int appends, flags, expunges, keywords;
	uint32_t last_expunged_seq;
};

static void on_change(void *ctx, const struct mbox_view *view,
		      const struct mbox_change *c)
{
	struct seen *s = ctx;

	switch (c->type) {
	case MBOX_CHANGE_APPEND: s->appends++; break;
	case MBOX_CHANGE_FLAGS: s->flags++; break;
	case MBOX_CHANGE_EXPUNGE:
		s->expunges++;
		s->last_expunged_seq = (uint32_t)mbox_view_find(view, c->uid) + 1;
		break;
	case MBOX_CHANGE_KEYWORD: s->keywords++; break;
	}
}

static void read_header(struct mbox_index_header *h)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/index", dir);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, h, sizeof(*h), 0) != sizeof(*h))
		abort();
	close(fd);
}

static void write_header(const struct mbox_index_header *h)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/index", dir);
	fd = open(path, O_RDWR);
	if (fd < 0 || pwrite(fd, h, sizeof(*h), 0) != sizeof(*h))
		abort();
	close(fd);
}

static void append_to_log(const void *data, size_t len)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

static off_t log_size(void)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/log", dir);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static int file_exists(uint32_t uid)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%u", dir, uid);
	return access(path, F_OK) == 0;
}

int main(void)
{
	static const char *const three[] = {
		"Subject: one\r\n\r\nbody 1\r\n",
		"Subject: two\r\n\r\nbody two\r\n",
		"Subject: three\r\n\r\nbody 3\r\n",
	};
	struct mbox *mb = NULL, *mb2 = NULL;
	struct mbox_view view, view2;
	struct mbox_status st;
	struct seen seen;
	struct buf buf = BUF_INIT, modified = BUF_INIT;
	const char *err = "";
	uint32_t first = 0, uids[64];
	char text[64];
	int fd, i;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(dir, sizeof(dir), "%s/box", root);
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", root);
	mkdir(tmpdir, 0700);

	is_int(mbox_create(dir, 12345, &err), 0, "create");
	ok(mbox_create(dir, 1, &err) < 0, "create refuses an existing folder");
	is_int(mbox_open(dir, &mb, &err), 0, "open");
	is_int(mbox_view_load(mb, &view, &err), 0, "empty view loads");
	is_int(view.count, 0, "no messages");
	is_int(view.uidvalidity, 12345, "uidvalidity kept");
	is_int(view.uidnext, 1, "uidnext starts at 1");

	/* Append three in one commit. */
	is_int(append_texts(mb, three, 3, &first), 0, "group append commits");
	is_int(first, 1, "first uid is 1");
	ok(file_exists(1) && file_exists(3), "message files named by uid");

	is_int(mbox_open(dir, &mb2, &err), 0, "second handle opens");
	is_int(mbox_view_load(mb2, &view2, &err), 0, "second view loads");
	is_int(view2.count, 3, "second view sees three messages");
	is_int(view2.records[1].size, strlen(three[1]), "size recorded");
	is_int(view2.records[2].internal_date, 1700000002, "internal date");
	is_int(view2.uidnext, 4, "uidnext after append");

	memset(&seen, 0, sizeof(seen));
	is_int(mbox_sync(mb, &view, on_change, &seen, &err), 3,
	       "first view catches up through the log");
	is_int(seen.appends, 3, "three APPEND changes");
	is_int(view.count, 3, "first view has three");

	fd = mbox_message_open(mb, 2);
	ok(fd >= 0, "message file opens");
	i = (int)read(fd, text, sizeof(text) - 1);
	close(fd);
	text[i > 0 ? i : 0] = '\0';
	is_str(text, three[1], "message content intact");

	is_int(mbox_cache_read(mb, &view.records[0], &buf, &err), 0, "cache read");
	is_str(buf_cstr(&buf), three[0], "cache entry round trip");

	/* Flags and keywords. */
	uids[0] = 1; uids[1] = 3;
	{
		const char *kw[] = { "$Junk", NULL };

		is_int(mbox_store(mb, uids, 2, MBOX_FLAGS_ADD, MBOX_SEEN, kw, 0,
				  NULL, &err), 0, "store +FLAGS");
	}
	memset(&seen, 0, sizeof(seen));
	is_int(mbox_sync(mb2, &view2, on_change, &seen, &err), 3,
	       "other view hears of the change");
	is_int(seen.flags, 2, "two FLAGS changes");
	is_int(seen.keywords, 1, "one new keyword");
	is_str(view2.keywords[0], "$Junk", "keyword name");
	ok((view2.records[0].flags & MBOX_SEEN) && view2.records[0].keywords == 1,
	   "flags and keyword set");
	ok(!(view2.records[1].flags & MBOX_SEEN), "other message untouched");
	ok(view2.records[0].modseq > view2.records[1].modseq, "modseq rose");
	is_int(mbox_store(mb, uids, 2, MBOX_FLAGS_ADD, MBOX_SEEN, NULL, 0, NULL,
			  &err), 0, "a store that changes nothing");
	is_int(mbox_sync(mb2, &view2, on_change, &seen, &err), 0,
	       "... writes nothing");

	/* CONDSTORE: UNCHANGEDSINCE below a message's modseq leaves it. */
	uids[0] = 1; uids[1] = 2;
	is_int(mbox_store(mb, uids, 2, MBOX_FLAGS_ADD, MBOX_FLAGGED, NULL,
			  view2.records[1].modseq, &modified, &err), 0,
	       "store with UNCHANGEDSINCE");
	is_int(modified.len / sizeof(uint32_t), 1, "one message was modified since");
	is_int(*(uint32_t *)(void *)modified.data, 1, "... uid 1");
	mbox_sync(mb2, &view2, NULL, NULL, &err);
	ok(!(view2.records[0].flags & MBOX_FLAGGED) &&
	   (view2.records[1].flags & MBOX_FLAGGED), "only the unmodified one changed");

	/* Expunge. */
	uids[0] = 2;
	is_int(mbox_expunge(mb, uids, 1, &err), 0, "expunge");
	ok(!file_exists(2), "file removed");
	memset(&seen, 0, sizeof(seen));
	mbox_sync(mb2, &view2, on_change, &seen, &err);
	is_int(seen.expunges, 1, "view hears the expunge");
	is_int(seen.last_expunged_seq, 2, "... while uid 2 was still seq 2");
	is_int(view2.count, 2, "two left");
	is_int(mbox_status(mb, &st, &err), 0, "status");
	is_int(st.messages, 2, "status messages");
	is_int(st.unseen, 0, "status unseen");
	is_int(st.uidnext, 4, "status uidnext");
	is_int(st.size, strlen(three[0]) + strlen(three[2]), "status size");

	/* A torn batch at the end of the log (a writer died mid-write) is cut
	 * off at the next open and loses nothing committed. */
	{
		struct buf junk = BUF_INIT;
		struct mbox_record r;
		off_t before = log_size();

		memset(&r, 0, sizeof(r));
		r.uid = 4;
		mbox_log_add(&junk, MBOX_LOG_APPEND, 99, &r, sizeof(r));
		append_to_log(junk.data, junk.len);	/* no COMMIT */
		close(open(spool("x"), O_RDONLY));
		{
			char p[300];

			snprintf(p, sizeof(p), "%s/4", dir);
			fd = open(p, O_WRONLY | O_CREAT, 0600);
			close(fd);
		}
		mbox_close(&mb);
		is_int(mbox_open(dir, &mb, &err), 0, "open after a torn write");
		is_int(log_size(), before, "torn batch cut from the log");
		ok(!file_exists(4), "its uncommitted file removed");
		mbox_view_free(&view);
		mbox_view_load(mb, &view, &err);
		is_int(view.count, 2, "committed messages all there");
		is_int(view.uidnext, 4, "uidnext unchanged");
		buf_free(&junk);
	}

	/* A writer that died after its log write but before updating the
	 * index: the index is behind; the next open replays. */
	{
		struct mbox_index_header h;
		static const char *const one[] = { "Subject: four\r\n\r\n4\r\n" };

		read_header(&h);
		is_int(append_texts(mb, one, 1, &first), 0, "append uid 4");
		is_int(first, 4, "uid 4");
		write_header(&h);	/* undo the index update */
		mbox_close(&mb);
		is_int(mbox_open(dir, &mb, &err), 0, "open replays the log");
		mbox_view_free(&view);
		mbox_view_load(mb, &view, &err);
		is_int(view.count, 3, "replayed message present");
		is_int(view.records[2].uid, 4, "... once, as uid 4");
		is_int(view.uidnext, 5, "uidnext follows the log");
		mbox_close(&mb);
		is_int(mbox_open(dir, &mb, &err), 0, "reopen");
		mbox_view_free(&view);
		mbox_view_load(mb, &view, &err);
		is_int(view.count, 3, "replay is not repeated");
	}

	/* After a reboot the unsynced index may have lost writes: replay
	 * from the checkpoint; it is idempotent. */
	{
		struct mbox_index_header h;

		read_header(&h);
		memset(h.boot_id, 0x5a, sizeof(h.boot_id));
		write_header(&h);
		mbox_close(&mb);
		is_int(mbox_open(dir, &mb, &err), 0, "open after a reboot");
		mbox_view_free(&view);
		mbox_view_load(mb, &view, &err);
		is_int(view.count, 3, "same three messages after full replay");
		ok(view.records[0].flags & MBOX_SEEN, "flags replayed");
		is_int(view.keyword_count, 1, "keywords replayed");
	}

	/* Checkpoint with many tombstones compacts the index. */
	{
		const char *texts[20];
		struct buf van = BUF_INIT;
		const uint32_t *vr;
		uint64_t before;
		bool covered, live_reported;
		uint32_t n;

		for (i = 0; i < 20; i++)
			texts[i] = "Subject: bulk\r\n\r\nx\r\n";
		append_texts(mb, texts, 20, &first);
		for (n = 0; n < 15; n++)
			uids[n] = first + n;
		mbox_view_free(&view);
		mbox_view_load(mb, &view, &err);
		before = view.highestmodseq;
		mbox_expunge(mb, uids, 15, &err);
		mbox_sync(mb, &view, NULL, NULL, &err);
		is_int(mbox_vanished(mb, &view, before, &van, &err), 0,
		       "vanished since before the expunge");
		vr = (const uint32_t *)(const void *)van.data;
		ok(van.len == 2 * sizeof(uint32_t) && vr[0] == first &&
		   vr[1] == first + 14, "... is exactly the expunged range");
		buf_clear(&van);
		mbox_vanished(mb, &view, view.highestmodseq, &van, &err);
		is_int(van.len, 0, "nothing vanished since the newest modseq");
		is_int(mbox_checkpoint(mb, &err), 0, "checkpoint");
		mbox_view_free(&view);
		mbox_view_load(mb, &view, &err);
		is_int(view.count, 8, "live messages after compaction");
		/* The tombstones are gone: when those went is unknown now, so
		 * they are reported for any modseq, and no live one is. */
		buf_clear(&van);
		mbox_vanished(mb, &view, view.highestmodseq, &van, &err);
		vr = (const uint32_t *)(const void *)van.data;
		covered = false;
		live_reported = false;
		for (n = 0; n < van.len / (2 * sizeof(uint32_t)); n++) {
			if (vr[2 * n] <= first && vr[2 * n + 1] >= first + 14)
				covered = true;
			for (i = 0; (size_t)i < view.count; i++)
				live_reported |= view.records[i].uid >= vr[2 * n] &&
					view.records[i].uid <= vr[2 * n + 1];
		}
		ok(covered, "compacted expunges are still reported");
		ok(!live_reported, "no live message is reported");
		buf_free(&van);
		is_int(view.uidnext, first + 20, "uidnext survives compaction");
		memset(&seen, 0, sizeof(seen));
		is_int(mbox_sync(mb2, &view2, on_change, &seen, &err) >= 0, 1,
		       "an older view follows across compaction");
		is_int(view2.count, 8, "... and agrees");
	}

	/* A delivery repeated after a crash is recognised by its hash, in
	 * the same commit that would store it. */
	{
		struct mbox_append *a;
		struct mbox_append_result res[3];
		struct mbox_new_message m;

		memset(&m, 0, sizeof(m));
		m.path = spool("Message-ID: <dup@x>\r\n\r\nhi\r\n");
		m.size = 22;
		m.delivery_hash = 0x1234567890abcdefULL;
		m.dedup_since = 0;
		a = mbox_append_begin(mb);
		mbox_append_add(a, &m);
		is_int(mbox_append_commit(&a, res, &err), 0, "delivery stored");
		ok(!res[0].duplicate, "first delivery is new");
		first = res[0].uid;
		a = mbox_append_begin(mb);
		mbox_append_add(a, &m);
		m.delivery_hash = 0x42;
		mbox_append_add(a, &m);
		mbox_append_add(a, &m);
		is_int(mbox_append_commit(&a, res, &err), 0, "repeat commits");
		ok(res[0].duplicate && res[0].uid == first,
		   "the repeat is recognised and names the stored message");
		ok(!res[1].duplicate && res[2].duplicate && res[2].uid == res[1].uid,
		   "a duplicate inside one batch is recognised too");
		m.delivery_hash = 0x1234567890abcdefULL;
		m.dedup_since = (int64_t)time(NULL) + 3600;
		a = mbox_append_begin(mb);
		mbox_append_add(a, &m);
		mbox_append_commit(&a, res, &err);
		ok(!res[0].duplicate, "outside the window it is stored again");
	}

	/* Keyword limit. */
	{
		char name[32];
		const char *kw[2] = { name, NULL };
		int rc = 0;

		uids[0] = 1;
		for (i = 0; i < MBOX_MAX_KEYWORDS + 1 && rc == 0; i++) {
			snprintf(name, sizeof(name), "kw%d", i);
			rc = mbox_store(mb, uids, 1, MBOX_FLAGS_ADD, 0, kw, 0,
					NULL, &err);
		}
		ok(rc < 0 && strstr(err, "too many keywords") != NULL,
		   "keyword limit is an error, not a crash");
	}

	/* Concurrent writers in several processes. */
	{
		int status, all_ok = 1;
		pid_t pids[4];
		size_t before;

		mbox_view_free(&view);
		mbox_view_load(mb, &view, &err);
		before = view.count;
		for (i = 0; i < 4; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct mbox *m;
				const char *t[] = { "Subject: c\r\n\r\nc\r\n" };
				int k;

				if (mbox_open(dir, &m, &err) < 0)
					_exit(1);
				for (k = 0; k < 25; k++) {
					if (append_texts(m, t, 1, &first) < 0)
						_exit(1);
				}
				mbox_close(&m);
				_exit(0);
			}
		}
		for (i = 0; i < 4; i++) {
			waitpid(pids[i], &status, 0);
			all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
		}
		ok(all_ok, "four concurrent writers succeed");
		memset(&seen, 0, sizeof(seen));
		mbox_sync(mb, &view, on_change, &seen, &err);
		is_int(seen.appends, 100, "a view sees all 100 appends");
		is_int(view.count, before + 100, "count right");
		for (i = 1, all_ok = 1; i < (int)view.count; i++)
			all_ok &= view.records[i].uid > view.records[i - 1].uid;
		ok(all_ok, "uids unique and ascending");
	}

	/* Shared handles: one per mailbox and process, and a snapshot that
	 * follows the log instead of the index being read again. */
	{
		static const char *const kw_text[] = {
			"Subject: kw\r\n\r\nbody\r\n",
		};
		/* The keyword table is full by now: one already defined. */
		static const char *const kw_names[] = { "$Junk", NULL };
		struct mbox *s1 = NULL, *s2 = NULL, *s3 = NULL;
		struct mbox_view v1, v2, fresh;
		char dir2[300];
		bool same = true;
		size_t k;

		mbox_view_free(&view);
		is_int(mbox_open_shared(dir, &s1, &err), 0, "shared open");
		is_int(mbox_open_shared(dir, &s2, &err), 0, "shared open again");
		ok(s1 == s2, "the same handle");
		is_int(mbox_view_load(s1, &v1, &err), 0, "first load reads the index");
		/* Changes by another handle (another process's). */
		is_int(append_texts(mb, kw_text, 1, &first), 0, "append elsewhere");
		uids[0] = first;
		is_int(mbox_store(mb, uids, 1, MBOX_FLAGS_ADD, MBOX_FLAGGED,
				  kw_names, 0, NULL, &err), 0,
		       "flags and a keyword elsewhere");
		uids[0] = v1.records[0].uid;
		is_int(mbox_expunge(mb, uids, 1, &err), 0, "expunge elsewhere");
		is_int(mbox_view_load(s2, &v2, &err), 0, "second load");
		is_int(mbox_view_load(mb, &fresh, &err), 0, "a load from the index");
		is_int(v2.count, fresh.count, "the snapshot has every message");
		for (k = 0; k < fresh.count && k < v2.count; k++)
			same &= memcmp(&v2.records[k], &fresh.records[k],
				       sizeof(fresh.records[k])) == 0;
		ok(same, "each as the index has it");
		is_int(v2.keyword_count, fresh.keyword_count, "and the keywords");
		ok(v2.keyword_count > 0 && fresh.keyword_count > 0 &&
		   strcmp(v2.keywords[v2.keyword_count - 1],
			  fresh.keywords[fresh.keyword_count - 1]) == 0,
		   "named");
		is_int(v2.uidnext, fresh.uidnext, "and UIDNEXT");
		ok(v2.highestmodseq == fresh.highestmodseq, "and HIGHESTMODSEQ");
		ok(v2.log_offset == fresh.log_offset, "at the same log offset");
		is_int(v1.count + 0, v2.count, "one in, one out since the first");
		mbox_view_free(&v1);
		mbox_view_free(&v2);
		mbox_view_free(&fresh);

		/* The last holder gone, the handle is kept for the next. */
		mbox_close(&s1);
		mbox_close(&s2);
		ok(s1 == NULL && s2 == NULL, "closed");
		is_int(mbox_open_shared(dir, &s3, &err), 0, "opened again");
		ok(s3 != NULL, "a handle");
		is_int(mbox_view_load(s3, &v1, &err), 0, "and loads");
		is_int(mbox_view_load(mb, &fresh, &err), 0, "as the index");
		is_int(v1.count, fresh.count, "with the same messages");
		mbox_view_free(&v1);
		mbox_view_free(&fresh);
		mbox_close(&s3);

		/* Another mailbox kept in its place closes it for real. */
		snprintf(dir2, sizeof(dir2), "%s/box2", root);
		is_int(mbox_create(dir2, 777, &err), 0, "another mailbox");
		is_int(mbox_open_shared(dir2, &s1, &err), 0, "shared");
		is_int(mbox_view_load(s1, &v1, &err), 0, "loads");
		is_int(v1.uidvalidity, 777, "its own");
		mbox_view_free(&v1);
		mbox_close(&s1);
		is_int(mbox_open_shared(dir, &s2, &err), 0, "the first again");
		is_int(mbox_view_load(s2, &v1, &err), 0, "loads from its index");
		is_int(v1.uidvalidity, 12345, "its own again");
		mbox_view_free(&v1);
		mbox_close(&s2);

		/* Keeping more: the last closed stay open, the longest kept
		 * goes first, and 0 keeps none. */
		{
			char dir3[300], moved[300];
			int fds;

			snprintf(dir3, sizeof(dir3), "%s/box3", root);
			is_int(mbox_create(dir3, 888, &err), 0, "a third mailbox");
			mbox_shared_keep(0);
			fds = open_fds();
			mbox_shared_keep(2);
			is_int(mbox_open_shared(dir, &s1, &err), 0, "three open");
			is_int(mbox_open_shared(dir2, &s2, &err), 0, "...");
			is_int(mbox_open_shared(dir3, &s3, &err), 0, "...");
			mbox_close(&s1);
			mbox_close(&s2);
			mbox_close(&s3);
			is_int(open_fds() - fds, 8,
			       "two kept: the last two, four descriptors each");
			is_int(mbox_open_shared(dir3, &s3, &err), 0, "one kept again");
			is_int(open_fds() - fds, 8, "opens no file");
			mbox_close(&s3);
			/* A folder put in a kept one's place is another mailbox. */
			snprintf(moved, sizeof(moved), "%s/box3.old", root);
			ok(rename(dir3, moved) == 0 &&
			   mbox_create(dir3, 999, &err) == 0, "box3 replaced");
			is_int(mbox_open_shared(dir3, &s3, &err), 0, "opened");
			is_int(mbox_view_load(s3, &v1, &err), 0, "loads");
			is_int(v1.uidvalidity, 999, "the new folder's, not the kept");
			mbox_view_free(&v1);
			mbox_close(&s3);
			mbox_shared_keep(0);
			is_int(open_fds(), fds, "keeping none closes them all");
			mbox_shared_keep(1);
		}
	}

	/* A file already under the next UID (a commit that died before its
	 * log record) is replaced by the message that gets the UID. */
	{
		static const char *const fresh[] = { "Subject: fresh\r\n\r\nnew\r\n" };
		struct mbox_view v;
		char stray[300];
		uint32_t uid;

		is_int(mbox_view_load(mb, &v, &err), 0, "the mailbox loads");
		snprintf(stray, sizeof(stray), "%s/%u", dir, v.uidnext);
		fd = open(stray, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, "stale", 5) != 5)
			abort();
		close(fd);
		is_int(append_texts(mb, fresh, 1, &uid), 0,
		       "an append over a stray file commits");
		is_int(uid, v.uidnext, "under the stray file's UID");
		fd = mbox_message_open(mb, uid);
		i = fd >= 0 ? (int)read(fd, text, sizeof(text) - 1) : -1;
		if (fd >= 0)
			close(fd);
		text[i > 0 ? i : 0] = '\0';
		is_str(text, fresh[0], "and the file is the new message");
		mbox_view_free(&v);
	}

	/* Writers make a checkpoint on their own once the log has grown by
	 * mbox_set_checkpoint_bytes() (appends, flag changes, expunges), and
	 * compact the index when it is mostly tombstones. */
	{
		static const char *const one[] = { "Subject: cp\r\n\r\nx\r\n" };
		const char *texts[10];
		struct mbox_index_header h, h0;
		struct mbox_view v;
		uint32_t n, last, *all;

		for (i = 0; i < 10; i++)
			texts[i] = one[0];
		mbox_set_checkpoint_bytes(MBOX_CHECKPOINT_BYTES_DEFAULT);
		is_int(append_texts(mb, one, 1, &first), 0, "an append");
		read_header(&h0);
		ok(h0.checkpoint_offset < h0.applied_offset,
		   "a small change makes no checkpoint");
		mbox_set_checkpoint_bytes(h0.applied_offset -
					  h0.checkpoint_offset + 1);
		is_int(append_texts(mb, one, 1, &last), 0,
		       "an append past the limit");
		read_header(&h);
		is_int(h.checkpoint_offset, h.applied_offset,
		       "makes a checkpoint");
		is_int(h.applied_offset, log_size(), "at the end of the log");
		is_int(h.record_count, h0.record_count + 1,
		       "without compacting a mailbox of few tombstones");

		mbox_set_checkpoint_bytes(1);
		uids[0] = last;
		is_int(mbox_store(mb, uids, 1, MBOX_FLAGS_ADD, MBOX_FLAGGED, NULL,
				  0, NULL, &err), 0, "a flag change");
		read_header(&h);
		ok(h.checkpoint_offset == h.applied_offset &&
		   h.applied_offset == (uint64_t)log_size(),
		   "makes one too");

		mbox_set_checkpoint_bytes(0);
		is_int(append_texts(mb, one, 1, &first), 0, "with none asked for");
		read_header(&h);
		ok(h.checkpoint_offset < h.applied_offset, "there is none");

		/* Expunging most of the mailbox: the expunge's own checkpoint
		 * drops the tombstones (here, with so small an interval, by
		 * writing every file again: mbox_files.c), and a reader
		 * from before sees the same messages. */
		is_int(append_texts(mb, texts, 10, &first), 0, "ten more");
		is_int(mbox_view_load(mb, &v, &err), 0, "a view");
		read_header(&h0);
		mbox_set_checkpoint_bytes(1);
		all = calloc(v.count, sizeof(*all));
		for (n = 0; n < v.count; n++)
			all[n] = v.records[n].uid;
		is_int(mbox_expunge(mb, all, v.count - 2, &err), 0,
		       "expunge all but two");
		read_header(&h);
		is_int(h.record_count, 2, "the index holds the two alone");
		is_int(h.checkpoint_offset, h.applied_offset,
		       "and is checkpointed");
		ok(!file_exists(all[0]) && file_exists(all[v.count - 1]),
		   "the expunged files went, the others stayed");
		memset(&seen, 0, sizeof(seen));
		ok(mbox_sync(mb2, &view2, on_change, &seen, &err) >= 0 ||
		   strstr(err, "replaced") != NULL,
		   "another handle follows, or finds the log replaced");
		mbox_view_free(&view2);
		is_int(mbox_view_load(mb2, &view2, &err), 0,
		       "and loads the compacted index");
		ok(view2.count == 2 && view2.records[0].uid == all[v.count - 2] &&
		   view2.records[1].uid == all[v.count - 1],
		   "... with the two messages");
		free(all);
		mbox_view_free(&v);
		mbox_set_checkpoint_bytes(MBOX_CHECKPOINT_BYTES_DEFAULT);
	}

	mbox_view_free(&view2);
	mbox_close(&mb);
	mbox_close(&mb2);
	buf_free(&buf);
	buf_free(&modified);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd) != 0)
			tap_diag("cleanup failed");
	}
	return tap_done();
}
