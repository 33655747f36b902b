/* Unit tests for libmail/auth_proto.c and base64.c: message parsing with
 * every field checked, leftovers and bad frames refused, and the line
 * reader fed all at once and one byte at a time. */
#include "tap.h"
#include "auth_proto.h"
#include "base64.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>

static const struct auth_proto_limits limits = { 16 };

struct parse_case {
	const char *line;
	int ok;
	const char *why;
};

static const struct parse_case parse_cases[] = {
	{ "HELLO\t1", 1, "hello" },
	{ "HELLO\t0", 0, "version 0" },
	{ "HELLO\t01", 0, "leading zero" },
	{ "HELLO\t+1", 0, "sign" },
	{ "HELLO\t1\t", 0, "trailing tab (extra empty field)" },
	{ "HELLO\t1\tx", 0, "extra field" },
	{ "HELLO", 0, "missing field" },
	{ "HELLO 1", 0, "space is not a separator" },
	{ "hello\t1", 0, "types are case-sensitive" },
	{ "BOGUS\t1", 0, "unknown type" },
	{ "", 0, "empty line" },
	{ "WELCOME\t1\t65536\tGSSAPI PLAIN LOGIN", 1, "welcome" },
	{ "WELCOME\t1\t65536\tGSSAPI  PLAIN", 0, "double space in mechs" },
	{ "WELCOME\t1\t65536\tGSSAPI ", 0, "trailing space in mechs" },
	{ "WELCOME\t1\t99999999\tPLAIN", 0, "max_token over hard max" },
	{ "START\tPLAIN\timap\ttls\t127.0.0.1\tABC123\tAGFsaWNlAHB3", 1,
	  "start with initial response" },
	{ "START\tGSSAPI\tsmtp\tplain\t-\tS1\t-", 1, "start without one" },
	{ "START\tGSSAPI\tsmtp\tplain\t::1\tS1\t=", 1, "empty initial" },
	{ "START\tGSSAPI\tsmtp\tplain\t::1\tS1\t", 0, "empty token field" },
	{ "START\tgssapi\tsmtp\ttls\t-\tS1\t-", 0, "lower-case mech" },
	{ "START\tPLAIN\tIMAP\ttls\t-\tS1\t-", 0, "upper-case service" },
	{ "START\tPLAIN\timap\tyes\t-\tS1\t-", 0, "bad secured" },
	{ "START\tPLAIN\timap\ttls\t1.2.3.4;x\tS1\t-", 0, "bad address" },
	{ "START\tPLAIN\timap\ttls\t-\tS-1\t-", 0, "bad session" },
	{ "START\tPLAIN\timap\ttls\t-\tS1\tAGFsaWNlAHB3\tx", 0, "leftover" },
	{ "START\tPLAIN\timap\ttls\t-\tS1\tAGFsaWNlAHB=", 0,
	  "non-canonical base64 (stray bits)" },
	{ "START\tPLAIN\timap\ttls\t-\tS1\tAGFsa WNl", 0, "space in base64" },
	{ "START\tPLAIN\timap\ttls\t-\tS1\tAGFsaWN", 0, "unpadded base64" },
	{ "START\tPLAIN\timap\ttls\t-\tS1\tA===", 0, "three pad bytes" },
	{ "START\tPLAIN\timap\ttls\t-\tS1\tAA==AA==", 0, "pad in the middle" },
	{ "START\tPLAIN\timap\ttls\t-\tS1\tAAAAAAAAAAAAAAAAAAAAAAAA", 0,
	  "token of 18 bytes over the limit of 16" },
	{ "START\tPLAIN\timap\ttls\t-\tS1\tAAAAAAAAAAAAAAAAAAAAAA==", 1,
	  "token of exactly 16 bytes" },
	{ "CONTINUE\t=", 1, "empty challenge" },
	{ "CONTINUE\t-", 0, "absent challenge" },
	{ "RESPONSE\tYWJj", 1, "response" },
	{ "RESPONSE\tYWJj\t", 0, "response with leftover tab" },
	{ "OK\talice\talice", 1, "ok" },
	{ "OK\tbob@OTHER.EDU\tadmin", 1, "ok with foreign user" },
	{ "OK\t../x\talice", 0, "ok with path user" },
	{ "OK\talice", 0, "ok without authn_user" },
	{ "FAIL\tauth", 1, "fail" },
	{ "FAIL\ttemp", 1, "fail temp" },
	{ "FAIL\tnope", 0, "unknown reason" },
};

