/*
 * The grants index: which mailboxes an identifier may look up, so that a
 * LIST reaching the other users' and the shared namespaces reads only
 * those mailboxes instead of every user's list (store.h,
 * store_mailbox_list_granted()).
 *
 * Database "grants".  Key: identifier, NUL, owner, NUL, mailbox name;
 * value: record version 1 and nothing else (the key says it all).  One key
 * per entry of a mailbox's access control list, except
 *   - the owner's (the owner sees their mailboxes anyway, and their entry
 *     is in nearly every list),
 *   - "anyone" without "l" (every personal mailbox's default list gives
 *     "anyone" the "p" right, so indexing those would file every mailbox
 *     under "anyone" and save nothing), "-anyone", and "anonymous" with or
 *     without "-" (which never match a login).
 * So a user's entries, positive or negative, are all there: LIST looks up
 * the user and "anyone" (nobody else can see a mailbox, acl.h, except an
 * admin, who sees all of them and is left to read them all), and deleting
 * a user looks up the user and "-user" to take their entries out.
 *
 * Kept by hand, in the transaction of every function that writes a
 * mailbox record (store.c), rather than as a Berkeley DB secondary
 * database maintained by the library: the keys come from parsing the
 * list with acl.c and the store's record layout, which the database
 * wrapper must not know, and a secondary would have to be associated by
 * every process on every open, with a callback that cannot report an
 * error.  The writers are few and all in store.c.
 */
#include "store_private.h"
#include "db.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define STORE_GRANTS_RECORD_VERSION 1

static void store_grants_key(struct buf *key, const char *id,
			     const char *owner, const char *name)
{
	buf_clear(key);
	buf_append(key, id, strlen(id) + 1);
	buf_append(key, owner, strlen(owner) + 1);
	buf_append_str(key, name);
}

/* Whether entry `e` of a list of `owner`'s mailbox makes a key (see the
 * top). */
static bool store_grants_indexed(const struct acl_entry *e, const char *owner)
{
	const char *id = e->id[0] == '-' ? e->id + 1 : e->id;

	if (strcmp(e->id, owner) == 0 || strcmp(id, ACL_ANONYMOUS) == 0)
		return false;
	if (strcmp(id, ACL_ANYONE) == 0)
		return e->id[0] != '-' && (e->rights & ACL_L) != 0;
	return true;
}

/* The entries of `text` that make keys.  A damaged list grants nothing
 * (acl_rights() reads it so too), so it makes none. */
static void store_grants_ids(const char *owner, const char *text,
			     struct acl *acl)
{
	const char *error;
	size_t i, n = 0;

	if (text == NULL ||
	    acl_parse(text, strlen(text), acl, &error) < 0) {
		acl->count = 0;
		return;
	}
	for (i = 0; i < acl->count; i++) {
		if (store_grants_indexed(&acl->entries[i], owner))
			acl->entries[n++] = acl->entries[i];
	}
	acl->count = n;
}

int store_grants_update(struct store *st, struct db_txn *txn,
			const char *owner, const char *name,
			const char *old_acl, const char *new_acl,
			const char **error_r)
{
	struct acl *ids = xcalloc(2, sizeof(*ids));
	struct acl *old = &ids[0], *new = &ids[1];
	struct buf key = BUF_INIT, value = BUF_INIT;
	size_t i;
	int ret = 0;

	store_grants_ids(owner, old_acl, old);
	store_grants_ids(owner, new_acl, new);
	for (i = 0; ret >= 0 && i < old->count; i++) {
		if (acl_get(new, old->entries[i].id) >= 0)
			continue;
		store_grants_key(&key, old->entries[i].id, owner, name);
		ret = db_del(st->grants, txn, key.data, key.len, error_r);
	}
	db_record_init(&value, STORE_GRANTS_RECORD_VERSION);
	for (i = 0; ret >= 0 && i < new->count; i++) {
		if (acl_get(old, new->entries[i].id) >= 0)
			continue;
		store_grants_key(&key, new->entries[i].id, owner, name);
		ret = db_put(st->grants, txn, key.data, key.len, value.data,
			     value.len, error_r);
	}
	buf_free(&key);
	buf_free(&value);
	free(ids);
	return ret < 0 ? -1 : 0;
}

/* Calls store_grants_update() for the mailbox records `cur` gives, up to
 * `max` of them (0: all), taking each one's list out (`remove`) or
 * putting it in.  1 when it stopped at `max` with the last key in
 * `last`, 0 at the end, -1. */
