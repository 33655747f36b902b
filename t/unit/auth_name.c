/* Unit tests for libmail/auth_name.c: principal to user mapping, login
 * names, authorization identities. */
#include "tap.h"
#include "auth_name.h"

#include <stdio.h>

static const struct auth_realms realms = { "SEALPOST.TEST",
					   "OTHER.EDU, PARTNER.ORG" };

struct principal_case {
	const char *principal;
	const char *user;	/* NULL: refused */
	const char *why;
};

static const struct principal_case principal_cases[] = {
	{ "alice@SEALPOST.TEST", "alice", "local realm maps to the name" },
	{ "a.b-c_d9@SEALPOST.TEST", "a.b-c_d9", "dots, dashes, underscores" },
	{ "bob@OTHER.EDU", "bob@OTHER.EDU", "foreign realm keeps its realm" },
	{ "bob@PARTNER.ORG", "bob@PARTNER.ORG", "second foreign realm" },
	{ "bob@EVIL.ORG", NULL, "unlisted realm refused" },
	{ "bob@sealpost.test", NULL, "realms are case-sensitive" },
	{ "alice/admin@SEALPOST.TEST", NULL, "instance refused" },
	{ "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS", NULL, "anonymous" },
	{ "alice", NULL, "no realm" },
	{ "alice@", NULL, "empty realm" },
	{ "@SEALPOST.TEST", NULL, "empty name" },
	{ "a@b@SEALPOST.TEST", NULL, "two @" },
	{ "a\\@b@SEALPOST.TEST", NULL, "escaped @" },
	{ "../etc@SEALPOST.TEST", NULL, "path characters" },
	{ ".hidden@SEALPOST.TEST", NULL, "leading dot" },
	{ "-x@SEALPOST.TEST", NULL, "leading dash" },
	{ "al ice@SEALPOST.TEST", NULL, "space" },
	{ "al\tice@SEALPOST.TEST", NULL, "tab" },
	{ "\xc3\xa9t\xc3\xa9@SEALPOST.TEST", NULL, "non-ASCII" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "@SEALPOST.TEST", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaa", "64-byte name" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "@SEALPOST.TEST", NULL, "65-byte name" },
};

struct login_case {
	const char *login;
	const char *user;
};

static const struct login_case login_cases[] = {
	{ "alice", "alice" },
	{ "alice@SEALPOST.TEST", "alice" },
	{ "bob@OTHER.EDU", "bob@OTHER.EDU" },
	{ "bob@EVIL.ORG", NULL },
	{ "alice/admin", NULL },
	{ "", NULL },
	{ "a/../b", NULL },
};

struct authz_case {
	const char *user, *authzid;
	const char *result;	/* NULL: refused */
	const char *why;
};

static const struct authz_case authz_cases[] = {
	{ "alice", "", "alice", "empty authzid" },
	{ "alice", "alice", "alice", "authzid equals user" },
	{ "alice", "bob", NULL, "non-admin as another user" },
	{ "admin", "bob", "bob", "admin as another user" },
	{ "carol", "bob", "bob", "second admin" },
	{ "admin", "bob@OTHER.EDU", "bob@OTHER.EDU", "admin as foreign user" },
	{ "admin", "bob@EVIL.ORG", NULL, "admin as unaccepted realm" },
	{ "admin", "bob@SEALPOST.TEST", NULL, "local user in principal form" },
	{ "admin", "../x", NULL, "admin with a path" },
	{ "admin", "bob/admin", NULL, "admin with an instance" },
	{ "administrator", "bob", NULL, "prefix of an admin is not one" },
};

int main(void)
{
	struct auth_name n;
	const char *err, *user;
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(principal_cases) / sizeof(principal_cases[0]);
	     i++) {
		const struct principal_case *c = &principal_cases[i];
		int ret = auth_name_from_principal(c->principal, &realms, &n,
						   &err);

		if (c->user == NULL) {
			ok(ret < 0, c->why);
		} else {
			ok(ret == 0, c->why);
			is_str(n.user, c->user, c->why);
		}
	}
	for (i = 0; i < sizeof(login_cases) / sizeof(login_cases[0]); i++) {
		const struct login_case *c = &login_cases[i];
		int ret = auth_name_from_login(c->login, &realms, &n, &err);

		snprintf(name, sizeof(name), "login '%s'", c->login);
		if (c->user == NULL) {
			ok(ret < 0, name);
		} else {
			ok(ret == 0, name);
			is_str(n.user, c->user, name);
		}
	}
	ok(auth_name_from_login("alice", &realms, &n, &err) == 0 &&
	   strcmp(n.name, "alice") == 0 &&
	   strcmp(n.realm, "SEALPOST.TEST") == 0,
	   "login gives name and realm for the AS exchange");
	for (i = 0; i < sizeof(authz_cases) / sizeof(authz_cases[0]); i++) {
		const struct authz_case *c = &authz_cases[i];
		int ret = auth_name_authorize(c->user, c->authzid,
					      "admin,carol", &realms, &user,
					      &err);

		if (c->result == NULL) {
			ok(ret < 0, c->why);
		} else {
			ok(ret == 0, c->why);
			is_str(user, c->result, c->why);
		}
	}
	ok(auth_name_list_contains(" a ,b,,c ", "c"), "list with spaces");
	ok(!auth_name_list_contains("", "a"), "empty list");
	ok(!auth_name_list_contains("a", ""), "empty word");
	return tap_done();
}
