/* Unit tests for libmail/message_address.c, shown as IMAP address lists. */
#include "tap.h"
#include "buf.h"
#include "imap_envelope.h"
#include "message_address.h"

struct addr_case {
	const char *input;
	const char *expect;
};

static const struct addr_case cases[] = {
	{ "a@b.test", "((NIL NIL \"a\" \"b.test\"))" },
	{ "Joe <j@x.test>", "((\"Joe\" NIL \"j\" \"x.test\"))" },
	{ "\"Doe, Jane\" <jd@x.test>, b@y.test",
	  "((\"Doe, Jane\" NIL \"jd\" \"x.test\")(NIL NIL \"b\" \"y.test\"))" },
	{ "j@x.test (Joe Bloggs)", "((\"Joe Bloggs\" NIL \"j\" \"x.test\"))" },
	{ "(comment (nested)) j@x.test",
	  "((\"comment (nested)\" NIL \"j\" \"x.test\"))" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@x.test>",
	  "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x.test\"))" },
	{ "<@a.test,@b.test:u@c.test>",
	  "((NIL \"@a.test,@b.test\" \"u\" \"c.test\"))" },
	{ "john . doe @ example . com",
	  "((NIL NIL \"john.doe\" \"example.com\"))" },
	{ "u@[192.0.2.1]", "((NIL NIL \"u\" \"[192.0.2.1]\"))" },
	{ "G: a@b.test, c@d.test;",
	  "((NIL NIL \"G\" NIL)(NIL NIL \"a\" \"b.test\")(NIL NIL \"c\" "
	  "\"d.test\")(NIL NIL NIL NIL))" },
	{ "G: a@b.test", "((NIL NIL \"G\" NIL)(NIL NIL \"a\" \"b.test\")"
	  "(NIL NIL NIL NIL))" },
	{ "root", "((NIL NIL \"root\" \"\"))" },
	{ "", "NIL" },
	{ "<>", "NIL" },
	{ ",,;;", "NIL" },
	{ ">>> a@b.test", "NIL" },
	{ "@@@, ok@fine.test", "((NIL NIL \"ok\" \"fine.test\"))" },
	{ "Bad <a@b.test> trailing, ok@fine.test",
	  "((\"Bad\" NIL \"a\" \"b.test\")(NIL NIL \"ok\" \"fine.test\"))" },
	{ "\"unterminated", "((NIL NIL \"\\\"unterminated\" \"\"))" },
	{ "(unterminated comment a@b.test", "NIL" },
	/* 8-bit names (RFC 6532) go out as literals. */
	{ "J\xc3\xbcrgen <j@x.test>",
	  "(({7}\r\nJ\303\274rgen NIL \"j\" \"x.test\"))" },
};

int main(void)
{
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct message_address *list =
			message_address_parse(cases[i].input,
					      strlen(cases[i].input));

		buf_clear(&out);
		imap_envelope_write_addresses(list, &out);
		is_str(buf_cstr(&out), cases[i].expect, cases[i].input);
		message_address_free(&list);
		ok(list == NULL, "free clears the pointer");
	}
	buf_free(&out);
	return tap_done();
}
