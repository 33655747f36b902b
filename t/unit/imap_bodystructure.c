/* Unit tests for libmail/imap_bodystructure.c: the corpus in t/data/mime/
 * with exact BODYSTRUCTURE and BODY strings, and the examples of RFC 3501
 * rebuilt byte for byte. */
#include "tap.h"
#include "buf.h"
#include "imap_bodystructure.h"
#include "mime_corpus.h"
#include "mime_parse.h"

#include <stdlib.h>

struct corpus_case {
	const char *file;
	const char *bodystructure;	/* of the CRLF form */
	const char *body;
};

static const struct corpus_case cases[] = {
	{ "8bit-header.eml",
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" "
	  "17 1 NIL NIL NIL NIL)",
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" "
	  "17 1)" },
	{ "addresses.eml",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 6 1 NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 6 1)" },
	{ "alternative.eml",
	  "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
	  "\"quoted-printable\" 103 2 NIL NIL NIL NIL)(\"text\" \"html\" "
	  "(\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 108 2 "
	  "NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
	  "\"=_alt_7f3a\") NIL NIL NIL)",
	  "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
	  "\"quoted-printable\" 103 2)(\"text\" \"html\" (\"charset\" "
	  "\"utf-8\") NIL NIL \"quoted-printable\" 108 2) "
	  "\"alternative\")" },
	{ "digest.eml",
	  "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 42 (NIL "
	  "\"first\" ((NIL NIL \"a\" \"example.edu\")) ((NIL NIL \"a\" "
	  "\"example.edu\")) ((NIL NIL \"a\" \"example.edu\")) NIL NIL "
	  "NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	  "NIL NIL \"7BIT\" 3 1 NIL NIL NIL NIL) 4 NIL NIL NIL "
	  "NIL)(\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 13 1 NIL NIL NIL NIL) \"digest\" (\"boundary\" "
	  "\"digest\") NIL NIL NIL)",
	  "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 42 (NIL "
	  "\"first\" ((NIL NIL \"a\" \"example.edu\")) ((NIL NIL \"a\" "
	  "\"example.edu\")) ((NIL NIL \"a\" \"example.edu\")) NIL NIL "
	  "NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	  "NIL NIL \"7BIT\" 3 1) 4)(\"text\" \"plain\" (\"CHARSET\" "
	  "\"US-ASCII\") NIL NIL \"7BIT\" 13 1) \"digest\")" },
	{ "header-only.eml",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 0 0 NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 0 0)" },
	{ "latin1-header.eml",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 6 1 NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 6 1)" },
	{ "missing-close.eml",
	  "(((\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 3 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"CHARSET\" "
	  "\"US-ASCII\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL) "
	  "\"alternative\" (\"boundary\" \"B\") NIL NIL NIL)(\"text\" "
	  "\"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 7 1 NIL "
	  "NIL NIL NIL) \"mixed\" (\"boundary\" \"A\") NIL NIL NIL)",
	  "(((\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 3 1)(\"text\" \"html\" (\"CHARSET\" \"US-ASCII\") "
	  "NIL NIL \"7BIT\" 10 1) \"alternative\")(\"text\" \"plain\" "
	  "(\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 7 1) \"mixed\")" },
	{ "mixed-attach.eml",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	  "\"7BIT\" 40 1 NIL NIL \"en\" NIL)(\"application\" \"pdf\" "
	  "(\"name\" \"hw3.pdf\") \"<hw3pdf@cs.example.edu>\" \"Homework "
	  "3\" \"base64\" 82 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
	  "(\"attachment\" (\"filename\" \"hw3.pdf\" \"size\" \"48\")) "
	  "(\"en\" \"de\") "
	  "\"https://cs.example.edu/cs101/hw3.pdf\")(\"text\" \"csv\" "
	  "(\"charset\" \"utf-8\" \"name\" \"rubric.csv\") NIL NIL "
	  "\"7BIT\" 37 3 NIL (\"inline\" NIL) NIL NIL) \"mixed\" "
	  "(\"boundary\" \"----=_Part_0_1234567.890\") NIL NIL NIL)",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	  "\"7BIT\" 40 1)(\"application\" \"pdf\" (\"name\" \"hw3.pdf\") "
	  "\"<hw3pdf@cs.example.edu>\" \"Homework 3\" \"base64\" "
	  "82)(\"text\" \"csv\" (\"charset\" \"utf-8\" \"name\" "
	  "\"rubric.csv\") NIL NIL \"7BIT\" 37 3) \"mixed\")" },
	{ "no-mime.eml",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 0 0 NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 0 0)" },
	{ "no-separator.eml",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 66 2 NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 66 2)" },
	{ "plain.eml",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 87 6 NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 87 6)" },
	{ "rfc2047.eml",
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" "
	  "10 1 NIL NIL NIL NIL)",
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" "
	  "10 1)" },
	{ "rfc2231.eml",
	  "((\"application\" \"octet-stream\" (\"name*\" "
	  "\"UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.txt\") NIL NIL "
	  "\"base64\" 8 NIL (\"attachment\" (\"filename*\" "
	  "\"UTF-8'ja'%E5%A0%B1%E5%91%8A%E6%9B%B8.txt\")) NIL "
	  "NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\" \"title\" "
	  "\"A very long title in two pieces\") NIL NIL \"7BIT\" 1 1 NIL "
	  "(\"attachment\" (\"filename\" \"=?utf-8?q?caf=C3=A9.txt?=\")) "
	  "NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)",
	  "((\"application\" \"octet-stream\" (\"name*\" "
	  "\"UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.txt\") NIL NIL "
	  "\"base64\" 8)(\"text\" \"plain\" (\"charset\" \"us-ascii\" "
	  "\"title\" \"A very long title in two pieces\") NIL NIL "
	  "\"7BIT\" 1 1) \"mixed\")" },
	{ "rfc822-nested.eml",
	  "((\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 12 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL "
	  "\"forwarded message\" \"7BIT\" 397 (\"Thu, 7 Mar 2024 "
	  "09:00:00 +0100\" \"Room change\" ((\"Facilities\" NIL "
	  "\"facilities\" \"example.edu\")) ((\"Facilities\" NIL "
	  "\"facilities\" \"example.edu\")) ((\"Facilities\" NIL "
	  "\"facilities\" \"example.edu\")) ((\"Erin\" NIL \"erin\" "
	  "\"example.edu\")) NIL NIL NIL \"<room-42@example.edu>\") "
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	  "\"7BIT\" 22 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" "
	  "\"us-ascii\") NIL NIL \"7BIT\" 29 1 NIL NIL NIL NIL) "
	  "\"alternative\" (\"boundary\" \"inner\") NIL NIL NIL) 16 NIL "
	  "NIL NIL NIL) \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)",
	  "((\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	  "\"7BIT\" 12 1)(\"message\" \"rfc822\" NIL NIL \"forwarded "
	  "message\" \"7BIT\" 397 (\"Thu, 7 Mar 2024 09:00:00 +0100\" "
	  "\"Room change\" ((\"Facilities\" NIL \"facilities\" "
	  "\"example.edu\")) ((\"Facilities\" NIL \"facilities\" "
	  "\"example.edu\")) ((\"Facilities\" NIL \"facilities\" "
	  "\"example.edu\")) ((\"Erin\" NIL \"erin\" \"example.edu\")) "
	  "NIL NIL NIL \"<room-42@example.edu>\") ((\"text\" \"plain\" "
	  "(\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 22 1)(\"text\" "
	  "\"html\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 29 1) "
	  "\"alternative\") 16) \"mixed\")" },
	{ "wrong-boundary.eml",
	  "(\"TEXT\" \"PLAIN\" (\"boundary\" \"right\" \"CHARSET\" "
	  "\"US-ASCII\") NIL NIL \"7BIT\" 54 5 NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"boundary\" \"right\" \"CHARSET\" "
	  "\"US-ASCII\") NIL NIL \"7BIT\" 54 5)" },
};

