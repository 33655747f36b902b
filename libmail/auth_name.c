#include "auth_name.h"
#include "buf.h"

#include <string.h>

static bool auth_name_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool auth_name_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > AUTH_NAME_MAX || !auth_name_is_alnum(name[0]))
		return false;
	for (i = 1; i < len; i++) {
		char c = name[i];

		if (!auth_name_is_alnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

bool auth_name_realm_valid(const char *realm)
{
	size_t len = strlen(realm), i;

	if (len == 0 || len > AUTH_REALM_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!auth_name_is_alnum(realm[i]) && realm[i] != '.' &&
		    realm[i] != '-')
			return false;
	}
	return true;
}

bool auth_name_list_contains(const char *list, const char *word)
{
	size_t wlen = strlen(word);
	const char *p = list;

	if (wlen == 0)
		return false;
	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == wlen && memcmp(p, word, n) == 0)
			return true;
		p += n;
	}
	return false;
}

int auth_name_from_principal(const char *principal,
			     const struct auth_realms *realms,
			     struct auth_name *name_r, const char **error_r)
{
	const char *at = strchr(principal, '@');
	size_t nlen;

	memset(name_r, 0, sizeof(*name_r));
	/* Kerberos escapes would let "a\@b@R" or "a\/b@R" pass as one
	 * component; we refuse them instead of unescaping. */
	if (strchr(principal, '\\') != NULL) {
		*error_r = "escaped principal";
		return -1;
	}
	if (at == NULL || strchr(at + 1, '@') != NULL) {
		*error_r = "no single realm";
		return -1;
	}
	nlen = (size_t)(at - principal);
	if (memchr(principal, '/', nlen) != NULL) {
		*error_r = "instance";
		return -1;
	}
	if (nlen > AUTH_NAME_MAX) {
		*error_r = "bad name";
		return -1;
	}
	memcpy(name_r->name, principal, nlen);
	name_r->name[nlen] = '\0';
	if (!auth_name_valid(name_r->name)) {
		*error_r = "bad name";
		return -1;
	}
	if (str_copy(name_r->realm, sizeof(name_r->realm), at + 1) < 0 ||
	    !auth_name_realm_valid(name_r->realm)) {
		*error_r = "bad realm";
		return -1;
	}
	if (strcmp(name_r->realm, realms->local) == 0) {
		(void)str_copy(name_r->user, sizeof(name_r->user),
			       name_r->name);
		return 0;
	}
	if (!auth_name_list_contains(realms->foreign, name_r->realm)) {
		*error_r = "foreign realm";
		return -1;
	}
	if (str_format(name_r->user, sizeof(name_r->user), "%s@%s",
		       name_r->name, name_r->realm) < 0) {
		*error_r = "bad name";
		return -1;
	}
	return 0;
}

int auth_name_from_login(const char *login, const struct auth_realms *realms,
			 struct auth_name *name_r, const char **error_r)
{
	char principal[AUTH_USER_SIZE];

	if (strchr(login, '@') != NULL) {
		if (str_copy(principal, sizeof(principal), login) < 0) {
			memset(name_r, 0, sizeof(*name_r));
			*error_r = "bad name";
			return -1;
		}
	} else if (str_format(principal, sizeof(principal), "%s@%s", login,
			      realms->local) < 0) {
		memset(name_r, 0, sizeof(*name_r));
		*error_r = "bad name";
		return -1;
	}
	return auth_name_from_principal(principal, realms, name_r, error_r);
}

int auth_name_authorize(const char *user, const char *authzid,
			const char *admins, const struct auth_realms *realms,
			const char **authz_user_r, const char **error_r)
{
	const char *at;

	if (*authzid == '\0' || strcmp(authzid, user) == 0) {
		*authz_user_r = user;
		return 0;
	}
	if (!auth_name_list_contains(admins, user)) {
		*error_r = "authzid not allowed";
		return -1;
	}
	/* The target must be a name a login could have produced: a local
	 * name, or name@realm for an accepted foreign realm.  "x@LOCAL" is
	 * not such a name (the local user is plain "x"). */
	at = strchr(authzid, '@');
	if (at == NULL) {
		if (!auth_name_valid(authzid)) {
			*error_r = "bad authzid";
			return -1;
		}
	} else {
		struct auth_name n;
		const char *err;

		if (auth_name_from_principal(authzid, realms, &n, &err) < 0 ||
		    strcmp(n.user, authzid) != 0) {
			*error_r = "bad authzid";
			return -1;
		}
	}
	*authz_user_r = authzid;
	return 0;
}
