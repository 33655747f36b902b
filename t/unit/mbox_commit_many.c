/* Unit tests for the group commit across mailboxes
 * (mbox_append_commit_many() in libmail/mbox_write.c): files that are not
 * yet durable, several mailboxes in one commit, duplicates within it, a
 * mailbox refused by the quota hook while the others go through, the same
 * mailbox given twice, a single message. */
#include "tap.h"
#include "mbox_fixture.h"
#include "mbox.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-mbox-many-XXXXXX";
static char tmpdir[256];

static char *spool(const char *text)
{
	return spool_file(tmpdir, text);
}

static void add(struct mbox_append *a, const char *text, uint64_t hash)
{
	struct mbox_new_message m;

	memset(&m, 0, sizeof(m));
	m.path = spool(text);
	m.size = strlen(text);
	m.internal_date = 1700000000;
	m.delivery_hash = hash;
	mbox_append_add(a, &m);
}

static struct mbox *box(const char *name, char *dir, size_t size)
{
	return fixture_mailbox(root, name, dir, size);
}

/* Messages a fresh handle sees in the folder. */
static unsigned int count(const char *dir)
{
	struct mbox *mb = NULL;
	struct mbox_view view;
	const char *err;
	unsigned int n;

	if (mbox_open(dir, &mb, &err) < 0 || mbox_view_load(mb, &view, &err) < 0)
		return 9999;
	n = view.count;
	mbox_view_free(&view);
	mbox_close(&mb);
	return n;
}

