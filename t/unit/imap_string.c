/* Unit tests for libmail/imap_string.c. */
#include "tap.h"
#include "buf.h"
#include "imap_string.h"

struct str_case {
	const char *input;
	size_t len;
	const char *expect;
};

static const struct str_case cases[] = {
	{ "", 0, "\"\"" },
	{ "plain", 5, "\"plain\"" },
	{ "a \"q\" \\", 8, "\"a \\\"q\\\" \\\\\"" },
	{ "tab\there", 8, "\"tab\there\"" },
	{ "cr\rlf\n", 6, "{6}\r\ncr\rlf\n" },
	{ "caf\xc3\xa9", 5, "{5}\r\ncaf\xc3\xa9" },
	{ "n\0ul", 4, "\"nul\"" },
	{ "8\xff\0", 3, "{2}\r\n8\xff" },
};

int main(void)
{
	struct buf out = BUF_INIT;
	char big[IMAP_STRING_QUOTED_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_clear(&out);
		imap_string_append(&out, cases[i].input, cases[i].len);
		is_str(buf_cstr(&out), cases[i].expect, cases[i].input);
	}
	buf_clear(&out);
	imap_nstring_append(&out, NULL);
	is_str(buf_cstr(&out), "NIL", "NULL is NIL");
	memset(big, 'a', sizeof(big));
	buf_clear(&out);
	imap_string_append(&out, big, IMAP_STRING_QUOTED_MAX);
	ok(out.data[0] == '"', "longest quoted string");
	buf_clear(&out);
	imap_string_append(&out, big, sizeof(big));
	ok(strncmp(out.data, "{1025}\r\n", 8) == 0, "longer goes as literal");
	buf_free(&out);
	return tap_done();
}
