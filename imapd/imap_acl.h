#ifndef SEALPOST_IMAP_ACL_H
#define SEALPOST_IMAP_ACL_H

/*
 * Namespaces and access rights at the IMAP edge (RFC 2342, RFC 4314).
 *
 * A client sees three namespaces, all with "/" as separator:
 *   - personal, prefix "": the user's own mailboxes;
 *   - other users, prefix "Other Users/": "Other Users/alice/Work" is
 *     alice's mailbox "Work", "Other Users/alice/INBOX" her INBOX;
 *   - shared, prefix "Shared/": the campus bulletin boards, kept in the
 *     store under STORE_SHARED_OWNER and owned by the configured admins.
 * A name naming only a namespace level ("Other Users", "Other Users/alice",
 * "Shared") is no mailbox: LIST shows it as a \Noselect parent of what the
 * user may see below it, and nothing can be created there.
 *
 * A mailbox the user holds no "l" right on answers every command exactly
 * as a mailbox that does not exist ([NONEXISTENT], absent from LIST), so
 * names do not leak; one the user may look up but lacks the command's
 * right for answers NO [NOPERM].
 */

#include <stdbool.h>

#include "acl.h"
#include "buf.h"
#include "store.h"

struct imap_client;

/* Where a client's name lives in the store. */
struct imap_mailbox_ref {
	char owner[STORE_USER_NAME_MAX + 1];
	char name[STORE_MAILBOX_NAME_MAX + 1];
};

/* Splits a checked client name (imap_mailbox_name_in()) into owner and
 * store name.  -1 when it names no mailbox anybody could have (a
 * namespace level, a user name that cannot exist). */
int imap_acl_ref(const struct imap_client *c, const char *name,
		 struct imap_mailbox_ref *ref);

/* Appends the name the client knows a store mailbox by (UTF-8). */
void imap_acl_external(const struct imap_client *c, const char *owner,
		       const char *name, struct buf *out);
/* The same, quoted as imap_mailbox_name_out() does. */
void imap_acl_name_out(const struct imap_client *c,
		       const struct store_mailbox *mb, struct buf *out);

/* Whether the logged-in user is one of auth_admins. */
bool imap_acl_is_admin(const struct imap_client *c);

/* The rights (ACL_*) the logged-in user holds on `mb`.  A damaged list
 * grants nothing and is logged. */
unsigned int imap_acl_rights(const struct imap_client *c,
			     const struct store_mailbox *mb);

/*
 * Looks a client's mailbox name up: 1 found and visible (*mb and *rights_r
 * filled), 0 no such mailbox or an invisible one (answer [NONEXISTENT]),
 * -1 a database error in *error_r (for imap_client_fail()).  `name` must
 * have passed imap_mailbox_name_in().
 */
int imap_acl_lookup(struct imap_client *c, const char *name,
		    struct store_mailbox *mb, unsigned int *rights_r,
		    const char **error_r);

/* The MBOX_* system flags of `flags` the rights let the user set or clear
 * (RFC 4314 section 4: \Seen needs "s", \Deleted "t", the others "w";
 * keywords need "w" too). */
uint32_t imap_acl_flags_allowed(unsigned int rights, uint32_t flags);

/*
 * Whether the user may create the mailbox `ref` names (CREATE, and the
 * new name of RENAME): "k" on its nearest existing parent, whose access
 * control list the new mailbox then inherits (*acl_r, ACL_TEXT_MAX + 1
 * bytes; empty for the default list).  With no existing parent, only the
 * owner may create in the personal namespace and only an admin in the
 * others.  1 allowed, 0 not, -1 database error.
 */
int imap_acl_may_create(struct imap_client *c,
			const struct imap_mailbox_ref *ref, char *acl_r,
			const char **error_r);

#endif
