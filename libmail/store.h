#ifndef SEALPOST_STORE_H
#define SEALPOST_STORE_H

/*
 * The mail store: users and their mailboxes.  The list of users, the
 * mailbox list (name -> ID, UIDVALIDITY, special use), subscriptions,
 * quotas (usage counters and limits) and annotations (store_metadata.h)
 * live in the Berkeley DB environment
 * `state_dir/db`; each mailbox's messages live in `state_dir/store/USER/ID`
 * (see mbox.h).  Mailbox names never reach the filesystem: a folder is
 * named by its random ID, so a name can be deleted and created again at
 * once, renamed with all its children in one transaction, and no name a
 * client sends can point outside the store.
 *
 * Names use "/" as the hierarchy separator.  "INBOX" is case-insensitive
 * (any case is stored as INBOX); other names are case-sensitive UTF-8.
 *
 * Delivery de-duplication is not here but in each mailbox (see
 * mbox_new_message.delivery_hash): only there can "already delivered" be
 * decided in the same atomic step as the delivery itself, which is what
 * makes a delivery retried after a crash land exactly once.
 *
 * Shared by lmtpd, imapd, pop3d and the sealpost command; may block on
 * disk and on the database's locks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "acl.h"
#include "buf.h"
#include "mbox.h"

#define STORE_MAILBOX_NAME_MAX 255
#define STORE_USER_NAME_MAX 64
#define STORE_ID_SIZE 17	/* 16 hex digits and a NUL */

/* RFC 6154 special-use attributes. */
#define STORE_SPECIAL_DRAFTS  0x01u
#define STORE_SPECIAL_SENT    0x02u
#define STORE_SPECIAL_TRASH   0x04u
#define STORE_SPECIAL_JUNK    0x08u
#define STORE_SPECIAL_ARCHIVE 0x10u

/*
 * The owner under which the shared mailboxes (campus bulletin boards) are
 * kept: a name no user can have (user names never start with '.').  The
 * configured admins own them (acl.h).
 */
#define STORE_SHARED_OWNER ".shared"

struct store;

struct store_mailbox {
	char owner[STORE_USER_NAME_MAX + 1];	/* or STORE_SHARED_OWNER */
	char name[STORE_MAILBOX_NAME_MAX + 1];
	char id[STORE_ID_SIZE];
	uint32_t uidvalidity;
	unsigned int special_use;
	/* The access control list in acl_parse()'s form, kept in the
	 * mailbox record (so a rename carries it and a delete removes it);
	 * a record without one reads as acl_default()'s list. */
	char acl[ACL_TEXT_MAX + 1];
};

/* Whether `owner` is STORE_SHARED_OWNER. */
bool store_owner_is_shared(const char *owner);

struct store_settings;

/* Opens the store in `state_dir` with the configuration's `set` (NULL:
 * no default limits, no warnings, no watch on stuck database calls),
 * creating the database and folders on first use.  One per process. */
int store_open(const char *state_dir, const struct store_settings *set,
	       struct store **st_r, const char **error_r);
void store_close(struct store **st);

struct event_loop;

/*
 * Keeps a long-running daemon's store healthy: once a second it asks the
 * database to clean up after processes that died holding its locks
 * (failchk).  When one died inside the library, the database can only be
 * recovered once every process has closed it; the daemon then logs it and
 * exits with STORE_EXIT_RECOVERY.  The master then kills every other
 * worker too (one may be blocked inside the library, waiting on the dead
 * process's lock while it holds a mailbox's lock, where no timer of its
 * own can reach it) and restarts them all; the first process to open the
 * store again runs recovery.  Without this an idle daemon would keep the
 * database open and every other process would wait for it for ever.
 * store_close() stops the watch.
 *
 * The same exit ends a process whose own call into the database has
 * waited database_stuck_timeout (store_open() sets up that watch,
 * db_set_stuck_handler): a call blocked on a dead process's lock never
 * returns, and when every process using the store is blocked so, or the
 * blocked one is the only one, nobody else's failchk would notice.
 */
#define STORE_EXIT_RECOVERY 76
void store_watch(struct store *st, struct event_loop *loop);

/* Checks a user name: 1 to 64 of [a-z0-9._-], not starting with '.' or
 * '-'.  0 or -1 with a reason. */
int store_user_name_check(const char *name, const char **error_r);