static void structure_strings(const char *data, size_t len, struct buf *bs,
			      struct buf *body)
{
	struct mime_part *root = mime_parse(data, len, NULL, NULL);

	buf_clear(bs);
	buf_clear(body);
	imap_bodystructure_write(root, true, bs);
	imap_bodystructure_write(root, false, body);
	mime_part_free(&root);
}

static void test_corpus(void)
{
	struct buf msg = BUF_INIT, bs = BUF_INIT, body = BUF_INIT;
	char name[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct corpus_case *c = &cases[i];

		if (corpus_load(c->file, true, &msg) < 0) {
			str_format(name, sizeof(name), "%s: readable",
				   c->file);
			ok(0, name);
			continue;
		}
		structure_strings(msg.data, msg.len, &bs, &body);
		str_format(name, sizeof(name), "%s: BODYSTRUCTURE", c->file);
		is_str(buf_cstr(&bs), c->bodystructure, name);
		str_format(name, sizeof(name), "%s: BODY", c->file);
		is_str(buf_cstr(&body), c->body, name);
	}
	buf_free(&msg);
	buf_free(&bs);
	buf_free(&body);
}

/* Appends `lines` CRLF-ended lines of filler totalling `size` bytes; when
 * `last_eol` is false the last line has no CRLF (it goes to a boundary). */
