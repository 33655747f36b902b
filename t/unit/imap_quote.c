/* Unit tests for imapd/imap_quote.c. */
#include "tap.h"
#include "buf.h"
#include "imapd/imap_quote.h"

#include <string.h>

enum form { STRING, ASTRING, NSTRING, LITERAL };

struct quote_case {
	enum form form;
	const char *input;	/* NULL: nil */
	size_t len;		/* 0: strlen */
	unsigned int flags;
	const char *want;
	size_t want_len;	/* 0: strlen */
};

#define WITH_NUL(s) s, sizeof(s) - 1

static const struct quote_case cases[] = {
	{ ASTRING, "INBOX", 0, 0, "INBOX", 0 },
	{ ASTRING, "a]b", 0, 0, "a]b", 0 },
	{ ASTRING, "", 0, 0, "\"\"", 0 },
	{ ASTRING, "nil", 0, 0, "\"nil\"", 0 },
	{ ASTRING, "a b", 0, 0, "\"a b\"", 0 },
	{ ASTRING, "a*", 0, 0, "\"a*\"", 0 },
	{ ASTRING, "say \"hi\\", 0, 0, "\"say \\\"hi\\\\\"", 0 },
	{ STRING, "INBOX", 0, 0, "\"INBOX\"", 0 },
	{ STRING, "a\r\nb", 0, 0, "{4}\r\na\r\nb", 0 },
	{ STRING, "caf\xc3\xa9", 0, 0, "{5}\r\ncaf\xc3\xa9", 0 },
	{ STRING, "caf\xc3\xa9", 0, IMAP_QUOTE_UTF8, "\"caf\xc3\xa9\"", 0 },
	{ STRING, "caf\xe9", 0, IMAP_QUOTE_UTF8, "{4}\r\ncaf\xe9", 0 },
	{ STRING, WITH_NUL("a\0b"), 0, WITH_NUL("~{3}\r\na\0b") },
	{ NSTRING, NULL, 0, 0, "NIL", 0 },
	{ NSTRING, "NIL", 0, 0, "\"NIL\"", 0 },
	{ LITERAL, "abc", 0, 0, "{3}\r\nabc", 0 },
	{ LITERAL, "", 0, 0, "{0}\r\n", 0 },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct quote_case *c = &cases[i];
		size_t len = c->input == NULL ? 0 :
			c->len ? c->len : strlen(c->input);
		size_t want_len = c->want_len ? c->want_len : strlen(c->want);
		struct buf out = BUF_INIT;
		char name[100];

		switch (c->form) {
		case STRING:
			imap_quote_string(&out, c->input, len, c->flags);
			break;
		case ASTRING:
			imap_quote_astring(&out, c->input, len, c->flags);
			break;
		case NSTRING:
			imap_quote_nstring(&out, c->input, len, c->flags);
			break;
		case LITERAL:
			imap_quote_literal(&out, c->input, len);
			break;
		}
		str_format(name, sizeof(name), "case %zu", i);
		ok(out.len == want_len &&
		   memcmp(buf_cstr(&out), c->want, want_len) == 0, name);
		buf_free(&out);
	}
	return tap_done();
}
