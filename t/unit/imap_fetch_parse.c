/* Unit tests for imapd/imap_fetch_parse.c. */
#include "tap.h"
#include "buf.h"
#include "imap_test_cmd.h"
#include "imapd/imap_fetch_parse.h"

struct fetch_case {
	const char *line;	/* "[UID] FETCH" arguments after the set */
	bool uid;
	const char *want;	/* description, or "BAD" */
};

static const struct fetch_case cases[] = {
	{ "FLAGS", false, "FLAGS" },
	{ "(flags uid rfc822.size)", false, "FLAGS RFC822.SIZE UID" },
	{ "ALL", false, "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE" },
	{ "FAST", false, "FLAGS INTERNALDATE RFC822.SIZE" },
	{ "(EMAILID THREADID SAVEDATE)", false, "EMAILID THREADID SAVEDATE" },
	{ "full", false, "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY" },
	{ "(BODY BODYSTRUCTURE MODSEQ RFC822 RFC822.HEADER RFC822.TEXT)",
	  false, "BODY BODYSTRUCTURE MODSEQ RFC822 RFC822.HEADER "
	  "RFC822.TEXT" },
	{ "BODY[]", false, "BODY[]" },
	{ "BODY.PEEK[]<0.1024>", false, "peek BODY[]<0>(0+1024)" },
	{ "body[header]", false, "BODY[HEADER]" },
	{ "BODY[TEXT]", false, "BODY[TEXT]" },
	{ "BODY[1]", false, "BODY[1]" },
	{ "BODY[1.2.3]", false, "BODY[1.2.3]" },
	{ "BODY[1.2.MIME]", false, "BODY[1.2.MIME]" },
	{ "BODY[1.2.HEADER]", false, "BODY[1.2.HEADER]" },
	{ "BODY[4.TEXT]<10.20>", false, "BODY[4.TEXT]<10>(10+20)" },
	{ "(BODY.PEEK[HEADER.FIELDS (From To \"X-Spam Flag\")])", false,
	  "BAD" },
	{ "(BODY.PEEK[header.fields (From To \"Message-ID\")] UID)", false,
	  "UID peek BODY[HEADER.FIELDS (From To Message-ID)]" },
	{ "BODY[1.HEADER.FIELDS.NOT (Received)]", false,
	  "BODY[1.HEADER.FIELDS.NOT (Received)]" },
	{ "(BINARY[1] BINARY.PEEK[2.3]<0.9> BINARY.SIZE[1] BINARY[])", false,
	  "BINARY[1] peek BINARY[2.3]<0>(0+9) BINARY.SIZE[1] BINARY[]" },
	{ "(FLAGS) (CHANGEDSINCE 12345)", false,
	  "FLAGS MODSEQ changedsince=12345" },
	{ "(FLAGS) (CHANGEDSINCE 12345 VANISHED)", true,
	  "FLAGS MODSEQ changedsince=12345 vanished" },
	/* refused */
	{ "(FLAGS) (VANISHED CHANGEDSINCE 1)", false, "BAD" },
	{ "(FLAGS) (VANISHED)", true, "BAD" },
	{ "(FLAGS) (CHANGEDSINCE)", false, "BAD" },
	{ "(FLAGS) (CHANGEDSINCE x)", false, "BAD" },
	{ "(FLAGS) (CHANGEDSINCE 1 CHANGEDSINCE 2)", false, "BAD" },
	{ "(FLAGS) (FOO)", false, "BAD" },
	{ "(FLAGS) (CHANGEDSINCE 1) x", false, "BAD" },
	{ "()", false, "BAD" },
	{ "(ALL)", false, "BAD" },
	{ "(FLAGS ALL)", false, "BAD" },
	{ "FOO", false, "BAD" },
	{ "\"FLAGS\"", false, "BAD" },
	{ "BODY.PEEK", false, "BAD" },
	{ "BODY[0]", false, "BAD" },
	{ "BODY[1.0]", false, "BAD" },
	{ "BODY[01]", false, "BAD" },
	{ "BODY[1.]", false, "BAD" },
	{ "BODY[1.2HEADER]", false, "BAD" },
	{ "BODY[MIME]", false, "BAD" },
	{ "BODY[HEADER.FIELDS]", false, "BAD" },
	{ "BODY[HEADER.FIELDS ()]", false, "BAD" },
	{ "BODY[HEADER.FIELDS (Fr:om)]", false, "BAD" },
	{ "BODY[HEADER.FIELDS (From]", false, "BAD" },
	{ "BODY[TEXT]<0.0>", false, "BAD" },
	{ "BODY[TEXT]<1>", false, "BAD" },
	{ "BODY[TEXT]x", false, "BAD" },
	{ "BODY[99999999999]", false, "BAD" },
	{ "BINARY[HEADER]", false, "BAD" },
	{ "BINARY.SIZE[1]<0.5>", false, "BAD" },
	{ "BINARY.PEEK.SIZE[1]", false, "BAD" },
	{ "BOD[1]", false, "BAD" },
	{ "BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23."
	  "24.25.26.27.28.29.30.31.32.33]", false, "BAD" },
};

static void describe(const struct imap_fetch *f, struct buf *out)
{
	static const char *const names[] = {
		"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY",
		"BODYSTRUCTURE", "UID", "MODSEQ", "RFC822", "RFC822.HEADER",
		"RFC822.TEXT", "EMAILID", "THREADID", "SAVEDATE",
	};

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (f->items & (1u << i))
			buf_printf(out, "%s%s", out->len ? " " : "", names[i]);
	}
	for (size_t i = 0; i < f->body_count; i++) {
		const struct imap_fetch_body *b = &f->bodies[i];

		if (out->len)
			buf_append_char(out, ' ');
		if (b->peek)
			buf_append_str(out, "peek ");
		imap_fetch_body_name(b, out);
		if (b->partial)
			buf_printf(out, "(%llu+%llu)",
				   (unsigned long long)b->offset,
				   (unsigned long long)b->length);
	}
	if (f->has_changedsince)
		buf_printf(out, " changedsince=%llu",
			   (unsigned long long)f->changedsince);
	if (f->vanished)
		buf_append_str(out, " vanished");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			const struct fetch_case *c = &cases[i];
			struct buf line = BUF_INIT, out = BUF_INIT;
			struct imap_command *cmd;
			struct imap_fetch *fetch;
			const char *error;
			char name[160];

			buf_printf(&line, "a %sFETCH 1:* %s\r\n",
				   c->uid ? "UID " : "", c->line);
			cmd = test_command(buf_cstr(&line), bytewise);
			str_format(name, sizeof(name), "%s%s", c->line,
				   bytewise ? " (byte by byte)" : "");
			if (cmd == NULL) {
				is_str("BAD (reader)", c->want, name);
			} else if (imap_fetch_parse(cmd->args + 1, cmd->uid,
						    NULL, &fetch, &error) < 0) {
				ok(fetch == NULL && error != NULL, "error set");
				is_str("BAD", c->want, name);
			} else {
				describe(fetch, &out);
				is_str(buf_cstr(&out), c->want, name);
				imap_fetch_free(&fetch);
			}
			imap_command_free(&cmd);
			buf_free(&line);
			buf_free(&out);
		}
	}
	return tap_done();
}
