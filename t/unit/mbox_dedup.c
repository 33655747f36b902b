/* Unit tests for the duplicate check's table (libmail/mbox_dedup.c): a
 * handle kept open between deliveries, as lmtpd keeps one, sees what
 * other handles appended since its last look, sees a message expunged
 * since (and so stores the delivery again), follows a compaction of the
 * index by another handle, and answers a wider window than the one its
 * table was built for. */
#include "tap.h"
#include "mbox_fixture.h"
#include "mbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[] = "/tmp/sealpost-mbox-dedup-XXXXXX";
static char tmpdir[256];

/* Delivers one message with `hash` (window from `since`) through `mb`;
 * *dup_r tells whether it was found already stored.  Returns its UID. */
static uint32_t deliver(struct mbox *mb, uint64_t hash, int64_t since,
			bool *dup_r)
{
	struct mbox_append *a;
	struct mbox_append_result res[1];
	struct mbox_new_message m;
	char text[64];
	const char *err = "";

	snprintf(text, sizeof(text), "Subject: %llx\r\n\r\nx\r\n",
		 (unsigned long long)hash);
	memset(&m, 0, sizeof(m));
	m.path = spool_file(tmpdir, text);
	m.size = strlen(text);
	m.internal_date = 1700000000;
	m.delivery_hash = hash;
	m.dedup_since = since;
	a = mbox_append_begin(mb);
	mbox_append_add(a, &m);
	if (mbox_append_commit(&a, res, &err) < 0) {
		tap_diag(err);
		return 0;
	}
	*dup_r = res[0].duplicate;
	return res[0].uid;
}

int main(void)
{
	char dir[300];
	struct mbox *kept, *other = NULL;
	const char *err = "";
	uint32_t uid, first, again, gone[40];
	struct stat before, after;
	char index[400];
	bool dup = false;
	int i;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", root);
	mkdir(tmpdir, 0700);
	kept = fixture_mailbox(root, "box", dir, sizeof(dir));
	if (mbox_open(dir, &other, &err) < 0)
		abort();

	first = deliver(kept, 0x100, 0, &dup);
	ok(first > 0 && !dup, "a first delivery is stored");
	uid = deliver(kept, 0x100, 0, &dup);
	ok(dup && uid == first, "its repeat on the kept handle is found");

	uid = deliver(other, 0x200, 0, &dup);
	ok(!dup, "another handle stores a second message");
	again = deliver(kept, 0x200, 0, &dup);
	ok(dup && again == uid, "the kept handle sees it, appended since its last look");

	is_int(mbox_expunge(other, &first, 1, &err), 0,
	       "the first expunged through the other handle");
	uid = deliver(kept, 0x100, 0, &dup);
	ok(!dup && uid > first, "its repeat is stored again: the copy is gone");

	/* Outside the window, then the whole mailbox: the table built for
	 * the narrow window is not enough for the wide one. */
	(void)deliver(kept, 0x300, 0, &dup);
	uid = deliver(kept, 0x300, (int64_t)time(NULL) + 3600, &dup);
	ok(!dup, "a window after every message finds none");
	again = deliver(kept, 0x300, 0, &dup);
	ok(dup, "the whole mailbox again finds one");

	/* Enough expunged for the other handle's checkpoint to compact the
	 * index: a new file, every record moved. */
	for (i = 0; i < 40; i++)
		gone[i] = deliver(other, 0x1000 + (uint64_t)i, 0, &dup);
	uid = deliver(kept, 0x1027, 0, &dup);
	ok(dup && uid == gone[39], "the last of forty is seen");
	snprintf(index, sizeof(index), "%s/index", dir);
	stat(index, &before);
	is_int(mbox_expunge(other, gone, 39, &err), 0, "39 of them expunged");
	is_int(mbox_checkpoint(other, &err), 0, "a checkpoint");
	stat(index, &after);
	ok(before.st_ino != after.st_ino, "the index was compacted into a new file");
	uid = deliver(kept, 0x1027, 0, &dup);
	ok(dup && uid == gone[39], "the kept handle finds the survivor after the compaction");
	uid = deliver(kept, 0x1000, 0, &dup);
	ok(!dup, "and not an expunged one");
	uid = deliver(other, 0x2000, 0, &dup);
	again = deliver(kept, 0x2000, 0, &dup);
	ok(dup && again == uid, "nor what was appended after it");

	mbox_close(&other);
	mbox_close(&kept);
	return tap_done();
}
