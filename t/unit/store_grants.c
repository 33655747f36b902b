/* Unit tests for libmail/store_grants.c: the index of who may look up
 * which mailbox follows every change of a mailbox record, and the schema
 * upgrade builds it for a store made before it existed. */
#include "tap.h"
#include "buf.h"
#include "db.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct buf listed = BUF_INIT;

static void collect(void *ctx, const struct store_mailbox *mb)
{
	buf_printf(&listed, "%s%s/%s", listed.len ? "," : "", mb->owner,
		   mb->name);
}

/* What the index gives for one identifier, or two separated by "+". */
static const char *granted(struct store *st, const char *who)
{
	char copy[100];
	const char *ids[2];
	const char *err;
	char *plus;
	size_t n = 1;

	(void)snprintf(copy, sizeof(copy), "%s", who);
	ids[0] = copy;
	if ((plus = strchr(copy, '+')) != NULL) {
		*plus = '\0';
		ids[n++] = plus + 1;
	}
	buf_clear(&listed);
	if (store_mailbox_list_granted(st, ids, n, collect, NULL, &err) < 0)
		return err;
	return buf_cstr(&listed);
}

static int set_acl(struct store *st, const char *owner, const char *name,
		   const char *id, const char *rights)
{
	unsigned int r = 0;
	const char *err;

	if (acl_rights_parse(rights, &r, &err) < 0)
		return -1;
	return store_mailbox_acl_change(st, owner, name, id, ACL_MOD_REPLACE,
					r, false, NULL, &err);
}

static int del_acl(struct store *st, const char *owner, const char *name,
		   const char *id)
{
	const char *err;

	return store_mailbox_acl_change(st, owner, name, id, ACL_MOD_REPLACE,
					0, true, NULL, &err);
}

static void test_maintenance(const char *root)
{
	struct store *st = NULL;
	const char *err = "";
	bool exists;

	is_int(store_open(root, NULL, &st, &err), 0, "store opens");
	if (st == NULL)
		return;
	is_int(store_user_add(st, "alice", &err), 0, "alice");
	is_int(store_user_add(st, "bob", &err), 0, "bob");
	is_int(store_user_add(st, "carol", &err), 0, "carol");
	is_str(granted(st, "anyone"), "",
	       "default lists (anyone p) make no entries");
	is_str(granted(st, "alice"), "", "nor do the owners' own entries");

	is_int(set_acl(st, "alice", "Drafts", "bob", "lr"), 1, "grant bob lr");
	is_str(granted(st, "bob"), "alice/Drafts", "bob finds it");
	is_str(granted(st, "carol"), "", "carol does not");
	is_int(set_acl(st, "alice", "Drafts", "bob", "rw"), 1,
	       "bob keeps rights but not l");
	is_str(granted(st, "bob"), "alice/Drafts",
	       "a user's entry without l is there too (the list decides)");
	is_int(set_acl(st, "alice", "Drafts", "bob", "l"), 1, "l again");
	is_int(del_acl(st, "alice", "Drafts", "bob"), 1, "DELETEACL bob");
	is_str(granted(st, "bob"), "", "revoked: gone");
	is_int(set_acl(st, "alice", "Sent", "-bob", "l"), 1, "negative entry");
	is_str(granted(st, "bob"), "", "a negative entry is not under bob");
	is_str(granted(st, "-bob"), "alice/Sent", "but under -bob");
	is_int(set_acl(st, "alice", "Sent", "anyone", "r"), 1, "anyone r");
	is_int(set_acl(st, "alice", "Sent", "-anyone", "l"), 1, "-anyone l");
	is_int(set_acl(st, "alice", "Sent", "anonymous", "l"), 1,
	       "anonymous l");
	is_str(granted(st, "anyone"), "", "anyone without l: no entry");
	is_str(granted(st, "-anyone"), "", "-anyone: none");
	is_str(granted(st, "anonymous"), "", "anonymous: none");

	is_int(set_acl(st, "carol", "INBOX", "anyone", "lr"), 1,
	       "carol's INBOX to anyone");
	is_int(set_acl(st, "carol", "INBOX", "bob", "lrs"), 1, "and to bob");
	is_int(set_acl(st, "alice", "Junk", "bob", "l"), 1, "alice's Junk");
	is_str(granted(st, "bob+anyone"), "alice/Junk,carol/INBOX",
	       "two identifiers: each mailbox once, in order");

	/* Rename carries the entries, children too. */
	is_int(store_mailbox_create(st, "alice", "Work/Sub", 0, &exists, &err),
	       0, "alice's Work/Sub");
	is_int(store_mailbox_create(st, "alice", "Work", 0, &exists, &err), 0,
	       "alice's Work");
	is_int(set_acl(st, "alice", "Work", "bob", "lr"), 1, "Work to bob");
	is_int(set_acl(st, "alice", "Work/Sub", "anyone", "l"), 1,
	       "Work/Sub to anyone");
	is_int(store_mailbox_rename(st, "alice", "Work", "Play", &err), 0,
	       "rename Work to Play");
	is_str(granted(st, "bob"), "alice/Junk,alice/Play,carol/INBOX",
	       "bob's entry follows the rename");
	is_str(granted(st, "anyone"), "alice/Play/Sub,carol/INBOX",
	       "the child's too");
	is_int(store_mailbox_delete(st, "alice", "Play/Sub", &err), 0,
	       "delete Play/Sub");
	is_str(granted(st, "anyone"), "carol/INBOX", "deleted: gone");

	/* A new mailbox inheriting a list (CREATE below a shared one). */
	is_int(store_mailbox_create_acl(st, "alice", "Play/Kid", 0,
					"alice lrswipkxtea bob lr", &exists,
					&err), 0, "create with a list");
	is_str(granted(st, "bob"),
	       "alice/Junk,alice/Play,alice/Play/Kid,carol/INBOX",
	       "its entries are made with it");

	/* Boards: the default list is "anyone lrs". */
	is_int(store_mailbox_create(st, STORE_SHARED_OWNER, "news", 0, &exists,
				    &err), 0, "a board");
	is_str(granted(st, "anyone"), ".shared/news,carol/INBOX",
	       "boards are found under anyone");

	/* Deleting a user: their entries in others' lists, and the entries
	 * of their own mailboxes. */
	is_int(store_user_del(st, "bob", &err), 0, "bob deleted");
	is_str(granted(st, "bob"), "", "bob's entries are gone");
	is_str(granted(st, "-bob"), "", "the negative ones too");
	is_int(store_user_del(st, "carol", &err), 0, "carol deleted");
	is_str(granted(st, "anyone"), ".shared/news",
	       "carol's mailboxes' entries are gone");
	is_int(store_user_add(st, "bob", &err), 0, "a new bob");
	is_str(granted(st, "bob"), "", "inherits nothing");

	store_close(&st);
	is_int(store_open(root, NULL, &st, &err), 0, "store reopens");
	is_str(granted(st, "anyone"), ".shared/news", "the index persists");
	store_close(&st);
}