static void test_parse(void)
{
	struct auth_msg msg = { 0 };
	const char *err;
	char name[160];
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int ret = auth_proto_parse(c->line, strlen(c->line), &limits,
					   &msg, &err);

		snprintf(name, sizeof(name), "parse: %s", c->why);
		if (!ok((ret == 0) == (c->ok != 0), name) && ret < 0)
			printf("#   error: %s\n", err);
	}
	/* Field values, and a round trip through the writer. */
	{
		static const char start[] =
			"START\tPLAIN\timap\ttls\t127.0.0.1\tABC123\t"
			"AGFsaWNlAHB3";

		ok(auth_proto_parse(start, strlen(start), &limits, &msg,
				    &err) == 0, "start parses");
	}
	is_str(msg.mech, "PLAIN", "mech");
	is_str(msg.service, "imap", "service");
	ok(msg.secured, "secured");
	is_str(msg.client_addr, "127.0.0.1", "client address");
	is_str(msg.session, "ABC123", "session");
	ok(msg.has_token && msg.token.len == 9 &&
	   memcmp(msg.token.data, "\0alice\0pw", 9) == 0, "token decoded");
	{
		struct buf out = BUF_INIT;

		auth_proto_write(&out, &msg);
		is_str(buf_cstr(&out), "START\tPLAIN\timap\ttls\t127.0.0.1\t"
		       "ABC123\tAGFsaWNlAHB3\n", "writer round trip");
		buf_free(&out);
	}
	ok(auth_proto_parse("START\tPLAIN\timap\ttls\t-\tS\t=", 26, &limits,
			    &msg, &err) == 0 && msg.has_token &&
	   msg.token.len == 0 && msg.client_addr[0] == '\0',
	   "empty initial response is present and empty");
	ok(auth_proto_parse("START\tPLAIN\timap\ttls\t-\tS\t-", 26, &limits,
			    &msg, &err) == 0 && !msg.has_token,
	   "'-' is no initial response");
	ok(auth_proto_parse("HELLO\t1\0x", 9, &limits, &msg, &err) < 0,
	   "NUL inside a field");
	auth_msg_deinit(&msg);
}

/* Feeds `input` either whole or byte by byte and returns the lines joined
 * with '|', or "ERR" appended at the first error. */
static void read_lines(const char *input, size_t len, size_t max_line,
		       int bytewise, struct buf *out)
{
	struct auth_proto_reader r;
	const char *line, *err;
	size_t i, llen;
	int ret;

	auth_proto_reader_init(&r, max_line);
	for (i = 0; i < len; i += bytewise ? 1 : len) {
		auth_proto_reader_feed(&r, input + i, bytewise ? 1 : len);
		while ((ret = auth_proto_reader_next(&r, &line, &llen,
						     &err)) == 1) {
			buf_append(out, line, llen);
			buf_append_char(out, '|');
		}
		if (ret < 0) {
			buf_append_str(out, "ERR");
			break;
		}
	}
	if (auth_proto_reader_has_leftover(&r) && ret >= 0)
		buf_append_str(out, "PARTIAL");
	auth_proto_reader_deinit(&r);
}

struct reader_case {
	const char *input;
	size_t max_line;
	const char *want;
	const char *why;
};

static const struct reader_case reader_cases[] = {
	{ "HELLO\t1\nSTART\tx\n", 32, "HELLO\t1|START\tx|", "two lines" },
	{ "HELLO\t1\nSTA", 32, "HELLO\t1|PARTIAL", "partial line kept" },
	{ "\n", 32, "|", "empty line is a line" },
	{ "0123456\n", 8, "0123456|", "line of exactly max_line" },
	{ "01234567\n", 8, "ERR", "one byte too long" },
	{ "0123456789abcdef", 8, "ERR", "too long without LF yet" },
	{ "ab\r\n", 32, "ERR", "CR refused" },
	{ "ok\nab\r\n", 32, "ok|ERR", "CR refused after a good line" },
};

