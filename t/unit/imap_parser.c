/* Unit tests for imapd/imap_parser.c: every case runs with all input at
 * once, then fed one byte at a time, and must give the same transcript. */
#include "tap.h"
#include "buf.h"
#include "imapd/imap_parser.h"

#include <stdlib.h>
#include <string.h>

enum decision { DECIDE_STREAM, DECIDE_BUFFER, DECIDE_REFUSE };

struct parser_case {
	const char *name;
	const char *input;
	size_t input_len;	/* 0: strlen(input) */
	enum decision decision;
	const char *want;
};

static void print_args(struct buf *out, const struct imap_arg *args);

static void print_arg(struct buf *out, const struct imap_arg *a)
{
	switch (a->type) {
	case IMAP_ARG_ATOM:
	case IMAP_ARG_NIL:
		buf_printf(out, "%s%s", a->type == IMAP_ARG_NIL ? "nil:" : "",
			   a->u.str);
		break;
	case IMAP_ARG_QUOTED:
		buf_append_char(out, '"');
		for (uint64_t i = 0; i < a->len; i++) {
			if (a->u.str[i] == '"' || a->u.str[i] == '\\')
				buf_append_char(out, '\\');
			buf_append_char(out, a->u.str[i]);
		}
		buf_append_char(out, '"');
		break;
	case IMAP_ARG_LITERAL:
		buf_printf(out, "%s{%llu%s}", (a->flags & IMAP_ARG_LITERAL8) ?
			   "~" : "", (unsigned long long)a->len,
			   (a->flags & IMAP_ARG_NONSYNC) ? "+" : "");
		for (uint64_t i = 0; i < a->len; i++) {
			if (a->u.str[i] == '\0')
				buf_append_str(out, "\\0");
			else
				buf_append_char(out, a->u.str[i]);
		}
		break;
	case IMAP_ARG_LITERAL_STREAMED:
		buf_printf(out, "<stream %llu>", (unsigned long long)a->len);
		break;
	case IMAP_ARG_LIST:
		buf_append_char(out, '(');
		print_args(out, a->u.list);
		buf_append_char(out, ')');
		break;
	case IMAP_ARG_EOL:
		buf_append_str(out, "EOL?");
		break;
	}
}

static void print_args(struct buf *out, const struct imap_arg *args)
{
	for (const struct imap_arg *a = args; a->type != IMAP_ARG_EOL; a++) {
		if (a != args)
			buf_append_char(out, ' ');
		print_arg(out, a);
	}
}

static void print_command(struct buf *out, const struct imap_command *cmd)
{
	buf_printf(out, "%s %s%s", cmd->tag, cmd->uid ? "UID " : "",
		   cmd->name);
	if (cmd->args[0].type != IMAP_ARG_EOL)
		buf_append_char(out, ' ');
	print_args(out, cmd->args);
}

static const char *kind_name(enum imap_parse_error_kind kind)
{
	switch (kind) {
	case IMAP_PARSE_ERROR_SYNTAX: return "syntax";
	case IMAP_PARSE_ERROR_LINE_TOO_LONG: return "toolong";
	case IMAP_PARSE_ERROR_TOO_DEEP: return "deep";
	case IMAP_PARSE_ERROR_TOO_MANY_ARGS: return "args";
	case IMAP_PARSE_ERROR_LITERAL_TOO_BIG: return "literal";
	case IMAP_PARSE_ERROR_NONSYNC_TOO_BIG: return "nonsync";
	case IMAP_PARSE_ERROR_APPEND_TOO_BIG: return "append";
	}
	return "?";
}

/* Runs the parser over `input` in pieces of `step` bytes (0: all at once)
 * and writes one line per event; stream data is joined into one line. */
static void run_parser(const struct imap_parser_limits *limits,
		       const char *input, size_t len, size_t step,
		       enum decision decision, struct buf *out)
{
	struct imap_parser *p = imap_parser_new(limits);
	size_t pos = 0;
	bool in_data = false;

