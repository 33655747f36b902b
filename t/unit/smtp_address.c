/* Unit tests for libmail/smtp_address.c: paths, mailboxes, literals, source
 * routes, relay tricks, SMTPUTF8, limits, detail splitting. */
#include "tap.h"
#include "buf.h"
#include "smtp_address.h"
#include "smtp_limits.h"

#include <stdlib.h>
#include <string.h>

#define NUL SMTP_ADDRESS_ALLOW_NULL
#define PM SMTP_ADDRESS_ALLOW_POSTMASTER
#define U8 SMTP_ADDRESS_ALLOW_UTF8
#define E_SYN SMTP_ADDRESS_ERROR_SYNTAX
#define E_LONG SMTP_ADDRESS_ERROR_TOO_LONG
#define E_U8 SMTP_ADDRESS_ERROR_UTF8
#define R_SRC SMTP_ADDRESS_ROUTE_SOURCE
#define R_AT SMTP_ADDRESS_ROUTE_AT
#define R_PCT SMTP_ADDRESS_ROUTE_PERCENT
#define R_BANG SMTP_ADDRESS_ROUTE_BANG

struct path_case {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	unsigned int flags;
	const char *canon;	/* written path; NULL when it must fail */
	enum smtp_address_error kind;
	unsigned int routing;
};

