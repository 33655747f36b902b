/* Unit tests for libmail/mime_field.c: Content-Type, Content-Disposition
 * and Content-Language values, RFC 2231 parameters. */
#include "tap.h"
#include "buf.h"
#include "mime_field.h"

#include <stdlib.h>

struct ct_case {
	const char *input;
	int ret;
	const char *expect;	/* type/subtype then name=value pairs */
};

static const struct ct_case cases[] = {
	{ "text/plain", 0, "text/plain" },
	{ "Text/HTML; Charset=\"UTF-8\"", 0, "Text/HTML Charset=UTF-8" },
	{ " multipart / mixed ; (comment) boundary = \"a b\" ", 0,
	  "multipart/mixed boundary=a b" },
	{ "multipart/mixed; boundary=----=_Part_1_2.3", 0,
	  "multipart/mixed boundary=----=_Part_1_2.3" },
	{ "application/x; name=My File.pdf", 0,
	  "application/x name=My File.pdf" },
	{ "text/plain; a=1; A=2; b", 0, "text/plain a=1" },
	{ "text/plain;;; ;c=\"q\\\"uote\"", 0, "text/plain c=q\"uote" },
	{ "text", -1, "" },
	{ "/plain", -1, "" },
	{ "", -1, "" },
	{ "text/plain garbage; x=1", 0, "text/plain x=1" },
	/* RFC 2231 section 3 and 4. */
	{ "message/external-body; access-type=URL; "
	  "URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/"
	  "bulk-mailer.tar\"", 0, "message/external-body access-type=URL "
	  "URL=ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar" },
	{ "application/x-stuff; "
	  "title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", 0,
	  "application/x-stuff "
	  "title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A" },
	{ "application/x-stuff; "
	  "title*0*=us-ascii'en'This%20is%20even%20more%20; "
	  "title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"", 0,
	  "application/x-stuff title*=us-ascii'en'This%20is%20even%20more"
	  "%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!" },
	{ "a/b; n*1=\"second\"; n*0=\"first \"", 0, "a/b n=first second" },
	{ "a/b; n*1=\"orphan\"", 0, "a/b" },
	{ "a/b; n*0=\"x\"; n*2=\"gap\"", 0, "a/b n=x" },
	{ "a/b; n*99999999999=\"x\"; n*0=y", 0, "a/b n=y" },
	{ "a/b; name=\"old\"; name*=utf-8''new", 0,
	  "a/b name=old name*=utf-8''new" },
};

static void describe(const struct mime_field *f, struct buf *out)
{
	buf_clear(out);
	if (f->type == NULL)
		return;
	buf_printf(out, "%s/%s", f->type, f->subtype);
	for (unsigned int i = 0; i < f->param_count; i++)
		buf_printf(out, " %s=%s", f->params[i].name, f->params[i].value);
}

static void test_content_type(void)
{
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mime_field f;
		int ret = mime_field_parse_content_type(
			cases[i].input, strlen(cases[i].input), &f);

		describe(&f, &out);
		if (ret != cases[i].ret)
			is_int(ret, cases[i].ret, cases[i].input);
		else
			is_str(buf_cstr(&out), cases[i].expect, cases[i].input);
		mime_field_deinit(&f);
	}
	buf_free(&out);
}

static void test_utf8_params(void)
{
	static const char ct[] =
		"application/octet-stream; name*0*=UTF-8''%E5%A0%B1; "
		"name*1=\".txt\"; title=\"=?utf-8?q?caf=C3=A9?=\"; "
		"raw*=''%41%42";
	struct mime_field f;
	struct buf out = BUF_INIT;

	mime_field_parse_content_type(ct, sizeof(ct) - 1, &f);
	ok(mime_field_param_utf8(&f, "name", &out), "extended name found");
	is_str(buf_cstr(&out), "\xe5\xa0\xb1.txt", "... decoded to UTF-8");
	buf_clear(&out);
	ok(mime_field_param_utf8(&f, "TITLE", &out), "plain title found");
	is_str(buf_cstr(&out), "caf\xc3\xa9", "... RFC 2047 word decoded");
	buf_clear(&out);
	mime_field_param_utf8(&f, "raw", &out);
	is_str(buf_cstr(&out), "AB", "empty charset reads as US-ASCII");
	ok(!mime_field_param_utf8(&f, "missing", &out), "absent parameter");
	mime_field_deinit(&f);
	buf_free(&out);
}

static void test_disposition_language(void)
{
	static const char d[] = "attachment; filename=\"a.txt\"; size=3";
	static const char l[] = "en-US, (comment) de ,, fr";
	struct mime_field f;
	char *tags[4];
	unsigned int n;

	is_int(mime_field_parse_disposition(d, sizeof(d) - 1, &f), 0,
	       "disposition parses");
	is_str(f.type, "attachment", "... type");
	is_str(mime_field_param(&f, "FILENAME"), "a.txt", "... filename");
	mime_field_deinit(&f);
	is_int(mime_field_parse_disposition(";x=1", 4, &f), -1,
	       "disposition without type");
	mime_field_deinit(&f);
	n = mime_field_parse_language(l, sizeof(l) - 1, tags, 4);
	is_int(n, 3, "three language tags");
	ok(n == 3 && strcmp(tags[0], "en-US") == 0 &&
	   strcmp(tags[1], "de") == 0 && strcmp(tags[2], "fr") == 0,
	   "... in order, comments skipped");
	for (unsigned int i = 0; i < n; i++)
		free(tags[i]);
}

/* More parameters than the cap are dropped, not stored. */
static void test_param_cap(void)
{
	struct buf ct = BUF_INIT;
	struct mime_field f;

	buf_append_str(&ct, "text/plain");
	for (int i = 0; i < 10000; i++)
		buf_printf(&ct, "; p%d=v", i);
	mime_field_parse_content_type(ct.data, ct.len, &f);
	is_int(f.param_count, MIME_FIELD_MAX_PARAMS, "parameters capped");
	mime_field_deinit(&f);
	buf_free(&ct);
}

int main(void)
{
	test_content_type();
	test_utf8_params();
	test_disposition_language();
	test_param_cap();
	return tap_done();
}