	while (pos < len || step == 0) {
		size_t n = step == 0 ? len - pos :
			(len - pos < step ? len - pos : step);
		const char *data = input + pos;
		size_t used;
		enum imap_parser_event ev;

		for (;;) {
			ev = imap_parser_run(p, data, n, &used);
			data += used;
			n -= used;
			pos += used;
			if (ev != IMAP_PARSER_LITERAL_DATA &&
			    ev != IMAP_PARSER_MORE && in_data) {
				buf_append_char(out, '\n');
				in_data = false;
			}
			if (ev == IMAP_PARSER_MORE)
				break;
			switch (ev) {
			case IMAP_PARSER_COMMAND:
				buf_append_str(out, "CMD ");
				print_command(out, imap_parser_command(p));
				buf_append_char(out, '\n');
				break;
			case IMAP_PARSER_CONTINUE:
				buf_append_str(out, "+\n");
				break;
			case IMAP_PARSER_LITERAL: {
				const struct imap_parser_literal *l =
					imap_parser_literal(p);
				buf_printf(out, "LIT %llu%s%s [",
					   (unsigned long long)l->size,
					   l->nonsync ? "+" : "",
					   l->literal8 ? " 8" : "");
				print_command(out, imap_parser_command(p));
				buf_append_str(out, "]\n");
				if (decision == DECIDE_STREAM)
					imap_parser_literal_stream(p);
				else if (decision == DECIDE_REFUSE)
					imap_parser_literal_refuse(p);
				else if (imap_parser_literal_buffer(p) < 0)
					imap_parser_literal_refuse(p);
				break;
			}
			case IMAP_PARSER_LITERAL_DATA: {
				const void *d;
				size_t dlen;

				imap_parser_chunk(p, &d, &dlen);
				if (!in_data)
					buf_append_str(out, "DATA ");
				in_data = true;
				buf_append(out, d, dlen);
				break;
			}
			case IMAP_PARSER_LITERAL_END:
				buf_append_str(out, "END\n");
				break;
			case IMAP_PARSER_ERROR: {
				const struct imap_parse_error *e =
					imap_parser_error(p);
				buf_printf(out, "ERR %s %s %s%s\n",
					   e->tag ? e->tag : "*", e->reply,
					   kind_name(e->kind),
					   e->disconnect ? " bye" : "");
				break;
			}
			case IMAP_PARSER_MORE:
				break;
			}
		}
		if (step == 0)
			break;
	}
	if (in_data)
		buf_append_char(out, '\n');
	imap_parser_free(&p);
}

#define BIG_APPEND "A1 APPEND INBOX {2000000+}\r\n"
/* For inputs holding NUL bytes. */
#define WITH_NUL(s) s, sizeof(s) - 1