static const struct path_case path_cases[] = {
	{ "<user@example.com>", 0, 0, "<user@example.com>", 0, 0 },
	{ "<User@EXAMPLE.Com>", 0, 0, "<User@example.com>", 0, 0 },
	{ "<a.b.c@x.y>", 0, 0, "<a.b.c@x.y>", 0, 0 },
	{ "<!#$&'*+-/=?^_`{|}~@x.y>", 0, 0, "<!#$&'*+-/=?^_`{|}~@x.y>", 0, R_BANG },
	{ "<a@x-y.example>", 0, 0, "<a@x-y.example>", 0, 0 },
	{ "<a@1example.com>", 0, 0, "<a@1example.com>", 0, 0 },
	/* The null path and postmaster. */
	{ "<>", 0, NUL, "<>", 0, 0 },
	{ "<>", 0, 0, NULL, E_SYN, 0 },
	{ "<postmaster>", 0, PM, "<postmaster>", 0, 0 },
	{ "<PostMaster>", 0, PM, "<postmaster>", 0, 0 },
	{ "<postmaster>", 0, 0, NULL, E_SYN, 0 },
	{ "<Postmaster@Example.com>", 0, PM, "<Postmaster@example.com>", 0, 0 },
	{ "<postmasterx>", 0, PM, NULL, E_SYN, 0 },
	/* Quoted local parts are decoded, then written minimally. */
	{ "<\"john\"@example.com>", 0, 0, "<john@example.com>", 0, 0 },
	{ "<\"\\j\\o\\h\\n\"@x.y>", 0, 0, "<john@x.y>", 0, 0 },
	{ "<\"a.b\"@x.y>", 0, 0, "<a.b@x.y>", 0, 0 },
	{ "<\"john smith\"@x.y>", 0, 0, "<\"john smith\"@x.y>", 0, 0 },
	{ "<\"a..b\"@x.y>", 0, 0, "<\"a..b\"@x.y>", 0, 0 },
	{ "<\"a\\\\b\"@x.y>", 0, 0, "<\"a\\\\b\"@x.y>", 0, 0 },
	{ "<\"a\\\"b\"@x.y>", 0, 0, "<\"a\\\"b\"@x.y>", 0, 0 },
	{ "<\"a>b\"@x.y>", 0, 0, "<\"a>b\"@x.y>", 0, 0 },
	{ "<\"a\"b@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<\"\"@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<\"abc@x.y>", 0, 0, NULL, E_SYN, 0 },
	/* Dot-string and domain syntax. */
	{ "<.a@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a.@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a..b@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@x.y.>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@.x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@x..y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@-x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@x-.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@b_c.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@>", 0, 0, NULL, E_SYN, 0 },
	{ "<@>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@b", 0, 0, NULL, E_SYN, 0 },
	{ "a@b", 0, 0, NULL, E_SYN, 0 },
	{ "", 0, 0, NULL, E_SYN, 0 },
	{ "<a b@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a\t@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a\x01" "b@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<\"a\rb\"@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<\"a\\\rb\"@x.y>", 0, 0, NULL, E_SYN, 0 },
	{ "<a\0b@x.y>", 9, 0, NULL, E_SYN, 0 },
	{ "<a@x\0.y>", 8, 0, NULL, E_SYN, 0 },
	{ "<a@x.y\r\nRCPT TO:<b@z>>", 0, 0, NULL, E_SYN, 0 },
	/* Address literals, canonicalised. */
	{ "<a@[192.0.2.1]>", 0, 0, "<a@[192.0.2.1]>", 0, 0 },
	{ "<a@[192.000.002.001]>", 0, 0, "<a@[192.0.2.1]>", 0, 0 },
	{ "<a@[256.1.1.1]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[1.2.3]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[1.2.3.4.5]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[1.2.3.0004]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[IPv6:2001:DB8::1]>", 0, 0, "<a@[IPv6:2001:db8::1]>", 0, 0 },
	{ "<a@[ipv6:2001:db8:0:0:0:0:0:1]>", 0, 0, "<a@[IPv6:2001:db8::1]>",
	  0, 0 },
	{ "<a@[IPv6:::1]>", 0, 0, "<a@[IPv6:::1]>", 0, 0 },
	{ "<a@[IPv6:::ffff:192.0.2.1]>", 0, 0, "<a@[IPv6:::ffff:192.0.2.1]>",
	  0, 0 },
	{ "<a@[IPv6:1::2::3]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[IPv6:2001:db8::g]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[IPv6:2001:db8::1%eth0]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[2001:db8::1]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[x-tag:foo]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[]>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[1.2.3.4>", 0, 0, NULL, E_SYN, 0 },
	{ "<a@[1.2.3.4]x>", 0, 0, NULL, E_SYN, 0 },
	/* Source routes: checked, then dropped (RFC 5321 4.1.1.3). */
	{ "<@a.example,@b.example:user@c.example>", 0, 0,
	  "<user@c.example>", 0, R_SRC },
	{ "<@local.example:user@remote.example>", 0, 0,
	  "<user@remote.example>", 0, R_SRC },
	{ "<@a,user@c>", 0, 0, NULL, E_SYN, 0 },
	{ "<@:user@c>", 0, 0, NULL, E_SYN, 0 },
	{ "<@a:@b:user@c>", 0, 0, NULL, E_SYN, 0 },
	{ "<@[192.0.2.1]:user@c>", 0, 0, NULL, E_SYN, 0 },
	{ "<@a:>", 0, 0, NULL, E_SYN, 0 },
	{ "<@a:postmaster>", 0, PM, NULL, E_SYN, 0 },
	/* Relay tricks parse, and are reported. */
	{ "<user%other.example@local.example>", 0, 0,
	  "<user%other.example@local.example>", 0, R_PCT },
	{ "<\"user@other.example\"@local.example>", 0, 0,
	  "<\"user@other.example\"@local.example>", 0, R_AT },
	{ "<other.example!user@local.example>", 0, 0,
	  "<other.example!user@local.example>", 0, R_BANG },
	{ "<\"a%b!c@d\"@local.example>", 0, 0,
	  "<\"a%b!c@d\"@local.example>", 0, R_AT | R_PCT | R_BANG },
	{ "<user@other.example@local.example>", 0, 0, NULL, E_SYN, 0 },
	/* SMTPUTF8 (RFC 6531). */
	{ "<\xce\xb4\xce\xbf\xce\xba@\xcf\x80\xce\xb1.example>", 0, 0, NULL,
	  E_U8, 0 },
	{ "<\xce\xb4\xce\xbf\xce\xba@\xcf\x80\xce\xb1.example>", 0, U8,
	  "<\xce\xb4\xce\xbf\xce\xba@\xcf\x80\xce\xb1.example>", 0, 0 },
	{ "<user@\xcf\x80\xce\xb1.example>", 0, 0, NULL, E_U8, 0 },
	{ "<\"\xce\xb4 x\"@x.y>", 0, 0, NULL, E_U8, 0 },
	{ "<\"\xce\xb4 x\"@x.y>", 0, U8, "<\"\xce\xb4 x\"@x.y>", 0, 0 },
	{ "<J\xc3\xb6rg@Example.COM>", 0, U8, "<J\xc3\xb6rg@example.com>",
	  0, 0 },
	{ "<a\xc3@x.y>", 0, U8, NULL, E_SYN, 0 },
	{ "<a\xc0\xaf@x.y>", 0, U8, NULL, E_SYN, 0 },
	{ "<a\xed\xa0\x80@x.y>", 0, U8, NULL, E_SYN, 0 },
	{ "<a\xf4\x90\x80\x80@x.y>", 0, U8, NULL, E_SYN, 0 },
	{ "<a\xff@x.y>", 0, U8, NULL, E_SYN, 0 },
};

