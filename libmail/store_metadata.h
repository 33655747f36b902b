#ifndef SEALPOST_STORE_METADATA_H
#define SEALPOST_STORE_METADATA_H

/*
 * Annotations (RFC 5464 METADATA) on the server and on mailboxes, kept in
 * the store's database ("metadata"), one record per entry:
 *
 *   key    owner "\0" target "\0" entry
 *   value  record version 1, then the value's bytes
 *
 * `target` is the mailbox's ID (so annotations follow a RENAME without
 * being touched) or "" for server annotations; `owner` is the user for a
 * /private entry and "" for a /shared one, which has one value for
 * everyone who may see the mailbox (or the server).  Entry names are kept
 * in lower case: RFC 5464 makes them case-insensitive.  Deleting a mailbox
 * deletes its entries, deleting a user their private ones.
 */

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct store;

#define STORE_METADATA_ENTRY_MAX 255

/* Checks an entry name (RFC 5464 section 3.2): "/private/..." or
 * "/shared/..." with at least one more component, printable ASCII without
 * "*" or "%", no "//", no trailing "/", at most STORE_METADATA_ENTRY_MAX
 * bytes.  Writes it lower-cased into `out`.  0, or -1 with a reason. */
int store_metadata_entry_check(const char *entry,
			       char out[STORE_METADATA_ENTRY_MAX + 1],
			       const char **error_r);

struct store_metadata_set {
	const char *entry;	/* checked, lower-cased */
	const void *value;	/* NULL: remove the entry */
	size_t value_len;
};

/* Sets or removes `count` entries of `target` (a mailbox ID, or "" for
 * the server) for `user`, all or none, in one transaction.  With
 * `max_entries` non-zero, returns 0 and sets *too_many_r, changing
 * nothing, when the target would hold more entries than that (private
 * entries of every user and shared ones together).  0 or -1. */
int store_metadata_set(struct store *st, const char *user, const char *target,
		       const struct store_metadata_set *sets, size_t count,
		       unsigned int max_entries, bool *too_many_r,
		       const char **error_r);

/* Calls `fn` for each existing entry of `target` visible to `user` that
 * is `entry` or below it, at most `depth` levels below (UINT_MAX: any),
 * in name order. */
typedef void store_metadata_fn(void *ctx, const char *entry,
			       const void *value, size_t value_len);
int store_metadata_get(struct store *st, const char *user, const char *target,
		       const char *entry, unsigned int depth,
		       store_metadata_fn *fn, void *ctx, const char **error_r);

#endif
