/* Unit tests for libmail/smtp_reply.c, smtp_reply_parser.c and
 * smtp_status.c: writing replies, reading them back whole, a byte at a time
 * and in odd chunks, and the enhanced status codes. */
#include "tap.h"
#include "buf.h"
#include "smtp_reply.h"
#include "smtp_reply_parser.h"
#include "smtp_status.h"
#include "stream.h"

#include <string.h>
#include <unistd.h>

static const struct {
	unsigned int code;
	const char *enhanced;
	const char *text;
	const char *want;	/* NULL: must fail */
} write_cases[] = {
	{ 250, NULL, "OK", "250 OK\r\n" },
	{ 250, "2.1.0", "Sender OK", "250 2.1.0 Sender OK\r\n" },
	{ 250, NULL, "mx.example\nPIPELINING\nSIZE 100",
	  "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n" },
	{ 550, "5.7.1", "Relay denied\nsee policy",
	  "550-5.7.1 Relay denied\r\n550 5.7.1 see policy\r\n" },
	{ 250, NULL, "", "250\r\n" },
	{ 250, "2.0.0", "", "250 2.0.0 \r\n" },
	{ 250, NULL, "a\n", "250-a\r\n250\r\n" },
	{ 354, NULL, "End data with <CR><LF>.<CR><LF>",
	  "354 End data with <CR><LF>.<CR><LF>\r\n" },
	{ 250, NULL, "a\rb\x1b[0m\x7f", "250 a?b?[0m?\r\n" },
	{ 550, "5.1.1", "<\xc3\xa9@x> unknown", "550 5.1.1 <\xc3\xa9@x> unknown\r\n" },
	{ 354, "2.0.0", "go", NULL },
	{ 250, "5.0.0", "x", NULL },
	{ 450, "5.0.0", "x", NULL },
	{ 550, "4.0.0", "x", NULL },
	{ 250, "2.0", "x", NULL },
	{ 250, "2.0.0 ", "x", NULL },
	{ 250, "2.00.0", "x", NULL },
	{ 250, "2.1000.0", "x", NULL },
	{ 199, NULL, "x", NULL },
	{ 600, NULL, "x", NULL },
	{ 0, NULL, "x", NULL },
};

static void test_write(void)
{
	struct buf out = BUF_INIT, text = BUF_INIT;
	struct smtp_status status = { 501, "5.5.4", "Syntax error" };
	const char *error;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(write_cases) / sizeof(write_cases[0]); i++) {
		buf_clear(&out);
		buf_append_str(&out, "prev\r\n");
		ret = smtp_reply_write(&out, write_cases[i].code,
				       write_cases[i].enhanced,
				       write_cases[i].text, &error);
		if (write_cases[i].want == NULL) {
			ok(ret == -1 && out.len == 6, write_cases[i].text);
			continue;
		}
		ok(ret == 0, write_cases[i].want);
		is_str(buf_cstr(&out) + 6, write_cases[i].want, "  written");
	}

	/* RFC 5321 4.5.3.1.5: 512 octets with CRLF. */
	buf_clear(&out);
	while (text.len < 512 - 12)
		buf_append_char(&text, 'x');
	ok(smtp_reply_write(&out, 550, "5.0.0", buf_cstr(&text), &error) == 0 &&
	   out.len == 512, "a 512-octet line");
	buf_append_char(&text, 'x');
	buf_clear(&out);
	ok(smtp_reply_write(&out, 550, "5.0.0", buf_cstr(&text), &error) == -1 &&
	   out.len == 0, "a 513-octet line is refused, nothing written");
	buf_clear(&text);
	buf_append_str(&text, "short\n");
	while (text.len < 6 + 600)
		buf_append_char(&text, 'y');
	ok(smtp_reply_write(&out, 550, NULL, buf_cstr(&text), &error) == -1 &&
	   out.len == 0, "a long second line undoes the first");

	buf_clear(&out);
	ok(smtp_reply_printf(&out, 451, "4.3.0", &error, "Queue error, id %s",
			     "7Q2M4XK9AB1C") == 0, "printf");
	is_str(buf_cstr(&out), "451 4.3.0 Queue error, id 7Q2M4XK9AB1C\r\n",
	       "  written");
	buf_clear(&out);
	smtp_reply_write_status(&out, &status, true);
	is_str(buf_cstr(&out), "501 5.5.4 Syntax error\r\n",
	       "status with enhanced code");
	buf_clear(&out);
	smtp_reply_write_status(&out, &status, false);
	is_str(buf_cstr(&out), "501 Syntax error\r\n",
	       "status without enhanced code");
	buf_free(&out);
	buf_free(&text);
}

/* Feeds `in` in chunks of `chunk` octets (0: all at once) and describes each
 * reply as "code[enhanced]line|line;", or "ERR" after an error. */
