/* Unit tests for libmail/store.c: users, mailbox names, create, delete,
 * rename with children, de-duplication. */
#include "tap.h"
#include "buf.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct buf listed = BUF_INIT;

static void collect_mailbox(void *ctx, const struct store_mailbox *mb)
{
	buf_printf(&listed, "%s%s", listed.len ? "," : "", mb->name);
	if (mb->special_use & STORE_SPECIAL_SENT)
		buf_append_str(&listed, "(sent)");
}

static void collect_user(void *ctx, const char *user)
{
	buf_printf(&listed, "%s%s", listed.len ? "," : "", user);
}

static void collect_sub(void *ctx, const char *name)
{
	buf_printf(&listed, "%s%s", listed.len ? "," : "", name);
}

static const char *subs(struct store *st, const char *user)
{
	const char *err;

	buf_clear(&listed);
	if (store_list_subscriptions(st, user, collect_sub, NULL, &err) < 0)
		return err;
	return buf_cstr(&listed);
}

static const char *list(struct store *st, const char *user)
{
	const char *err;

	buf_clear(&listed);
	if (store_mailbox_list(st, user, collect_mailbox, NULL, &err) < 0)
		return err;
	return buf_cstr(&listed);
}

static const struct {
	const char *name;
	const char *norm;	/* NULL: refused */
} names[] = {
	{ "INBOX", "INBOX" },
	{ "inbox", "INBOX" },
	{ "InBoX/sub", "INBOX/sub" },
	{ "inboxes", "inboxes" },
	{ "Work/2026/Q1", "Work/2026/Q1" },
	{ "Entw\xc3\xbc" "rfe", "Entw\xc3\xbc" "rfe" },
	{ "", NULL },
	{ "/abs", NULL },
	{ "trailing/", NULL },
	{ "a//b", NULL },
	{ "..", NULL },
	{ "a/../b", NULL },
	{ "./a", NULL },
	{ "tab\there", NULL },
	{ "bell\x07", NULL },
	{ "del\x7f", NULL },
	{ "bad\xff" "utf8", NULL },
	{ "overlong\xc0\xaf", NULL },
	{ "surrogate\xed\xa0\x80", NULL },
	{ "dots.are.fine", "dots.are.fine" },
	/* LIST wildcards: a name holding one could never be listed alone. */
	{ "%*", NULL },
	{ "a%b", NULL },
	{ "star*", NULL },
};