static int store_grants_walk(struct store *st, struct db_txn *txn,
			     struct db_cursor *cur, bool remove, size_t max,
			     struct buf *last, const char **error_r)
{
	struct buf key = BUF_INIT, value = BUF_INIT;
	struct store_mailbox *mb = xcalloc(1, sizeof(*mb));
	size_t n = 0;
	int ret;

	while ((ret = db_cursor_next(cur, &key, &value, error_r)) == 1) {
		if (store_decode_mailbox(st, &key, &value, mb, error_r) < 0 ||
		    store_grants_update(st, txn, mb->owner, mb->name,
					remove ? mb->acl : NULL,
					remove ? NULL : mb->acl,
					error_r) < 0) {
			ret = -1;
			break;
		}
		if (max != 0 && ++n == max) {
			buf_clear(last);
			buf_append(last, key.data, key.len);
			break;
		}
	}
	buf_free(&key);
	buf_free(&value);
	free(mb);
	return ret;
}

int store_grants_delete_user(struct store *st, struct db_txn *txn,
			     const char *user, const char **error_r)
{
	struct buf prefix = BUF_INIT;
	struct db_cursor *cur = NULL;
	int ret;

	store_key(&prefix, user, NULL);
	ret = db_cursor_open(st->mailboxes, txn, prefix.data, prefix.len,
			     &cur, error_r);
	if (ret == 0)
		ret = store_grants_walk(st, txn, cur, true, 0, NULL, error_r);
	db_cursor_free(&cur);
	buf_free(&prefix);
	return ret < 0 ? -1 : 0;
}

/* The build goes in transactions of this many mailbox records: one over a
 * whole campus store would hold a read lock on every page of the mailbox
 * list at once, more than the lock table has. */
#define STORE_GRANTS_BUILD_BATCH 1000

struct store_grants_build_ctx {
	struct store *st;
	struct buf start;	/* the first key of this batch */
	struct buf last;	/* the last key of this batch */
	bool more;
};

static int store_grants_build_txn(struct db_txn *txn, unsigned int attempt,
				  void *ctx, const char **error_r)
{
	struct store_grants_build_ctx *b = ctx;
	struct db_cursor *cur = NULL;
	int ret;

	ret = db_cursor_open_from(b->st->mailboxes, txn, b->start.data,
				  b->start.len, &cur, error_r);
	if (ret == 0)
		ret = store_grants_walk(b->st, txn, cur, false,
					STORE_GRANTS_BUILD_BATCH, &b->last,
					error_r);
	db_cursor_free(&cur);
	b->more = ret == 1;
	return ret < 0 ? -1 : 0;
}

/*
 * Each batch commits on its own, unlike the rest of the schema upgrade:
 * the upgrade's transaction holds the schema record, so every other
 * process waits in its open and nothing else writes a mailbox record
 * meanwhile.  If the upgrade fails, a later one builds again; entries
 * left by the failed one are either made again or name records that have
 * gone, which the readers skip (the index may name more than it must).
 * The upgrade's own commit is durable and comes after these in the log,
 * so it makes them durable too.
 */
int store_grants_build(struct store *st, const char **error_r)
{
	struct store_grants_build_ctx b = { st, BUF_INIT, BUF_INIT, true };
	int ret = 0;

	while (ret == 0 && b.more) {
		ret = db_txn_run_deferred(st->env, store_grants_build_txn, &b,
					  error_r);
		/* The next batch starts just after the last key. */
		buf_clear(&b.start);
		buf_append(&b.start, b.last.data, b.last.len);
		buf_append_char(&b.start, '\0');
	}
	buf_free(&b.start);
	buf_free(&b.last);
	return ret;
}

/* store_mailbox_list_granted() collects in the transaction and calls back
 * after it, as store_mailbox_list() does. */
struct store_granted_ctx {
	struct store *st;
	const char *const *ids;
	size_t id_count;
	struct buf keys;	/* the mailbox records found */
	struct buf values;
};

struct store_granted_ref {
	const char *data;
	size_t len;
};

