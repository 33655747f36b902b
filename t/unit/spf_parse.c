/* Unit tests for libmail/spf_record.c: record selection and the grammar
 * of RFC 7208 section 12, with the permerror cases of 4.6. */
#include "tap.h"
#include "buf.h"
#include "spf_record.h"

#include <string.h>

static const char *const good[] = {
	"v=spf1",
	"v=spf1 -all",
	"V=SPF1 +ALL",
	"v=spf1  ip4:192.0.2.0/24   ~all  ",
	"v=spf1 ip6:2001:db8::/32 ?all",
	"v=spf1 a mx ptr -all",
	"v=spf1 a/24 mx//64 a:example.com/24//64 mx:example.com",
	"v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d} -all",
	"v=spf1 redirect=_spf.example.com",
	"v=spf1 -all exp=explain._spf.%{d}",
	"v=spf1 unknown-mod=anything%{d} -all",
	"v=spf1 ptr:example.com. -all",
	"v=spf1 a:example.com. include:%{d2}",
	"v=spf1 a:host-1.x--y.example -all",
};

static const char *const bad[] = {
	"v=spf1 foo",			/* unknown mechanism */
	"v=spf1 -all:x",
	"v=spf1 ip4:192.0.2.0/33",
	"v=spf1 ip4:192.0.2.0/024",
	"v=spf1 ip4:192.0.2",
	"v=spf1 ip4",
	"v=spf1 ip6:192.0.2.1",
	"v=spf1 ip6:2001:db8::/129",
	"v=spf1 a/33",
	"v=spf1 mx//129",
	"v=spf1 include",
	"v=spf1 include:",
	"v=spf1 exists",
	"v=spf1 a:localhost",		/* domain-end needs a dot */
	"v=spf1 a:example.123",		/* top label all digits */
	"v=spf1 a:1.2.3.4",
	"v=spf1 a:example.com-",
	"v=spf1 include:%{x}.example.com",
	"v=spf1 exists:%{c}.example.com",	/* c only in explanations */
	"v=spf1 redirect=a.example redirect=b.example",
	"v=spf1 exp=a.example exp=b.example",
	"v=spf1 -redirect=a.example",
	"v=spf1 redirect=",
	"v=spf1 x=%",
	"v=spf1 -all\tmx",
	"v=spf1 =x",
	"v=spf1 1a",
};

int main(void)
{
	struct spf_record rec;
	struct buf big = BUF_INIT;
	char error[200];
	size_t i;

	ok(spf_record_is_spf("v=spf1", 6), "v=spf1 alone is SPF");
	ok(spf_record_is_spf("v=spf1 -all", 11), "v=spf1 and terms");
	ok(!spf_record_is_spf("v=spf10 -all", 12), "v=spf10 is not");
	ok(!spf_record_is_spf("v=spf2.0/pra", 12), "spf2.0 is not");
	ok(!spf_record_is_spf(" v=spf1", 7), "leading space is not");

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r = spf_record_parse(good[i], strlen(good[i]), &rec, error,
					 sizeof(error));
		ok(r == 0, good[i]);
		if (r < 0)
			printf("#   %s\n", error);
		spf_record_free(&rec);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(spf_record_parse(bad[i], strlen(bad[i]), &rec, error,
				    sizeof(error)) < 0 && error[0] != '\0',
		   bad[i]);
		ok(rec.count == 0 && rec.terms == NULL, "nothing left behind");
	}

	/* What a parsed record holds. */
	ok(spf_record_parse("v=spf1 ~a:mail.example.com/24//64 -ip4:10.1.2.3 "
			    "?mx ip6:2001:db8::1 redirect=%{d2} exp=e.%{d}",
			    strlen("v=spf1 ~a:mail.example.com/24//64 -ip4:10.1.2.3 "
				   "?mx ip6:2001:db8::1 redirect=%{d2} exp=e.%{d}"),
			    &rec, error, sizeof(error)) == 0, "a full record");
	is_int(rec.count, 4, "four mechanisms");
	is_int(rec.terms[0].mech, SPF_MECH_A, "a");
	is_int(rec.terms[0].qualifier, '~', "qualifier ~");
	is_str(rec.terms[0].domain, "mail.example.com", "a's domain");
	is_int(rec.terms[0].cidr4, 24, "cidr4");
	is_int(rec.terms[0].cidr6, 64, "cidr6");
	is_str(rec.terms[0].text, "~a:mail.example.com/24//64", "text as written");
	is_int(rec.terms[1].mech, SPF_MECH_IP4, "ip4");
	ok(memcmp(rec.terms[1].addr, "\x0a\x01\x02\x03", 4) == 0, "ip4 address");
	is_int(rec.terms[1].cidr4, 32, "default cidr4");
	is_int(rec.terms[2].qualifier, '?', "qualifier ?");
	ok(rec.terms[2].domain == NULL, "mx without domain");
	is_int(rec.terms[3].qualifier, '+', "default qualifier +");
	is_int(rec.terms[3].cidr6, 128, "default cidr6");
	is_str(rec.redirect, "%{d2}", "redirect");
	is_str(rec.exp, "e.%{d}", "exp");
	spf_record_free(&rec);

	/* The bounds. */
	buf_append_str(&big, "v=spf1");
	for (i = 0; i <= SPF_TERMS_MAX; i++)
		buf_append_str(&big, " ip4:192.0.2.1");
	ok(spf_record_parse(big.data, big.len, &rec, error, sizeof(error)) < 0 &&
	   strstr(error, "too many terms") != NULL, "too many terms refused");
	buf_clear(&big);
	buf_append_str(&big, "v=spf1");
	while (big.len <= SPF_RECORD_MAX)
		buf_append_str(&big, " ");
	ok(spf_record_parse(big.data, big.len, &rec, error, sizeof(error)) < 0,
	   "record over SPF_RECORD_MAX refused");
	ok(spf_record_parse("v=spf1 a\0b", 10, &rec, error, sizeof(error)) < 0,
	   "NUL in a record refused");
	buf_free(&big);
	return tap_done();
}