static bool has_8bit(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return true;
	}
	return false;
}

static void test_paths(void)
{
	const struct smtp_limits *limits = &smtp_limits_default;
	struct smtp_address *addr;
	struct buf out = BUF_INIT;
	enum smtp_address_error kind;
	const char *error;
	char name[300];
	size_t i, used, len;
	int ret;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];

		len = c->len != 0 ? c->len : strlen(c->in);
		kind = 0;
		ret = smtp_address_parse_path(c->in, len, c->flags, limits,
					      &addr, &used, &kind, &error);
		(void)str_format(name, sizeof(name), "path %zu %s", i,
				 c->canon != NULL ? c->canon : "(fails)");
		if (c->canon == NULL) {
			ok(ret == -1 && addr == NULL && kind == c->kind, name);
			if (ret == 0 || kind != c->kind)
				printf("#   got ret %d kind %d\n", ret, kind);
			smtp_address_free(&addr);
			continue;
		}
		if (!ok(ret == 0, name)) {
			printf("#   error: %s\n", error);
			continue;
		}
		buf_clear(&out);
		smtp_address_write_path(&out, addr);
		is_str(buf_cstr(&out), c->canon, "  canonical form");
		is_int(used, len, "  consumed the whole path");
		is_int(smtp_address_routing(addr), c->routing, "  routing bits");
		ok(addr->utf8 == has_8bit(c->in), "  utf8 flag");
		smtp_address_free(&addr);
		ok(addr == NULL, "  free clears the pointer");
	}
	buf_free(&out);
}

static void test_path_details(void)
{
	const struct smtp_limits *limits = &smtp_limits_default;
	struct smtp_address *addr, *copy;
	enum smtp_address_error kind;
	const char *error;
	size_t used;

	ok(smtp_address_parse_path("<a@b.example> SIZE=1", 20, 0, limits,
				   &addr, &used, &kind, &error) == 0,
	   "path followed by parameters");
	is_int(used, 13, "consumed stops after >");
	is_str(addr->local_part, "a", "local part");
	is_str(addr->domain, "b.example", "domain");
	ok(!addr->null_path && !addr->postmaster && !addr->source_route &&
	   !addr->domain_literal, "plain address flags");
	copy = smtp_address_dup(addr);
	ok(copy != addr && copy->local_part != addr->local_part &&
	   strcmp(copy->domain, addr->domain) == 0, "dup is a deep copy");
	smtp_address_free(&copy);
	smtp_address_free(&addr);

	ok(smtp_address_parse_path("<>", 2, NUL, limits, &addr, &used,
				   &kind, &error) == 0 && addr->null_path &&
	   addr->local_part == NULL && addr->domain == NULL,
	   "null path has no parts");
	copy = smtp_address_dup(addr);
	ok(copy->null_path && copy->local_part == NULL, "dup of null path");
	smtp_address_free(&copy);
	smtp_address_free(&addr);

	ok(smtp_address_parse_path("<postmaster>", 12, PM, limits, &addr,
				   &used, &kind, &error) == 0 &&
	   addr->postmaster && addr->domain == NULL,
	   "bare postmaster has no domain");
	smtp_address_free(&addr);

	ok(smtp_address_parse_path("<a@[IPv6:::1]>", 14, 0, limits, &addr,
				   &used, &kind, &error) == 0 &&
	   addr->domain_literal, "literal flag");
	smtp_address_free(&addr);
	smtp_address_free(&addr);
	ok(1, "double free is harmless");
}

