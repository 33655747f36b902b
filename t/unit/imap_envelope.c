/* Unit tests for libmail/imap_envelope.c: the corpus in t/data/mime/ with
 * exact ENVELOPE strings (the same for the CRLF and the LF form), the
 * defaulting rules of RFC 3501 section 7.4.2, and its section 8 sample. */
#include "tap.h"
#include "buf.h"
#include "imap_envelope.h"
#include "message_header.h"
#include "mime_corpus.h"

struct env_case {
	const char *file;
	const char *envelope;
};

static const struct env_case corpus[] = {
	{ "8bit-header.eml",
	  "(\"Wed, 13 Mar 2024 12:00:00 +0100\" {23}\r\nPr\303\274fung "
	  "n\303\244chste Woche (({15}\r\nJ\303\274rgen M\303\274ller "
	  "NIL \"jm\" \"example.de\")) (({15}\r\nJ\303\274rgen "
	  "M\303\274ller NIL \"jm\" \"example.de\")) "
	  "(({15}\r\nJ\303\274rgen M\303\274ller NIL \"jm\" "
	  "\"example.de\")) (({4}\r\nZo\303\253 NIL \"zoe\" "
	  "\"example.fr\")) NIL NIL NIL NIL)" },
	{ "addresses.eml",
	  "(\"Thu, 14 Mar 2024 12:00:00 +0000\" \"\" ((\"Pete\" NIL "
	  "\"pete\" \"silly.test\")) ((NIL \"@relay1.test,@relay2.test\" "
	  "\"route\" \"final.test\")) ((\"Pete Again\" NIL \"pete\" "
	  "\"silly.test\")) ((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL "
	  "\"c\" \"a.test\")(NIL NIL \"joe\" \"where.test\")(\"John\" "
	  "NIL \"jdoe\" \"one.test\")(NIL NIL NIL NIL)) ((NIL NIL "
	  "\"Undisclosed recipients\" NIL)(NIL NIL NIL NIL)(NIL NIL "
	  "\"\\\"Quoted \\\\\\\"Local\\\\\\\"\\\"\" \"example.net\")(NIL "
	  "NIL \"root\" \"\")) ((NIL NIL \"\\\"unterminated <x@y.test>\" "
	  "\"\")) NIL NIL)" },
	{ "alternative.eml",
	  "(\"Wed, 6 Mar 2024 08:00:00 +0000\" \"Spring registration "
	  "opens Monday\" ((\"Registrar's Office\" NIL \"registrar\" "
	  "\"example.edu\")) ((\"Registrar's Office\" NIL \"registrar\" "
	  "\"example.edu\")) ((\"Registrar's Office\" NIL \"registrar\" "
	  "\"example.edu\")) ((NIL NIL \"undisclosed-recipients\" "
	  "NIL)(NIL NIL NIL NIL)) NIL NIL NIL "
	  "\"<reg-2024-spring@example.edu>\")" },
	{ "digest.eml",
	  "(NIL \"campus-talk digest, Vol 1, Issue 2\" ((NIL NIL "
	  "\"list-owner\" \"lists.example.edu\")) ((NIL NIL "
	  "\"list-owner\" \"lists.example.edu\")) ((NIL NIL "
	  "\"list-owner\" \"lists.example.edu\")) NIL NIL NIL NIL NIL)" },
	{ "header-only.eml",
	  "(NIL \"header only, no newline at the end\" ((NIL NIL \"m\" "
	  "\"example.org\")) ((NIL NIL \"m\" \"example.org\")) ((NIL NIL "
	  "\"m\" \"example.org\")) NIL NIL NIL NIL NIL)" },
	{ "latin1-header.eml",
	  "(NIL {4}\r\ncaf\351 (({10}\r\nlatin1 \351t\351 NIL \"l\" "
	  "\"example.fr\")) (({10}\r\nlatin1 \351t\351 NIL \"l\" "
	  "\"example.fr\")) (({10}\r\nlatin1 \351t\351 NIL \"l\" "
	  "\"example.fr\")) NIL NIL NIL NIL NIL)" },
	{ "missing-close.eml",
	  "(NIL \"inner multipart never closed\" ((NIL NIL \"h\" "
	  "\"example.org\")) ((NIL NIL \"h\" \"example.org\")) ((NIL NIL "
	  "\"h\" \"example.org\")) NIL NIL NIL NIL NIL)" },
	{ "mixed-attach.eml",
	  "(\"Thu, 7 Mar 2024 16:20:11 -0500\" \"Homework 3 and grading "
	  "rubric\" ((\"Carol Chen\" NIL \"carol\" \"cs.example.edu\")) "
	  "((\"Teaching Assistants\" NIL \"ta-list\" "
	  "\"cs.example.edu\")) ((NIL NIL \"ta-help\" "
	  "\"cs.example.edu\")) ((\"Students, CS 101\" NIL \"cs101\" "
	  "\"lists.example.edu\")) ((\"Prof. Dana Scott\" NIL \"dscott\" "
	  "\"cs.example.edu\")) ((NIL NIL \"archive\" "
	  "\"cs.example.edu\")) "
	  "\"<hw3-question-17@students.example.edu>\" "
	  "\"<hw3-release.carol@cs.example.edu>\")" },
	{ "no-mime.eml",
	  "(NIL \"nothing else\" NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "no-separator.eml",
	  "(NIL \"no blank line\" ((NIL NIL \"j\" \"example.org\")) "
	  "((NIL NIL \"j\" \"example.org\")) ((NIL NIL \"j\" "
	  "\"example.org\")) ((NIL NIL \"k\" \"example.org\")) NIL NIL "
	  "NIL NIL)" },
	{ "plain.eml",
	  "(\"Tue, 5 Mar 2024 09:13:58 -0500\" \"Lunch on Thursday?\" "
	  "((\"Alice Liddell\" NIL \"alice\" \"example.edu\")) ((\"Alice "
	  "Liddell\" NIL \"alice\" \"example.edu\")) ((\"Alice Liddell\" "
	  "NIL \"alice\" \"example.edu\")) ((NIL NIL \"bob\" "
	  "\"example.edu\")) NIL NIL NIL "
	  "\"<20240305141358.GA1234@example.edu>\")" },
	{ "rfc2047.eml",
	  "(\"Mon, 11 Mar 2024 12:00:00 +0100\" "
	  "\"=?utf-8?q?Gr=C3=BC=C3=9Fe_aus?= =?utf-8?q?_K=C3=B6ln?= "
	  "=?iso-8859-1?q?_und_D=FCsseldorf?=\" "
	  "((\"=?ISO-8859-1?Q?Andr=E9?= Pirard\" NIL \"PIRARD\" "
	  "\"vm1.ulg.ac.be\")) ((\"=?ISO-8859-1?Q?Andr=E9?= Pirard\" NIL "
	  "\"PIRARD\" \"vm1.ulg.ac.be\")) ((\"=?ISO-8859-1?Q?Andr=E9?= "
	  "Pirard\" NIL \"PIRARD\" \"vm1.ulg.ac.be\")) "
	  "((\"=?utf-8?B?SsO2cmc=?=\" NIL \"joerg\" \"example.de\")) NIL "
	  "NIL NIL \"<rfc2047@example.de>\")" },
	{ "rfc2231.eml",
	  "(\"Tue, 12 Mar 2024 12:00:00 +0900\" \"files\" ((NIL NIL "
	  "\"gus\" \"example.jp\")) ((NIL NIL \"gus\" \"example.jp\")) "
	  "((NIL NIL \"gus\" \"example.jp\")) ((NIL NIL \"hana\" "
	  "\"example.jp\")) NIL NIL NIL NIL)" },
	{ "rfc822-nested.eml",
	  "(\"Fri, 8 Mar 2024 10:00:00 +0100\" \"Fwd: Room change\" "
	  "((\"Erin\" NIL \"erin\" \"example.edu\")) ((\"Erin\" NIL "
	  "\"erin\" \"example.edu\")) ((\"Erin\" NIL \"erin\" "
	  "\"example.edu\")) ((\"Frank\" NIL \"frank\" \"example.edu\")) "
	  "NIL NIL NIL \"<fwd-1@example.edu>\")" },
	{ "wrong-boundary.eml",
	  "(NIL \"boundary does not match\" ((NIL NIL \"i\" "
	  "\"example.org\")) ((NIL NIL \"i\" \"example.org\")) ((NIL NIL "
	  "\"i\" \"example.org\")) NIL NIL NIL NIL NIL)" },
};