static int store_granted_cmp(const void *a, const void *b)
{
	const struct store_granted_ref *x = a, *y = b;
	int c = memcmp(x->data, y->data, x->len < y->len ? x->len : y->len);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The mailbox keys the index gives for every identifier, into `found`
 * (store_list_put()'s form). */
static int store_grants_find(struct store *st, struct db_txn *txn,
			     const char *const *ids, size_t id_count,
			     struct buf *found, const char **error_r)
{
	struct buf prefix = BUF_INIT, key = BUF_INIT, value = BUF_INIT,
		   mkey = BUF_INIT;
	struct db_cursor *cur = NULL;
	size_t i;
	int ret = 0;

	buf_clear(found);
	for (i = 0; ret == 0 && i < id_count; i++) {
		buf_clear(&prefix);
		buf_append(&prefix, ids[i], strlen(ids[i]) + 1);
		ret = db_cursor_open(st->grants, txn, prefix.data,
				     prefix.len, &cur, error_r);
		while (ret == 0 && (ret = db_cursor_next(cur, &key, &value,
							 error_r)) == 1) {
			ret = 0;
			if (memchr(key.data + prefix.len, '\0',
				   key.len - prefix.len) == NULL) {
				ret = store_fail(error_r, "corrupt grants "
						 "record");
				break;
			}
			buf_clear(&mkey);
			buf_append(&mkey, key.data + prefix.len,
				   key.len - prefix.len);
			store_list_put(found, &mkey);
		}
		db_cursor_free(&cur);
	}
	buf_free(&prefix);
	buf_free(&key);
	buf_free(&value);
	buf_free(&mkey);
	return ret < 0 ? -1 : 0;
}

int store_grants_records(struct store *st, struct db_txn *txn,
			 const char *const *ids, size_t id_count,
			 struct buf *keys_r, struct buf *values_r,
			 const char **error_r)
{
	struct store_granted_ref *refs = NULL;
	struct buf found = BUF_INIT, key = BUF_INIT, value = BUF_INIT;
	size_t pos = 0, n = 0, i;
	int ret;

	buf_clear(keys_r);
	buf_clear(values_r);
	if (store_grants_find(st, txn, ids, id_count, &found, error_r) < 0) {
		buf_free(&found);
		return -1;
	}
	/* One mailbox may be there for several identifiers: sorted, the
	 * repeats sit together. */
	while (pos < found.len) {
		uint32_t len;

		refs = xrealloc(refs, (n + 1) * sizeof(*refs));
		memcpy(&len, found.data + pos, sizeof(len));
		refs[n].data = found.data + pos + sizeof(len);
		refs[n].len = len;
		pos += sizeof(len) + len;
		n++;
	}
	if (n > 1)
		qsort(refs, n, sizeof(*refs), store_granted_cmp);
	ret = 0;
	for (i = 0; ret == 0 && i < n; i++) {
		if (i > 0 && store_granted_cmp(&refs[i - 1], &refs[i]) == 0)
			continue;
		ret = db_get(st->mailboxes, txn, refs[i].data, refs[i].len,
			     &value, error_r);
		/* Written in the same transactions as the records, the
		 * index never names a missing one; if it did, it is no
		 * mailbox to show. */
		if (ret == 1) {
			buf_clear(&key);
			buf_append(&key, refs[i].data, refs[i].len);
			store_list_put(keys_r, &key);
			store_list_put(values_r, &value);
		}
		ret = ret < 0 ? -1 : 0;
	}
	free(refs);
	buf_free(&found);
	buf_free(&key);
	buf_free(&value);
	return ret;
}

static int store_granted_txn(struct db_txn *txn, unsigned int attempt,
			     void *ctx, const char **error_r)
{
	struct store_granted_ctx *g = ctx;

	return store_grants_records(g->st, txn, g->ids, g->id_count, &g->keys,
				    &g->values, error_r);
}

int store_mailbox_list_granted(struct store *st, const char *const *ids,
			       size_t id_count,
			       void (*fn)(void *ctx,
					  const struct store_mailbox *mb),
			       void *ctx, const char **error_r)
{
	struct store_granted_ctx g = { st, ids, id_count, BUF_INIT, BUF_INIT };
	struct buf key = BUF_INIT, value = BUF_INIT;
	struct store_mailbox *mb = xcalloc(1, sizeof(*mb));
	size_t kpos = 0, vpos = 0;
	int ret;

	ret = db_txn_run(st->env, store_granted_txn, &g, error_r);
	while (ret == 0 && store_list_next(&g.keys, &kpos, &key) &&
	       store_list_next(&g.values, &vpos, &value)) {
		if (store_decode_mailbox(st, &key, &value, mb, error_r) < 0)
			ret = -1;
		else
			fn(ctx, mb);
	}
	buf_free(&key);
	buf_free(&value);
	buf_free(&g.keys);
	buf_free(&g.values);
	free(mb);
	return ret;
}
