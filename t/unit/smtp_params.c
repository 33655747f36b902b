/* Unit tests for libmail/smtp_params.c: MAIL and RCPT ESMTP parameters. */
#include "tap.h"
#include "buf.h"
#include "smtp_address.h"
#include "smtp_ext.h"
#include "smtp_limits.h"
#include "smtp_params.h"
#include "smtp_status.h"

#include <string.h>

#define ALL (SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_BINARYMIME | \
	     SMTP_EXT_CHUNKING | SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8 | \
	     SMTP_EXT_AUTH)

struct param_case {
	const char *in;
	unsigned int ext;
	bool smtputf8;		/* RCPT: transaction has SMTPUTF8 */
	const char *out;	/* written back with smtp_params_write_*() */
	unsigned int code;	/* when it must fail */
	const char *enhanced;
};

static const struct param_case mail_cases[] = {
	{ "", ALL, false, "", 0, NULL },
	{ "SIZE=1000", ALL, false, " SIZE=1000", 0, NULL },
	{ "size=1000", ALL, false, " SIZE=1000", 0, NULL },
	{ "SIZE=0", ALL, false, " SIZE=0", 0, NULL },
	{ "SIZE=007", ALL, false, " SIZE=7", 0, NULL },
	{ "SIZE=18446744073709551615", ALL, false,
	  " SIZE=18446744073709551615", 0, NULL },
	{ "SIZE=18446744073709551616", ALL, false, NULL, 552, "5.3.4" },
	{ "SIZE=99999999999999999999", ALL, false, NULL, 552, "5.3.4" },
	{ "SIZE=999999999999999999999", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=-1", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=+5", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=1e9", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=1=2", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=1 SIZE=1", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=1 size=2", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=1", ALL & ~SMTP_EXT_SIZE, false, NULL, 555, "5.5.4" },
	{ "BODY=8BITMIME", ALL, false, " BODY=8BITMIME", 0, NULL },
	{ "BODY=7bit", ALL, false, " BODY=7BIT", 0, NULL },
	{ "BODY=BINARYMIME", ALL, false, " BODY=BINARYMIME", 0, NULL },
	{ "BODY=BINARYMIME", ALL & ~SMTP_EXT_CHUNKING, false, NULL,
	  501, "5.5.4" },
	{ "BODY=BINARYMIME", ALL & ~SMTP_EXT_BINARYMIME, false, NULL,
	  501, "5.5.4" },
	{ "BODY=9BIT", ALL, false, NULL, 501, "5.5.4" },
	{ "BODY", ALL, false, NULL, 501, "5.5.4" },
	{ "BODY=8BITMIME", SMTP_EXT_SIZE, false, NULL, 555, "5.5.4" },
	{ "SMTPUTF8", ALL, false, " SMTPUTF8", 0, NULL },
	{ "smtputf8", ALL, false, " SMTPUTF8", 0, NULL },
	{ "SMTPUTF8=yes", ALL, false, NULL, 501, "5.5.4" },
	{ "SMTPUTF8", ALL & ~SMTP_EXT_SMTPUTF8, false, NULL, 555, "5.5.4" },
	{ "RET=FULL", ALL, false, " RET=FULL", 0, NULL },
	{ "RET=hdrs", ALL, false, " RET=HDRS", 0, NULL },
	{ "RET=NONE", ALL, false, NULL, 501, "5.5.4" },
	{ "RET=FULL RET=FULL", ALL, false, NULL, 501, "5.5.4" },
	{ "RET=FULL", ALL & ~SMTP_EXT_DSN, false, NULL, 555, "5.5.4" },
	{ "ENVID=QQ314159", ALL, false, " ENVID=QQ314159", 0, NULL },
	{ "ENVID=a+2Bb+20c", ALL, false, " ENVID=a+2Bb+20c", 0, NULL },
	{ "ENVID=a+0D+0ABcc:+20x@y", ALL, false, NULL, 501, "5.5.4" },
	{ "ENVID=a+00", ALL, false, NULL, 501, "5.5.4" },
	{ "ENVID=a+C3+A9", ALL, false, NULL, 501, "5.5.4" },
	{ "ENVID=a+", ALL, false, NULL, 501, "5.5.4" },
	{ "ENVID=", ALL, false, NULL, 501, "5.5.4" },
	{ "ENVID=1 ENVID=2", ALL, false, NULL, 501, "5.5.4" },
	{ "AUTH=<>", ALL, false, " AUTH=<>", 0, NULL },
	{ "AUTH=e+3Dmc2@example.com", ALL, false,
	  " AUTH=e+3Dmc2@example.com", 0, NULL },
	{ "AUTH=user@Example.COM", ALL, false, " AUTH=user@example.com",
	  0, NULL },
	{ "AUTH=foo", ALL, false, NULL, 501, "5.5.4" },
	{ "AUTH=a@b+0D+0Ac@d", ALL, false, NULL, 501, "5.5.4" },
	{ "AUTH=", ALL, false, NULL, 501, "5.5.4" },
	{ "AUTH=<>", ALL & ~SMTP_EXT_AUTH, false, NULL, 555, "5.5.4" },
	{ "XFOO=bar", ALL, false, NULL, 555, "5.5.4" },
	{ "NOTIFY=NEVER", ALL, false, NULL, 555, "5.5.4" },
	{ "ORCPT=rfc822;a@b", ALL, false, NULL, 555, "5.5.4" },
	{ "-FOO=1", ALL, false, NULL, 501, "5.5.4" },
	{ "SI_ZE=1", ALL, false, NULL, 501, "5.5.4" },
	{ "=1", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=1\xc3\xa9", ALL, false, NULL, 501, "5.5.4" },
	{ "SIZE=10  BODY=7BIT", ALL, false, " SIZE=10 BODY=7BIT", 0, NULL },
	{ "SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x AUTH=<>", ALL,
	  false, " SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x AUTH=<>",
	  0, NULL },
};

static const struct param_case rcpt_cases[] = {
	{ "", ALL, false, "", 0, NULL },
	{ "NOTIFY=NEVER", ALL, false, " NOTIFY=NEVER", 0, NULL },
	{ "NOTIFY=DELAY,SUCCESS,FAILURE", ALL, false,
	  " NOTIFY=SUCCESS,FAILURE,DELAY", 0, NULL },
	{ "notify=failure", ALL, false, " NOTIFY=FAILURE", 0, NULL },
	{ "NOTIFY=NEVER,SUCCESS", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY=FAILURE,NEVER", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY=SUCCESS,SUCCESS", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY=SUCCESS,", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY=,SUCCESS", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY=BOGUS", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY=", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY=NEVER NOTIFY=NEVER", ALL, false, NULL, 501, "5.5.4" },
	{ "NOTIFY=NEVER", ALL & ~SMTP_EXT_DSN, false, NULL, 555, "5.5.4" },
	{ "ORCPT=rfc822;user@example.com", ALL, false,
	  " ORCPT=rfc822;user@example.com", 0, NULL },
	{ "ORCPT=RFC822;a+2Bb@x.y", ALL, false, " ORCPT=rfc822;a+2Bb@x.y",
	  0, NULL },
	{ "ORCPT=rfc822;a+0D+0ABcc:x@y", ALL, false, NULL, 501, "5.5.4" },
	{ "ORCPT=rfc822;j+C3+B6rg@x.y", ALL, false, NULL, 501, "5.5.4" },
	{ "ORCPT=rfc822;", ALL, false, NULL, 501, "5.5.4" },
	{ "ORCPT=;a@b", ALL, false, NULL, 501, "5.5.4" },
	{ "ORCPT=rfc822", ALL, false, NULL, 501, "5.5.4" },
	{ "ORCPT=rfc_822;a@b", ALL, false, NULL, 501, "5.5.4" },
	{ "ORCPT=x-local;a@b", ALL, false, " ORCPT=x-local;a@b", 0, NULL },
	{ "ORCPT=utf-8;j\\x{F6}rg@x.y", ALL, false,
	  " ORCPT=utf-8;j\\x{F6}rg@x.y", 0, NULL },
	{ "ORCPT=UTF-8;j\xc3\xb6rg@x.y", ALL, false, NULL, 501, "5.5.4" },
	{ "ORCPT=utf-8;j\xc3\xb6rg@x.y", ALL, true,
	  " ORCPT=utf-8;j\xc3\xb6rg@x.y", 0, NULL },
	{ "ORCPT=utf-8;j\xc3rg@x.y", ALL, true, NULL, 501, "5.5.4" },
	{ "ORCPT=utf-8;a\\x{0A}b@x.y", ALL, false, NULL, 501, "5.5.4" },
	{ "ORCPT=rfc822;a@b ORCPT=rfc822;a@b", ALL, false, NULL,
	  501, "5.5.4" },
	{ "SIZE=1", ALL, false, NULL, 555, "5.5.4" },
	{ "SMTPUTF8", ALL, false, NULL, 555, "5.5.4" },
	{ "NOTIFY=SUCCESS ORCPT=rfc822;a@b.c", ALL, false,
	  " NOTIFY=SUCCESS ORCPT=rfc822;a@b.c", 0, NULL },
};

static void run_case(const struct param_case *c, bool mail,
		     const struct smtp_limits *limits)
{
	struct smtp_mail_params mp;
	struct smtp_rcpt_params rp;
	struct smtp_status status = { 0, NULL, NULL };
	struct buf out = BUF_INIT;
	const char *error = NULL;
	char name[200];
	int ret;

	(void)str_format(name, sizeof(name), "%s %s", mail ? "MAIL" : "RCPT",
			 c->in);
	if (mail)
		ret = smtp_params_parse_mail(c->in, strlen(c->in), c->ext,
					     limits, &mp, &status, &error);
	else
		ret = smtp_params_parse_rcpt(c->in, strlen(c->in), c->ext,
					     c->smtputf8, limits, &rp,
					     &status, &error);
	if (c->out == NULL) {
		ok(ret == -1 && status.code == c->code &&
		   status.enhanced != NULL &&
		   strcmp(status.enhanced, c->enhanced) == 0, name);
		if (ret == 0 || status.code != c->code)
			printf("#   got %d %u %s\n", ret, status.code,
			       status.enhanced);
		if (mail)
			ok(mp.envid == NULL && mp.auth == NULL,
			   "  nothing left allocated");
		else
			ok(rp.orcpt == NULL && rp.orcpt_type == NULL,
			   "  nothing left allocated");
		return;
	}
	if (!ok(ret == 0, name)) {
		printf("#   error %s\n", error);
		return;
	}
	if (mail) {
		smtp_params_write_mail(&out, &mp, c->ext);
		smtp_params_mail_deinit(&mp);
	} else {
		smtp_params_write_rcpt(&out, &rp, c->ext, c->smtputf8);
		smtp_params_rcpt_deinit(&rp);
	}
	is_str(buf_cstr(&out), c->out, "  written back");
	buf_free(&out);
}

static void test_values(void)
{
	const struct smtp_limits *limits = &smtp_limits_default;
	struct smtp_mail_params mp;
	struct smtp_rcpt_params rp;
	struct smtp_status status;
	const char *error;

	ok(smtp_params_parse_mail("SIZE=123 AUTH=<> RET=FULL ENVID=a+2Bb", 37,
				  ALL, limits, &mp, &status, &error) == 0,
	   "mixed MAIL parameters");
	ok(mp.size_set && mp.size == 123, "  size");
	ok(mp.auth_set && mp.auth == NULL, "  AUTH=<>");
	is_int(mp.ret, SMTP_PARAMS_RET_FULL, "  ret");
	is_str(mp.envid, "a+b", "  envid decoded");
	is_int(mp.body, SMTP_PARAMS_BODY_UNSPECIFIED, "  body unspecified");
	ok(!mp.smtputf8, "  no smtputf8");
	smtp_params_mail_deinit(&mp);
	ok(mp.envid == NULL && !mp.size_set, "deinit clears");

	ok(smtp_params_parse_mail("AUTH=e+3Dmc2@example.com", 24, ALL, limits,
				  &mp, &status, &error) == 0 &&
	   mp.auth != NULL && strcmp(mp.auth->local_part, "e=mc2") == 0,
	   "AUTH= mailbox decoded");
	smtp_params_mail_deinit(&mp);

	ok(smtp_params_parse_rcpt("ORCPT=utf-8;j\\x{F6}rg@x.y NOTIFY=NEVER",
				  38, ALL, false, limits, &rp, &status,
				  &error) == 0, "RCPT parameters");
	is_str(rp.orcpt_type, "utf-8", "  orcpt type");
	is_str(rp.orcpt, "j\xc3\xb6rg@x.y", "  orcpt decoded");
	is_int(rp.notify, SMTP_PARAMS_NOTIFY_NEVER, "  notify");
	smtp_params_rcpt_deinit(&rp);
}

static void test_limits(void)
{
	struct smtp_limits limits = smtp_limits_default;
	struct smtp_mail_params mp;
	struct smtp_rcpt_params rp;
	struct smtp_status status;
	struct buf in = BUF_INIT;
	const char *error;
	size_t i;

	limits.message_size = 1000;
	ok(smtp_params_parse_mail("SIZE=1000", 9, ALL, &limits, &mp, &status,
				  &error) == 0, "SIZE at the limit");
	ok(smtp_params_parse_mail("SIZE=1001", 9, ALL, &limits, &mp, &status,
				  &error) == -1 && status.code == 552 &&
	   strcmp(status.enhanced, "5.3.4") == 0, "SIZE over the limit");

	limits.params = 2;
	ok(smtp_params_parse_mail("SIZE=1 BODY=7BIT", 16, ALL, &limits, &mp,
				  &status, &error) == 0, "two parameters");
	ok(smtp_params_parse_mail("SIZE=1 BODY=7BIT SMTPUTF8", 25, ALL,
				  &limits, &mp, &status, &error) == -1 &&
	   status.code == 501, "three parameters over a limit of two");
	limits = smtp_limits_default;

	/* ENVID: 100 decoded characters (RFC 3461 4.4). */
	buf_append_str(&in, "ENVID=");
	for (i = 0; i < 100; i++)
		buf_append_str(&in, i % 2 ? "x" : "+2B");
	ok(smtp_params_parse_mail(in.data, in.len, ALL, &limits, &mp, &status,
				  &error) == 0 && strlen(mp.envid) == 100,
	   "ENVID of 100 characters");
	smtp_params_mail_deinit(&mp);
	buf_append_char(&in, 'x');
	ok(smtp_params_parse_mail(in.data, in.len, ALL, &limits, &mp, &status,
				  &error) == -1 && status.code == 501,
	   "ENVID of 101 characters");

	/* ORCPT: 500 characters for the whole parameter (RFC 3461 4.2). */
	buf_clear(&in);
	buf_append_str(&in, "ORCPT=rfc822;");
	while (in.len < 496)
		buf_append_char(&in, 'a');
	buf_append_str(&in, "@x.y");
	ok(in.len == 500 &&
	   smtp_params_parse_rcpt(in.data, in.len, ALL, false, &limits, &rp,
				  &status, &error) == 0,
	   "ORCPT of 500 characters");
	smtp_params_rcpt_deinit(&rp);
	buf_append_char(&in, 'z');
	ok(smtp_params_parse_rcpt(in.data, in.len, ALL, false, &limits, &rp,
				  &status, &error) == -1 && status.code == 501,
	   "ORCPT of 501 characters");
	buf_free(&in);
}

static void test_write_filters(void)
{
	struct smtp_mail_params mp;
	struct smtp_status status;
	struct buf out = BUF_INIT;
	const char *error;

	ok(smtp_params_parse_mail("SIZE=5 BODY=8BITMIME RET=HDRS SMTPUTF8", 38,
				  ALL, &smtp_limits_default, &mp, &status,
				  &error) == 0, "parse for writing");
	smtp_params_write_mail(&out, &mp, SMTP_EXT_SIZE);
	is_str(buf_cstr(&out), " SIZE=5",
	       "only what the server offered is written");
	buf_clear(&out);
	smtp_params_write_mail(&out, &mp, 0);
	is_str(buf_cstr(&out), "", "nothing for a server without extensions");
	smtp_params_mail_deinit(&mp);
	buf_free(&out);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(mail_cases) / sizeof(mail_cases[0]); i++)
		run_case(&mail_cases[i], true, &smtp_limits_default);
	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++)
		run_case(&rcpt_cases[i], false, &smtp_limits_default);
	test_values();
	test_limits();
	test_write_filters();
	return tap_done();
}