static void envelope_of(const char *data, size_t len, struct buf *out)
{
	struct message_header hdr;

	message_header_init(&hdr, NULL);
	message_header_parse(&hdr, data, len);
	buf_clear(out);
	imap_envelope_write(&hdr, out);
	message_header_deinit(&hdr);
}

static void test_corpus(void)
{
	struct buf msg = BUF_INIT, env = BUF_INIT;
	char name[256];

	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		for (int crlf = 1; crlf >= 0; crlf--) {
			str_format(name, sizeof(name), "%s (%s)",
				   corpus[i].file, crlf ? "CRLF" : "LF");
			if (corpus_load(corpus[i].file, crlf, &msg) < 0) {
				ok(0, name);
				continue;
			}
			envelope_of(msg.data, msg.len, &env);
			is_str(buf_cstr(&env), corpus[i].envelope, name);
		}
	}
	buf_free(&msg);
	buf_free(&env);
}

struct header_case {
	const char *name;
	const char *header;
	const char *envelope;
	size_t len;		/* of header, when it holds a NUL */
};

static const struct header_case headers[] = {
	{ "nothing", "\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)", 0 },
	{ "present but empty strings",
	  "Date:\r\nSubject: \r\nIn-Reply-To:\r\nMessage-ID:\r\n\r\n",
	  "(\"\" \"\" NIL NIL NIL NIL NIL NIL \"\" \"\")", 0 },
	{ "empty Sender and Reply-To default to From",
	  "From: a@b.test\r\nSender:\r\nReply-To: \r\n\r\n",
	  "(NIL NIL ((NIL NIL \"a\" \"b.test\")) ((NIL NIL \"a\" \"b.test\")) "
	  "((NIL NIL \"a\" \"b.test\")) NIL NIL NIL NIL NIL)", 0 },
	{ "first of two Subjects wins, folding undone",
	  "Subject: one\r\n two\r\nSubject: three\r\n\r\n",
	  "(NIL \"one two\" NIL NIL NIL NIL NIL NIL NIL NIL)", 0 },
	{ "field names are case-insensitive",
	  "SUBJECT: loud\r\nfrom: x@y.test\r\n\r\n",
	  "(NIL \"loud\" ((NIL NIL \"x\" \"y.test\")) ((NIL NIL \"x\" "
	  "\"y.test\")) ((NIL NIL \"x\" \"y.test\")) NIL NIL NIL NIL NIL)", 0 },
	{ "bare CR in a value forces a literal",
	  "Subject: a\rb\r\n\r\n",
	  "(NIL {3}\r\na\rb NIL NIL NIL NIL NIL NIL NIL NIL)", 0 },
	{ "NUL bytes are dropped",
	  "Subject: a\0b\r\n\r\n",
	  "(NIL \"ab\" NIL NIL NIL NIL NIL NIL NIL NIL)", 16 },
	{ "garbage-only To is NIL",
	  "To: ,,, <> ;\r\n\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)", 0 },
	/* RFC 3501 section 8.  The RFC prints a space between the two Cc
	 * addresses, which its own grammar (env-cc = "(" 1*address ")")
	 * does not allow; the expected string follows the grammar. */
	{ "RFC 3501 section 8 sample",
	  "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
	  "From: Terry Gray <gray@cac.washington.edu>\r\n"
	  "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
	  "To: imap@cac.washington.edu\r\n"
	  "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
	  "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
	  "MIME-Version: 1.0\r\n"
	  "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n",
	  "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
	  "\"IMAP4rev1 WG mtg summary and minutes\" "
	  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	  "((NIL NIL \"imap\" \"cac.washington.edu\")) "
	  "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
	  "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
	  "\"<B27397-0100000@cac.washington.edu>\")", 0 },
};

static void test_headers(void)
{
	struct buf env = BUF_INIT;

	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		const char *h = headers[i].header;
		size_t len = headers[i].len != 0 ? headers[i].len : strlen(h);

		envelope_of(h, len, &env);
		is_str(buf_cstr(&env), headers[i].envelope, headers[i].name);
	}
	buf_free(&env);
}

int main(void)
{
	test_corpus();
	test_headers();
	return tap_done();
}