static void feed(const struct smtp_reply_limits *limits, const char *in,
		 size_t len, size_t chunk, struct buf *out)
{
	struct smtp_reply_parser *parser = smtp_reply_parser_new(limits);
	const struct smtp_reply *reply;
	const char *error;
	size_t pos = 0, n, used, i;
	int ret;

	while (pos < len) {
		n = chunk == 0 || len - pos < chunk ? len - pos : chunk;
		ret = smtp_reply_parser_feed(parser, in + pos, n, &used,
					     &reply, &error);
		if (ret < 0) {
			buf_append_str(out, "ERR");
			break;
		}
		if (used > n) {
			buf_append_str(out, "OVERRUN");
			break;
		}
		pos += used;
		if (ret == 0) {
			if (used != n)
				buf_append_str(out, "SHORT");
			continue;
		}
		buf_printf(out, "%u[%s]", reply->code, reply->enhanced);
		for (i = 0; i < reply->line_count; i++)
			buf_printf(out, "%s%s", i > 0 ? "|" : "",
				   reply->lines[i]);
		buf_append_char(out, ';');
	}
	smtp_reply_parser_free(&parser);
}

static const struct {
	const char *in;
	const char *want;
} parse_cases[] = {
	{ "250 OK\r\n", "250[]OK;" },
	{ "250-first\r\n250-second\r\n250 last\r\n", "250[]first|second|last;" },
	{ "250\r\n", "250[];" },
	{ "250-\r\n250 x\r\n", "250[]|x;" },
	{ "550 5.1.1 No such user\r\n", "550[5.1.1]No such user;" },
	{ "550 5.1.1   spaced\r\n", "550[5.1.1]spaced;" },
	{ "550-5.1.1 a\r\n550 5.1.1 b\r\n", "550[5.1.1]a|b;" },
	{ "550-5.1.1 a\r\n550 5.1.2 b\r\n", "550[5.1.1]a|5.1.2 b;" },
	{ "451 4.7.1 Try later\r\n", "451[4.7.1]Try later;" },
	{ "250 2.0.0\r\n", "250[2.0.0];" },
	{ "250 5.0.0 x\r\n", "250[]5.0.0 x;" },
	{ "354 Start mail input\r\n", "354[]Start mail input;" },
	{ "354 2.0.0 go\r\n", "354[]2.0.0 go;" },
	{ "250 2.01.0 x\r\n", "250[]2.01.0 x;" },
	{ "250 2.1.1000 x\r\n", "250[]2.1.1000 x;" },
	{ "250 2.1.0x\r\n", "250[]2.1.0x;" },
	{ "250 h\xc3\xa9llo\r\n", "250[]h\xc3\xa9llo;" },
	{ "250 tab\there\r\n", "250[]tab\there;" },
	/* Several replies in one read: pipelining, and the STARTTLS
	 * response injection the caller must notice. */
	{ "220 ready\r\n250 fake\r\n", "220[]ready;250[]fake;" },
	{ "250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n",
	  "250[2.1.0]ok;250[2.1.5]ok;354[]go;" },
	/* Errors. */
	{ "250-a\r\n251 b\r\n", "ERR" },
	{ "250-a\r\n550 b\r\n", "ERR" },
	{ "250 OK\n", "ERR" },
	{ "250 a\rb\r\n", "ERR" },
	{ "\r\n", "ERR" },
	{ "25 OK\r\n", "ERR" },
	{ "2500 x\r\n", "ERR" },
	{ "250xOK\r\n", "ERR" },
	{ "650 x\r\n", "ERR" },
	{ "150 x\r\n", "ERR" },
	{ "260 x\r\n", "ERR" },
	{ "abc\r\n", "ERR" },
	{ "250 ok\r\nbogus\r\n", "250[]ok;ERR" },
};

