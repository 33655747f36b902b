/* Unit tests for imapd/imap_store_parse.c and imapd/imap_flags.c. */
#include "tap.h"
#include "buf.h"
#include "imap_test_cmd.h"
#include "imapd/imap_store_parse.h"

struct store_case {
	const char *args;	/* after "STORE 1:*" */
	const char *want;	/* description, or "BAD" */
};

static const struct store_case cases[] = {
	{ "FLAGS (\\Seen)", "= (\\Seen)" },
	{ "flags ()", "= ()" },
	{ "+FLAGS (\\Deleted \\seen $Junk)", "+ (\\Deleted \\Seen $Junk)" },
	{ "-FLAGS.SILENT \\Flagged", "- silent (\\Flagged)" },
	{ "+FLAGS \\Answered \\Draft foo FOO Foo", "+ (\\Answered \\Draft foo)" },
	{ "(UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)",
	  "+ silent unchangedsince=12121230045 (\\Deleted)" },
	{ "(unchangedsince 0) FLAGS ()", "= unchangedsince=0 ()" },
	{ "FLAGS", "BAD" },
	{ "FLAGS.SILENT", "BAD" },
	{ "+FLAGS (\\Recent)", "BAD" },
	{ "+FLAGS (\\Foo)", "BAD" },
	{ "+FLAGS (a]b)", "BAD" },
	{ "+FLAGS (a*)", "BAD" },
	{ "+FLAGS (\"quoted\")", "BAD" },
	{ "+FLAGS ((nested))", "BAD" },
	{ "+FLAGS (\\Seen) extra", "BAD" },
	{ "*FLAGS (\\Seen)", "BAD" },
	{ "+LABELS (x)", "BAD" },
	{ "(UNCHANGEDSINCE) FLAGS ()", "BAD" },
	{ "(UNCHANGEDSINCE -1) FLAGS ()", "BAD" },
	{ "(UNCHANGEDSINCE 9223372036854775808) FLAGS ()", "BAD" },
	{ "(UNCHANGEDSINCE 1 UNCHANGEDSINCE 2) FLAGS ()", "BAD" },
	{ "(FOO 1) FLAGS ()", "BAD" },
};

int main(void)
{
	struct imap_flags flags;
	const char *error;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			const struct store_case *c = &cases[i];
			struct buf line = BUF_INIT, out = BUF_INIT;
			struct imap_command *cmd;
			struct imap_store *store;
			char name[160];

			buf_printf(&line, "a STORE 1:* %s\r\n", c->args);
			cmd = test_command(buf_cstr(&line), bytewise);
			str_format(name, sizeof(name), "%s%s", c->args,
				   bytewise ? " (byte by byte)" : "");
			if (cmd == NULL) {
				is_str("BAD (reader)", c->want, name);
			} else if (imap_store_parse(cmd->args + 1, 3, &store,
						    &error) < 0) {
				is_str("BAD", c->want, name);
			} else {
				buf_append_str(&out, store->mode ==
					       IMAP_STORE_ADD ? "+" :
					       store->mode ==
					       IMAP_STORE_REMOVE ? "-" : "=");
				if (store->silent)
					buf_append_str(&out, " silent");
				if (store->has_unchangedsince)
					buf_printf(&out,
						   " unchangedsince=%llu",
						   (unsigned long long)
						   store->unchangedsince);
				buf_append_char(&out, ' ');
				imap_flags_format(&store->flags, &out);
				is_str(buf_cstr(&out), c->want, name);
				imap_store_free(&store);
				ok(store == NULL, "free clears the pointer");
			}
			imap_command_free(&cmd);
			buf_free(&line);
			buf_free(&out);
		}
	}

	{
		struct imap_command *cmd =
			test_command("a X ($a $b $c $d)\r\n", false);

		is_int(imap_flags_parse(cmd->args[0].u.list, 3, &flags, &error),
		       -1, "keyword limit");
		is_str(error, "Too many keywords", "keyword limit reason");
		is_int(flags.keyword_count, 0, "nothing left after failure");
		imap_command_free(&cmd);
	}
	is_int(imap_flag_system("\\SEEN"), IMAP_FLAG_SEEN, "system flag");
	is_int(imap_flag_system("\\Recent"), IMAP_FLAG_RECENT, "recent");
	is_int(imap_flag_system("Seen"), 0, "keyword is not a system flag");
	ok(imap_flag_keyword_valid("$MDNSent"), "keyword valid");
	ok(!imap_flag_keyword_valid(""), "empty keyword invalid");
	ok(!imap_flag_keyword_valid("\\Seen"), "system flag is no keyword");
	return tap_done();
}