static const struct parser_case cases[] = {
	{ "simple command", "a1 NOOP\r\n", 0, 0, "CMD a1 NOOP\n" },
	{ "name is upper-cased", "a1 noop\r\n", 0, 0, "CMD a1 NOOP\n" },
	{ "bare LF ends a line", "a1 NOOP\n", 0, 0, "CMD a1 NOOP\n" },
	{ "pipelined commands", "a NOOP\r\nb CAPABILITY\r\n", 0, 0,
	  "CMD a NOOP\nCMD b CAPABILITY\n" },
	{ "empty lines ignored", "\r\n\r\na NOOP\r\n", 0, 0,
	  "CMD a NOOP\n" },
	{ "atoms and quoted", "x LOGIN fred \"p a\\\"s\\\\s\"\r\n", 0, 0,
	  "CMD x LOGIN fred \"p a\\\"s\\\\s\"\n" },
	{ "NIL and lists", "t STATUS nil (MESSAGES UIDNEXT ())\r\n", 0, 0,
	  "CMD t STATUS nil:nil (MESSAGES UIDNEXT ())\n" },
	{ "nested lists", "t X ((a) (b (c)))\r\n", 0, 0,
	  "CMD t X ((a) (b (c)))\n" },
	{ "UID prefix", "u1 uid fetch 1:* (FLAGS)\r\n", 0, 0,
	  "CMD u1 UID FETCH 1:* (FLAGS)\n" },
	{ "flags and wildcards", "s STORE 1 +FLAGS (\\Seen \\Deleted $Junk)\r\n"
	  "l LIST \"\" %/*\r\n", 0, 0,
	  "CMD s STORE 1 +FLAGS (\\Seen \\Deleted $Junk)\n"
	  "CMD l LIST \"\" %/*\n" },
	{ "FETCH sections keep spaces", "f FETCH 1 (BODY.PEEK[HEADER.FIELDS "
	  "(From \"To\")]<0.100> BODY[1.2] UID)\r\n", 0, 0,
	  "CMD f FETCH 1 (BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100> "
	  "BODY[1.2] UID)\n" },
	{ "brackets elsewhere are atom chars", "s SELECT a[b\r\n", 0, 0,
	  "CMD s SELECT a[b\n" },
	{ "UTF-8 quoted", "c CREATE \"\xc3\xa9t\xc3\xa9\"\r\n", 0, 0,
	  "CMD c CREATE \"\xc3\xa9t\xc3\xa9\"\n" },
	{ "sync literal", "a LOGIN {4}\r\nfred {3}\r\nabc\r\n", 0, 0,
	  "+\n+\nCMD a LOGIN {4}fred {3}abc\n" },
	{ "non-sync literal", "a LOGIN {4+}\r\nfred {3+}\r\nabc\r\n", 0, 0,
	  "CMD a LOGIN {4+}fred {3+}abc\n" },
	{ "literal with CRLF inside and in a list",
	  "a X ({2}\r\n\r\n b)\r\n", 0, 0, "+\nCMD a X ({2}\r\n b)\n" },
	{ "empty literal", "a LOGIN {0+}\r\n {0}\r\n\r\n", 0, 0,
	  "+\nCMD a LOGIN {0+} {0}\n" },
	{ "APPEND streams the message",
	  "A1 APPEND INBOX (\\Seen) \"01-Jan-2020 10:00:00 +0000\" {11}\r\n"
	  "Hello world\r\n", 0, DECIDE_STREAM,
	  "LIT 11 [A1 APPEND INBOX (\\Seen) \"01-Jan-2020 10:00:00 +0000\"]\n"
	  "+\nDATA Hello world\nEND\n"
	  "CMD A1 APPEND INBOX (\\Seen) \"01-Jan-2020 10:00:00 +0000\" "
	  "<stream 11>\n" },
	{ "MULTIAPPEND non-sync", "A1 APPEND INBOX {2+}\r\nab {0+}\r\n\r\n",
	  0, DECIDE_STREAM,
	  "LIT 2+ [A1 APPEND INBOX]\nDATA ab\nEND\n"
	  "LIT 0+ [A1 APPEND INBOX <stream 2>]\nEND\n"
	  "CMD A1 APPEND INBOX <stream 2> <stream 0>\n" },
	{ "APPEND literal8 with NUL", WITH_NUL("A1 APPEND INBOX ~{3}\r\na\0b\r\n"),
	  DECIDE_BUFFER, "LIT 3 8 [A1 APPEND INBOX]\n+\n"
	  "CMD A1 APPEND INBOX ~{3}a\\0b\n" },
	{ "APPEND refused, then the next command",
	  "A1 APPEND nobox {5+}\r\nhello\r\nA2 NOOP\r\n", 0, DECIDE_REFUSE,
	  "LIT 5+ [A1 APPEND nobox]\nCMD A2 NOOP\n" },
	{ "APPEND sync refused ends the command",
	  "A1 APPEND nobox {5}\r\nA2 NOOP\r\n", 0, DECIDE_REFUSE,
	  "LIT 5 [A1 APPEND nobox]\nCMD A2 NOOP\n" },
	{ "APPEND over the limit: NO [TOOBIG]",
	  "A1 APPEND INBOX {99999999999}\r\nA2 NOOP\r\n", 0, 0,
	  "ERR A1 NO [TOOBIG] append\nCMD A2 NOOP\n" },
	{ "LITERAL- refuses big non-sync literal in APPEND",
	  BIG_APPEND, 0, 0, "ERR A1 BAD [TOOBIG] nonsync bye\n" },
	{ "LITERAL- non-sync over 4096, skipped",
	  "a LOGIN {4097+}\r\n", 0, 0, "ERR a BAD nonsync\n" },
	{ "literal too big (sync): not sent, next command",
	  "a LOGIN {70000}\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD literal\nCMD b NOOP\n" },
	{ "literal size overflow", "a LOGIN {99999999999999999999}\r\nb NOOP\r\n",
	  0, 0, "ERR a BAD literal\nCMD b NOOP\n" },
	{ "NUL in literal", WITH_NUL("a LOGIN {3+}\r\na\0b c\r\nb NOOP\r\n"), 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "literal8 outside APPEND", "a LOGIN ~{3}\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "bad tag", "+ NOOP\r\nb NOOP\r\n", 0, 0,
	  "ERR * BAD syntax\nCMD b NOOP\n" },
	{ "missing command", "a\r\nb NOOP\r\n", 0, 0,
	  "ERR * BAD syntax\nCMD b NOOP\n" },
	{ "double space", "a NOOP  x\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "trailing space", "a NOOP \r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "unclosed list", "a X (b\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "stray close", "a X b)\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "bad escape", "a X \"\\a\"\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "invalid UTF-8 in quoted", "a X \"\xc0\xaf\"\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "8-bit atom", "a X caf\xc3\xa9\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "empty flag", "a X \\ y\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "CR without LF", "a NOOP\rx\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "resync skips a non-sync literal after an error",
	  "a X ( {9+}\r\nb DELETE \r\nc NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD c NOOP\n" },
	{ "resync: error line ends in sync literal",
	  "a X ) {9}\r\nb NOOP\r\n", 0, 0, "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "resync through several non-sync literals",
	  "a X ) {3+}\r\nabc {2+}\r\nde\r\nb NOOP\r\n", 0, 0,
	  "ERR a BAD syntax\nCMD b NOOP\n" },
	{ "nesting limit", "a X (((((((((((((((((((a)))))))))))))))))))\r\n"
	  "b NOOP\r\n", 0, 0, "ERR a BAD deep\nCMD b NOOP\n" },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parser_case *c = &cases[i];
		size_t len = c->input_len ? c->input_len : strlen(c->input);
		struct buf all = BUF_INIT, bytes = BUF_INIT;
		char name[200];

		run_parser(NULL, c->input, len, 0, c->decision, &all);
		run_parser(NULL, c->input, len, 1, c->decision, &bytes);
		str_format(name, sizeof(name), "%s (all at once)", c->name);
		is_str(buf_cstr(&all), c->want, name);
		str_format(name, sizeof(name), "%s (byte by byte)", c->name);
		is_str(buf_cstr(&bytes), c->want, name);
		buf_free(&all);
		buf_free(&bytes);
	}
}

