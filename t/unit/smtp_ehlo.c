/* Unit tests for libmail/smtp_ehlo.c: reading what a server offers, and
 * writing our own EHLO reply. */
#include "tap.h"
#include "buf.h"
#include "smtp_ehlo.h"
#include "smtp_ext.h"
#include "smtp_reply.h"
#include "smtp_reply_parser.h"

#include <stdint.h>
#include <string.h>

/* Parses `text` as a reply (one byte at a time, as it may arrive), then as
 * an EHLO reply. */
static struct smtp_ehlo *ehlo_from(const char *text)
{
	struct smtp_reply_parser *parser =
		smtp_reply_parser_new(&smtp_reply_limits_default);
	const struct smtp_reply *reply = NULL;
	struct smtp_ehlo *ehlo = NULL;
	const char *error;
	size_t i, used;
	int ret = 0;

	for (i = 0; text[i] != '\0' && ret == 0; i++)
		ret = smtp_reply_parser_feed(parser, text + i, 1, &used,
					     &reply, &error);
	if (ret == 1 && smtp_ehlo_parse(reply, &ehlo, &error) < 0)
		ehlo = NULL;
	smtp_reply_parser_free(&parser);
	return ehlo;
}

static void test_parse(void)
{
	struct smtp_ehlo *ehlo;
	size_t i;
	struct buf many = BUF_INIT;

	ehlo = ehlo_from("250-mx.example.com Hello client [192.0.2.9]\r\n"
			 "250-PIPELINING\r\n"
			 "250-SIZE 35882577\r\n"
			 "250-8BITMIME\r\n"
			 "250-SMTPUTF8\r\n"
			 "250-DSN\r\n"
			 "250-STARTTLS\r\n"
			 "250-AUTH PLAIN LOGIN GSSAPI\r\n"
			 "250-AUTH=PLAIN LOGIN XOAUTH2\r\n"
			 "250-CHUNKING\r\n"
			 "250-BINARYMIME\r\n"
			 "250-ENHANCEDSTATUSCODES\r\n"
			 "250-X-UNKNOWN foo bar\r\n"
			 "250 VRFY\r\n");
	ok(ehlo != NULL, "a full EHLO reply");
	is_str(ehlo->domain, "mx.example.com", "  server name");
	is_int(ehlo->extensions,
	       SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
	       SMTP_EXT_SMTPUTF8 | SMTP_EXT_DSN | SMTP_EXT_STARTTLS |
	       SMTP_EXT_AUTH | SMTP_EXT_CHUNKING | SMTP_EXT_BINARYMIME |
	       SMTP_EXT_ENHANCEDSTATUSCODES, "  extensions");
	ok(ehlo->size == 35882577, "  size");
	is_int(ehlo->auth_mech_count, 4, "  mechanisms, without duplicates");
	ok(smtp_ehlo_has_auth(ehlo, "gssapi") &&
	   smtp_ehlo_has_auth(ehlo, "XOAUTH2") &&
	   !smtp_ehlo_has_auth(ehlo, "CRAM-MD5"), "  mechanism lookup");
	smtp_ehlo_free(&ehlo);
	ok(ehlo == NULL, "free clears the pointer");

	ehlo = ehlo_from("250 only.example\r\n");
	ok(ehlo != NULL && ehlo->extensions == 0 &&
	   strcmp(ehlo->domain, "only.example") == 0, "HELO-like reply");
	smtp_ehlo_free(&ehlo);

	ehlo = ehlo_from("250-x\r\n250-size 1000\r\n250 auth plain\r\n");
	ok(ehlo != NULL && ehlo->size == 1000 &&
	   (ehlo->extensions & SMTP_EXT_AUTH) != 0 &&
	   smtp_ehlo_has_auth(ehlo, "PLAIN"), "lower case keywords");
	smtp_ehlo_free(&ehlo);

	ehlo = ehlo_from("250-x\r\n250 SIZE\r\n");
	ok(ehlo != NULL && (ehlo->extensions & SMTP_EXT_SIZE) != 0 &&
	   ehlo->size == 0, "SIZE without a limit");
	smtp_ehlo_free(&ehlo);
	ehlo = ehlo_from("250-x\r\n250 SIZE 99999999999999999999\r\n");
	ok(ehlo != NULL && ehlo->size == UINT64_MAX, "SIZE past 64 bits");
	smtp_ehlo_free(&ehlo);
	ehlo = ehlo_from("250-x\r\n250 SIZE 12abc\r\n");
	ok(ehlo != NULL && ehlo->size == 0, "SIZE with junk");
	smtp_ehlo_free(&ehlo);

	ehlo = ehlo_from("250-x\r\n250-STARTTLS\r\n250-8BIT_MIME\r\n"
			 "250-AUTH PL@IN TOOLONGMECHANISMNAME12 OK\r\n"
			 "250 -DSN\r\n");
	ok(ehlo != NULL && ehlo->extensions ==
	   (SMTP_EXT_STARTTLS | SMTP_EXT_AUTH) &&
	   ehlo->auth_mech_count == 1 && smtp_ehlo_has_auth(ehlo, "OK"),
	   "malformed lines and mechanisms are ignored");
	smtp_ehlo_free(&ehlo);

	buf_append_str(&many, "250-x\r\n250 AUTH");
	for (i = 0; i < 40; i++)
		buf_printf(&many, " M%zu", i);
	buf_append_str(&many, "\r\n");
	ehlo = ehlo_from(buf_cstr(&many));
	ok(ehlo != NULL && ehlo->auth_mech_count == SMTP_EHLO_AUTH_MECHS_MAX,
	   "mechanism list is capped");
	smtp_ehlo_free(&ehlo);
	buf_free(&many);

	ok(ehlo_from("550 go away\r\n") == NULL, "a 550 is not an EHLO reply");
}