static int file_exists(const char *dir, uint32_t uid)
{
	char path[400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%u", dir, uid);
	return stat(path, &st) == 0;
}

/* Commits one message into each of two handles (not yet durable files, as
 * lmtpd spools them); the results go to r1[0], r2[0] and rets. */
static int commit_two(struct mbox *m1, const char *t1, struct mbox *m2,
		      const char *t2, struct mbox_append_result *r1,
		      struct mbox_append_result *r2, int rets[2])
{
	struct mbox_append *as[2];
	struct mbox_append_result *res[2] = { r1, r2 };
	const char *err = "";

	as[0] = mbox_append_begin(m1);
	add(as[0], t1, 0);
	as[1] = mbox_append_begin(m2);
	add(as[1], t2, 0);
	return mbox_append_commit_many(as, 2, res, rets, &err);
}

/* Commits one message alone; its result goes to r[0]. */
static int commit_one(struct mbox *mb, const char *text, uint64_t hash,
		      struct mbox_append_result *r)
{
	struct mbox_append *as[1];
	struct mbox_append_result *res[1] = { r };
	const char *err = "";
	int ret;

	as[0] = mbox_append_begin(mb);
	add(as[0], text, hash);
	return mbox_append_commit_many(as, 1, res, &ret, &err);
}

/* The quota hook: refuses any addition to the folder named `refused`. */
static const char *refused;

static int usage(void *ctx, const char *dir, int64_t bytes, int64_t messages,
		 bool enforce, bool deferred, bool *over_r,
		 const char **error_r)
{
	*over_r = refused != NULL && bytes > 0 && strcmp(dir, refused) == 0;
	return 0;
}

int main(void)
{
	char d1[300], d2[300], d3[300];
	struct mbox *b1, *b2, *b3, *b1again = NULL;
	struct mbox_append *as[3];
	struct mbox_append_result r1[4], r2[4], r3[4], *res[3];
	int rets[3];
	const char *err = "";

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", root);
	mkdir(tmpdir, 0700);
	b1 = box("one", d1, sizeof(d1));
	b2 = box("two", d2, sizeof(d2));
	b3 = box("three", d3, sizeof(d3));
	mbox_set_usage_hook(usage, NULL, NULL);

	/* Three mailboxes in one commit, given out of name order; a
	 * message repeated within one mailbox's share is stored once. */
	as[0] = mbox_append_begin(b2);
	add(as[0], "Subject: a\r\n\r\na\r\n", 11);
	add(as[0], "Subject: b\r\n\r\nb\r\n", 12);
	add(as[0], "Subject: a again\r\n\r\na\r\n", 11);
	as[1] = mbox_append_begin(b1);
	add(as[1], "Subject: c\r\n\r\nc\r\n", 13);
	as[2] = mbox_append_begin(b3);
	add(as[2], "Subject: d\r\n\r\nd\r\n", 14);
	res[0] = r2;
	res[1] = r1;
	res[2] = r3;
	is_int(mbox_append_commit_many(as, 3, res, rets, &err), 0,
	       "three mailboxes commit together");
	ok(rets[0] == 0 && rets[1] == 0 && rets[2] == 0, "each succeeded");
	ok(as[0] == NULL && as[1] == NULL && as[2] == NULL, "appends freed");
	ok(r2[0].uid == 1 && r2[1].uid == 2 && !r2[0].duplicate &&
	   !r2[1].duplicate, "two: uids 1 and 2");
	ok(r2[2].duplicate && r2[2].uid == 1, "two: the repeat names uid 1");
	ok(r1[0].uid == 1 && r3[0].uid == 1, "one and three: uid 1");
	is_int(count(d2), 2, "two has two messages");
	is_int(count(d1), 1, "one has one");
	is_int(count(d3), 1, "three has one");
	ok(file_exists(d2, 2) && !file_exists(d2, 3), "files named by uid");

	/* The quota hook refuses one mailbox: only that one fails. */
	refused = d1;
	is_int(commit_two(b1, "Subject: e\r\n\r\ne\r\n", b2,
			  "Subject: f\r\n\r\nf\r\n", r1, r2, rets), -1,
	       "a refused mailbox fails the call");
	is_int(rets[0], -1, "the refused one failed");
	ok(mbox_over_quota(b1), "over quota says why");
	is_int(rets[1], 0, "the other went through");
	is_int(count(d1), 1, "nothing added to the refused one");
	ok(!file_exists(d1, 2), "and no file left under its uid");
	is_int(count(d2), 3, "the other has its message");
	refused = NULL;

	/* The same mailbox through two handles: refused, not a deadlock on
	 * its own lock. */
	if (mbox_open(d3, &b1again, &err) < 0)
		abort();
	is_int(commit_two(b3, "Subject: g\r\n\r\ng\r\n", b1again,
			  "Subject: h\r\n\r\nh\r\n", r3, r1, rets), -1,
	       "one mailbox twice fails");
	ok((rets[0] == 0) != (rets[1] == 0), "one of the two went through");
	is_int(count(d3), 2, "and only one message was added");

	/* A single message: its own fdatasync and folder fsync. */
	is_int(commit_one(b2, "Subject: i\r\n\r\ni\r\n", 0, r2), 0,
	       "one message commits");
	is_int(r2[0].uid, 4, "with the next uid");
	is_int(count(d2), 4, "and is seen");

	/* Only duplicates: nothing to write, still a success. */
	is_int(commit_one(b2, "Subject: a once more\r\n\r\na\r\n", 11, r2), 0,
	       "a batch of duplicates succeeds");
	ok(r2[0].duplicate && r2[0].uid == 1, "naming the stored message");
	is_int(count(d2), 4, "adding nothing");

	/* More new files than are synced at one time (256), over two
	 * mailboxes: all stored, every file under its uid. */
	{
		struct mbox_append_result big1[300], big2[30];
		char text[64];
		int k;

		as[0] = mbox_append_begin(b1);
		as[1] = mbox_append_begin(b2);
		for (k = 0; k < 300; k++) {
			snprintf(text, sizeof(text),
				 "Subject: many %d\r\n\r\nbody %d\r\n", k, k);
			add(as[0], text, 1000 + (uint64_t)k);
		}
		for (k = 0; k < 30; k++) {
			snprintf(text, sizeof(text),
				 "Subject: more %d\r\n\r\nbody %d\r\n", k, k);
			add(as[1], text, 2000 + (uint64_t)k);
		}
		res[0] = big1;
		res[1] = big2;
		is_int(mbox_append_commit_many(as, 2, res, rets, &err), 0,
		       "a batch of 330 new messages commits");
		is_int(count(d1), 301, "the first mailbox has all 300 more");
		is_int(count(d2), 34, "the second all 30 more");
		ok(file_exists(d1, big1[299].uid) && file_exists(d2, big2[29].uid),
		   "the last files are there under their uids");
	}

	mbox_close(&b1);
	mbox_close(&b2);
	mbox_close(&b3);
	mbox_close(&b1again);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd) != 0)
			tap_diag("cleanup failed");
	}
	return tap_done();
}