static void run_both(const struct imap_parser_limits *limits,
		     const char *input, size_t len, enum decision d,
		     const char *want, const char *name)
{
	struct buf all = BUF_INIT, bytes = BUF_INIT;
	char label[200];

	if (len == 0)
		len = strlen(input);
	run_parser(limits, input, len, 0, d, &all);
	run_parser(limits, input, len, 1, d, &bytes);
	str_format(label, sizeof(label), "%s (all at once)", name);
	is_str(buf_cstr(&all), want, label);
	str_format(label, sizeof(label), "%s (byte by byte)", name);
	is_str(buf_cstr(&bytes), want, label);
	buf_free(&all);
	buf_free(&bytes);
}

static void test_limits(void)
{
	struct imap_parser_limits lim = imap_parser_default_limits;
	struct buf in = BUF_INIT, out = BUF_INIT;

	/* A line one byte over the limit, then a good command. */
	lim.max_line_length = 32;
	run_both(&lim, "a LOGIN 0123456789012345678901\r\nb NOOP\r\n",
		 0, 0, "CMD a LOGIN 0123456789012345678901\nCMD b NOOP\n",
		 "line at the limit");
	run_both(&lim, "a LOGIN 01234567890123456789012\r\nb NOOP\r\n",
		 0, 0, "ERR a BAD toolong\nCMD b NOOP\n",
		 "line one over the limit");
	/* The limit counts the whole command, not each line. */
	run_both(&lim, "a LOGIN {1+}\r\nx 01234567890123456789\r\nb NOOP\r\n",
		 0, 0, "ERR a BAD toolong\nCMD b NOOP\n",
		 "line limit spans literals");
	/* The limit hits inside a literal header: the header is still seen,
	 * so the literal data is skipped, not run as a command. */
	run_both(&lim, "a LOGIN 0123456789012345678 {12+}\r\nc DELETE box\r\n"
		 "b NOOP\r\n", 0, 0, "ERR a BAD toolong\nCMD b NOOP\n",
		 "over-long line ending in a non-sync literal");

	lim = imap_parser_default_limits;
	lim.max_args = 4;
	run_both(&lim, "a X 1 2 (3)\r\n", 0, 0, "CMD a X 1 2 (3)\n",
		 "arguments at the limit");
	run_both(&lim, "a X 1 2 (3 4)\r\nb NOOP\r\n", 0, 0,
		 "ERR a BAD args\nCMD b NOOP\n", "too many arguments");
	run_both(&lim, "a X 1 2 3 4 {1+}\r\n5\r\nb NOOP\r\n", 0, 0,
		 "ERR a BAD args\nCMD b NOOP\n", "too many with a literal");

	lim = imap_parser_default_limits;
	lim.max_literal_size = 8;
	lim.max_literal_total = 12;
	run_both(&lim, "a X {8+}\r\n12345678 {4+}\r\n1234\r\n", 0, 0,
		 "CMD a X {8+}12345678 {4+}1234\n", "literal total at limit");
	run_both(&lim, "a X {8+}\r\n12345678 {5+}\r\n12345\r\nb NOOP\r\n",
		 0, 0, "ERR a BAD literal\nCMD b NOOP\n",
		 "literal total over limit");

	lim = imap_parser_default_limits;
	lim.literal_minus = false;
	run_both(&lim, "a LOGIN {4097+}\r\n", 0, 0, "",
		 "LITERAL+ takes big non-sync literals (incomplete)");
	lim.max_literal_size = 3;
	buf_append_str(&in, "a LOGIN {5000+}\r\n");
	for (int i = 0; i < 5000; i++)
		buf_append_char(&in, 'x');
	buf_append_str(&in, " y\r\nb NOOP\r\n");
	run_both(&lim, in.data, in.len, 0, "ERR a BAD literal\nCMD b NOOP\n",
		 "over-limit non-sync literal is skipped without keeping it");
	buf_clear(&in);

	/* 100,000 open parentheses: refused at the first one too many, and
	 * the rest is skipped without work proportional to nesting. */
	buf_append_str(&in, "a X ");
	for (int i = 0; i < 100000; i++)
		buf_append_char(&in, '(');
	buf_append_str(&in, "\r\nb NOOP\r\n");
	lim = imap_parser_default_limits;
	lim.max_line_length = 1024 * 1024;
	run_parser(&lim, in.data, in.len, 0, 0, &out);
	is_str(buf_cstr(&out), "ERR a BAD deep\nCMD b NOOP\n",
	       "100000 nested parentheses refused");
	buf_free(&out);
	buf_free(&in);
}

/* Tests that the daemon's view at an APPEND literal is usable, and that a
 * command can be taken and outlives the parser. */
static void test_take(void)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_command *cmd;
	size_t used;
	const char *in = "a SELECT INBOX\r\n";

	is_int(imap_parser_run(p, in, strlen(in), &used), IMAP_PARSER_COMMAND,
	       "command event");
	is_int(used, strlen(in), "all input used");
	cmd = imap_parser_take_command(p);
	ok(cmd != NULL && imap_parser_command(p) == NULL, "command taken");
	imap_parser_free(&p);
	ok(p == NULL, "free clears the pointer");
	is_str(cmd->args[0].u.str, "INBOX", "taken command outlives parser");
	imap_command_free(&cmd);
	ok(cmd == NULL, "command_free clears the pointer");
}

int main(void)
{
	tap_cpu_budget(60);
	test_cases();
	test_limits();
	test_take();
	return tap_done();
}
