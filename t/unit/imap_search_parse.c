/* Unit tests for imapd/imap_search_parse.c and imap_search_format.c:
 * each program is parsed, printed in canonical form and compared; the
 * canonical form must parse to itself again. */
#include "tap.h"
#include "buf.h"
#include "imap_test_cmd.h"
#include "imapd/imap_search_parse.h"


struct search_case {
	const char *args;	/* after "SEARCH" */
	const char *want;	/* canonical form, "BAD" or "BADCHARSET" */
};

static const struct search_case cases[] = {
	{ "ALL", "ALL" },
	{ "all answered deleted draft flagged new old recent seen",
	  "ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN" },
	{ "UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN",
	  "UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN" },
	{ "FROM alice TO \"bob\" CC {3}\r\ncat BCC dog",
	  "FROM \"alice\" TO \"bob\" CC \"cat\" BCC \"dog\"" },
	{ "SUBJECT \"hello world\" BODY x TEXT \"say \\\"hi\\\"\"",
	  "SUBJECT \"hello world\" BODY \"x\" TEXT \"say \\\"hi\\\"\"" },
	{ "HEADER X-Spam yes HEADER Message-ID \"\"",
	  "HEADER \"X-Spam\" \"yes\" HEADER \"Message-ID\" \"\"" },
	{ "KEYWORD $Junk UNKEYWORD $NotJunk",
	  "KEYWORD $Junk UNKEYWORD $NotJunk" },
	{ "BEFORE 1-Feb-2024 ON \"01-feb-2024\" SINCE 29-Feb-2024",
	  "BEFORE 1-Feb-2024 ON 1-Feb-2024 SINCE 29-Feb-2024" },
	{ "SENTBEFORE 2-Jan-2000 SENTON 3-Jan-2000 SENTSINCE 4-Jan-2000",
	  "SENTBEFORE 2-Jan-2000 SENTON 3-Jan-2000 SENTSINCE 4-Jan-2000" },
	{ "SAVEDBEFORE 2-Jan-2000 SAVEDON 3-Jan-2000 savedsince 4-Jan-2000 "
	  "SAVEDATESUPPORTED",
	  "SAVEDBEFORE 2-Jan-2000 SAVEDON 3-Jan-2000 SAVEDSINCE 4-Jan-2000 "
	  "SAVEDATESUPPORTED" },
	{ "EMAILID M1a-2b THREADID T1", "EMAILID \"M1a-2b\" THREADID \"T1\"" },
	{ "SAVEDON", "BAD" },
	{ "EMAILID", "BAD" },
	{ "LARGER 1000 SMALLER 9223372036854775807",
	  "LARGER 1000 SMALLER 9223372036854775807" },
	{ "1:5,3,9:* UID 7,1:2 UID $ $", "1:5,9:* UID 1:2,7 UID $ $" },
	{ "NOT SEEN", "NOT SEEN" },
	{ "OR SEEN FLAGGED", "OR SEEN FLAGGED" },
	{ "OR (SEEN FROM a) NOT (DELETED)",
	  "OR (SEEN FROM \"a\") NOT (DELETED)" },
	{ "NOT NOT OR OR SEEN DRAFT NEW OLD",
	  "NOT NOT OR OR SEEN DRAFT NEW OLD" },
	{ "((ALL))", "((ALL))" },
	{ "MODSEQ 620162338", "MODSEQ 620162338" },
	{ "MODSEQ \"/flags/\\\\draft\" all 620162338",
	  "MODSEQ \"/flags/\\\\draft\" all 620162338" },
	{ "MODSEQ \"/flags/$Junk\" PRIV 0",
	  "MODSEQ \"/flags/$Junk\" priv 0" },
	{ "YOUNGER 3600 OLDER 60", "YOUNGER 3600 OLDER 60" },
	{ "CHARSET UTF-8 SUBJECT \"\xc3\xa9t\xc3\xa9\"",
	  "CHARSET UTF-8 SUBJECT \"\xc3\xa9t\xc3\xa9\"" },
	{ "charset us-ascii ALL", "CHARSET US-ASCII ALL" },
	{ "RETURN (MIN MAX) UNSEEN", "RETURN (MIN MAX) UNSEEN" },
	{ "RETURN () ALL", "RETURN (ALL) ALL" },
	{ "RETURN (save count all) CHARSET UTF-8 1:*",
	  "RETURN (ALL COUNT SAVE) CHARSET UTF-8 1:*" },
	/* refused */
	{ "", "BAD" },
	{ "()", "BAD" },
	{ "FOO", "BAD" },
	{ "FROM", "BAD" },
	{ "FROM (a)", "BAD" },
	{ "HEADER X-Foo", "BAD" },
	{ "HEADER \"X Foo\" bar", "BAD" },
	{ "HEADER \"X:Foo\" bar", "BAD" },
	{ "SUBJECT {2}\r\n\xc3\x28", "BAD" },
	{ "KEYWORD \\Seen", "BAD" },
	{ "KEYWORD a]", "BAD" },
	{ "BEFORE 31-Feb-2024", "BAD" },
	{ "BEFORE 1-Feb-2024 10:00", "BAD" },
	{ "LARGER -1", "BAD" },
	{ "LARGER 9223372036854775808", "BAD" },
	{ "YOUNGER 0", "BAD" },
	{ "UID", "BAD" },
	{ "UID 0", "BAD" },
	{ "1:x", "BAD" },
	{ "NOT", "BAD" },
	{ "OR SEEN", "BAD" },
	{ "MODSEQ", "BAD" },
	{ "MODSEQ \"/flags/\\\\draft\" 5", "BAD" },
	{ "MODSEQ \"/flags/\\\\draft\" mine 5", "BAD" },
	{ "MODSEQ \"/other/x\" all 5", "BAD" },
	{ "RETURN (PARTIAL 1:10) ALL", "BAD" },
	{ "RETURN MIN ALL", "BAD" },
	{ "RETURN (MIN)", "BAD" },
	{ "CHARSET", "BAD" },
	{ "CHARSET UTF-8", "BAD" },
	{ "CHARSET ISO-8859-1 ALL", "BADCHARSET" },
	{ "CHARSET KOI8-R SUBJECT x", "BADCHARSET" },
	{ "ALL CHARSET UTF-8", "BAD" },
	{ "\"ALL\"", "BAD" },
};