static void filler(struct buf *out, size_t size, size_t lines, bool last_eol)
{
	size_t eols = last_eol ? lines : lines - 1;
	size_t text = size - 2 * eols, per = text / lines;

	for (size_t i = 0; i < lines; i++) {
		size_t n = i == lines - 1 ? text - per * (lines - 1) : per;

		for (size_t j = 0; j < n; j++)
			buf_append_char(out, (char)('A' + (j % 26)));
		if (i < eols)
			buf_append(out, "\r\n", 2);
	}
}

/* RFC 3501 section 7.4.2, BODYSTRUCTURE: "a simple text message of 48
 * lines and 2279 octets", and the two-part message with a BASE64 text
 * attachment.  Section 8's sample: 3028 octets, 92 lines. */
static void test_rfc3501_examples(void)
{
	struct buf msg = BUF_INIT, bs = BUF_INIT, body = BUF_INIT;

	buf_append_str(&msg, "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
		       "Content-Transfer-Encoding: 7BIT\r\n\r\n");
	filler(&msg, 2279, 48, true);
	structure_strings(msg.data, msg.len, &bs, &body);
	is_str(buf_cstr(&body), "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	       "NIL NIL \"7BIT\" 2279 48)", "RFC 3501 simple text example");

	buf_clear(&msg);
	buf_append_str(&msg, "MIME-Version: 1.0\r\n"
		       "Content-Type: MULTIPART/MIXED; BOUNDARY=\"x\"\r\n\r\n"
		       "--x\r\n"
		       "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n");
	filler(&msg, 1152, 23, false);
	buf_append_str(&msg, "\r\n--x\r\n"
		       "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; "
		       "NAME=cc.diff\r\n"
		       "Content-ID: <960723163407.20117h@cac.washington.edu>\r\n"
		       "Content-Description: Compiler diff\r\n"
		       "Content-Transfer-Encoding: BASE64\r\n\r\n");
	filler(&msg, 4554, 73, false);
	buf_append_str(&msg, "\r\n--x--\r\n");
	structure_strings(msg.data, msg.len, &bs, &body);
	is_str(buf_cstr(&body),
	       "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	       "\"7BIT\" 1152 23)(\"TEXT\" \"PLAIN\" (\"CHARSET\" "
	       "\"US-ASCII\" \"NAME\" \"cc.diff\") "
	       "\"<960723163407.20117h@cac.washington.edu>\" "
	       "\"Compiler diff\" \"BASE64\" 4554 73) \"MIXED\")",
	       "RFC 3501 two-part example");
	is_str(buf_cstr(&bs),
	       "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	       "\"7BIT\" 1152 23 NIL NIL NIL NIL)(\"TEXT\" \"PLAIN\" "
	       "(\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") "
	       "\"<960723163407.20117h@cac.washington.edu>\" "
	       "\"Compiler diff\" \"BASE64\" 4554 73 NIL NIL NIL NIL) "
	       "\"MIXED\" (\"BOUNDARY\" \"x\") NIL NIL NIL)",
	       "RFC 3501 two-part example with extension data");

	/* No Content-Type at all: the defaults, upper case. */
	buf_clear(&msg);
	buf_append_str(&msg, "Subject: x\r\n\r\n");
	filler(&msg, 3028, 92, true);
	structure_strings(msg.data, msg.len, &bs, &body);
	is_str(buf_cstr(&body), "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	       "NIL NIL \"7BIT\" 3028 92)", "RFC 3501 section 8 sample body");
	buf_free(&msg);
	buf_free(&bs);
	buf_free(&body);
}

/* Strings that cannot be quoted go out as literals; quoted-specials are
 * escaped. */
static void test_strings(void)
{
	static const char msg[] =
		"Content-Type: text/plain; name=\"a \\\"b\\\" c\\\\d\"\r\n"
		"Content-Description: caf\xc3\xa9\r\n\r\nx";
	struct buf bs = BUF_INIT, body = BUF_INIT;

	structure_strings(msg, sizeof(msg) - 1, &bs, &body);
	is_str(buf_cstr(&body), "(\"text\" \"plain\" (\"name\" "
	       "\"a \\\"b\\\" c\\\\d\" \"CHARSET\" \"US-ASCII\") NIL "
	       "{5}\r\ncaf\xc3\xa9 \"7BIT\" 1 1)",
	       "escaped quoted string and 8-bit literal");
	buf_free(&bs);
	buf_free(&body);
}

int main(void)
{
	test_corpus();
	test_rfc3501_examples();
	test_strings();
	return tap_done();
}
