#ifndef SEALPOST_AUTH_NAME_H
#define SEALPOST_AUTH_NAME_H

/*
 * Kerberos principals and the local user names they map to.
 *
 * DESIGN principle 2: a principal of the local realm, `alice@REALM`, is the
 * local user `alice`.  A principal of a realm listed in auth_foreign_realms
 * keeps its realm, `bob@OTHER.EDU` is the user `bob@OTHER.EDU`, so a foreign
 * realm can never speak for a local user of the same name.  Every other
 * realm is refused.  Principals with an instance (`alice/admin`,
 * `WELLKNOWN/ANONYMOUS`) are refused too: an administrative or service
 * identity is not a mailbox owner, and mapping it to `alice` would let
 * whoever holds alice/admin read alice's mail without alice's password.
 *
 * User names reach the filesystem (mailbox paths) and the logs, so they are
 * held to a small alphabet: a letter or digit, then letters, digits, '.',
 * '_' and '-', at most AUTH_NAME_MAX bytes.  No '/', no "..", no control
 * bytes, no quoting games; a principal that needs Kerberos escapes ('\\')
 * is refused rather than unescaped.
 */

#include <stdbool.h>
#include <stddef.h>

#define AUTH_NAME_MAX 64
#define AUTH_REALM_MAX 255
/* name '@' realm, plus the terminator */
#define AUTH_USER_SIZE (AUTH_NAME_MAX + 1 + AUTH_REALM_MAX + 1)

/* The realms a service accepts, borrowed from the settings. */
struct auth_realms {
	const char *local;	/* the local realm, never empty */
	const char *foreign;	/* space- or comma-separated list; "" = none */
};

struct auth_name {
	char name[AUTH_NAME_MAX + 1];	/* the principal's one component */
	char realm[AUTH_REALM_MAX + 1];
	char user[AUTH_USER_SIZE];	/* the local user it maps to */
};

/* Whether `name` is a valid user name component (see above). */
bool auth_name_valid(const char *name);

/* Whether `realm` is made of the characters realms use in practice:
 * letters, digits, '.', '-', at most AUTH_REALM_MAX bytes. */
bool auth_name_realm_valid(const char *realm);

/*
 * Maps the principal `principal` ("alice@REALM", as gss_display_name or
 * krb5_unparse_name print it) to a user.  Returns 0 and fills *name_r, or
 * -1 with a static reason in *error_r ("instance", "bad name", "foreign
 * realm", ...) for the log.  Never reveals anything to a client: callers
 * turn every -1 into the same failure.
 */
int auth_name_from_principal(const char *principal,
			     const struct auth_realms *realms,
			     struct auth_name *name_r, const char **error_r);

/*
 * Maps what a user typed as a login name (PLAIN authcid, LOGIN user name):
 * "alice" means alice in the local realm; "alice@REALM" names the realm
 * explicitly and is then treated like a principal.
 */
int auth_name_from_login(const char *login, const struct auth_realms *realms,
			 struct auth_name *name_r, const char **error_r);

/*
 * Whether a user mapped by auth_name_from_*() as `user` may act as `authzid`
 * (RFC 4422 section 3.4.1).  An empty authzid or one equal to the user is
 * always allowed; anything else only for a user listed in `admins` (space-
 * or comma-separated), and only when `authzid` itself is a valid user name
 * (a local name, or name@realm of an accepted realm).  On success
 * *authz_user_r points to the user to log in as (`user` or `authzid`).
 */
int auth_name_authorize(const char *user, const char *authzid,
			const char *admins, const struct auth_realms *realms,
			const char **authz_user_r, const char **error_r);

/* Whether `word` is one of the space- or comma-separated words of `list`
 * (exact, case-sensitive match). */
bool auth_name_list_contains(const char *list, const char *word);

#endif