static void test_write(void)
{
	struct buf out = BUF_INIT;
	struct smtp_ehlo *ehlo;
	const char *error;
	unsigned int ext = SMTP_EXT_PIPELINING | SMTP_EXT_SIZE |
		SMTP_EXT_8BITMIME | SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8 |
		SMTP_EXT_AUTH | SMTP_EXT_ENHANCEDSTATUSCODES |
		SMTP_EXT_CHUNKING;

	ok(smtp_ehlo_write_reply(&out, "mx.example", "greets you", ext,
				 10485760, "GSSAPI PLAIN", &error) == 0,
	   "write an EHLO reply");
	is_str(buf_cstr(&out),
	       "250-mx.example greets you\r\n"
	       "250-PIPELINING\r\n"
	       "250-SIZE 10485760\r\n"
	       "250-8BITMIME\r\n"
	       "250-CHUNKING\r\n"
	       "250-DSN\r\n"
	       "250-SMTPUTF8\r\n"
	       "250-AUTH GSSAPI PLAIN\r\n"
	       "250 ENHANCEDSTATUSCODES\r\n", "  text");
	ehlo = ehlo_from(buf_cstr(&out));
	ok(ehlo != NULL && ehlo->extensions == ext && ehlo->size == 10485760 &&
	   ehlo->auth_mech_count == 2, "  reads back");
	smtp_ehlo_free(&ehlo);

	buf_clear(&out);
	ok(smtp_ehlo_write_reply(&out, "lmtp.example", NULL,
				 SMTP_EXT_SIZE | SMTP_EXT_AUTH, 0, NULL,
				 &error) == 0, "no greeting, no limit");
	is_str(buf_cstr(&out), "250-lmtp.example\r\n250 SIZE\r\n",
	       "  AUTH left out without mechanisms");
	buf_free(&out);
}

int main(void)
{
	test_parse();
	test_write();
	return tap_done();
}
