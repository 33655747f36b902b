#ifndef SEALPOST_STORE_PRIVATE_H
#define SEALPOST_STORE_PRIVATE_H

/* Shared by the files that implement store.h; nothing else includes it. */

#include "store.h"
#include "quota.h"

struct db;
struct db_env;
struct db_txn;
struct event_timer;

struct store {
	char *state_dir;
	char *root;		/* state_dir/store */
	char *tmp;		/* state_dir/store/tmp */
	struct db_env *env;
	struct db *users;
	struct db *mailboxes;	/* "user\0name" -> id, uidvalidity, use */
	struct db *subscriptions;
	struct db *seen;	/* "user\0mailbox id" -> sorted UIDs */
	struct db *meta;	/* store-wide counters */
	struct db *quota;	/* user -> usage and limits (quota.h) */
	struct db *metadata;	/* annotations (store_metadata.h) */
	struct db *grants;	/* "id\0owner\0name": who may look up what
				 * (store_grants.c) */
	uint32_t last_uidvalidity;
	struct event_timer *watch;
	struct quota_defaults quota_defaults;
	unsigned int acl_max_entries;	/* acl_max_entries */
	bool keep_mailboxes;	/* store_keep_mailboxes() */
	/* Users whose quota warning is due (store_quota_warning_due()),
	 * each name followed by a NUL: a group commit may make several. */
	struct buf warn_users;
};

int store_fail(const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "user\0" followed by `name` (if not NULL). */
void store_key(struct buf *key, const char *user, const char *name);
int store_decode_mailbox(const struct store *st, const struct buf *key,
			 const struct buf *value, struct store_mailbox *mb,
			 const char **error_r);

/* Appends `item` to `b` with its length first, and takes the next such
 * item at *pos into `out` (1, or 0 at the end): how listings carry keys
 * and values out of a transaction. */
void store_list_put(struct buf *b, const struct buf *item);
int store_list_next(const struct buf *b, size_t *pos, struct buf *out);

/*
 * The grants index (store_grants.c), kept in the same transaction as every
 * write of a mailbox record: store_grants_update() replaces the entries of
 * mailbox `name` of `owner` made from the list `old_acl` (NULL: a new
 * mailbox) by those of `new_acl` (NULL: the mailbox goes);
 * store_grants_delete_user() removes those of every mailbox of `user`,
 * before their records go; store_grants_build() makes the entries of every
 * mailbox record (the schema upgrade that introduced the index) in
 * transactions of its own.
 */
int store_grants_update(struct store *st, struct db_txn *txn,
			const char *owner, const char *name,
			const char *old_acl, const char *new_acl,
			const char **error_r);
int store_grants_delete_user(struct store *st, struct db_txn *txn,
			     const char *user, const char **error_r);
int store_grants_build(struct store *st, const char **error_r);
/* The mailbox records the index names for any of `ids`, each once, in
 * key order: their keys and values in store_list_put()'s form. */
int store_grants_records(struct store *st, struct db_txn *txn,
			 const char *const *ids, size_t id_count,
			 struct buf *keys_r, struct buf *values_r,
			 const char **error_r);

/* Opens the quota database, registers the usage hook, and counts every
 * user once when the counters were never kept (a store made by an older
 * sealpost).  Called by store_open(). */
int store_quota_open(struct store *st, const char **error_r);
/* Inside a mailbox's or a user's deletion: removes the mailbox's
 * annotations (shared ones and `user`'s private ones), or every private
 * annotation of the user. */
int store_metadata_delete_mailbox(struct store *st, struct db_txn *txn,
				  const char *user, const char *id,
				  const char **error_r);
int store_metadata_delete_user(struct store *st, struct db_txn *txn,
			       const char *user, const char **error_r);

/* Takes a mailbox about to be removed (its record already gone) off its
 * user's usage.  A message appended to it by a session that still had it
 * open after the count stays counted until reconstruct: too high, never
 * too low.  Errors are logged. */
void store_quota_release_mailbox(struct store *st, const char *dir);

#endif