/* Builds "<" local "@" domain ">" from repeated letters. */
static int parse_sized(size_t local, const char *domain, unsigned int flags,
		       enum smtp_address_error *kind_r)
{
	struct buf in = BUF_INIT;
	struct smtp_address *addr;
	const char *error;
	size_t used, i;
	int ret;

	buf_append_char(&in, '<');
	for (i = 0; i < local; i++)
		buf_append_char(&in, 'l');
	buf_append_char(&in, '@');
	buf_append_str(&in, domain);
	buf_append_char(&in, '>');
	ret = smtp_address_parse_path(in.data, in.len, flags,
				      &smtp_limits_default, &addr, &used,
				      kind_r, &error);
	smtp_address_free(&addr);
	buf_free(&in);
	return ret;
}

/* `labels` labels of `len` letters joined with dots. */
static char *make_domain(size_t labels, size_t len)
{
	struct buf d = BUF_INIT;
	size_t i, j;

	for (i = 0; i < labels; i++) {
		if (i > 0)
			buf_append_char(&d, '.');
		for (j = 0; j < len; j++)
			buf_append_char(&d, 'd');
	}
	return buf_steal(&d);
}

static void test_limits(void)
{
	struct smtp_limits limits = smtp_limits_default;
	enum smtp_address_error kind = 0;
	struct smtp_address *addr;
	char *domain;
	const char *error;
	size_t used;

	is_int(parse_sized(64, "x.y", 0, &kind), 0, "64-octet local part");
	is_int(parse_sized(65, "x.y", 0, &kind), -1, "65-octet local part");
	is_int(kind, E_LONG, "  is too long");
	ok(smtp_address_parse_path("<\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"@x.y>",
				   70, 0, &limits, &addr, &used, &kind,
				   &error) == 0,
	   "quoted local part of 64 octets with its quotes");
	smtp_address_free(&addr);
	ok(smtp_address_parse_path("<\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"@x.y>",
				   71, 0, &limits, &addr, &used, &kind,
				   &error) == -1 && kind == E_LONG,
	   "quoted local part of 65 octets");

	domain = make_domain(1, 63);
	is_int(parse_sized(1, domain, 0, &kind), 0, "63-octet label");
	free(domain);
	domain = make_domain(1, 64);
	is_int(parse_sized(1, domain, 0, &kind), -1, "64-octet label");
	is_int(kind, E_LONG, "  is too long");
	free(domain);

	/* 4 x 63 + 3 dots = 255: fits the domain limit but not a path. */
	domain = make_domain(4, 63);
	is_int(parse_sized(1, domain, 0, &kind), -1, "255-octet domain path");
	is_int(kind, E_LONG, "  path is too long");
	limits.path = 1000;
	{
		char *in = NULL;
		struct buf b = BUF_INIT;

		buf_printf(&b, "<l@%s>", domain);
		in = buf_steal(&b);
		ok(smtp_address_parse_path(in, strlen(in), 0, &limits, &addr,
					   &used, &kind, &error) == 0,
		   "255-octet domain with a larger path limit");
		smtp_address_free(&addr);
		free(in);
		buf_printf(&b, "<l@%s.dd>", domain);
		in = buf_steal(&b);
		ok(smtp_address_parse_path(in, strlen(in), 0, &limits, &addr,
					   &used, &kind, &error) == -1 &&
		   kind == E_LONG, "258-octet domain");
		free(in);
	}
	free(domain);

	/* 1 + 64 + 1 + 188 + 1 = 255, then 256, then 257 octets. */
	domain = make_domain(3, 62);	/* 188 */
	is_int(parse_sized(64, domain, 0, &kind), 0, "255-octet path");
	free(domain);
	domain = make_domain(3, 62);
	domain[0] = 'e';
	{
		struct buf b = BUF_INIT;

		buf_printf(&b, "d%s", domain);	/* 189 */
		is_int(parse_sized(64, buf_cstr(&b), 0, &kind), 0,
		       "256-octet path");
		buf_clear(&b);
		buf_printf(&b, "dd%s", domain);	/* 190 */
		is_int(parse_sized(64, buf_cstr(&b), 0, &kind), -1,
		       "257-octet path");
		is_int(kind, E_LONG, "  is too long");
		buf_free(&b);
	}
	free(domain);
}