int main(void)
{
	char root[] = "/tmp/sealpost-store-test-XXXXXX";
	char norm[STORE_MAILBOX_NAME_MAX + 1], big[400];
	char board_id[STORE_ID_SIZE];
	struct store *st = NULL;
	struct store_mailbox mb, mb2;
	struct mbox *box = NULL;
	const char *err = "";
	bool exists;
	size_t i;

	if (mkdtemp(root) == NULL)
		abort();
	is_int(store_open(root, NULL, &st, &err), 0, "store opens");
	if (st == NULL) {
		printf("# %s\n", err);
		return tap_done();
	}

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int rc = store_mailbox_name_check(names[i].name, norm, &err);
		char label[120];

		snprintf(label, sizeof(label), "name check: '%s'", names[i].name);
		if (names[i].norm == NULL)
			ok(rc < 0, label);
		else
			ok(rc == 0 && strcmp(norm, names[i].norm) == 0, label);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(store_mailbox_name_check(big, norm, &err) < 0, "over-long name refused");

	ok(store_user_name_check("alice", &err) == 0, "user name alice");
	ok(store_user_name_check("a.b-c_9", &err) == 0, "user name with . - _");
	ok(store_user_name_check("../etc", &err) < 0, "user name with a path");
	ok(store_user_name_check("Alice", &err) < 0, "upper case refused");
	ok(store_user_name_check(".hidden", &err) < 0, "leading dot refused");
	ok(store_user_name_check("", &err) < 0, "empty user name refused");

	is_int(store_user_add(st, "alice", &err), 0, "user added");
	is_str(list(st, "alice"), "Archive,Drafts,INBOX,Junk,Sent(sent),Trash",
	       "special-use folders created");
	ok(store_user_add(st, "alice", &err) < 0 && strstr(err, "exists"),
	   "adding the user twice fails");
	is_int(store_user_exists(st, "alice", &err), 1, "alice exists");
	is_int(store_user_exists(st, "bob", &err), 0, "bob does not");
	is_int(store_user_add(st, "bob", &err), 0, "bob added");
	buf_clear(&listed);
	store_user_list(st, collect_user, NULL, &err);
	is_str(buf_cstr(&listed), "alice,bob", "users listed in order");

	is_int(store_mailbox_create(st, "alice", "Work/Project", 0, &exists, &err),
	       0, "create Work/Project without its parent");
	is_int(store_mailbox_create(st, "alice", "Work/Project/Old", 0, &exists,
				    &err), 0, "create a child");
	ok(store_mailbox_create(st, "alice", "work/project", 0, &exists, &err) == 0,
	   "names other than INBOX are case-sensitive");
	ok(store_mailbox_create(st, "alice", "Work/Project", 0, &exists, &err) < 0 &&
	   exists, "creating an existing name fails with exists");
	ok(store_mailbox_create(st, "alice", "inbox", 0, &exists, &err) < 0 && exists,
	   "inbox in any case is INBOX");
	ok(store_mailbox_create(st, "alice", "a/../b", 0, &exists, &err) < 0 &&
	   !exists, "bad name refused, not 'exists'");

	is_int(store_mailbox_lookup(st, "alice", "Work/Project", &mb, &err), 1,
	       "lookup finds it");
	is_int(strlen(mb.id), 16, "16-digit id");
	is_int(store_mailbox_lookup(st, "bob", "Work/Project", &mb2, &err), 0,
	       "another user's names are separate");

	/* Delete and create again at once: new folder, new UIDVALIDITY. */
	is_int(store_mailbox_delete(st, "alice", "Work/Project", &err), 0, "delete");
	is_int(store_mailbox_lookup(st, "alice", "Work/Project", &mb2, &err), 0,
	       "gone");
	is_int(store_mailbox_lookup(st, "alice", "Work/Project/Old", &mb2, &err), 1,
	       "its child stays");
	{
		char *dir = store_mailbox_dir(st, "alice", mb.id);
		struct stat sb;

		ok(stat(dir, &sb) < 0, "its folder is removed");
		free(dir);
	}
	is_int(store_mailbox_create(st, "alice", "Work/Project", 0, &exists, &err),
	       0, "created again at once");
	store_mailbox_lookup(st, "alice", "Work/Project", &mb2, &err);
	ok(strcmp(mb.id, mb2.id) != 0, "new id");
	ok(mb2.uidvalidity > mb.uidvalidity, "new, larger UIDVALIDITY");
	ok(store_mailbox_delete(st, "alice", "Nope", &err) < 0, "deleting a missing mailbox fails");

	/* Rename with children. */
	is_int(store_mailbox_rename(st, "alice", "Work", "Job", &err), -1,
	       "renaming a name that is only a parent fails");
	is_int(store_mailbox_create(st, "alice", "Work", 0, &exists, &err), 0,
	       "create Work");
	is_int(store_mailbox_create(st, "alice", "Workshop", 0, &exists, &err), 0,
	       "create Workshop");
	is_int(store_mailbox_rename(st, "alice", "Work", "Job", &err), 0,
	       "rename Work to Job");
	is_str(list(st, "alice"), "Archive,Drafts,INBOX,Job,Job/Project,"
	       "Job/Project/Old,Junk,Sent(sent),Trash,Workshop,work/project",
	       "children moved, Workshop untouched");
	store_mailbox_lookup(st, "alice", "Job/Project", &mb, &err);
	ok(strcmp(mb.id, mb2.id) == 0, "a renamed mailbox keeps its folder");
	ok(store_mailbox_rename(st, "alice", "Job", "Job/Sub", &err) < 0,
	   "renaming into itself fails");
	ok(store_mailbox_rename(st, "alice", "Job", "Workshop", &err) < 0,
	   "renaming onto an existing name fails");
	is_str(list(st, "alice"), "Archive,Drafts,INBOX,Job,Job/Project,"
	       "Job/Project/Old,Junk,Sent(sent),Trash,Workshop,work/project",
	       "a failed rename changes nothing");
	ok(store_mailbox_rename(st, "alice", "INBOX", "Old", &err) < 0,
	   "INBOX is not renamed as a record");

	/* Opening and appending through the store. */
	is_int(store_mailbox_open(st, "alice", "inbox", &box, &err), 1,
	       "open INBOX by any case");
	{
		struct mbox_view v;

		mbox_view_load(box, &v, &err);
		store_mailbox_lookup(st, "alice", "INBOX", &mb, &err);
		is_int(v.uidvalidity, mb.uidvalidity, "the folder has the UIDVALIDITY");
		mbox_view_free(&v);
	}
	mbox_close(&box);
	is_int(store_mailbox_open(st, "alice", "Nope", &box, &err), 0,
	       "opening a missing mailbox says so");

	/* Subscriptions: names, existing or not, per user. */
	is_str(subs(st, "alice"), "", "no subscriptions at first");
	is_int(store_subscribe(st, "alice", "inbox", &err), 0, "subscribe inbox");
	is_int(store_subscribe(st, "alice", "Gone/Away", &err), 0,
	       "subscribe a name that does not exist");
	is_int(store_subscribe(st, "alice", "INBOX", &err), 0,
	       "subscribing twice is fine");
	is_int(store_subscribe(st, "bob", "Other", &err), 0, "bob subscribes");
	ok(store_subscribe(st, "alice", "a//b", &err) < 0, "bad names refused");
	is_str(subs(st, "alice"), "Gone/Away,INBOX", "alice's, normalised");
	is_int(store_unsubscribe(st, "alice", "Gone/Away", &err), 1,
	       "unsubscribe");
	is_int(store_unsubscribe(st, "alice", "Gone/Away", &err), 0,
	       "unsubscribing again says it was not subscribed");
	is_str(subs(st, "alice"), "INBOX", "one left");
	is_str(subs(st, "bob"), "Other", "bob's are separate");

	/* Access control lists live in the mailbox record. */
	is_int(store_mailbox_lookup(st, "alice", "INBOX", &mb, &err), 1,
	       "lookup for the list");
	is_str(mb.acl, "alice lrswipkxtea anyone p", "the default list");
	is_str(mb.owner, "alice", "the owner comes with the record");
	{
		struct acl acl;

		is_int(store_mailbox_acl_change(st, "alice", "Drafts", "bob",
						ACL_MOD_REPLACE, ACL_L | ACL_R,
						false, &acl, &err), 1,
		       "acl change");
		is_int((long long)acl.count, 3, "the new list comes back");
		is_int(store_mailbox_acl_change(st, "alice", "NoSuch", "bob",
						ACL_MOD_REPLACE, ACL_L, false,
						NULL, &err), 0,
		       "acl change of a missing mailbox: 0");
		is_int(store_mailbox_rename(st, "alice", "Drafts", "Entw", &err),
		       0, "rename");
		is_int(store_mailbox_lookup(st, "alice", "Entw", &mb, &err), 1,
		       "renamed");
		is_str(mb.acl, "alice lrswipkxtea anyone p bob lr",
		       "the list moves with the rename");
		is_int(store_mailbox_acl_change(st, "alice", "Entw", "bob",
						ACL_MOD_REPLACE, 0, true, NULL,
						&err), 1, "acl delete");
		is_int(store_mailbox_lookup(st, "alice", "Entw", &mb, &err), 1,
		       "lookup");
		is_str(mb.acl, "alice lrswipkxtea anyone p", "entry deleted");
		is_int(store_mailbox_rename(st, "alice", "Entw", "Drafts", &err),
		       0, "rename back");
	}
	is_int(store_mailbox_create_acl(st, "alice", "Kid", 0, "anyone lr",
					&exists, &err), 0,
	       "create with a given list");
	is_int(store_mailbox_lookup(st, "alice", "Kid", &mb, &err), 1, "lookup");
	is_str(mb.acl, "anyone lr", "it has that list");
	is_int(store_mailbox_delete(st, "alice", "Kid", &err), 0, "delete");
	is_int(store_mailbox_create(st, STORE_SHARED_OWNER, "news", 0, &exists,
				    &err), 0, "a shared mailbox");
	is_int(store_mailbox_lookup(st, STORE_SHARED_OWNER, "news", &mb, &err),
	       1, "lookup");
	is_str(mb.acl, "anyone lrs", "a board's default list");
	memcpy(board_id, mb.id, sizeof(board_id));

	/* Each reader's \Seen on a shared mailbox. */
	{
		static const uint32_t a[] = { 1, 3, 5 }, b[] = { 2, 3, 9 },
			c[] = { 1, 9, 10 };
		uint32_t *set = NULL;
		size_t n = 99;

		is_int(store_seen_get(st, "alice", mb.id, &set, &n, &err), 0,
		       "seen: empty at first");
		is_int((long long)n, 0, "no UIDs");
		is_int(store_seen_change(st, "alice", mb.id, a, 3, true, &set,
					 &n, &err), 0, "seen add");
		free(set);
		is_int(store_seen_change(st, "alice", mb.id, b, 3, true, &set,
					 &n, &err), 0, "seen add overlapping");
		is_int((long long)n, 5, "merged: 1 2 3 5 9");
		ok(n == 5 && set[0] == 1 && set[1] == 2 && set[2] == 3 &&
		   set[3] == 5 && set[4] == 9, "in order, once each");
		free(set);
		is_int(store_seen_change(st, "alice", mb.id, c, 3, false, &set,
					 &n, &err), 0, "seen remove");
		ok(n == 3 && set[0] == 2 && set[1] == 3 && set[2] == 5,
		   "left: 2 3 5");
		free(set);
		is_int(store_seen_get(st, "bob", mb.id, &set, &n, &err), 0,
		       "another reader");
		is_int((long long)n, 0, "has their own, empty set");
		free(set);
		is_int(store_seen_get(st, "alice", mb.id, &set, &n, &err), 0,
		       "read back");
		is_int((long long)n, 3, "the set is stored");
		free(set);
	}

	/* Removing a user removes everything of theirs, their entries in
	 * other users' lists included. */
	is_int(store_mailbox_acl_change(st, "bob", "INBOX", "alice",
					ACL_MOD_REPLACE, ACL_L | ACL_R, false,
					NULL, &err), 1, "alice gets rights on bob's INBOX");
	is_int(store_mailbox_acl_change(st, "bob", "Sent", "-alice",
					ACL_MOD_REPLACE, ACL_R, false, NULL,
					&err), 1, "and a negative entry on Sent");
	is_int(store_user_del(st, "alice", &err), 0, "user deleted");
	is_int(store_mailbox_lookup(st, "bob", "INBOX", &mb, &err), 1, "lookup");
	is_str(mb.acl, "bob lrswipkxtea anyone p",
	       "a deleted user's entries leave other lists");
	is_int(store_mailbox_lookup(st, "bob", "Sent", &mb, &err), 1, "lookup");
	is_str(mb.acl, "bob lrswipkxtea anyone p", "negative ones too");
	is_str(list(st, "alice"), "", "no mailboxes left");
	is_str(subs(st, "alice"), "", "no subscriptions left");
	{
		uint32_t *set = NULL;
		size_t n = 99;

		is_int(store_seen_get(st, "alice", board_id, &set, &n, &err), 0,
		       "seen after the user is gone");
		is_int((long long)n, 0, "no seen state left");
		free(set);
	}
	{
		char path[300];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/store/alice", root);
		ok(stat(path, &sb) < 0, "their folder is gone");
	}
	ok(store_user_del(st, "alice", &err) < 0, "deleting again fails");
	is_int(store_user_add(st, "alice", &err), 0, "and can be added again");

	store_close(&st);
	is_int(store_open(root, NULL, &st, &err), 0, "store reopens");
	is_str(list(st, "bob"), "Archive,Drafts,INBOX,Junk,Sent(sent),Trash",
	       "state persists across close");
	store_close(&st);
	buf_free(&listed);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd) != 0)
			tap_diag("cleanup failed");
	}
	return tap_done();
}
