/* Unit tests for imapd/imap_thread.c (RFC 5256 section 3), with the keys
 * read by imapd/imap_msgkeys.c from small headers, and imapd/imap_sort.c.
 * Expected answers are worked out by hand from the RFC; comments say how
 * for the cases that need it. */
#include "tap.h"
#include "buf.h"
#include "imapd/imap_msgkeys.h"
#include "imapd/imap_sort.h"
#include "imapd/imap_thread.h"

#include <stdlib.h>

struct test_msg {
	uint32_t seq;
	int64_t sent;		/* used when the header has no Date */
	const char *header;
};

#define MAX_MSGS 16

/* How many references REFERENCES links by (imap_thread_max_references):
 * the default, unless a test says otherwise. */
static size_t max_refs = 100;

/* Threads `msgs` and compares the thread lists, sequence-numbered. */
static void check_thread(enum imap_thread_alg alg, const struct test_msg *msgs,
			 size_t count, const char *want, const char *name)
{
	struct imap_msgkeys keys[MAX_MSGS];
	const struct imap_msgkeys *ptrs[MAX_MSGS];
	struct buf out = BUF_INIT, uids = BUF_INIT;
	size_t i;

	for (i = 0; i < count; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		keys[i].seq = msgs[i].seq;
		keys[i].uid = msgs[i].seq * 10;
		keys[i].arrival = keys[i].sent = msgs[i].sent;
		imap_msgkeys_from_header(msgs[i].header,
					 strlen(msgs[i].header),
					 IMAP_MSGKEYS_HEADER |
					 IMAP_MSGKEYS_THREAD, &keys[i]);
		ptrs[i] = &keys[i];
	}
	imap_thread_run(alg, ptrs, count, max_refs, false, &out);
	is_str(buf_cstr(&out), want, name);
	/* UID THREAD: the same shape, each number a UID (seq * 10 here,
	 * so a 0 after each number of `want`). */
	buf_clear(&out);
	imap_thread_run(alg, ptrs, count, max_refs, true, &out);
	buf_clear(&uids);
	for (i = 0; want[i] != '\0'; i++) {
		buf_append_char(&uids, want[i]);
		if (want[i] >= '0' && want[i] <= '9' &&
		    !(want[i + 1] >= '0' && want[i + 1] <= '9'))
			buf_append_char(&uids, '0');
	}
	is_str(buf_cstr(&out), buf_cstr(&uids), "  by UID");
	buf_free(&uids);
	for (i = 0; i < count; i++)
		imap_msgkeys_deinit(&keys[i]);
	buf_free(&out);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_orderedsubject(void)
{
	/* Groups by base subject (case-insensitive, "Re:" removed), each
	 * ordered by date: a = 2 (t2), 5 (t4), 3 (t5); b = 4 (t1), 1 (t3);
	 * c = 6.  Threads by their first date: b (t1), a (t2), c (t6).  A
	 * thread of two is "first second"; of more, the others are
	 * siblings under the first. */
	static const struct test_msg msgs[] = {
		{ 1, 3, "Subject: b\r\n\r\n" },
		{ 2, 2, "Subject: Re: a\r\n\r\n" },
		{ 3, 5, "Subject: a\r\n\r\n" },
		{ 4, 1, "Subject: B\r\n\r\n" },
		{ 5, 4, "Subject: A\r\n\r\n" },
		{ 6, 6, "Subject: c\r\n\r\n" },
	};

	check_thread(IMAP_THREAD_ORDEREDSUBJECT, msgs, N(msgs),
		     "(4 1)(2 (5)(3))(6)", "ORDEREDSUBJECT");
	check_thread(IMAP_THREAD_ORDEREDSUBJECT, msgs, 0, "", "no messages");
}

static void test_rfc_shape(void)
{
	/* The tree drawn in RFC 5256 section 4, built from References. */
	static const struct test_msg msgs[] = {
		{ 2, 1, "Message-ID: <2@x>\r\nSubject: two\r\n\r\n" },
		{ 3, 2, "Message-ID: <3@x>\r\nSubject: three\r\n\r\n" },
		{ 4, 4, "Message-ID: <4@x>\r\nReferences: <3@x> <6@x>\r\n\r\n" },
		{ 6, 3, "Message-ID: <6@x>\r\nIn-Reply-To: <3@x>\r\n\r\n" },
		{ 7, 7, "Message-ID: <7@x>\r\nReferences: <3@x> <6@x>\r\n"
		  " <44@x>\r\n\r\n" },
		{ 23, 5, "Message-ID: <23@x>\r\nReferences: <3@x> <6@x> <4@x>"
		  "\r\n\r\n" },
		{ 44, 6, "Message-ID: <44@x>\r\nReferences: <3@x> <6@x>\r\n\r\n" },
		{ 96, 8, "Message-ID: <96@x>\r\nReferences: <6@x> <44@x> <7@x>"
		  "\r\n\r\n" },
	};

	check_thread(IMAP_THREAD_REFERENCES, msgs, N(msgs),
		     "(2)(3 6 (4 23)(44 7 96))", "RFC 5256 example tree");
}

static void test_max_references(void)
{
	/* 2's References go through an unknown <z@x> to 1.  All of them:
	 * 1 -> z (a dummy, spliced out) -> 2, one thread.  Only the last
	 * one: 2 hangs under the dummy z alone, which gives way to it, so
	 * 1 and 2 are threads of their own. */
	static const struct test_msg msgs[] = {
		{ 1, 1, "Message-ID: <a@x>\r\nSubject: a\r\n\r\n" },
		{ 2, 2, "Message-ID: <b@x>\r\nReferences: <a@x> <z@x>\r\n"
		  "Subject: b\r\n\r\n" },
	};

	check_thread(IMAP_THREAD_REFERENCES, msgs, N(msgs), "(1 2)",
		     "both references link");
	max_refs = 1;
	check_thread(IMAP_THREAD_REFERENCES, msgs, N(msgs), "(1)(2)",
		     "with one reference kept, only the last links");
	max_refs = 100;
}

static void test_references(void)
{
	/* 3 names 1 but not 2 (a truncated References): 2 stays 1's child
	 * and 3 is 2's.  4's References name an unknown <9@x> before <2@x>;
	 * 2 already has a parent, so that link is kept and 9 is a childless
	 * dummy, pruned.  5 is dated before 4, so it sorts first among 2's
	 * children. */
	static const struct test_msg chain[] = {
		{ 1, 1, "Message-ID: <1@x>\r\nSubject: a\r\n\r\n" },
		{ 2, 2, "Message-ID: <2@x>\r\nReferences: <1@x>\r\n"
		  "Subject: Re: a\r\n\r\n" },
		{ 3, 5, "Message-ID: <3@x>\r\nReferences: <9@x> <2@x>\r\n\r\n" },
		{ 4, 4, "Message-ID: <4@x>\r\nIn-Reply-To: <3@x>\r\n\r\n" },
		{ 5, 3, "Message-ID: <5@x>\r\nReferences: <1@x> <2@x>\r\n\r\n" },
	};
	/* Two replies to a message not in the mailbox: a dummy parent
	 * with two children stays at the top ("((1)(2))"); with one child
	 * the dummy goes and the child is a thread of its own. */
	static const struct test_msg orphans[] = {
		{ 1, 1, "Message-ID: <1@x>\r\nIn-Reply-To: <0@x> (lost)\r\n"
		  "Subject: x\r\n\r\n" },
		{ 2, 2, "Message-ID: <2@x>\r\nReferences: <0@x>\r\n"
		  "Subject: y\r\n\r\n" },
		{ 3, 3, "Message-ID: <3@x>\r\nReferences: <8@x>\r\n"
		  "Subject: z\r\n\r\n" },
	};
	/* Message IDs are compared after removing quotes; a duplicate ID
	 * counts only for the first message carrying it, so 3 is 1's child
	 * and 2 stays alone.  No Message-ID at all (4) is fine. */
	static const struct test_msg ids[] = {
		{ 1, 1, "Message-ID: <\"a b\"@x>\r\nSubject: one\r\n\r\n" },
		{ 2, 2, "Message-ID: <ab@x>\r\nSubject: two\r\n\r\n" },
		{ 3, 3, "Message-ID: <c@x>\r\nReferences: <ab@x>\r\n"
		  "Subject: three\r\n\r\n" },
		{ 4, 4, "Subject: four\r\n\r\n" },
	};
	/* 1 says its parent is 2 and 2 says its parent is 1: when 2 comes,
	 * making 1 its parent would be a loop, so 2 stays the root. */
	static const struct test_msg loop[] = {
		{ 1, 1, "Message-ID: <1@x>\r\nReferences: <2@x>\r\n\r\n" },
		{ 2, 2, "Message-ID: <2@x>\r\nReferences: <1@x>\r\n\r\n" },
	};
	/* A message that references itself gets no parent from it. */
	static const struct test_msg self[] = {
		{ 1, 1, "Message-ID: <1@x>\r\nReferences: <1@x>\r\n\r\n" },
	};

	check_thread(IMAP_THREAD_REFERENCES, chain, N(chain),
		     "(1 2 (5)(3 4))", "truncated References");
	check_thread(IMAP_THREAD_REFERENCES, orphans, N(orphans),
		     "((1)(2))(3)", "replies to an unknown parent");
	check_thread(IMAP_THREAD_REFERENCES, ids, N(ids),
		     "(1 3)(2)(4)", "normalised and duplicate IDs");
	/* <x>, <y> and <z> are unknown: x -> y -> {z -> {1, 2}, 3}.  y and z
	 * are spliced out and x, under the root with three children, stays.
	 * The dropped dummies must not take their old children back when
	 * siblings are sorted by date (3 is the oldest, so sorting moves
	 * it). */
	static const struct test_msg nested[] = {
		{ 1, 2, "Message-ID: <1@x>\r\nReferences: <x@x> <y@x> <z@x>"
		  "\r\n\r\n" },
		{ 2, 3, "Message-ID: <2@x>\r\nReferences: <x@x> <y@x> <z@x>"
		  "\r\n\r\n" },
		{ 3, 1, "Message-ID: <3@x>\r\nReferences: <x@x> <y@x>\r\n\r\n" },
	};

	check_thread(IMAP_THREAD_REFERENCES, nested, N(nested),
		     "((3)(1)(2))", "dummies spliced out of a kept dummy");
	check_thread(IMAP_THREAD_REFERENCES, loop, N(loop), "(2 1)",
		     "no loops");
	check_thread(IMAP_THREAD_REFERENCES, self, N(self), "(1)",
		     "self reference");
}

static void test_subject_merge(void)
{
	/* Step 5 with no References at all:
	 * - "Hello" (1) and "Re: Hello" (2): the reply becomes a child of
	 *   the non-reply;
	 * - "Other" twice (3, 4): neither is a reply, so a new dummy holds
	 *   both: "((3)(4))";
	 * - "Re: Third" twice (5, 6): both replies, a dummy again;
	 * - 7 has an empty subject and is never merged, nor is 8 though its
	 *   subject is empty too. */
	static const struct test_msg msgs[] = {
		{ 1, 1, "Message-ID: <1@x>\r\nSubject: Hello\r\n\r\n" },
		{ 2, 2, "Message-ID: <2@x>\r\nSubject: Re: hello\r\n\r\n" },
		{ 3, 3, "Message-ID: <3@x>\r\nSubject: Other\r\n\r\n" },
		{ 4, 4, "Message-ID: <4@x>\r\nSubject: [list] Other\r\n\r\n" },
		{ 5, 5, "Message-ID: <5@x>\r\nSubject: Re: Third\r\n\r\n" },
		{ 6, 6, "Message-ID: <6@x>\r\nSubject: Fwd: Third\r\n\r\n" },
		{ 7, 7, "Message-ID: <7@x>\r\n\r\n" },
		{ 8, 8, "Message-ID: <8@x>\r\nSubject: Re:\r\n\r\n" },
	};
	/* A reply dated before the original still goes under it (the
	 * original is the subject table's entry since it is no reply);
	 * the thread then sorts by the original's date. */
	static const struct test_msg early[] = {
		{ 1, 5, "Message-ID: <1@x>\r\nSubject: Re: topic\r\n\r\n" },
		{ 2, 3, "Message-ID: <2@x>\r\nSubject: other\r\n\r\n" },
		{ 3, 9, "Message-ID: <3@x>\r\nSubject: topic\r\n\r\n" },
	};
	/* Two dummies of one subject merge into one: 1 and 2 answer the
	 * unknown <p@x>, 3 and 4 the unknown <q@x>, all about "S". */
	static const struct test_msg dummies[] = {
		{ 1, 1, "Message-ID: <1@x>\r\nReferences: <p@x>\r\n"
		  "Subject: S\r\n\r\n" },
		{ 2, 3, "Message-ID: <2@x>\r\nReferences: <p@x>\r\n"
		  "Subject: Re: S\r\n\r\n" },
		{ 3, 2, "Message-ID: <3@x>\r\nReferences: <q@x>\r\n"
		  "Subject: Re: S\r\n\r\n" },
		{ 4, 4, "Message-ID: <4@x>\r\nReferences: <q@x>\r\n"
		  "Subject: Re: S\r\n\r\n" },
		{ 5, 5, "Message-ID: <5@x>\r\nSubject: Re: S\r\n\r\n" },
	};

	check_thread(IMAP_THREAD_REFERENCES, msgs, N(msgs),
		     "(1 2)((3)(4))((5)(6))(7)(8)", "subject merging");
	check_thread(IMAP_THREAD_REFERENCES, early, N(early),
		     "(2)(3 1)", "reply dated before its original");
	/* 5 joins the dummy (a non-dummy goes under the table's dummy). */
	check_thread(IMAP_THREAD_REFERENCES, dummies, N(dummies),
		     "((1)(3)(2)(4)(5))", "dummies merged");
}

/* A long References chain of IDs no message has: 3000 dummies between 1
 * and 2, all pruned without recursing once per level; and what the cap on
 * references does to it. */
static void test_deep_chain(void)
{
	struct buf hdr = BUF_INIT;
	struct test_msg msgs[2] = {
		{ 1, 1, "Message-ID: <1@x>\r\n\r\n" },
		{ 2, 2, NULL },
	};

	buf_append_str(&hdr, "Message-ID: <2@x>\r\nReferences: <1@x>");
	for (int i = 0; i < 3000; i++)
		buf_printf(&hdr, "\r\n <d%d@x>", i);
	buf_append_str(&hdr, "\r\n\r\n");
	msgs[1].header = buf_cstr(&hdr);
	/* Every reference linked (the key allows up to 100,000). */
	max_refs = 100000;
	check_thread(IMAP_THREAD_REFERENCES, msgs, 2, "(1 2)",
		     "3000 dummies between parent and child");
	/* The default keeps the last 100: 1 is no longer named. */
	max_refs = 100;
	check_thread(IMAP_THREAD_REFERENCES, msgs, 2, "(1)(2)",
		     "with the last 100 references, 2 is a thread of its own");
	buf_free(&hdr);
}

static void test_msgid(void)
{
	static const struct {
		const char *value;
		const char *want;	/* IDs joined by spaces */
	} cases[] = {
		{ "<a@b>", "a@b" },
		{ "  <a@b>  (comment)", "a@b" },
		{ "<\"x y\"@b> <c@d>", "xy@b c@d" },
		{ "<a\\\"q@b>", "a\"q@b" },
		{ "<nohost> <@b> <a@> <a@b", "" },
		{ "junk <a@b> more <c@d>", "a@b c@d" },
		{ "<a <b@c>", "b@c" },
		{ "", "" },
	};
	struct buf out = BUF_INIT, id = BUF_INIT;

	for (size_t i = 0; i < N(cases); i++) {
		size_t pos = 0, len = strlen(cases[i].value);

		buf_clear(&out);
		buf_clear(&id);
		while (imap_msgkeys_next_msgid(cases[i].value, len, &pos,
					       &id)) {
			if (out.len > 0)
				buf_append_char(&out, ' ');
			buf_append(&out, id.data, id.len);
			buf_clear(&id);
		}
		is_str(buf_cstr(&out), cases[i].want, cases[i].value);
	}
	buf_free(&out);
	buf_free(&id);
}

/* Sorting, with the keys read from headers; the sequence number breaks
 * ties and is never reversed. */
static void check_sort(const char *criteria, const char *const *headers,
		       size_t count, const char *want)
{
	struct imap_msgkeys keys[MAX_MSGS];
	const struct imap_msgkeys *ptrs[MAX_MSGS];
	struct imap_arg args[IMAP_SORT_MAX_CRITERIA + 1];
	struct imap_sort_program prog;
	struct buf out = BUF_INIT;
	char words[256], *save = NULL, *w;
	const char *error = NULL;
	size_t i, n = 0;

	(void)str_copy(words, sizeof(words), criteria);
	for (w = strtok_r(words, " ", &save); w != NULL && n + 1 < N(args);
	     w = strtok_r(NULL, " ", &save)) {
		memset(&args[n], 0, sizeof(args[n]));
		args[n].type = IMAP_ARG_ATOM;
		args[n].u.str = w;
		args[n].len = strlen(w);
		n++;
	}
	memset(&args[n], 0, sizeof(args[n]));
	if (imap_sort_parse(args, &prog, &error) < 0) {
		is_str(error, want, criteria);
		return;
	}
	for (i = 0; i < count; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		keys[i].seq = (uint32_t)i + 1;
		keys[i].arrival = keys[i].sent = 100 - (int64_t)i;
		keys[i].size = strlen(headers[i]);
		imap_msgkeys_from_header(headers[i], strlen(headers[i]),
					 IMAP_MSGKEYS_HEADER, &keys[i]);
		ptrs[i] = &keys[i];
	}
	imap_sort_run(&prog, ptrs, count);
	for (i = 0; i < count; i++)
		buf_printf(&out, "%s%u", i > 0 ? " " : "", ptrs[i]->seq);
	is_str(buf_cstr(&out), want, criteria);
	for (i = 0; i < count; i++)
		imap_msgkeys_deinit(&keys[i]);
	buf_free(&out);
}

static void test_sort(void)
{
	static const char *const headers[] = {
		/* 1 */ "From: Zed <zed@b>\r\nTo: b@x\r\nSubject: Re: beta\r\n"
			"Date: 2 Jan 2020 00:00:00 +0000\r\n\r\n",
		/* 2 */ "From: \"=?utf-8?q?=C3=89mile?=\" <amy@b>\r\n"
			"Cc: z@x\r\nSubject: alpha\r\n\r\n",
		/* 3 */ "From: bob@b\r\nTo: \"Ann\" <z@x>\r\nCc: a@x\r\n"
			"Subject: [list] Beta\r\n"
			"Date: 1 Jan 2020 23:00:00 -0200\r\n\r\n",
		/* 4 */ "To: A@x\r\nSubject: ALPHA (fwd)\r\n"
			"Date: 2 Jan 2020 00:00:00 +0000\r\n\r\n",
	};

	/* Subjects alpha, alpha, beta, beta: ties by sequence number. */
	check_sort("SUBJECT", headers, 4, "2 4 1 3");
	/* REVERSE reverses the key, not the implicit tie-break. */
	check_sort("REVERSE SUBJECT", headers, 4, "1 3 2 4");
	/* 3 was sent at 2 Jan 01:00 UTC, after 1 and 4 (00:00); 2 has no
	 * Date, so its arrival (99, early 1970) counts. */
	check_sort("DATE", headers, 4, "2 1 4 3");
	check_sort("REVERSE DATE", headers, 4, "3 1 4 2");
	/* An absent From is the empty string, first. */
	check_sort("FROM", headers, 4, "4 2 3 1");
	/* The display name when there is one (decoded), else the address:
	 * "", "BOB@B", "ZED", then "Émile" (its 0xC3 sorts after ASCII). */
	check_sort("DISPLAYFROM", headers, 4, "4 3 1 2");
	/* "b", "", "z", "A": the case map puts A before b. */
	check_sort("TO", headers, 4, "2 4 1 3");
	check_sort("DISPLAYTO", headers, 4, "2 4 3 1");
	check_sort("CC", headers, 4, "1 4 3 2");
	check_sort("ARRIVAL", headers, 4, "4 3 2 1");
	/* Arrival is 100, 99, 98, 97: within alpha (2, 4) and beta (1, 3)
	 * ARRIVAL turns the sequence order round, REVERSE ARRIVAL not. */
	check_sort("SUBJECT ARRIVAL", headers, 4, "4 2 3 1");
	check_sort("SUBJECT REVERSE ARRIVAL", headers, 4, "2 4 1 3");
	check_sort("SIZE", headers, 4, "4 2 1 3");
	check_sort("REVERSE", headers, 4, "REVERSE needs a sort key after it");
	check_sort("REVERSE REVERSE DATE", headers, 4,
		   "REVERSE REVERSE in sort criteria");
	check_sort("COLOUR", headers, 4, "Unknown sort criterion");
	check_sort("", headers, 4, "Empty sort criteria");
	ok(imap_msgkeys_casecmp("abc", "ABC") == 0, "casemap equal");
	/* a-z map to A-Z (0x41..), which sort before "_" (0x5f). */
	ok(imap_msgkeys_casecmp("_", "a") > 0, "casemap maps to upper case");
	ok(imap_msgkeys_casecmp("", "a") < 0, "empty first");
}

int main(void)
{
	test_orderedsubject();
	test_rfc_shape();
	test_references();
	test_max_references();
	test_subject_merge();
	test_deep_chain();
	test_msgid();
	test_sort();
	return tap_done();
}