static void test_parse(void)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7 };
	struct buf got = BUF_INIT, in = BUF_INIT, want = BUF_INIT;
	struct smtp_reply_limits limits = smtp_reply_limits_default;
	char name[200];
	size_t i, c;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			buf_clear(&got);
			feed(&limits, parse_cases[i].in,
			     strlen(parse_cases[i].in), chunks[c], &got);
			(void)str_format(name, sizeof(name),
					 "reply %zu by %zu: %s", i, chunks[c],
					 parse_cases[i].want);
			for (char *p = name; *p != '\0'; p++) {
				if ((unsigned char)*p < 0x20)
					*p = ' ';
			}
			is_str(buf_cstr(&got), parse_cases[i].want, name);
		}
	}

	buf_clear(&got);
	feed(&limits, "250 a\0b\r\n", 9, 0, &got);
	is_str(buf_cstr(&got), "ERR", "NUL in a reply");
	buf_clear(&got);
	feed(&limits, "250 a\0b\r\n", 9, 1, &got);
	is_str(buf_cstr(&got), "ERR", "NUL in a reply, byte by byte");

	/* Line length: the limit counts the CRLF. */
	buf_append_str(&in, "250 ");
	while (in.len < 2046)
		buf_append_char(&in, 'x');
	buf_append_str(&in, "\r\n");
	for (c = 0; c < 2; c++) {
		buf_clear(&got);
		feed(&limits, in.data, in.len, c, &got);
		ok(strncmp(buf_cstr(&got), "250[]xxx", 8) == 0,
		   c ? "2048-octet line, byte by byte" : "2048-octet line");
	}
	buf_truncate(&in, in.len - 2);
	buf_append_str(&in, "x\r\n");
	for (c = 0; c < 2; c++) {
		buf_clear(&got);
		feed(&limits, in.data, in.len, c, &got);
		is_str(buf_cstr(&got), "ERR",
		       c ? "2049-octet line, byte by byte" : "2049-octet line");
	}
	/* An endless line is refused once it passes the limit, before its
	 * end ever arrives. */
	{
		struct smtp_reply_parser *parser =
			smtp_reply_parser_new(&limits);
		const struct smtp_reply *reply;
		const char *error;
		char block[1000];
		size_t used;
		int ret = 0, rounds = 0;

		memset(block, 'z', sizeof(block));
		while (ret == 0 && rounds < 100) {
			ret = smtp_reply_parser_feed(parser, block,
						     sizeof(block), &used,
						     &reply, &error);
			rounds++;
		}
		ok(ret == -1 && rounds == 3, "endless line stopped at the limit");
		ok(smtp_reply_parser_feed(parser, "250 ok\r\n", 8, &used,
					  &reply, &error) == -1,
		   "a failed parser stays failed");
		smtp_reply_parser_free(&parser);
		smtp_reply_parser_free(&parser);
		ok(parser == NULL, "free clears the pointer");
	}

	/* Line count. */
	limits.lines = 3;
	buf_clear(&got);
	feed(&limits, "250-a\r\n250-b\r\n250 c\r\n", 21, 1, &got);
	is_str(buf_cstr(&got), "250[]a|b|c;", "three lines within a limit of 3");
	buf_clear(&got);
	feed(&limits, "250-a\r\n250-b\r\n250-c\r\n250 d\r\n", 28, 0, &got);
	is_str(buf_cstr(&got), "ERR", "four lines over a limit of 3");

	/* What the writer writes, the parser reads. */
	buf_clear(&in);
	limits = smtp_reply_limits_default;
	{
		const char *error;

		ok(smtp_reply_write(&in, 550, "5.7.1", "one\ntwo\nthree",
				    &error) == 0, "write for the round trip");
	}
	buf_clear(&want);
	for (c = 0; c < 2; c++) {
		buf_clear(&got);
		feed(&limits, in.data, in.len, c, &got);
		is_str(buf_cstr(&got), "550[5.7.1]one|two|three;",
		       "round trip");
	}
	buf_free(&got);
	buf_free(&in);
	buf_free(&want);
}

static void test_used_counts(void)
{
	struct smtp_reply_parser *parser =
		smtp_reply_parser_new(&smtp_reply_limits_default);
	const struct smtp_reply *reply;
	const char *error, *in = "220 ready\r\n250 fake\r\n";
	size_t used;

	ok(smtp_reply_parser_feed(parser, in, strlen(in), &used, &reply,
				  &error) == 1 && used == 11 &&
	   reply->code == 220,
	   "the first reply stops at its end: the rest is the caller's");
	ok(smtp_reply_parser_feed(parser, in + used, strlen(in) - used, &used,
				  &reply, &error) == 1 && used == 10 &&
	   reply->code == 250 && strcmp(reply->lines[0], "fake") == 0,
	   "the leftover is the next reply");
	is_int(smtp_reply_class(reply->code), SMTP_REPLY_POSITIVE,
	       "2xx is positive");
	is_int(smtp_reply_class(354), SMTP_REPLY_INTERMEDIATE, "3xx");
	is_int(smtp_reply_class(421), SMTP_REPLY_TRANSIENT, "4xx");
	is_int(smtp_reply_class(554), SMTP_REPLY_PERMANENT, "5xx");
	smtp_reply_parser_free(&parser);
}