/* A mailbox record as a store of schema 1 wrote it (layout version 2, the
 * one with an access control list; version 1 has none). */
static int put_mailbox_txn(struct db *db, struct db_txn *txn,
			   const char *owner, const char *name,
			   uint8_t version, const char *acl)
{
	struct buf key = BUF_INIT, value = BUF_INIT;
	uint32_t uidvalidity = 1, use = 0;
	const char *err;
	int ret;

	buf_append(&key, owner, strlen(owner) + 1);
	buf_append_str(&key, name);
	db_record_init(&value, version);
	buf_append(&value, "0123456789abcdef", 16);
	buf_append(&value, &uidvalidity, 4);
	buf_append(&value, &use, 4);
	if (version >= 2)
		buf_append_str(&value, acl);
	ret = db_put(db, txn, key.data, key.len, value.data, value.len, &err);
	buf_free(&key);
	buf_free(&value);
	return ret;
}

static int put_mailbox(struct db *db, const char *owner, const char *name,
		       uint8_t version, const char *acl)
{
	return put_mailbox_txn(db, NULL, owner, name, version, acl);
}

/* An upgrade that fails (a damaged record) leaves the store closed and
 * unchanged: the open fails cleanly, and fails again the next time. */
static void test_upgrade_fails(const char *root)
{
	struct db_env_settings set;
	struct db_env *env = NULL;
	struct db *mailboxes = NULL;
	struct store *st = NULL;
	struct buf home = BUF_INIT;
	const char *err = "";

	buf_printf(&home, "%s/db", root);
	memset(&set, 0, sizeof(set));
	set.home = buf_cstr(&home);
	set.schema_version = 1;
	ok(db_env_open(&set, &env, &err) == 0 &&
	   db_open(env, "mailboxes", &mailboxes, &err) == 0 &&
	   db_put(mailboxes, NULL, "zed\0INBOX", 9, "\0", 1, &err) == 0,
	   "a schema 1 store with a damaged record");
	db_env_close(&env);
	is_int(store_open(root, NULL, &st, &err), -1, "the upgrade fails");
	ok(strstr(err, "upgrading the store from schema version 1 to 2") !=
	   NULL, "saying so");
	ok(st == NULL, "no store");
	is_int(store_open(root, NULL, &st, &err), -1, "and fails again");
	ok(db_env_open(&set, &env, &err) == 0,
	   "the store is still at schema 1");
	db_env_close(&env);
	buf_free(&home);
}

