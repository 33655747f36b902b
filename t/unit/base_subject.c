/* Unit tests for libmail/base_subject.c (RFC 5256 section 2.1) and
 * libmail/message_date.c (the sent date of section 2.2). */
#include "tap.h"
#include "base_subject.h"
#include "buf.h"
#include "message_date.h"

struct subject_case {
	const char *raw;
	const char *base;
	bool is_reply;
};

static const struct subject_case subject_cases[] = {
	{ "Hello", "Hello", false },
	{ "", "", false },
	{ "   ", "", false },
	{ "Re: Hello", "Hello", true },
	{ "RE:Hello", "Hello", true },
	{ "re : Hello", "Hello", true },
	{ "Fwd: Hello", "Hello", true },
	{ "FW: Hello", "Hello", true },
	{ "Re: Re: Fwd: re: Hello", "Hello", true },
	/* A blob between "re" and the colon is part of subj-refwd. */
	{ "Re[2]: Hello", "Hello", true },
	{ "Re [2]: Hello", "Hello", true },
	/* Blobs before a refwd, and a leading blob on its own (step 4). */
	{ "[list] Re: Hello", "Hello", true },
	{ "[list] Hello", "Hello", false },
	{ "[a][b] Re: [c] Hello", "Hello", true },
	/* A blob that is all there is stays: the base would be empty. */
	{ "[list]", "[list]", false },
	{ "Re: [list]", "[list]", true },
	/* Trailers, repeatedly, with white space between. */
	{ "Hello (fwd)", "Hello", true },
	{ "Hello (FWD) (fwd)  ", "Hello", true },
	{ "Hello(fwd)", "Hello", true },
	/* [fwd: ...] is unwrapped and the whole procedure starts over. */
	{ "[Fwd: Re: Hello]", "Hello", true },
	{ "[fwd: [fwd: Hello (fwd)]]", "Hello", true },
	{ "Re: [fwd: Hello]", "Hello", true },
	/* Words that only look like prefixes stay. */
	{ "Reply needed", "Reply needed", false },
	{ "Ref: Hello", "Ref: Hello", false },
	{ "Fwdx: Hello", "Fwdx: Hello", false },
	{ "Hello Re: world", "Hello Re: world", false },
	{ "Hello (fwd) world", "Hello (fwd) world", false },
	/* Folding, tabs and runs of spaces become one space. */
	{ "Re:\tHello\r\n   big\t\tworld", "Hello big world", true },
	/* RFC 2047 words are decoded first, then prefixes removed. */
	{ "=?utf-8?q?Re=3A_Caf=C3=A9?=", "Caf\xc3\xa9", true },
	{ "=?iso-8859-1?q?R=E9sum=E9?= (fwd)", "R\xc3\xa9sum\xc3\xa9", true },
	{ "Re: =?utf-8?b?w6l0w6k=?=", "\xc3\xa9t\xc3\xa9", true },
	/* An unclosed blob is text. */
	{ "[unclosed Re: Hello", "[unclosed Re: Hello", false },
};

static void test_subjects(void)
{
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(subject_cases) / sizeof(subject_cases[0]);
	     i++) {
		const struct subject_case *c = &subject_cases[i];
		bool reply;

		buf_clear(&out);
		reply = base_subject_extract(c->raw, strlen(c->raw), &out);
		is_str(buf_cstr(&out), c->base, c->raw);
		is_int(reply, c->is_reply, "  is a reply or forward");
	}
	buf_free(&out);
}

struct date_case {
	const char *value;
	bool ok;
	long long time;
};

static const struct date_case date_cases[] = {
	{ "Thu, 01 Jan 1970 00:00:00 +0000", true, 0 },
	/* The RFC 5256 section 2.2 example. */
	{ "31 Dec 2000 16:01:33 -0800", true, 978307293 },
	{ "Mon, 1 Jan 2001 00:01:33 +0000", true, 978307293 },
	{ "1 Jan 2001 00:01:33 GMT", true, 978307293 },
	{ "31 Dec 2000 19:01:33 EST", true, 978307293 },
	{ "Mon, 1 Jan 2001 00:01 +0000", true, 978307260 },
	{ "1 Jan 01 00:01:33 +0000", true, 978307293 },
	{ "1 Jan 2001 00:01:33 (UTC) +0000 (comment)", true, 978307293 },
	/* An unknown zone is UTC, a broken time is midnight. */
	{ "1 Jan 2001 00:01:33 XYZ", true, 978307293 },
	{ "1 Jan 2001 99:99", true, 978307200 },
	{ "29 Feb 2000 12:00:00 +0100", true, 951822000 },
	{ "", false, 0 },
	{ "yesterday", false, 0 },
	{ "Mon, 32 Jan 2001", false, 0 },
	{ "1 Foo 2001", false, 0 },
};

static void test_dates(void)
{
	for (size_t i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]);
	     i++) {
		const struct date_case *c = &date_cases[i];
		int64_t t = -1;
		bool got = message_date_parse(c->value, strlen(c->value), &t);

		is_int(got, c->ok, c->value);
		if (c->ok)
			is_int(t, c->time, "  instant");
	}
	is_int(message_date_days(1970, 1, 1), 0, "epoch day");
	is_int(message_date_days(1969, 12, 31), -1, "day before the epoch");
	is_int(message_date_days(2000, 3, 1), 11017, "after a leap day");
}

int main(void)
{
	test_subjects();
	test_dates();
	return tap_done();
}
