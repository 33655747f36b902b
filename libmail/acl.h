#ifndef SEALPOST_ACL_H
#define SEALPOST_ACL_H

/*
 * Access control lists (RFC 4314): the rights, the identifiers, the text
 * form kept in the mailbox record, and who holds which right.  Pure logic:
 * no database, no protocol; the store keeps the text, imapd, lmtpd, pop3d
 * and the sealpost command ask acl_rights() before they touch a mailbox.
 *
 * Identifiers are user names (as store_user_name_check() allows them),
 * "anyone" (every logged-in user) and "anonymous" (an anonymous login,
 * which sealpost has none of: accepted in a list, it never matches).  A
 * leading "-" makes a negative entry, whose rights are taken away from
 * what the positive entries give (RFC 4314 section 2).
 *
 * Who holds what, in this order:
 *   - the positive entries naming the user or "anyone", together;
 *   - less the negative entries naming the user or "-anyone";
 *   - the owner of a personal mailbox always holds "l" and "a", so no ACL
 *     can lock them out of their own mailbox;
 *   - a configured admin holds "l" and "a" on every mailbox, and every
 *     right on the shared namespace, whose mailboxes the admins own.
 * A mailbox whose record carries no list yet (created before ACLs) has
 * the default list, which new mailboxes get too: every right for the
 * owner of a personal mailbox and "p" for anyone (so user+detail mail
 * reaches the folder), "lrs" for anyone on a shared one.
 *
 * Delivery (LMTP) knows no authenticated sender: the envelope sender is
 * whatever the sending server claimed.  So posting is decided by the
 * "anyone" entries alone (acl_post_allowed()).
 */

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define ACL_L 0x001u	/* lookup: visible to LIST, may be subscribed */
#define ACL_R 0x002u	/* read: SELECT, EXAMINE, STATUS, FETCH, COPY from */
#define ACL_S 0x004u	/* keep \Seen */
#define ACL_W 0x008u	/* write the other flags */
#define ACL_I 0x010u	/* insert: APPEND, COPY and MOVE into */
#define ACL_P 0x020u	/* post: LMTP delivery */
#define ACL_K 0x040u	/* create mailboxes below */
#define ACL_X 0x080u	/* delete or rename the mailbox */
#define ACL_T 0x100u	/* keep \Deleted */
#define ACL_E 0x200u	/* expunge */
#define ACL_A 0x400u	/* administer: SETACL, DELETEACL, GETACL, LISTRIGHTS */
#define ACL_ALL 0x7ffu

/* The rights in the order they are printed (RFC 4314 section 2.1). */
#define ACL_RIGHT_LETTERS "lrswipkxtea"

/* Entries one list may hold; a longer list is refused by acl_set().  The
 * store may be set to allow fewer (acl_max_entries). */
#define ACL_MAX_ENTRIES 32
/* The error of a list that would grow past its limit (IMAP: [LIMIT]). */
#define ACL_TOO_MANY "Too many entries in the access control list"
/* Room for a rights string: the 11 rights, "c", "d" and a NUL. */
#define ACL_RIGHTS_SIZE 16
/* The longest identifier: "-" and a 64-byte user name. */
#define ACL_ID_MAX 65

/* The longest stored form: each entry is an identifier, a space, up to
 * 11 rights and a separating space. */
#define ACL_TEXT_MAX (ACL_MAX_ENTRIES * (ACL_ID_MAX + 13))

#define ACL_ANYONE "anyone"
#define ACL_ANONYMOUS "anonymous"

struct acl_entry {
	char id[ACL_ID_MAX + 1];	/* with its "-" when negative */
	unsigned int rights;
};

struct acl {
	size_t count;
	struct acl_entry entries[ACL_MAX_ENTRIES];
};

/* How acl_set() applies its rights (RFC 4314 section 3.1: "+" adds, "-"
 * removes, neither replaces). */
enum acl_mod {
	ACL_MOD_REPLACE,
	ACL_MOD_ADD,
	ACL_MOD_REMOVE,
};

/*
 * Parses a rights string: the letters of ACL_RIGHT_LETTERS in any order,
 * and the obsolete "c" (taken as "k") and "d" (taken as "x", "t" and "e")
 * of RFC 4314 section 2.1.1; repeats are harmless.  An empty string is no
 * rights.  Returns 0, or -1 with a fixed *error_r naming the first
 * unknown letter's problem.
 */
int acl_rights_parse(const char *s, unsigned int *rights_r,
		     const char **error_r);

/* Writes `rights` in canonical order, adding "c" when "k" is held and "d"
 * when any of "x", "t", "e" is (section 2.1.1), into `out`. */
void acl_rights_format(unsigned int rights, char out[ACL_RIGHTS_SIZE]);
/* The same without the obsolete letters (the stored form, the CLI). */
void acl_rights_format_plain(unsigned int rights, char out[ACL_RIGHTS_SIZE]);

/* Checks an identifier: a user name, "anyone" or "anonymous", with an
 * optional leading "-".  0, or -1 with a fixed *error_r. */
int acl_identifier_check(const char *id, const char **error_r);

/* The default list of a mailbox (see above): "OWNER lrswipkxtea anyone
 * p" for a personal mailbox (`owner` non-NULL), "anyone lrs" for a shared
 * one (`owner` NULL). */
void acl_default(struct acl *acl, const char *owner);

/* Parses the stored form: "id rights" pairs separated by single spaces
 * ("alice lrswipkxtea anyone lr -bob w").  Empty text is an empty list.
 * 0, or -1 with a fixed *error_r for damaged text. */
int acl_parse(const char *text, size_t len, struct acl *acl,
	      const char **error_r);
/* Appends the stored form of `acl` to `out`. */
void acl_format(const struct acl *acl, struct buf *out);

/* The rights of entry `id` (exact), or -1 when it has none. */
int acl_get(const struct acl *acl, const char *id);

/* Changes the entry of `id` (already checked).  An entry left with no
 * rights is removed.  0, or -1 with *error_r when a new entry would take
 * the list over ACL_MAX_ENTRIES. */
int acl_set(struct acl *acl, const char *id, enum acl_mod mod,
	    unsigned int rights, const char **error_r);
/* Removes the entry of `id`: true when there was one. */
bool acl_delete(struct acl *acl, const char *id);

/* Who is asking, about whose mailbox. */
struct acl_subject {
	const char *user;	/* the logged-in user */
	const char *owner;	/* the mailbox's owner; NULL: shared */
	bool admin;		/* user is a configured admin */
};

/* The rights `who` holds under `acl` (see the top of this file). */
unsigned int acl_rights(const struct acl *acl, const struct acl_subject *who);

/* Whether the stored list `text` lets a delivery in: "p" for anyone,
 * less "-anyone" (see above).  A damaged list lets nothing in. */
bool acl_post_allowed(const char *text);

/*
 * LISTRIGHTS (RFC 4314 section 3.7) for identifier `id` on a mailbox of
 * `owner` (NULL: shared): the rights always granted to it, as a string,
 * into `always`; the others may be granted one at a time.
 */
void acl_listrights(const char *id, const char *owner, bool id_is_admin,
		    char always[ACL_RIGHTS_SIZE]);

#endif
