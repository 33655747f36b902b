/* Unit tests for libmail/acl.c: rights strings, identifiers, the stored
 * form, and who holds which right. */
#include "tap.h"
#include "acl.h"

#include <stdio.h>
#include <string.h>

struct rights_case {
	const char *in;
	const char *plain;	/* NULL: refused */
	const char *with_obsolete;
};

static const struct rights_case rights_cases[] = {
	{ "", "", "" },
	{ "l", "l", "l" },
	{ "lrswipkxtea", "lrswipkxtea", "lrswipkxteacd" },
	{ "aetxkpiwsrl", "lrswipkxtea", "lrswipkxteacd" },
	{ "lrlr", "lr", "lr" },
	{ "c", "k", "kc" },
	{ "d", "xte", "xted" },
	{ "t", "t", "td" },
	{ "lrswida", "lrswixtea", "lrswixtead" },
	{ "L", NULL, NULL },
	{ "lrz", NULL, NULL },
	{ " ", NULL, NULL },
	{ "l r", NULL, NULL },
};

static void test_rights(void)
{
	size_t i;

	for (i = 0; i < sizeof(rights_cases) / sizeof(rights_cases[0]); i++) {
		const struct rights_case *t = &rights_cases[i];
		char out[ACL_RIGHTS_SIZE], name[80];
		unsigned int rights;
		const char *error = NULL;
		int ret = acl_rights_parse(t->in, &rights, &error);

		snprintf(name, sizeof(name), "rights '%s'", t->in);
		if (t->plain == NULL) {
			ok(ret == -1 && error != NULL, name);
			continue;
		}
		is_int(ret, 0, name);
		acl_rights_format_plain(rights, out);
		is_str(out, t->plain, name);
		acl_rights_format(rights, out);
		is_str(out, t->with_obsolete, name);
	}
}

struct id_case {
	const char *id;
	int ret;
};

static const struct id_case id_cases[] = {
	{ "alice", 0 }, { "-alice", 0 }, { "anyone", 0 }, { "-anyone", 0 },
	{ "anonymous", 0 }, { "a.b_c-d", 0 }, { "", -1 }, { "-", -1 },
	{ "--alice", -1 }, { "Alice", -1 }, { "al ice", -1 },
	{ "alice@EXAMPLE.ORG", -1 }, { "../x", -1 }, { ".x", -1 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  -1 },
};

static void test_identifiers(void)
{
	size_t i;

	for (i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		const char *error;
		char name[120];

		snprintf(name, sizeof(name), "identifier '%s'", id_cases[i].id);
		is_int(acl_identifier_check(id_cases[i].id, &error),
		       id_cases[i].ret, name);
	}
}

struct parse_case {
	const char *text;
	const char *formatted;	/* NULL: refused */
};

static const struct parse_case parse_cases[] = {
	{ "", "" },
	{ "alice lrswipkxtea", "alice lrswipkxtea" },
	{ "alice lr anyone l -bob w", "alice lr anyone l -bob w" },
	{ "alice c", "alice k" },
	{ "alice", NULL },
	{ "alice ", NULL },
	{ "alice lr ", NULL },
	{ " alice lr", NULL },
	{ "alice  lr", NULL },
	{ "alice lq", NULL },
	{ "Alice lr", NULL },
	{ "alice lrswipkxteacdlrswipkxtea", NULL },
};

static void test_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];
		struct buf out = BUF_INIT;
		struct acl acl;
		const char *error;
		char name[120];
		int ret;

		snprintf(name, sizeof(name), "parse '%s'", t->text);
		ret = acl_parse(t->text, strlen(t->text), &acl, &error);
		if (t->formatted == NULL) {
			is_int(ret, -1, name);
			continue;
		}
		is_int(ret, 0, name);
		acl_format(&acl, &out);
		is_str(buf_cstr(&out), t->formatted, name);
		buf_free(&out);
	}
}

static void test_set_delete(void)
{
	struct buf out = BUF_INIT;
	struct acl acl;
	const char *error;
	char id[32];
	size_t i;

	acl_default(&acl, "alice");
	acl_format(&acl, &out);
	is_str(buf_cstr(&out), "alice lrswipkxtea anyone p", "owner default");
	acl_default(&acl, NULL);
	buf_clear(&out);
	acl_format(&acl, &out);
	is_str(buf_cstr(&out), "anyone lrs", "shared default");

	is_int(acl_set(&acl, "bob", ACL_MOD_REPLACE, ACL_L | ACL_R, &error), 0,
	       "set bob");
	is_int(acl_set(&acl, "bob", ACL_MOD_ADD, ACL_I, &error), 0, "add i");
	is_int(acl_get(&acl, "bob"), ACL_L | ACL_R | ACL_I, "bob has lri");
	is_int(acl_set(&acl, "bob", ACL_MOD_REMOVE, ACL_R, &error), 0,
	       "remove r");
	is_int(acl_get(&acl, "bob"), ACL_L | ACL_I, "bob has li");
	is_int(acl_set(&acl, "bob", ACL_MOD_REMOVE, ACL_L | ACL_I, &error), 0,
	       "remove the rest");
	is_int(acl_get(&acl, "bob"), -1, "no rights left: entry gone");
	is_int(acl_set(&acl, "carol", ACL_MOD_REPLACE, 0, &error), 0,
	       "set to nothing");
	is_int(acl_get(&acl, "carol"), -1, "empty rights make no entry");
	ok(acl_delete(&acl, "anyone"), "delete anyone");
	ok(acl_delete(&acl, "bob") == false, "delete of a missing entry");
	ok(!acl_delete(&acl, "anyone"), "delete twice");
	is_int((long long)acl.count, 0, "list empty");

	for (i = 0; i < ACL_MAX_ENTRIES; i++) {
		snprintf(id, sizeof(id), "u%zu", i);
		if (acl_set(&acl, id, ACL_MOD_REPLACE, ACL_L, &error) < 0)
			break;
	}
	is_int((long long)i, ACL_MAX_ENTRIES, "fills up to the limit");
	is_int(acl_set(&acl, "one-more", ACL_MOD_REPLACE, ACL_L, &error), -1,
	       "one entry past the limit refused");
	is_int(acl_set(&acl, "u0", ACL_MOD_ADD, ACL_R, &error), 0,
	       "changing an entry at the limit works");
	buf_free(&out);
}