static const char *run_search(const char *args, bool bytewise,
			      struct buf *out)
{
	struct buf line = BUF_INIT;
	struct imap_command *cmd;
	struct imap_search *search;
	const char *error;
	enum imap_search_parse_result ret;

	buf_printf(&line, "a SEARCH%s%s\r\n", args[0] ? " " : "", args);
	cmd = test_command(buf_cstr(&line), bytewise);
	buf_free(&line);
	buf_clear(out);
	if (cmd == NULL) {
		buf_append_str(out, "BAD (reader)");
		return buf_cstr(out);
	}
	ret = imap_search_parse(cmd->args, 0, NULL, &search, &error);
	if (ret == IMAP_SEARCH_PARSE_OK)
		imap_search_format(search, out);
	else if (ret == IMAP_SEARCH_PARSE_BADCHARSET)
		buf_append_str(out, "BADCHARSET");
	else
		buf_append_str(out, error != NULL ? "BAD" : "BAD (no reason)");
	imap_search_free(&search);
	imap_command_free(&cmd);
	return buf_cstr(out);
}

static void test_cases(void)
{
	struct buf out = BUF_INIT, again = BUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct search_case *c = &cases[i];
		char name[200];

		str_format(name, sizeof(name), "SEARCH %s", c->args);
		is_str(run_search(c->args, false, &out), c->want, name);
		str_format(name, sizeof(name), "SEARCH %s (byte by byte)",
			   c->args);
		is_str(run_search(c->args, true, &out), c->want, name);
		if (strncmp(c->want, "BAD", 3) != 0) {
			str_format(name, sizeof(name), "canonical form of "
				   "SEARCH %s is stable", c->args);
			is_str(run_search(c->want, false, &again), c->want,
			       name);
		}
	}
	buf_free(&out);
	buf_free(&again);
}

static void test_limits(void)
{
	struct imap_parser_limits plim = imap_parser_default_limits;
	struct imap_search_limits slim = imap_search_default_limits;
	struct buf line = BUF_INIT;
	struct imap_command *cmd;
	struct imap_search *search;
	const char *error;

	plim.max_line_length = 4 * 1024 * 1024;
	plim.max_args = 1000000;
	buf_append_str(&line, "a SEARCH");
	for (int i = 0; i < 100000; i++)
		buf_append_str(&line, " NOT");
	buf_append_str(&line, " SEEN\r\n");
	cmd = test_command_limits(buf_cstr(&line), false, &plim);
	is_int(imap_search_parse(cmd->args, 0, NULL, &search, &error),
	       IMAP_SEARCH_PARSE_BAD, "100000 NOTs refused");
	is_str(error, "Search keys nested too deeply", "reason");
	imap_command_free(&cmd);

	buf_clear(&line);
	buf_append_str(&line, "a SEARCH");
	for (int i = 0; i < 5; i++)
		buf_append_str(&line, " SEEN");
	buf_append_str(&line, "\r\n");
	cmd = test_command(buf_cstr(&line), false);
	slim.max_keys = 5;
	is_int(imap_search_parse(cmd->args, 0, &slim, &search, &error),
	       IMAP_SEARCH_PARSE_OK, "keys at the limit");
	imap_search_free(&search);
	ok(search == NULL, "free clears the pointer");
	slim.max_keys = 4;
	is_int(imap_search_parse(cmd->args, 0, &slim, &search, &error),
	       IMAP_SEARCH_PARSE_BAD, "keys over the limit");
	imap_command_free(&cmd);

	cmd = test_command("a SORT UTF-8 FROM x\r\n", false);
	is_int(imap_search_parse(cmd->args, IMAP_SEARCH_PARSE_CHARSET_FIRST,
				 NULL, &search, &error), IMAP_SEARCH_PARSE_OK,
	       "charset first (SORT/THREAD)");
	is_str(search->charset, "UTF-8", "charset kept");
	imap_search_free(&search);
	imap_command_free(&cmd);
	cmd = test_command("a SORT BIG5 FROM x\r\n", false);
	is_int(imap_search_parse(cmd->args, IMAP_SEARCH_PARSE_CHARSET_FIRST,
				 NULL, &search, &error),
	       IMAP_SEARCH_PARSE_BADCHARSET, "unknown charset first");
	imap_command_free(&cmd);
	buf_free(&line);
}

int main(void)
{
	tap_cpu_budget(60);
	test_cases();
	test_limits();
	return tap_done();
}