/* Creates the user with INBOX and the special-use folders Drafts, Sent,
 * Trash, Junk and Archive.  -1 if the user exists. */
int store_user_add(struct store *st, const char *user, const char **error_r);
/* Removes the user and every mailbox, subscription and seen set of
 * theirs, and their entries in every access control list (reads every
 * mailbox record). */
int store_user_del(struct store *st, const char *user, const char **error_r);
/* 1 exists, 0 not, -1 error. */
int store_user_exists(struct store *st, const char *user,
		      const char **error_r);
/* Calls `fn` for each user in name order. */
int store_user_list(struct store *st, void (*fn)(void *ctx, const char *user),
		    void *ctx, const char **error_r);

/* Checks and normalises a mailbox name into `out` (INBOX in any case
 * becomes INBOX): no empty components ("a//b", leading or trailing "/"),
 * no "." or ".." components, no control characters or NUL, valid UTF-8,
 * at most STORE_MAILBOX_NAME_MAX bytes. */
int store_mailbox_name_check(const char *name,
			     char out[STORE_MAILBOX_NAME_MAX + 1],
			     const char **error_r);

/* Creates a mailbox (its parents need not exist, as in IMAP).  -1 with
 * *exists_r set when the name is taken. */
int store_mailbox_create(struct store *st, const char *user, const char *name,
			 unsigned int special_use, bool *exists_r,
			 const char **error_r);
/* The same with the mailbox's access control list (acl_parse()'s form;
 * NULL: the default list).  CREATE uses it to give a new mailbox its
 * parent's list (RFC 4314 section 4). */
int store_mailbox_create_acl(struct store *st, const char *user,
			     const char *name, unsigned int special_use,
			     const char *acl, bool *exists_r,
			     const char **error_r);
/* Changes the access control list of a mailbox: `id`'s entry gets
 * `rights` as `mod` says, or, with `remove`, is deleted.  One
 * transaction.  1 done (*acl_r, when not NULL, is the new list), 0 no such
 * mailbox, -1 error (a full list, database errors). */
int store_mailbox_acl_change(struct store *st, const char *user,
			     const char *name, const char *id,
			     enum acl_mod mod, unsigned int rights,
			     bool remove, struct acl *acl_r,
			     const char **error_r);
/* Deletes one mailbox (not its children).  Its messages go at once. */
int store_mailbox_delete(struct store *st, const char *user, const char *name,
			 const char **error_r);
/* Renames a mailbox and all its children in one transaction. */
int store_mailbox_rename(struct store *st, const char *user, const char *from,
			 const char *to, const char **error_r);
/* 1 found (filling *mb), 0 no such mailbox, -1 error. */
int store_mailbox_lookup(struct store *st, const char *user, const char *name,
			 struct store_mailbox *mb, const char **error_r);
/* Calls `fn` for each mailbox of `user`, in name order. */
int store_mailbox_list(struct store *st, const char *user,
		       void (*fn)(void *ctx, const struct store_mailbox *mb),
		       void *ctx, const char **error_r);
/*
 * The mailboxes whose access control list has an entry for one of `ids`
 * (user names, with or without "-"; for "anyone", a positive entry
 * holding "l"), other than the owner's own entry: looking up a user and
 * "anyone" gives every mailbox of another owner that a user who is not an
 * admin could see (acl.h), found in an index instead of reading every
 * user's list.  A superset: the list itself still decides
 * (acl_rights()).  Calls `fn` once per mailbox, in owner and name order.
 * The cost grows with the number of such entries, not with the number of
 * users.
 */
int store_mailbox_list_granted(struct store *st, const char *const *ids,
			       size_t id_count,
			       void (*fn)(void *ctx,
					  const struct store_mailbox *mb),
			       void *ctx, const char **error_r);
/* The folder of a mailbox (a new string). */
char *store_mailbox_dir(const struct store *st, const char *user,
			const char *id);
/* Opens a mailbox by name.  1 opened, 0 no such mailbox, -1 error. */
int store_mailbox_open(struct store *st, const char *user, const char *name,
		       struct mbox **mb_r, const char **error_r);
/* From now on store_mailbox_open() hands out shared handles, and up to
 * `n` mailboxes with no holder stay open (mbox_shared_keep()): for a
 * process that opens the same few mailboxes over and over, each for one
 * call (lmtpd).  0: each open is the mailbox's own, closed with it. */
