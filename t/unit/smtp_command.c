/* Unit tests for libmail/smtp_command.c: every command shape, the accepted
 * sloppiness, smuggling-looking lines, limits and the reply of each error. */
#include "tap.h"
#include "buf.h"
#include "smtp_address.h"
#include "smtp_command.h"
#include "smtp_ext.h"
#include "smtp_limits.h"

#include <string.h>

#define ALL (SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | \
	     SMTP_EXT_BINARYMIME | SMTP_EXT_CHUNKING | SMTP_EXT_DSN | \
	     SMTP_EXT_SMTPUTF8 | SMTP_EXT_STARTTLS | SMTP_EXT_AUTH | \
	     SMTP_EXT_ENHANCEDSTATUSCODES)

static const struct smtp_command_opts opts_smtp = { false, ALL, false };
static const struct smtp_command_opts opts_helo = { false, 0, false };
static const struct smtp_command_opts opts_utf8 = { false, ALL, true };
static const struct smtp_command_opts opts_lmtp = { true, ALL, false };

/* A one-line summary of a parsed command, to compare with the tables. */
static void describe(struct buf *out, const struct smtp_command *cmd)
{
	buf_append_str(out, smtp_command_verb_name(cmd->verb));
	switch (cmd->verb) {
	case SMTP_COMMAND_HELO:
	case SMTP_COMMAND_EHLO:
	case SMTP_COMMAND_LHLO:
		buf_printf(out, " %s %s", cmd->helo,
			   cmd->helo_valid ? "valid" : "invalid");
		break;
	case SMTP_COMMAND_MAIL:
		buf_append_char(out, ' ');
		smtp_address_write_path(out, cmd->path);
		smtp_params_write_mail(out, &cmd->mail, ALL);
		break;
	case SMTP_COMMAND_RCPT:
		buf_append_char(out, ' ');
		smtp_address_write_path(out, cmd->path);
		smtp_params_write_rcpt(out, &cmd->rcpt, ALL, true);
		break;
	case SMTP_COMMAND_BDAT:
		buf_printf(out, " %llu%s", (unsigned long long)cmd->bdat_size,
			   cmd->bdat_last ? " LAST" : "");
		break;
	case SMTP_COMMAND_AUTH:
		buf_printf(out, " %s", cmd->auth_mech);
		if (cmd->auth_initial != NULL)
			buf_printf(out, " %s", *cmd->auth_initial == '\0' ?
				   "=" : cmd->auth_initial);
		break;
	default:
		if (cmd->arg != NULL)
			buf_printf(out, " [%s]", cmd->arg);
		break;
	}
}

struct command_case {
	const char *line;
	size_t len;			/* 0: strlen(line) */
	const struct smtp_command_opts *opts;
	const char *want;		/* describe(); NULL: must fail */
	unsigned int code;
	const char *enhanced;
	enum smtp_command_verb verb;	/* for failures */
};

#define S &opts_smtp
#define H &opts_helo
#define U &opts_utf8
#define L &opts_lmtp
#define FAIL(code, enh, verb) NULL, code, enh, SMTP_COMMAND_##verb