static void test_mailbox_and_domain(void)
{
	const struct smtp_limits *limits = &smtp_limits_default;
	struct smtp_address *addr;
	enum smtp_address_error kind;
	const char *error;
	char *domain;
	bool literal;

	ok(smtp_address_parse_mailbox("Joe@Example.ORG", 15, 0, limits, &addr,
				      &kind, &error) == 0 &&
	   strcmp(addr->local_part, "Joe") == 0 &&
	   strcmp(addr->domain, "example.org") == 0, "bare mailbox");
	smtp_address_free(&addr);
	ok(smtp_address_parse_mailbox("<a@b.c>", 7, 0, limits, &addr, &kind,
				      &error) == -1, "mailbox with brackets");
	ok(smtp_address_parse_mailbox("a@b.c x", 7, 0, limits, &addr, &kind,
				      &error) == -1, "mailbox with junk");
	ok(smtp_address_parse_mailbox("postmaster", 10, PM, limits, &addr,
				      &kind, &error) == 0 && addr->postmaster,
	   "bare postmaster mailbox");
	smtp_address_free(&addr);
	ok(smtp_address_parse_mailbox("postmaster", 10, 0, limits, &addr,
				      &kind, &error) == -1,
	   "bare postmaster refused without the flag");
	ok(smtp_address_parse_mailbox("@a:b@c", 6, 0, limits, &addr,
				      &kind, &error) == -1,
	   "no source route in a bare mailbox");

	ok(smtp_address_parse_domain("Mail.Example.COM", 16, 0, limits,
				     &domain, &literal, &kind, &error) == 0 &&
	   strcmp(domain, "mail.example.com") == 0 && !literal,
	   "domain lowercased");
	free(domain);
	ok(smtp_address_parse_domain("[10.0.0.1]", 10, 0, limits, &domain,
				     &literal, &kind, &error) == 0 && literal,
	   "domain literal");
	free(domain);
	ok(smtp_address_parse_domain("my_pc", 5, 0, limits, &domain,
				     &literal, &kind, &error) == -1 &&
	   domain == NULL, "underscore is not a domain");
	ok(smtp_address_parse_domain("a.b ", 4, 0, limits, &domain,
				     &literal, &kind, &error) == -1,
	   "domain with junk");
}

static void test_routing_and_detail(void)
{
	static const struct {
		const char *local, *delims;
		bool split;
		size_t user_len;
		const char *detail;
	} cases[] = {
		{ "user+foo", "+", true, 4, "foo" },
		{ "user+foo+bar", "+", true, 4, "foo+bar" },
		{ "user-foo", "+-", true, 4, "foo" },
		{ "user+", "+", true, 4, "" },
		{ "+foo", "+", false, 0, NULL },
		{ "user", "+", false, 0, NULL },
		{ "user+foo", "", false, 0, NULL },
		{ "user+foo", NULL, false, 0, NULL },
		{ "user+foo", "-", false, 0, NULL },
	};
	const char *detail;
	size_t i, user_len;
	bool split;

	ok(smtp_address_local_part_has_routing("user%other"), "% routes");
	ok(smtp_address_local_part_has_routing("other!user"), "! routes");
	ok(smtp_address_local_part_has_routing("user@other"), "@ routes");
	ok(!smtp_address_local_part_has_routing("first.last+tag"),
	   "plain local part does not route");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		user_len = 0;
		detail = NULL;
		split = smtp_address_split_detail(cases[i].local,
						  cases[i].delims,
						  &user_len, &detail);
		ok(split == cases[i].split, cases[i].local);
		if (split) {
			is_int(user_len, cases[i].user_len, "  user length");
			is_str(detail, cases[i].detail, "  detail");
		}
	}
}

int main(void)
{
	test_paths();
	test_path_details();
	test_limits();
	test_mailbox_and_domain();
	test_routing_and_detail();
	return tap_done();
}