void store_keep_mailboxes(struct store *st, unsigned int n);

/* Subscriptions (RFC 9051 section 6.3.7): a set of names per user, which
 * need not name existing mailboxes.  Names are checked and normalised as
 * mailbox names.  store_unsubscribe() returns 1 when the name was
 * subscribed, 0 when it was not, -1 on errors. */
int store_subscribe(struct store *st, const char *user, const char *name,
		    const char **error_r);
int store_unsubscribe(struct store *st, const char *user, const char *name,
		      const char **error_r);
/* Calls `fn` for each subscribed name of `user`, in name order. */
int store_list_subscriptions(struct store *st, const char *user,
			     void (*fn)(void *ctx, const char *name),
			     void *ctx, const char **error_r);

/*
 * Each reader's own \Seen on the shared mailboxes (the boards): a sorted
 * set of UIDs per user and mailbox ID, while the other flags stay shared
 * in the mailbox.  store_seen_get() fills *uids_r (malloc'd, NULL when
 * empty) and *count_r; store_seen_change() adds (`add`) or removes
 * `uids` (ascending) in one transaction and returns the new set the same
 * way.  A set costs four bytes per seen message.  The sets of a deleted
 * mailbox stay until their user is deleted: IDs are never reused, so
 * nothing reads them again.  0 or -1.
 */
int store_seen_get(struct store *st, const char *user, const char *id,
		   uint32_t **uids_r, size_t *count_r, const char **error_r);
int store_seen_change(struct store *st, const char *user, const char *id,
		      const uint32_t *uids, size_t count, bool add,
		      uint32_t **uids_r, size_t *count_r,
		      const char **error_r);

/* Sums the messages and bytes of all of `user`'s mailboxes by reading
 * every index (cost grows with the number of messages): what reconstruct
 * recounts the quota counters from. */
int store_user_usage(struct store *st, const char *user, uint64_t *bytes_r,
		     uint64_t *messages_r, const char **error_r);

/*
 * Quotas (RFC 9208, arithmetic in quota.h).  One quota root per user,
 * covering their whole hierarchy.  The usage counters live in the
 * database and change with every append and expunge through the mailbox
 * usage hook (see mbox_set_usage_hook() for the order and why a crash can
 * only leave them too high), with a deleted mailbox's contents, and are
 * recounted by store_quota_recount().  Reading them costs one lookup.
 */
struct quota_record;
struct quota_limits;

/* The user's record and the limits in force.  1, 0 no such user, -1. */
int store_quota_get(struct store *st, const char *user,
		    struct quota_record *q_r, struct quota_limits *lim_r,
		    const char **error_r);
/* Sets the limit fields (storage_set, storage_kb, messages_set,
 * messages_limit) of the user's record from `limits`; usage stays.
 * 1 done, 0 no such user, -1. */
int store_quota_set(struct store *st, const char *user,
		    const struct quota_record *limits, const char **error_r);
/* Recounts the user's usage from the mailboxes' indexes and stores it;
 * the old and new values come back in *old_r and *new_r (may be NULL).
 * Changes made while it counts may be missed: run it on a quiet store. */
int store_quota_recount(struct store *st, const char *user,
			struct quota_record *old_r, struct quota_record *new_r,
			const char **error_r);
/* Whether a change since the last call took `user` to the warning level
 * (quota_warn_percent); true once per crossing.  Clears it. */
bool store_quota_warning_due(struct store *st, const char *user);

/* Removes a folder tree of the store (a deleted mailbox's remains): first
 * renamed aside, so a half-removed folder is never seen under its name. */
void store_discard_dir(const char *dir);

/* The folder where deliveries write message files before they are linked
 * into mailboxes (same filesystem). */
const char *store_tmp_dir(const struct store *st);
/* Removes the files of store_tmp_dir() named PREFIX.PID.N (one of the
 * NULL-terminated `prefixes`) whose process no longer runs (or is the
 * caller, whose PID a process before it had): a daemon
 * killed between writing a message and storing it never acknowledged it,
 * and nobody else knows the file.  Run by a daemon as it starts. */
void store_clean_tmp(const struct store *st, const char *const *prefixes);
/* The store's root folder (state_dir/store). */
const char *store_root(const struct store *st);

#endif
