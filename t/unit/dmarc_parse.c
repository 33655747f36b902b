/* Unit tests for libmail/dmarc_record.c and dmarc_aligned(): the tag
 * grammar of RFC 7489 6.3/6.4, defaults, the p=none fallback of 6.6.3,
 * and relaxed/strict alignment. */
#include "tap.h"
#include "buf.h"
#include "dmarc.h"
#include "public_suffix.h"

#include <string.h>

static int parse(const char *s, struct dmarc_record *rec)
{
	const char *error;

	return dmarc_record_parse(s, strlen(s), rec, &error);
}

static const char *const bad[] = {
	"v=DMARC1",				/* no p */
	"v=DMARC1; p=block",
	"v=DMARC1; p=none; adkim=x",
	"v=DMARC1; p=none; aspf=relaxed",
	"v=DMARC1; p=none; pct=101",
	"v=DMARC1; p=none; pct=-1",
	"v=DMARC1; p=none; pct=",
	"v=DMARC1; p=none; ri=x",
	"v=DMARC1; p=none; p=reject",		/* a tag twice */
	"v=DMARC1; p=none; fo=",
	"v=DMARC1; p=none; junk",
	"v=DMARC2; p=none",
	"p=none; v=DMARC1",			/* v must come first */
	"v=dmarc1; p=none",			/* DMARC1 is case-sensitive */
};

int main(void)
{
	struct dmarc_record rec;
	struct public_suffix *psl;
	const char *error;
	struct buf big = BUF_INIT;
	size_t i;

	ok(dmarc_record_is_dmarc("v=DMARC1", 8), "v=DMARC1 alone");
	ok(dmarc_record_is_dmarc("v = DMARC1 ;p=none", 18), "spaces around =");
	ok(!dmarc_record_is_dmarc("v=DMARC10", 9), "v=DMARC10 is not");
	ok(!dmarc_record_is_dmarc("v=spf1 -all", 11), "SPF is not");

	ok(parse("v=DMARC1; p=reject", &rec) == 0, "minimal record");
	is_int(rec.p, DMARC_POLICY_REJECT, "p=reject");
	is_int(rec.sp, DMARC_POLICY_REJECT, "sp defaults to p");
	ok(!rec.sp_given, "sp not given");
	ok(!rec.adkim_strict && !rec.aspf_strict, "relaxed by default");
	is_int(rec.pct, 100, "pct defaults to 100");
	is_int(rec.ri, 86400, "ri defaults to a day");

	ok(parse("v=DMARC1;p=Quarantine;sp=none;adkim=s;aspf=S;pct=20;"
		 "rua=mailto:a@example.com,mailto:b@example.com!10m;"
		 "ruf=mailto:f@example.com;fo=1:d;rf=afrf;ri=3600;x-new=1;",
		 &rec) == 0, "every tag");
	is_int(rec.p, DMARC_POLICY_QUARANTINE, "p (case-insensitive value)");
	is_int(rec.sp, DMARC_POLICY_NONE, "sp");
	ok(rec.adkim_strict && rec.aspf_strict, "strict modes");
	is_int(rec.pct, 20, "pct");
	ok(rec.rua_given && rec.ruf_given, "rua and ruf");
	is_int(rec.ri, 3600, "ri");

	ok(parse("v=DMARC1 ;  p = none ; sp = reject ", &rec) == 0,
	   "white space around tags and values");
	is_int(rec.sp, DMARC_POLICY_REJECT, "sp=reject");

	/* 6.6.3: a bad or missing p with a valid rua acts as p=none. */
	ok(parse("v=DMARC1; p=block; rua=mailto:r@example.com", &rec) == 0 &&
	   rec.p == DMARC_POLICY_NONE, "bad p with rua: p=none");
	ok(parse("v=DMARC1; rua=mailto:r@example.com", &rec) == 0 &&
	   rec.p == DMARC_POLICY_NONE, "no p with rua: p=none");
	ok(parse("v=DMARC1; p=block; rua=nothing", &rec) < 0,
	   "bad p with an invalid rua: unusable");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(parse(bad[i], &rec) < 0, bad[i]);
	buf_append_str(&big, "v=DMARC1; p=none");
	while (big.len <= DMARC_RECORD_MAX)
		buf_append_str(&big, "; x=y");
	ok(dmarc_record_parse(big.data, big.len, &rec, &error) < 0,
	   "a record over DMARC_RECORD_MAX");
	buf_free(&big);

	ok(public_suffix_parse("com\nco.uk\n", 10, &psl, &error) == 0,
	   "a small list");
	ok(dmarc_aligned(psl, "example.com", "EXAMPLE.com", true),
	   "strict: equal names");
	ok(!dmarc_aligned(psl, "mail.example.com", "example.com", true),
	   "strict: a subdomain is not aligned");
	ok(dmarc_aligned(psl, "mail.example.com", "example.com", false),
	   "relaxed: a subdomain is aligned");
	ok(dmarc_aligned(psl, "a.example.co.uk", "b.example.co.uk", false),
	   "relaxed: siblings under co.uk");
	ok(!dmarc_aligned(psl, "example.co.uk", "other.co.uk", false),
	   "relaxed: different organizations under co.uk");
	ok(!dmarc_aligned(psl, "example.com", "", false), "empty never aligns");
	public_suffix_free(&psl);
	return tap_done();
}
