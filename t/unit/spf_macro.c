/* Unit tests for libmail/spf_macro.c: the examples of RFC 7208 7.4, the
 * explanation-only letters, URL escaping, domain truncation and syntax
 * errors. */
#include "tap.h"
#include "buf.h"
#include "spf_macro.h"

#include <string.h>

static struct spf_ip ip4, ip6;

static const struct spf_macro_env env4 = {
	"strong-bad@email.example.com", "email.example.com", "mx.example.org",
	&ip4, "mail.example.net", 1234567890ULL,
};
static const struct spf_macro_env env6 = {
	"strong-bad@email.example.com", "email.example.com", "mx.example.org",
	&ip6, NULL, 0,
};

static const struct {
	const char *in;
	const char *out;	/* NULL: a syntax error */
	int v6;
	int explain;
} cases[] = {
	/* RFC 7208 7.4 */
	{ "%{s}", "strong-bad@email.example.com", 0, 0 },
	{ "%{o}", "email.example.com", 0, 0 },
	{ "%{d}", "email.example.com", 0, 0 },
	{ "%{d4}", "email.example.com", 0, 0 },
	{ "%{d3}", "email.example.com", 0, 0 },
	{ "%{d2}", "example.com", 0, 0 },
	{ "%{d1}", "com", 0, 0 },
	{ "%{dr}", "com.example.email", 0, 0 },
	{ "%{d2r}", "example.email", 0, 0 },
	{ "%{l}", "strong-bad", 0, 0 },
	{ "%{l-}", "strong.bad", 0, 0 },
	{ "%{lr}", "strong-bad", 0, 0 },
	{ "%{lr-}", "bad.strong", 0, 0 },
	{ "%{l1r-}", "strong", 0, 0 },
	{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", 0, 0 },
	{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", 0, 0 },
	{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
	  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", 0, 0 },
	{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
	  "3.2.0.192.in-addr.strong.lp._spf.example.com", 0, 0 },
	{ "%{d2}.trusted-domains.example.net",
	  "example.com.trusted-domains.example.net", 0, 0 },
	{ "%{ir}.%{v}._spf.%{d2}",
	  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	  ".ip6._spf.example.com", 1, 0 },
	/* the other letters */
	{ "%{h}", "mx.example.org", 0, 0 },
	{ "%{i}", "192.0.2.3", 0, 0 },
	{ "%{p}", "unknown", 0, 0 },
	{ "%{v}", "ip6", 1, 0 },
	{ "%{c}", "192.0.2.3", 0, 1 },
	{ "%{c}", "2001:db8::cb01", 1, 1 },
	{ "%{r}", "mail.example.net", 0, 1 },
	{ "%{r}", "unknown", 1, 1 },
	{ "%{t}", "1234567890", 0, 1 },
	{ "%{c}", NULL, 0, 0 },		/* c, r, t only in explanations */
	{ "%{r}", NULL, 0, 0 },
	{ "%{t}", NULL, 0, 0 },
	/* escapes, several delimiters, upper case */
	{ "a%%b%_c%-d", "a%b c%20d", 0, 0 },
	{ "%{L}", "strong-bad", 0, 0 },
	{ "%{S}", "strong-bad%40email.example.com", 0, 0 },
	{ "%{l-.}", "strong.bad", 0, 0 },
	{ "%{s2r-.}", "bad@email.strong", 0, 0 },
	{ "%{s@}", NULL, 0, 0 },		/* @ is no delimiter */
	{ "%{d128}", "email.example.com", 0, 0 },
	{ "see %{i} for %{d}", "see 192.0.2.3 for email.example.com", 0, 1 },
	/* syntax errors */
	{ "%{d0}", NULL, 0, 0 },
	{ "%{d1234}", NULL, 0, 0 },
	{ "%{x}", NULL, 0, 0 },
	{ "%{d", NULL, 0, 0 },
	{ "%{dr2}", NULL, 0, 0 },
	{ "%{d2!}", NULL, 0, 0 },
	{ "%d", NULL, 0, 0 },
	{ "abc%", NULL, 0, 0 },
	{ "a b", NULL, 0, 0 },		/* spaces only in explanations */
	{ "caf\xc3\xa9", NULL, 0, 0 },
};

int main(void)
{
	struct buf out = BUF_INIT, big = BUF_INIT;
	const char *error;
	size_t i;
	char name[200];
	struct spf_macro_env envb = env4;

	ok(spf_ip_parse("192.0.2.3", &ip4) == 0, "IPv4 parses");
	ok(spf_ip_parse("2001:db8::cb01", &ip6) == 0, "IPv6 parses");
	{
		struct spf_ip m;

		ok(spf_ip_parse("::ffff:192.0.2.3", &m) == 0 &&
		   m.family == ip4.family && memcmp(m.addr, ip4.addr, 4) == 0,
		   "IPv4-mapped IPv6 counts as IPv4");
		ok(spf_ip_parse("192.0.2", &m) < 0, "bad address refused");
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		buf_clear(&out);
		r = spf_macro_expand(cases[i].in, strlen(cases[i].in),
				     cases[i].v6 ? &env6 : &env4,
				     cases[i].explain != 0, &out, &error);
		(void)str_format(name, sizeof(name), "'%s'%s%s", cases[i].in,
				 cases[i].v6 ? " (IPv6)" : "",
				 cases[i].explain ? " (explanation)" : "");
		if (cases[i].out == NULL) {
			ok(r < 0, name);
		} else {
			ok(r == 0, name);
			is_str(buf_cstr(&out), cases[i].out, name);
		}
		/* Checking alone agrees with expanding. */
		is_int(spf_macro_expand(cases[i].in, strlen(cases[i].in), NULL,
					cases[i].explain != 0, NULL, &error),
		       r, "check-only agrees");
	}

	/* RFC 7208 7.3: a long result loses labels on the left. */
	buf_clear(&big);
	for (i = 0; i < 30; i++)
		buf_append_str(&big, "abcdefghi.");
	buf_append_str(&big, "example.com.");
	envb.domain = buf_cstr(&big);
	buf_clear(&out);
	ok(spf_macro_domain("%{d}", &envb, &out, &error) == 0,
	   "a long domain expands");
	ok(out.len <= SPF_DOMAIN_MAX, "and fits in 253");
	ok(out.len > SPF_DOMAIN_MAX - 10 &&
	   strcmp(out.data + out.len - 12, ".example.com") == 0 &&
	   out.data[0] == 'a', "by whole labels from the left");
	buf_clear(&out);
	ok(spf_macro_domain("%{d2}.", &env4, &out, &error) == 0 &&
	   strcmp(buf_cstr(&out), "example.com") == 0,
	   "the trailing dot is removed");
	/* An expansion past the bound is an error, not a huge buffer. */
	buf_clear(&big);
	for (i = 0; i < 300; i++)
		buf_append_str(&big, "%{s}");
	buf_clear(&out);
	ok(spf_macro_expand(big.data, big.len, &env4, true, &out, &error) < 0,
	   "expansion longer than SPF_MACRO_OUT_MAX refused");
	buf_free(&out);
	buf_free(&big);
	return tap_done();
}
