/* Unit tests for imapd/imap_utf7.c. */
#include "tap.h"
#include "buf.h"
#include "imapd/imap_utf7.h"

struct utf7_case {
	const char *utf7;
	const char *utf8;	/* NULL: the UTF-7 is refused */
};

static const struct utf7_case cases[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "&-", "&" },
	{ "Tom &- Jerry", "Tom & Jerry" },
	/* RFC 3501 section 5.1.3's example */
	{ "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	  "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "Entw&APw-rfe", "Entw\xc3\xbc" "rfe" },
	{ "&AOkA6QDp-", "\xc3\xa9\xc3\xa9\xc3\xa9" },
	{ "&2D3eAA-", "\xf0\x9f\x98\x80" },	/* U+1F600, a surrogate pair */
	{ "&AAk-", "\t" },
	/* refused: */
	{ "&", NULL },
	{ "&AOk", NULL },		/* unterminated */
	{ "&AOk-&AOk-", NULL },		/* split run */
	{ "&AGE-", NULL },		/* "a" in base64 */
	{ "&AOl-", NULL },		/* non-zero padding bits */
	{ "&2D0-", NULL },		/* lone high surrogate */
	{ "&3gA-", NULL },		/* lone low surrogate */
	{ "&AA-", NULL },		/* partial unit */
	{ "&AAA-", NULL },		/* NUL */
	{ "&Jjo!-", NULL },		/* not base64 */
	{ "&U/BTFw-", NULL },		/* "/" is not modified base64 */
	{ "caf\xc3\xa9", NULL },	/* 8-bit */
	{ "a\tb", NULL },		/* control */
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct utf7_case *c = &cases[i];
		struct buf out = BUF_INIT;
		const char *error = NULL;
		char name[120];
		int ret = imap_utf7_to_utf8(c->utf7, &out, &error);

		str_format(name, sizeof(name), "decode '%s'", c->utf7);
		if (c->utf8 == NULL) {
			ok(ret == -1 && error != NULL, name);
			buf_free(&out);
			continue;
		}
		is_str(ret == 0 ? buf_cstr(&out) : error, c->utf8, name);
		buf_clear(&out);
		str_format(name, sizeof(name), "encode back to '%s'", c->utf7);
		ret = imap_utf8_to_utf7(c->utf8, &out, &error);
		is_str(ret == 0 ? buf_cstr(&out) : error, c->utf7, name);
		buf_free(&out);
	}
	{
		struct buf out = BUF_INIT;
		const char *error = NULL;

		is_int(imap_utf8_to_utf7("a\xc3", &out, &error), -1,
		       "encoding refuses truncated UTF-8");
		is_int(imap_utf8_to_utf7("\xed\xa0\x80", &out, &error), -1,
		       "encoding refuses an encoded surrogate");
		buf_free(&out);
	}
	return tap_done();
}
