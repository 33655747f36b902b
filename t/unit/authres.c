/* Unit tests for libmail/authres.c: the Authentication-Results field
 * (RFC 8601) and recognising fields that claim our authserv-id. */
#include "authres.h"
#include "buf.h"
#include "tap.h"

#include <string.h>

static bool ours(const char *field)
{
	return authres_field_is_ours(field, strlen(field), "mx.example.org");
}

int main(void)
{
	struct authres_result r[2];
	struct buf out = BUF_INIT;

	memset(r, 0, sizeof(r));
	authres_format(&out, "mx.example.org", r, 0);
	is_str(buf_cstr(&out), "Authentication-Results: mx.example.org; none\r\n",
	       "nothing checked: none");
	buf_clear(&out);
	r[0].method = "dkim";
	r[0].result = "pass";
	authres_add_prop(&r[0], "header", "d", "example.com");
	authres_add_prop(&r[0], "header", "b", "ab/+c=");
	r[1].method = "spf";
	r[1].result = "fail";
	r[1].reason = "say \"no\"";
	authres_add_prop(&r[1], "smtp", "mailfrom", "u@example.com");
	authres_format(&out, "mx.example.org", r, 2);
	is_str(buf_cstr(&out),
	       "Authentication-Results: mx.example.org;\r\n"
	       "\tdkim=pass\r\n\t header.d=example.com\r\n"
	       "\t header.b=\"ab/+c=\";\r\n"
	       "\tspf=fail reason=\"say \\\"no\\\"\"\r\n"
	       "\t smtp.mailfrom=u@example.com\r\n",
	       "two methods, values quoted only when they must be");
	buf_free(&out);

	ok(ours("Authentication-Results: mx.example.org; dkim=pass"),
	   "our id");
	ok(ours("authentication-results :MX.Example.Org;none"),
	   "any case, space before the colon");
	ok(ours("Authentication-Results: (c (nested)) mx.example.org 1;\r\n"
		" dkim=pass"), "after comments, with a version");
	ok(ours("Authentication-Results: \"mx.example.org\"; none"),
	   "quoted");
	ok(!ours("Authentication-Results: other.example.org; none"),
	   "another id is kept");
	ok(!ours("Authentication-Results: mx.example.org.evil; none"),
	   "a longer id is another id");
	ok(!ours("Authentication-Results-Original: mx.example.org; none"),
	   "another field");
	ok(!ours("Subject: mx.example.org"), "not the field");
	return tap_done();
}