static void test_upgrade(const char *root)
{
	struct db_env_settings set;
	struct db_env *env = NULL;
	struct db *users = NULL, *mailboxes = NULL, *meta = NULL;
	struct store *st = NULL;
	struct buf home = BUF_INIT, value = BUF_INIT;
	const char *err = "";
	int64_t now = 0;

	buf_printf(&home, "%s/db", root);
	memset(&set, 0, sizeof(set));
	set.home = buf_cstr(&home);
	set.schema_version = 1;
	is_int(db_env_open(&set, &env, &err), 0, "a schema 1 store");
	if (env == NULL) {
		tap_diag(err);
		buf_free(&home);
		return;
	}
	ok(db_open(env, "users", &users, &err) == 0 &&
	   db_open(env, "mailboxes", &mailboxes, &err) == 0 &&
	   db_open(env, "meta", &meta, &err) == 0, "its databases");
	db_record_init(&value, 1);
	buf_append(&value, &now, sizeof(now));
	ok(db_put(users, NULL, "dave", 4, value.data, value.len, &err) == 0 &&
	   db_put(users, NULL, "erin", 4, value.data, value.len, &err) == 0,
	   "users");
	/* Counted already, so opening does not recount their folders. */
	db_record_init(&value, 1);
	ok(db_put(meta, NULL, "quota_counted", 13, value.data, value.len,
		  &err) == 0, "quota marker");
	/* More records than one build transaction takes, with grants at
	 * its edges. */
	{
		struct db_txn *txn = NULL;
		int i, failed = 0;

		ok(db_txn_begin(env, &txn, &err) == 0, "one transaction");
		for (i = 0; i < 2500; i++) {
			char name[20];
			bool grant = i == 0 || i == 999 || i == 1000 ||
				i == 1999 || i == 2499;

			snprintf(name, sizeof(name), "box%04d", i);
			failed |= put_mailbox_txn(mailboxes, txn, "many", name,
						  2, grant ?
						  "many lrswipkxtea erin lr" :
						  "many lrswipkxtea") < 0;
		}
		ok(!failed && db_txn_commit(&txn, &err) == 0,
		   "2500 mailboxes of one user");
	}
	ok(put_mailbox(mailboxes, "dave", "INBOX", 1, NULL) == 0 &&
	   put_mailbox(mailboxes, "dave", "Old", 2,
		       "dave lrswipkxtea anyone p") == 0 &&
	   put_mailbox(mailboxes, "dave", "Shared", 2,
		       "dave lrswipkxtea erin lr -erin r anyone l") == 0 &&
	   put_mailbox(mailboxes, "erin", "Team", 2,
		       "erin lrswipkxtea dave lrs") == 0 &&
	   put_mailbox(mailboxes, "erin", "Broken", 2, "erin lr bogus") == 0 &&
	   put_mailbox(mailboxes, STORE_SHARED_OWNER, "board", 2,
		       "anyone lrs") == 0, "mailbox records of schema 1");
	db_env_close(&env);

	is_int(store_open(root, NULL, &st, &err), 0, "the new program opens it");
	if (st == NULL) {
		tap_diag(err);
	} else {
		is_str(granted(st, "erin"), "dave/Shared,many/box0000,"
		       "many/box0999,many/box1000,many/box1999,many/box2499",
		       "the upgrade indexed erin's grants, batch edges too");
		is_str(granted(st, "dave"), "erin/Team", "and dave's");
		is_str(granted(st, "anyone"), ".shared/board,dave/Shared",
		       "and anyone's; not the default lists, not a damaged one");
		store_close(&st);
	}
	is_int(store_open(root, NULL, &st, &err), 0, "opens again (no upgrade)");
	if (st != NULL) {
		is_str(granted(st, "dave"), "erin/Team", "same index");
		store_close(&st);
	}

	/* And a program that knows only schema 1 refuses it now. */
	is_int(db_env_open(&set, &env, &err), -1, "schema 1 program refused");
	ok(strstr(err, "newer") != NULL, "because the schema is newer");
	db_env_close(&env);
	buf_free(&home);
	buf_free(&value);
}

int main(void)
{
	char root[] = "/tmp/sealpost-grants-test-XXXXXX";
	char root2[] = "/tmp/sealpost-grants-up-XXXXXX";
	char root3[] = "/tmp/sealpost-grants-bad-XXXXXX";
	char cmd[300];

	if (mkdtemp(root) == NULL || mkdtemp(root2) == NULL ||
	    mkdtemp(root3) == NULL)
		abort();
	test_maintenance(root);
	test_upgrade(root2);
	test_upgrade_fails(root3);
	buf_free(&listed);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s", root, root2, root3);
	if (system(cmd) != 0)
		tap_diag("cleanup failed");
	return tap_done();
}