struct eval_case {
	const char *acl;
	const char *user;
	const char *owner;	/* NULL: shared */
	bool admin;
	const char *rights;
};

static const struct eval_case eval_cases[] = {
	{ "alice lrswipkxtea", "alice", "alice", false, "lrswipkxtea" },
	{ "alice lrswipkxtea", "bob", "alice", false, "" },
	{ "", "alice", "alice", false, "la" },
	{ "alice r", "alice", "alice", false, "lra" },
	{ "-alice lrswipkxtea", "alice", "alice", false, "la" },
	{ "bob lr", "bob", "alice", false, "lr" },
	{ "anyone lr", "bob", "alice", false, "lr" },
	{ "anyone lr bob i", "bob", "alice", false, "lri" },
	{ "anyone lr -bob r", "bob", "alice", false, "l" },
	{ "anyone lr -anyone l", "bob", "alice", false, "r" },
	{ "bob lrs -anyone s", "bob", "alice", false, "lr" },
	{ "anonymous lr", "bob", "alice", false, "" },
	{ "-anonymous lr anyone lr", "bob", "alice", false, "lr" },
	{ "bobby lr", "bob", "alice", false, "" },
	{ "", "admin", "alice", true, "la" },
	{ "admin r", "admin", "alice", true, "lra" },
	{ "-admin lrswipkxtea", "admin", "alice", true, "la" },
	{ "", "admin", NULL, true, "lrswipkxtea" },
	{ "anyone lrs", "bob", NULL, false, "lrs" },
	{ "anyone lrsp -bob p", "bob", NULL, false, "lrs" },
};

static void test_rights_of(void)
{
	size_t i;

	for (i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		const struct eval_case *t = &eval_cases[i];
		struct acl_subject who = { t->user, t->owner, t->admin };
		char out[ACL_RIGHTS_SIZE], name[160];
		struct acl acl;
		const char *error;

		snprintf(name, sizeof(name), "'%s' for %s on %s's%s", t->acl,
			 t->user, t->owner != NULL ? t->owner : "shared",
			 t->admin ? " (admin)" : "");
		if (acl_parse(t->acl, strlen(t->acl), &acl, &error) < 0) {
			ok(0, name);
			continue;
		}
		acl_rights_format_plain(acl_rights(&acl, &who), out);
		is_str(out, t->rights, name);
	}
}

struct post_case {
	const char *acl;
	bool allowed;
};

static const struct post_case post_cases[] = {
	{ "anyone p", true },
	{ "anyone lrsp", true },
	{ "alice lrswipkxtea", false },
	{ "bob p", false },
	{ "anyone p -anyone p", false },
	{ "anonymous p", false },
	{ "", false },
	{ "damaged", false },
};

static void test_post(void)
{
	size_t i;

	for (i = 0; i < sizeof(post_cases) / sizeof(post_cases[0]); i++) {
		char name[80];

		snprintf(name, sizeof(name), "post under '%s'",
			 post_cases[i].acl);
		is_int(acl_post_allowed(post_cases[i].acl),
		       post_cases[i].allowed, name);
	}
}

static void test_listrights(void)
{
	char out[ACL_RIGHTS_SIZE];

	acl_listrights("alice", "alice", false, out);
	is_str(out, "la", "owner always has la");
	acl_listrights("bob", "alice", false, out);
	is_str(out, "", "another user: nothing always");
	acl_listrights("anyone", "alice", false, out);
	is_str(out, "", "anyone: nothing always");
	acl_listrights("admin", "alice", true, out);
	is_str(out, "la", "admin on a personal mailbox");
	acl_listrights("admin", NULL, true, out);
	is_str(out, "lrswipkxtea", "admin on a shared mailbox");
}

int main(void)
{
	test_rights();
	test_identifiers();
	test_parse();
	test_set_delete();
	test_rights_of();
	test_listrights();
	test_post();
	return tap_done();
}