static void test_reader(void)
{
	struct buf out = BUF_INIT;
	char name[160];
	size_t i;
	int bytewise;

	for (bytewise = 0; bytewise < 2; bytewise++) {
		for (i = 0; i < sizeof(reader_cases) / sizeof(reader_cases[0]);
		     i++) {
			const struct reader_case *c = &reader_cases[i];

			buf_clear(&out);
			read_lines(c->input, strlen(c->input), c->max_line,
				   bytewise, &out);
			snprintf(name, sizeof(name), "reader (%s): %s",
				 bytewise ? "bytewise" : "whole", c->why);
			is_str(buf_cstr(&out), c->want, name);
		}
		buf_clear(&out);
		read_lines("a\0b\n", 4, 32, bytewise, &out);
		is_str(buf_cstr(&out), "ERR", bytewise ?
		       "reader (bytewise): NUL refused" :
		       "reader (whole): NUL refused");
	}
	buf_free(&out);
}

/* A maximal START line, built by the writer, goes through the reader in
 * one piece and byte by byte with the limit the server would use. */
static void test_max_token(void)
{
	struct auth_proto_limits big = { 65536 };
	struct auth_msg msg = { 0 }, got = { 0 };
	struct buf line = BUF_INIT, out = BUF_INIT;
	const char *err;
	size_t i;
	int bytewise;

	msg.type = AUTH_MSG_START;
	(void)str_copy(msg.mech, sizeof(msg.mech), "GSSAPI");
	(void)str_copy(msg.service, sizeof(msg.service), "imap");
	(void)str_copy(msg.session, sizeof(msg.session),
		       "ABCDEFGHIJKLMNOPQRSTUVW");
	(void)str_copy(msg.client_addr, sizeof(msg.client_addr),
		       "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	msg.has_token = true;
	for (i = 0; i < big.max_token; i++)
		buf_append_char(&msg.token, (char)(i * 7));
	auth_proto_write(&line, &msg);
	ok(line.len <= auth_proto_max_line(&big), "maximal line fits");
	for (bytewise = 0; bytewise < 2; bytewise++) {
		buf_clear(&out);
		read_lines(line.data, line.len, auth_proto_max_line(&big),
			   bytewise, &out);
		ok(out.len == line.len && out.data[out.len - 1] == '|',
		   bytewise ? "maximal line bytewise" : "maximal line whole");
	}
	ok(auth_proto_parse(line.data, line.len - 1, &big, &got, &err) == 0 &&
	   got.token.len == big.max_token &&
	   memcmp(got.token.data, msg.token.data, big.max_token) == 0,
	   "maximal token decodes");
	buf_append_char(&msg.token, 'x');
	buf_clear(&line);
	auth_proto_write(&line, &msg);
	ok(auth_proto_parse(line.data, line.len - 1, &big, &got, &err) < 0,
	   "token one byte over the limit refused");
	auth_msg_deinit(&msg);
	auth_msg_deinit(&got);
	buf_free(&line);
	buf_free(&out);
}

static void test_base64(void)
{
	static const char *const vectors[][2] = {
		/* RFC 4648 section 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		buf_clear(&b);
		base64_encode(&b, vectors[i][0], strlen(vectors[i][0]));
		is_str(buf_cstr(&b), vectors[i][1], "base64 encode vector");
		buf_clear(&b);
		ok(base64_decode(&b, vectors[i][1], strlen(vectors[i][1]),
				 100) == 0 &&
		   strcmp(buf_cstr(&b), vectors[i][0]) == 0,
		   "base64 decode vector");
	}
	buf_clear(&b);
	buf_append_str(&b, "keep");
	ok(base64_decode(&b, "Zm9=", 4, 100) < 0 &&
	   strcmp(buf_cstr(&b), "keep") == 0,
	   "base64 failure leaves the buffer as it was");
	ok(base64_decode(&b, "Zm9vYmFy", 8, 5) < 0, "base64 output limit");
	buf_free(&b);
}

int main(void)
{
	test_parse();
	test_reader();
	test_max_token();
	test_base64();
	return tap_done();
}