static void test_status(void)
{
	char enhanced[SMTP_STATUS_ENHANCED_SIZE];

	is_int(smtp_status_enhanced_parse("5.1.1 x", 7, enhanced), 5,
	       "enhanced code before text");
	is_str(enhanced, "5.1.1", "  copied");
	is_int(smtp_status_enhanced_parse("4.999.999", 9, enhanced), 9,
	       "longest enhanced code");
	is_int(smtp_status_enhanced_parse("3.1.1", 5, NULL), 0, "class 3");
	is_int(smtp_status_enhanced_parse("5.1.1x", 6, NULL), 0,
	       "junk after the code");
	is_int(smtp_status_enhanced_parse("5.1", 3, NULL), 0, "too short");
	is_int(smtp_status_enhanced_parse("5..1", 4, NULL), 0, "empty subject");
	is_int(smtp_status_enhanced_parse("5.1.", 4, NULL), 0, "empty detail");
	is_int(smtp_status_enhanced_parse("5.1.1", 4, NULL), 0,
	       "bounded by len");
	ok(smtp_status_enhanced_matches(550, "5.7.1"), "550 matches 5.7.1");
	ok(!smtp_status_enhanced_matches(450, "5.7.1"), "450 and 5.7.1");
	ok(!smtp_status_enhanced_matches(354, "2.0.0"), "3xx has none");
	is_str(smtp_status_enhanced_text("5.1.1"),
	       "Bad destination mailbox address", "text of 5.1.1");
	is_str(smtp_status_enhanced_text("4.1.1"),
	       "Bad destination mailbox address", "class does not matter");
	is_str(smtp_status_enhanced_text("5.5.6"),
	       "Authentication Exchange line is too long", "RFC 4954 code");
	is_str(smtp_status_enhanced_text("5.6.7"),
	       "Non-ASCII addresses not permitted for that sender/recipient",
	       "RFC 6531 code");
	is_str(smtp_status_enhanced_text("5.1.10"),
	       "Recipient address has null MX", "RFC 7505 code");
	ok(smtp_status_enhanced_text("5.9.9") == NULL, "unknown code");
	ok(smtp_status_enhanced_text("x") == NULL, "not a code");
}

/* ---- smtp_reply_parser_read_all over a blocking stream on a pipe ---- */

struct read_all_ctx {
	unsigned int want;	/* replies wanted */
	unsigned int got;
	unsigned int codes[4];
};

static bool read_all_wanted(void *ctx)
{
	struct read_all_ctx *r = ctx;

	return r->got < r->want;
}

static void read_all_handle(void *ctx, const struct smtp_reply *reply)
{
	struct read_all_ctx *r = ctx;

	if (r->got < 4)
		r->codes[r->got] = reply->code;
	r->got++;
}

/* Runs read_all over `input` (then end of input); returns its result. */
static int read_all_run(const char *input, size_t max_line,
			struct read_all_ctx *r, const char **error_r)
{
	struct smtp_reply_parser *p =
		smtp_reply_parser_new(&smtp_reply_limits_default);
	struct stream *s;
	int fds[2], ret;

	if (pipe(fds) < 0 ||
	    write(fds[1], input, strlen(input)) != (ssize_t)strlen(input))
		return -2;
	close(fds[1]);
	s = stream_new(NULL, fds[0], NULL, NULL, NULL);
	ret = smtp_reply_parser_read_all(p, s, max_line, read_all_wanted,
					 read_all_handle, r, error_r);
	stream_free(&s);
	smtp_reply_parser_free(&p);
	return ret;
}

static void test_read_all(void)
{
	struct read_all_ctx r;
	const char *error;

	memset(&r, 0, sizeof(r));
	r.want = 1;
	is_int(read_all_run("250-a\r\n250 b\r\n354 go\r\n", 2046, &r,
			    &error), 0, "read_all: stops when no reply is wanted");
	is_int(r.got, 1, "read_all: one reply handed over");
	is_int(r.codes[0], 250, "read_all: the multi-line one");

	memset(&r, 0, sizeof(r));
	r.want = 10;
	is_int(read_all_run("250-a\r\n250 b\r\n354 go\r\n", 2046, &r,
			    &error), -1, "read_all: end of input fails");
	is_int(r.got, 2, "read_all: both replies first");
	is_int(r.codes[1], 354, "read_all: in order");
	ok(error == NULL, "read_all: a stream failure has no reply error");

	memset(&r, 0, sizeof(r));
	r.want = 10;
	is_int(read_all_run("250 this line is too long\r\n", 16, &r, &error),
	       -1, "read_all: over-long line fails");
	is_str(error, "reply line too long", "read_all: says so");

	memset(&r, 0, sizeof(r));
	r.want = 10;
	is_int(read_all_run("250 ok\r\nhello\r\n", 2046, &r, &error), -1,
	       "read_all: malformed reply fails");
	is_int(r.got, 1, "read_all: after the good one");
	ok(error != NULL && strcmp(error, "reply line too long") != 0,
	   "read_all: the parser's reason");
}

int main(void)
{
	test_write();
	test_parse();
	test_read_all();
	test_used_counts();
	test_status();
	return tap_done();
}