static const struct command_case cases[] = {
	/* HELO, EHLO, LHLO. */
	{ "EHLO mail.example.com", 0, S, "EHLO mail.example.com valid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "ehlo Mail.Example.com", 0, S, "EHLO Mail.Example.com valid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "HELO x", 0, S, "HELO x valid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EHLO [192.0.2.1]", 0, S, "EHLO [192.0.2.1] valid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EHLO [IPv6:2001:db8::1]", 0, S, "EHLO [IPv6:2001:db8::1] valid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EHLO my_pc", 0, S, "EHLO my_pc invalid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EHLO host.", 0, S, "EHLO host. invalid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EHLO  host", 0, S, "EHLO host valid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EHLO host  ", 0, S, "EHLO host valid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EHLO", 0, S, FAIL(501, "5.5.4", EHLO) },
	{ "EHLO ", 0, S, FAIL(501, "5.5.4", EHLO) },
	{ "EHLO a b", 0, S, FAIL(501, "5.5.4", EHLO) },
	{ "EHLO h\xc3\xa9.example", 0, S, FAIL(501, "5.5.4", EHLO) },
	{ "LHLO x", 0, S, FAIL(500, "5.5.1", UNKNOWN) },
	{ "LHLO lmtp.example", 0, L, "LHLO lmtp.example valid", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EHLO x", 0, L, FAIL(500, "5.5.1", UNKNOWN) },
	{ "HELO x", 0, L, FAIL(500, "5.5.1", UNKNOWN) },
	/* MAIL. */
	{ "MAIL FROM:<a@b.example>", 0, S, "MAIL <a@b.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "mail from:<a@B.example>", 0, S, "MAIL <a@b.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM: <a@b.example>", 0, S, "MAIL <a@b.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM:  <a@b.example>  SIZE=5  ", 0, S,
	  "MAIL <a@b.example> SIZE=5", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM:<>", 0, S, "MAIL <>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM:<> SIZE=100 BODY=8BITMIME", 0, S,
	  "MAIL <> SIZE=100 BODY=8BITMIME", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM:<@a.example,@b.example:u@c.example>", 0, S,
	  "MAIL <u@c.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM:a@b.example", 0, S, FAIL(501, "5.5.4", MAIL) },
	{ "MAIL FROM :<a@b.example>", 0, S, FAIL(501, "5.5.4", MAIL) },
	{ "MAIL TO:<a@b.example>", 0, S, FAIL(501, "5.5.4", MAIL) },
	{ "MAIL", 0, S, FAIL(501, "5.5.4", MAIL) },
	{ "MAIL FROM:", 0, S, FAIL(501, "5.5.4", MAIL) },
	{ "MAIL FROM:<a@b.example>SIZE=1", 0, S, FAIL(553, "5.1.7", MAIL) },
	{ "MAIL FROM:<a@b.example.>", 0, S, FAIL(553, "5.1.7", MAIL) },
	{ "MAIL FROM:<a@b.example", 0, S, FAIL(553, "5.1.7", MAIL) },
	{ "MAIL FROM:<postmaster>", 0, S, FAIL(553, "5.1.7", MAIL) },
	{ "MAIL FROM:<a@b@c.example>", 0, S, FAIL(553, "5.1.7", MAIL) },
	{ "MAIL FROM:<`id`@x.example>", 0, S, "MAIL <`id`@x.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM:<a;touch${IFS}/tmp/pwn@x.example>", 0, S,
	  FAIL(553, "5.1.7", MAIL) },
	{ "MAIL FROM:<\xc3\xa9@x.example>", 0, S, FAIL(550, "5.6.7", MAIL) },
	{ "MAIL FROM:<\xc3\xa9@x.example> SMTPUTF8", 0, S,
	  "MAIL <\xc3\xa9@x.example> SMTPUTF8", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM:<a@\xc3\xa9.example> SMTPUTF8", 0, S,
	  "MAIL <a@\xc3\xa9.example> SMTPUTF8", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "MAIL FROM:<\xc3\xa9@x.example> SMTPUTF8", 0, H,
	  FAIL(555, "5.5.4", MAIL) },
	{ "MAIL FROM:<\xc3@x.example> SMTPUTF8", 0, S,
	  FAIL(553, "5.1.7", MAIL) },
	{ "MAIL FROM:<a@b.example> SIZE=99999999999999999999", 0, S,
	  FAIL(552, "5.3.4", MAIL) },
	{ "MAIL FROM:<a@b.example> FOO=bar", 0, S, FAIL(555, "5.5.4", MAIL) },
	{ "MAIL FROM:<a@b.example> SIZE=1 SIZE=1", 0, S,
	  FAIL(501, "5.5.4", MAIL) },
	{ "MAIL FROM:<a@b.example> SIZE=10", 0, H, FAIL(555, "5.5.4", MAIL) },
	{ "MAIL FROM:<a@b.example> AUTH=<>", 0, S,
	  "MAIL <a@b.example> AUTH=<>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	/* RCPT, open-relay tricks included: they parse, policy refuses. */
	{ "RCPT TO:<user@example.com>", 0, S, "RCPT <user@example.com>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "rcpt to: <user@example.com>", 0, S, "RCPT <user@example.com>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<Postmaster>", 0, S, "RCPT <postmaster>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<postmaster@Example.com>", 0, S,
	  "RCPT <postmaster@example.com>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<>", 0, S, FAIL(553, "5.1.3", RCPT) },
	{ "RCPT TO:<@local.example:user@remote.example>", 0, S,
	  "RCPT <user@remote.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<user%remote.example@local.example>", 0, S,
	  "RCPT <user%remote.example@local.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<\"user@remote.example\"@local.example>", 0, S,
	  "RCPT <\"user@remote.example\"@local.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<remote.example!user@local.example>", 0, S,
	  "RCPT <remote.example!user@local.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<user@remote.example@local.example>", 0, S,
	  FAIL(553, "5.1.3", RCPT) },
	{ "RCPT TO:<user@[192.0.2.1]>", 0, S, "RCPT <user@[192.0.2.1]>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<user@[IPv6:2001:DB8::1]>", 0, S,
	  "RCPT <user@[IPv6:2001:db8::1]>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<user@[IPv6:2001:db8::zz]>", 0, S,
	  FAIL(553, "5.1.3", RCPT) },
	{ "RCPT TO:<\xc3\xa9@x.example>", 0, S, FAIL(553, "5.6.7", RCPT) },
	{ "RCPT TO:<\xc3\xa9@x.example>", 0, U, "RCPT <\xc3\xa9@x.example>", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.example",
	  0, S, "RCPT <a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.example", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RCPT TO:<b@x.example> ORCPT=rfc822;a+0D+0ABcc:x@y.example", 0, S,
	  FAIL(501, "5.5.4", RCPT) },
	{ "RCPT TO:<a@b.example> SIZE=1", 0, S, FAIL(555, "5.5.4", RCPT) },
	{ "RCPT TO:<a@b.example> NOTIFY=NEVER", 0, H,
	  FAIL(555, "5.5.4", RCPT) },
	{ "RCPT FROM:<a@b.example>", 0, S, FAIL(501, "5.5.4", RCPT) },
	{ "RCPT TO:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.example>",
	  0, S, FAIL(553, "5.1.3", RCPT) },
	/* Commands without arguments. */
	{ "DATA", 0, S, "DATA", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "data", 0, S, "DATA", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "DATA ", 0, S, "DATA", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "DATA x", 0, S, FAIL(501, "5.5.4", DATA) },
	{ "RSET", 0, S, "RSET", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "RSET now", 0, S, FAIL(501, "5.5.4", RSET) },
	{ "QUIT", 0, S, "QUIT", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "QUIT now", 0, S, FAIL(501, "5.5.4", QUIT) },
	{ "STARTTLS", 0, S, "STARTTLS", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "StartTLS", 0, S, "STARTTLS", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "STARTTLS x", 0, S, FAIL(501, "5.5.4", STARTTLS) },
	/* BDAT (RFC 3030). */
	{ "BDAT 100", 0, S, "BDAT 100", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "BDAT 100 LAST", 0, S, "BDAT 100 LAST", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "bdat 5 last", 0, S, "BDAT 5 LAST", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "BDAT 0 LAST", 0, S, "BDAT 0 LAST", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "BDAT 18446744073709551615", 0, S, "BDAT 18446744073709551615", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "BDAT", 0, S, FAIL(501, "5.5.4", BDAT) },
	{ "BDAT -1", 0, S, FAIL(501, "5.5.4", BDAT) },
	{ "BDAT 0x10", 0, S, FAIL(501, "5.5.4", BDAT) },
	{ "BDAT 10 LASTX", 0, S, FAIL(501, "5.5.4", BDAT) },
	{ "BDAT 10 LAST x", 0, S, FAIL(501, "5.5.4", BDAT) },
	{ "BDAT 1 2", 0, S, FAIL(501, "5.5.4", BDAT) },
	{ "BDAT LAST", 0, S, FAIL(501, "5.5.4", BDAT) },
	{ "BDAT 18446744073709551616", 0, S, FAIL(552, "5.3.4", BDAT) },
	{ "BDAT 99999999999999999999 LAST", 0, S, FAIL(552, "5.3.4", BDAT) },
	/* NOOP, HELP, VRFY, EXPN. */
	{ "NOOP", 0, S, "NOOP", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "NOOP hello there", 0, S, "NOOP [hello there]", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "NOOP h\xc3\xa9", 0, S, FAIL(501, "5.5.4", NOOP) },
	{ "HELP", 0, S, "HELP", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "HELP MAIL", 0, S, "HELP [MAIL]", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "VRFY", 0, S, FAIL(501, "5.5.4", VRFY) },
	{ "VRFY postmaster", 0, S, "VRFY [postmaster]", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "VRFY <a@b.example>", 0, S, "VRFY [<a@b.example>]", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EXPN staff", 0, S, "EXPN [staff]", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "EXPN", 0, S, FAIL(501, "5.5.4", EXPN) },
	{ "VRFY j\xc3\xb6rg", 0, S, "VRFY [j\xc3\xb6rg]", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "VRFY j\xc3\xb6rg", 0, H, FAIL(501, "5.5.4", VRFY) },
	{ "VRFY j\xc3rg", 0, S, FAIL(501, "5.5.4", VRFY) },
	/* AUTH (RFC 4954). */
	{ "AUTH PLAIN", 0, S, "AUTH PLAIN", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "auth gssapi", 0, S, "AUTH GSSAPI", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "AUTH SCRAM-SHA-256", 0, S, "AUTH SCRAM-SHA-256", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", 0, S,
	  "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "AUTH PLAIN =", 0, S, "AUTH PLAIN =", 0, NULL, SMTP_COMMAND_UNKNOWN },
	{ "AUTH", 0, S, FAIL(501, "5.5.4", AUTH) },
	{ "AUTH PL@IN", 0, S, FAIL(501, "5.5.4", AUTH) },
	{ "AUTH ABCDEFGHIJKLMNOPQRSTU", 0, S, FAIL(501, "5.5.4", AUTH) },
	{ "AUTH PLAIN a b", 0, S, FAIL(501, "5.5.4", AUTH) },
	{ "AUTH PLAIN abc", 0, S, FAIL(501, "5.5.2", AUTH) },
	{ "AUTH PLAIN ab=c", 0, S, FAIL(501, "5.5.2", AUTH) },
	{ "AUTH PLAIN a===", 0, S, FAIL(501, "5.5.2", AUTH) },
	{ "AUTH PLAIN ab*d", 0, S, FAIL(501, "5.5.2", AUTH) },
	/* Unknown and empty. */
	{ "", 0, S, FAIL(500, "5.5.2", UNKNOWN) },
	{ "   ", 0, S, FAIL(500, "5.5.2", UNKNOWN) },
	{ "XYZZY", 0, S, FAIL(500, "5.5.1", UNKNOWN) },
	{ "MAILFROM:<a@b.example>", 0, S, FAIL(500, "5.5.1", UNKNOWN) },
	{ " MAIL FROM:<a@b.example>", 0, S, FAIL(500, "5.5.1", UNKNOWN) },
	{ "GET / HTTP/1.1", 0, S, FAIL(500, "5.5.1", UNKNOWN) },
	{ "M\xc3\x81IL FROM:<a@b.example>", 0, S,
	  FAIL(500, "5.5.1", UNKNOWN) },
	/* Smuggling-looking lines: control characters anywhere. */
	{ "DATA\r", 0, S, FAIL(500, "5.5.2", UNKNOWN) },
	{ "RSET\rMAIL FROM:<a@b.example>", 0, S,
	  FAIL(500, "5.5.2", UNKNOWN) },
	{ "MAIL FROM:<a@b.example>\nRCPT TO:<c@d.example>", 0, S,
	  FAIL(500, "5.5.2", UNKNOWN) },
	{ "\r\n.\r\nMAIL FROM:<spoof@victim.example>", 0, S,
	  FAIL(500, "5.5.2", UNKNOWN) },
	{ "QUIT\0", 5, S, FAIL(500, "5.5.2", UNKNOWN) },
	{ "MAIL FROM:<a\0@b.example>", 24, S, FAIL(500, "5.5.2", UNKNOWN) },
	{ "DATA\x7f", 0, S, FAIL(500, "5.5.2", UNKNOWN) },
	{ "NOOP \x1b[31m", 0, S, FAIL(500, "5.5.2", UNKNOWN) },
	{ "MAIL FROM:<a@b.example>\tSIZE=10", 0, S,
	  FAIL(500, "5.5.2", UNKNOWN) },
	{ "EHLO a\r\nX-Injected: 1", 0, S, FAIL(500, "5.5.2", UNKNOWN) },
	{ "RCPT TO:<\"a\r\nBcc: v@x\"@x.example>", 0, S,
	  FAIL(500, "5.5.2", UNKNOWN) },
};

static void test_table(void)
{
	const struct smtp_limits *limits = &smtp_limits_default;
	struct smtp_command_error error;
	struct smtp_command *cmd;
	struct buf got = BUF_INIT;
	char name[200];
	size_t i, len;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct command_case *c = &cases[i];

		len = c->len != 0 ? c->len : strlen(c->line);
		memset(&error, 0, sizeof(error));
		ret = smtp_command_parse(c->line, len, c->opts, limits, &cmd,
					 &error);
		(void)str_format(name, sizeof(name), "%zu: %.150s", i,
				 c->want != NULL ? c->want : c->line);
		for (char *p = name; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20)
				*p = '?';
		}
		if (c->want == NULL) {
			ok(ret == -1 && cmd == NULL &&
			   error.status.code == c->code &&
			   strcmp(error.status.enhanced, c->enhanced) == 0 &&
			   error.verb == c->verb && error.reason != NULL &&
			   error.status.text != NULL, name);
			if (ret == 0 || error.status.code != c->code ||
			    error.verb != c->verb)
				printf("#   got %d %u %s verb %d (%s)\n", ret,
				       error.status.code,
				       error.status.enhanced,
				       error.verb, error.reason);
			smtp_command_free(&cmd);
			continue;
		}
		if (!ok(ret == 0, name)) {
			printf("#   got %u %s (%s)\n", error.status.code,
			       error.status.enhanced, error.reason);
			continue;
		}
		buf_clear(&got);
		describe(&got, cmd);
		is_str(buf_cstr(&got), c->want, "  parsed");
		smtp_command_free(&cmd);
		ok(cmd == NULL, "  free clears the pointer");
	}
	buf_free(&got);
}

/* A command of exactly `len` octets: `prefix`, then filler, then `suffix`. */
static int parse_len(const char *prefix, char fill, const char *suffix,
		     size_t len, const struct smtp_limits *limits,
		     struct smtp_command_error *error_r)
{
	struct buf line = BUF_INIT;
	struct smtp_command *cmd;
	int ret;

	buf_append_str(&line, prefix);
	while (line.len + strlen(suffix) < len)
		buf_append_char(&line, fill);
	buf_append_str(&line, suffix);
	ret = smtp_command_parse(line.data, line.len, &opts_smtp, limits,
				 &cmd, error_r);
	smtp_command_free(&cmd);
	buf_free(&line);
	return ret;
}

static void test_line_limits(void)
{
	struct smtp_limits limits = smtp_limits_default;
	struct smtp_command_error error;

	is_int(smtp_limits_line_max(&limits), 12288,
	       "the line reader must accept AUTH's 12288");
	/* 512 with CRLF: 510 octets of command (RFC 5321 4.5.3.1.4). */
	is_int(parse_len("NOOP ", 'x', "", 510, &limits, &error), 0,
	       "NOOP of 510 octets");
	is_int(parse_len("NOOP ", 'x', "", 511, &limits, &error), -1,
	       "NOOP of 511 octets");
	ok(error.status.code == 500 &&
	   strcmp(error.status.enhanced, "5.5.2") == 0 &&
	   error.verb == SMTP_COMMAND_NOOP, "  500 5.5.2");
	is_int(parse_len("DATA", ' ', "", 511, &limits, &error), -1,
	       "trailing spaces count toward the limit");
	is_int(parse_len("EHLO ", 'h', "", 511, &limits, &error), -1,
	       "EHLO of 511 octets");
	/* MAIL and RCPT may grow with DSN parameters. */
	is_int(parse_len("RCPT TO:<a@b.example> NOTIFY=NEVER ORCPT=rfc822;",
			 'o', "@b.example", 530, &limits, &error), 0,
	       "RCPT of 530 octets with ORCPT");
	is_int(parse_len("RCPT TO:<a@b.example> NOTIFY=NEVER ORCPT=rfc822;",
			 'o', "@b.example", 2047, &limits, &error), -1,
	       "RCPT of 2047 octets");
	ok(error.status.code == 500 && error.verb == SMTP_COMMAND_RCPT,
	   "  500 before anything is parsed");
	/* AUTH initial responses (RFC 4954 4). */
	is_int(parse_len("AUTH GSSAPI   ", 'A', "", 12286, &limits, &error), 0,
	       "AUTH of 12286 octets");
	is_int(parse_len("AUTH GSSAPI ", 'A', "", 12287, &limits, &error), -1,
	       "AUTH of 12287 octets");
	ok(error.status.code == 500 &&
	   strcmp(error.status.enhanced, "5.5.6") == 0, "  500 5.5.6");
	/* A configured larger limit for sloppy clients. */
	limits.command_line = 1000;
	is_int(parse_len("NOOP ", 'x', "", 998, &limits, &error), 0,
	       "NOOP under a raised limit");
	/* Message size limit applies to SIZE= and BDAT. */
	limits.message_size = 1000;
	is_int(parse_len("BDAT 1000", ' ', "", 9, &limits, &error), 0,
	       "BDAT at the size limit");
	is_int(parse_len("BDAT 1001 LAST", ' ', "", 14, &limits, &error), -1,
	       "BDAT over the size limit");
	ok(error.status.code == 552 && error.verb == SMTP_COMMAND_BDAT,
	   "  552");
	is_int(parse_len("MAIL FROM:<a@b.example> SIZE=1001", ' ', "", 33,
			 &limits, &error), -1, "SIZE over the size limit");
	ok(error.status.code == 552 &&
	   strcmp(error.status.enhanced, "5.3.4") == 0, "  552 5.3.4");
}

static void test_fields(void)
{
	const struct smtp_limits *limits = &smtp_limits_default;
	struct smtp_command_error error;
	struct smtp_command *cmd;
	const char *line;

	line = "RCPT TO:<@relay.example:\"u%v\"@local.example>";
	ok(smtp_command_parse(line, strlen(line), &opts_smtp, limits, &cmd,
			      &error) == 0, "relay tricks reach policy");
	is_int(smtp_address_routing(cmd->path),
	       SMTP_ADDRESS_ROUTE_SOURCE | SMTP_ADDRESS_ROUTE_PERCENT,
	       "  with their routing bits");
	smtp_command_free(&cmd);

	line = "MAIL FROM:<> SMTPUTF8 BODY=8BITMIME ENVID=x+2By";
	ok(smtp_command_parse(line, strlen(line), &opts_smtp, limits, &cmd,
			      &error) == 0, "MAIL with parameters");
	ok(cmd->path->null_path && cmd->mail.smtputf8 &&
	   cmd->mail.body == SMTP_PARAMS_BODY_8BITMIME &&
	   strcmp(cmd->mail.envid, "x+y") == 0, "  fields");
	smtp_command_free(&cmd);

	line = "AUTH PLAIN =";
	ok(smtp_command_parse(line, strlen(line), &opts_smtp, limits, &cmd,
			      &error) == 0 && cmd->auth_initial != NULL &&
	   *cmd->auth_initial == '\0', "AUTH = is an empty response");
	smtp_command_free(&cmd);
	line = "AUTH PLAIN";
	ok(smtp_command_parse(line, strlen(line), &opts_smtp, limits, &cmd,
			      &error) == 0 && cmd->auth_initial == NULL,
	   "AUTH without a response");
	smtp_command_free(&cmd);
	smtp_command_free(&cmd);
	ok(1, "double free is harmless");

	is_str(smtp_command_verb_name(SMTP_COMMAND_STARTTLS), "STARTTLS",
	       "verb names");
	is_str(smtp_command_verb_name(SMTP_COMMAND_UNKNOWN), "UNKNOWN",
	       "unknown verb name");
}

int main(void)
{
	test_table();
	test_line_limits();
	test_fields();
	return tap_done();
}
