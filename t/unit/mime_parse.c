/* Unit tests for libmail/mime_parse.c and mime_part.c: part offsets and
 * IMAP section lookup, CRLF and LF forms of every corpus message, every
 * prefix of a message, and the limits (deep nesting, many parts, huge
 * headers), which must hold in linear time. */
#include "tap.h"
#include "buf.h"
#include "imap_bodystructure.h"
#include "mime_corpus.h"
#include "mime_parse.h"

#include <stdlib.h>

static const char *const corpus_files[] = {
	"8bit-header.eml", "addresses.eml", "alternative.eml", "digest.eml",
	"header-only.eml", "latin1-header.eml", "missing-close.eml",
	"mixed-attach.eml", "no-mime.eml", "no-separator.eml", "plain.eml",
	"rfc2047.eml", "rfc2231.eml", "rfc822-nested.eml",
	"wrong-boundary.eml",
};
#define N_CORPUS (sizeof(corpus_files) / sizeof(corpus_files[0]))

/* The structural invariants every tree must keep, whatever the input. */
static bool tree_ok(const struct mime_part *p, size_t start, size_t end,
		    unsigned int depth, unsigned int *max_depth)
{
	size_t pos = p->body_offset;
	unsigned int n = 0;

	if (depth > *max_depth)
		*max_depth = depth;
	if (p->header_offset < start || p->body_offset > end ||
	    p->header_offset + p->header_size != p->body_offset ||
	    p->body_size > end - p->body_offset ||
	    p->body_lines > p->body_size || p->info == NULL)
		return false;
	if ((p->flags & MIME_PART_MESSAGE) != 0 &&
	    (p->child_count != 1 ||
	     p->children->header_offset != p->body_offset))
		return false;
	if ((p->flags & MIME_PART_MULTIPART) != 0 && p->child_count == 0)
		return false;
	for (const struct mime_part *c = p->children; c != NULL; c = c->next) {
		if (c->parent != p ||
		    !tree_ok(c, pos, p->body_offset + p->body_size,
			     depth + 1, max_depth))
			return false;
		pos = c->body_offset + c->body_size;
		n++;
	}
	return n == p->child_count;
}

static bool parse_ok(const char *data, size_t len, unsigned int *depth_r)
{
	struct mime_part *root = mime_parse(data, len, NULL, NULL);
	struct buf bs = BUF_INIT;
	unsigned int depth = 0;
	bool ret = root->header_offset == 0 &&
		root->body_offset + root->body_size == len &&
		tree_ok(root, 0, len, 0, &depth);

	imap_bodystructure_write(root, true, &bs);
	ret = ret && bs.len > 0 && memchr(bs.data, '\0', bs.len) == NULL;
	buf_free(&bs);
	mime_part_free(&root);
	if (depth_r != NULL)
		*depth_r = depth;
	return ret;
}

static size_t count_lf(const char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] == '\n';
	return n;
}

/* The LF form must give the same tree; each size is smaller by the LFs it
 * holds (each was a CRLF). */
static bool same_shape(const struct mime_part *crlf,
		       const struct mime_part *lf, const char *lf_data)
{
	for (; crlf != NULL && lf != NULL; crlf = crlf->next, lf = lf->next) {
		if (crlf->flags != lf->flags ||
		    crlf->encoding != lf->encoding ||
		    crlf->child_count != lf->child_count ||
		    crlf->body_lines != lf->body_lines ||
		    crlf->header_size != lf->header_size +
		    count_lf(lf_data + lf->header_offset, lf->header_size) ||
		    crlf->body_size != lf->body_size +
		    count_lf(lf_data + lf->body_offset, lf->body_size) ||
		    !same_shape(crlf->children, lf->children, lf_data))
			return false;
	}
	return crlf == NULL && lf == NULL;
}

static void test_corpus_forms(void)
{
	struct buf crlf = BUF_INIT, lf = BUF_INIT;
	char name[256];

	for (size_t i = 0; i < N_CORPUS; i++) {
		struct mime_part *a, *b;

		if (corpus_load(corpus_files[i], true, &crlf) < 0 ||
		    corpus_load(corpus_files[i], false, &lf) < 0) {
			ok(0, corpus_files[i]);
			continue;
		}
		str_format(name, sizeof(name), "%s: CRLF tree valid",
			   corpus_files[i]);
		ok(parse_ok(crlf.data, crlf.len, NULL), name);
		str_format(name, sizeof(name), "%s: LF tree valid",
			   corpus_files[i]);
		ok(parse_ok(lf.data, lf.len, NULL), name);
		a = mime_parse(crlf.data, crlf.len, NULL, NULL);
		b = mime_parse(lf.data, lf.len, NULL, NULL);
		str_format(name, sizeof(name), "%s: LF form has the same "
			   "structure", corpus_files[i]);
		ok(same_shape(a, b, lf.data), name);
		mime_part_free(&a);
		mime_part_free(&b);
	}
	buf_free(&crlf);
	buf_free(&lf);
}

/* Every prefix of a message is a message too (a truncated delivery, a
 * file cut short): each must parse to a valid tree. */
static void test_prefixes(void)
{
	static const char *const files[] = {
		"rfc822-nested.eml", "mixed-attach.eml", "missing-close.eml",
		"digest.eml",
	};
	struct buf msg = BUF_INIT;
	char name[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		bool all = true;

		corpus_load(files[i], true, &msg);
		for (size_t len = 0; len <= msg.len && all; len++) {
			/* A copy of exactly `len` bytes, so ASan sees any
			 * read past the end. */
			char *copy = xmalloc(len);

			memcpy(copy, msg.data, len);
			all = parse_ok(copy, len, NULL);
			free(copy);
		}
		str_format(name, sizeof(name), "%s: every prefix parses",
			   files[i]);
		ok(all, name);
	}
	buf_free(&msg);
}

struct section_case {
	const char *file;
	const char *section;
	const char *what;	/* "MIME", "HEADER", "TEXT" or "" */
	const char *expect;	/* NULL: no such part */
};

static const struct section_case sections[] = {
	{ "plain.eml", "1", "", "Hi Bob,\r\n\r\nAre you free for lunch on "
	  "Thursday? The usual place at noon.\r\n\r\n-- \r\nAlice\r\n" },
	{ "plain.eml", "2", "", NULL },
	{ "plain.eml", "1.1", "", NULL },
	{ "mixed-attach.eml", "1", "",
	  "Homework 3 is attached, with the rubric." },
	{ "mixed-attach.eml", "1", "MIME", "Content-Type: text/plain; "
	  "charset=us-ascii\r\nContent-Language: en\r\n\r\n" },
	{ "mixed-attach.eml", "3", "",
	  "item,points\r\ncorrectness,60\r\nstyle,40" },
	{ "mixed-attach.eml", "4", "", NULL },
	{ "mixed-attach.eml", "0", "", NULL },
	{ "mixed-attach.eml", "01", "", NULL },
	{ "rfc822-nested.eml", "2", "HEADER", "From: Facilities "
	  "<facilities@example.edu>\r\nTo: Erin <erin@example.edu>\r\n"
	  "Subject: Room change\r\nDate: Thu, 7 Mar 2024 09:00:00 +0100\r\n"
	  "Message-ID: <room-42@example.edu>\r\nContent-Type: "
	  "multipart/alternative; boundary=inner\r\n\r\n" },
	{ "rfc822-nested.eml", "2.1", "", "Room 101 moves to 202." },
	{ "rfc822-nested.eml", "2.2", "MIME", "Content-Type: text/html; "
	  "charset=us-ascii\r\n\r\n" },
	{ "rfc822-nested.eml", "2.3", "", NULL },
	{ "rfc822-nested.eml", "1.", "", NULL },
	{ "digest.eml", "1.1", "", "one" },
	{ "missing-close.eml", "1.2", "", "<b>two</b>" },
	{ "missing-close.eml", "2", "", "three\r\n" },
	{ "no-separator.eml", "", "TEXT",
	  "This line is body text: the blank line is missing.\r\n"
	  "Second line.\r\n" },
};

static void test_sections(void)
{
	struct buf msg = BUF_INIT;
	char name[256];

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const struct section_case *c = &sections[i];
		struct mime_part *root;
		const struct mime_part *p;
		char *got = NULL;

		corpus_load(c->file, true, &msg);
		root = mime_parse(msg.data, msg.len, NULL, NULL);
		p = mime_part_find_section(root, c->section);
		if (p != NULL && strcmp(c->what, "HEADER") == 0)
			p = p->children;
		if (p != NULL) {
			bool hdr = strcmp(c->what, "HEADER") == 0 ||
				strcmp(c->what, "MIME") == 0;

			got = xstrndup(msg.data + (hdr ? p->header_offset :
						   p->body_offset),
				       hdr ? p->header_size : p->body_size);
		}
		str_format(name, sizeof(name), "%s BODY[%s%s%s]", c->file,
			   c->section, *c->section && *c->what ? "." : "",
			   c->what);
		is_str(got, c->expect, name);
		free(got);
		mime_part_free(&root);
	}
	buf_free(&msg);
}

static void bs_of(const char *data, size_t len, struct buf *out, bool *lim)
{
	struct mime_part *root = mime_parse(data, len, NULL, lim);

	buf_clear(out);
	imap_bodystructure_write(root, false, out);
	mime_part_free(&root);
}

/* The BODY of a literal message. */
#define BS_OF(lit) bs_of(lit, sizeof(lit) - 1, &bs, &lim)

static void test_broken(void)
{
	struct buf bs = BUF_INIT;
	bool lim;

	/* A part header cut by the next boundary, with no blank line. */
	BS_OF("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	      "Content-Type: text/html\r\n--b\r\n\r\nx\r\n--b--\r\n");
	is_str(buf_cstr(&bs), "((\"text\" \"html\" (\"CHARSET\" \"US-ASCII\") "
	       "NIL NIL \"7BIT\" 0 0)(\"TEXT\" \"PLAIN\" (\"CHARSET\" "
	       "\"US-ASCII\") NIL NIL \"7BIT\" 1 1) \"mixed\")",
	       "part header ended by a boundary");

	/* The multipart header has no blank line: its first delimiter is
	 * its first body line. */
	BS_OF("Content-Type: multipart/mixed; boundary=b\r\n--b\r\n\r\nx\r\n"
	      "--b--\r\n");
	is_str(buf_cstr(&bs), "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	       "NIL NIL \"7BIT\" 1 1) \"mixed\")",
	       "delimiter right after the header");

	/* An inner boundary that extends the outer one is not the outer. */
	BS_OF("Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\n"
	      "Content-Type: multipart/mixed; boundary=abc\r\n\r\n--abc\r\n"
	      "\r\ninner\r\n--abc--\r\n--ab--\r\n");
	is_str(buf_cstr(&bs), "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	       "NIL NIL \"7BIT\" 5 1) \"mixed\") \"mixed\")",
	       "boundaries that are prefixes of each other");

	/* White space after a delimiter is allowed (RFC 2046 5.1.1);
	 * other trailing text is not a delimiter. */
	BS_OF("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b \t\r\n\r\n"
	      "x\r\n--bx\r\n--b--  \r\n");
	is_str(buf_cstr(&bs), "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	       "NIL NIL \"7BIT\" 7 2) \"mixed\")",
	       "delimiters with white space and look-alikes");

	/* message/rfc822 in base64 is opaque (RFC 2045 6.4). */
	BS_OF("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: "
	      "base64\r\n\r\nU3ViamVjdDogeA0KDQp4\r\n");
	is_str(buf_cstr(&bs), "(\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL "
	       "\"base64\" 22)", "encoded message/rfc822 is a leaf");

	/* Multipart without a boundary parameter reads as text. */
	BS_OF("Content-Type: multipart/mixed\r\n\r\ntext\r\n");
	is_str(buf_cstr(&bs), "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	       "NIL NIL \"7BIT\" 6 1)", "multipart without boundary");

	/* Found by fuzzing: a header's blank line right before an outer
	 * delimiter ended the enclosing multipart before its child. */
	{
		static const char m[] =
			"Content-Type: multipart/mixed; boundary=A\r\n\r\n"
			"--A\r\nContent-Type: multipart/alternative; "
			"boundary=B\r\n\r\n--B\r\nContent-Type: text/plain"
			"\r\n\r\n--A--\r\n";

		ok(parse_ok(m, sizeof(m) - 1, NULL),
		   "blank line shared by a header and an outer delimiter");
	}

	/* An empty message. */
	BS_OF("");
	is_str(buf_cstr(&bs), "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") "
	       "NIL NIL \"7BIT\" 0 0)", "empty message");
	buf_free(&bs);
}

/* 1,000 levels of nesting, three ways.  The structure stops at the depth
 * limit, the rest is one leaf, and it takes linear time. */
static void test_deep_nesting(void)
{
	struct buf msg = BUF_INIT, bs = BUF_INIT;
	unsigned int depth;
	bool lim = false;

	for (int i = 0; i < 1000; i++)
		buf_printf(&msg, "Content-Type: multipart/mixed; boundary=b%d"
			   "\r\n\r\n--b%d\r\n", i, i);
	buf_append_str(&msg, "\r\ninnermost\r\n");
	for (int i = 999; i >= 0; i--)
		buf_printf(&msg, "--b%d--\r\n", i);
	ok(parse_ok(msg.data, msg.len, &depth), "1000 nested multiparts");
	bs_of(msg.data, msg.len, &bs, &lim);
	ok(lim, "... hits the depth limit");
	ok(depth <= mime_parse_default_limits.max_depth,
	   "... tree no deeper than the limit");
	ok(strstr(bs.data, "\"APPLICATION\" \"OCTET-STREAM\"") != NULL,
	   "... the rest is one opaque leaf");

	buf_clear(&msg);
	for (int i = 0; i < 1000; i++)
		buf_append_str(&msg, "Content-Type: message/rfc822\r\n\r\n");
	buf_append_str(&msg, "Subject: bottom\r\n\r\nx\r\n");
	ok(parse_ok(msg.data, msg.len, &depth), "1000 nested messages");
	bs_of(msg.data, msg.len, &bs, &lim);
	ok(lim && depth <= mime_parse_default_limits.max_depth,
	   "... cut at the depth limit");

	/* The same boundary at every level: each delimiter belongs to the
	 * innermost multipart, so the nesting never grows. */
	buf_clear(&msg);
	for (int i = 0; i < 1000; i++)
		buf_append_str(&msg, "--b\r\nContent-Type: multipart/mixed; "
			       "boundary=b\r\n\r\n");
	ok(parse_ok(msg.data, msg.len, &depth),
	   "1000 nested multiparts sharing one boundary");
	ok(depth <= 2, "... stays flat");
	buf_free(&msg);
	buf_free(&bs);
}

static void test_many_parts(void)
{
	struct buf msg = BUF_INIT;
	struct mime_part *root;
	bool lim;

	buf_append_str(&msg, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (int i = 0; i < 20000; i++)
		buf_append_str(&msg, "--p\r\n\r\nx\r\n");
	buf_append_str(&msg, "--p--\r\n");
	root = mime_parse(msg.data, msg.len, NULL, &lim);
	ok(root != NULL, "20000 parts parsed");
	ok(lim, "... hits the part limit");
	is_int(mime_part_count(root), mime_parse_default_limits.max_parts,
	       "... keeps max_parts parts");
	ok(mime_part_find_section(root, "4999") != NULL &&
	   mime_part_find_section(root, "5000") == NULL,
	   "... and section numbers end there");
	mime_part_free(&root);
	buf_free(&msg);
}

/* A 10 MB header line, a 10 MB folded field and 100,000 fields: bounded
 * memory (fields cut to the limit) and linear time. */
static void test_huge_headers(void)
{
	struct buf msg = BUF_INIT, bs = BUF_INIT;
	struct mime_part *root;
	size_t big = 10 * 1024 * 1024;

	buf_append_str(&msg, "From: a@b.test\r\nSubject: ");
	buf_reserve(&msg, big);
	memset(msg.data + msg.len, 'x', big);
	msg.len += big;
	buf_append_str(&msg, "\r\nTo: c@d.test\r\n\r\nbody\r\n");
	root = mime_parse(msg.data, msg.len, NULL, NULL);
	ok(root != NULL, "10 MB header line parsed");
	ok(strlen(root->info->envelope) < 70 * 1024,
	   "... envelope holds the field cut to its limit");
	ok(strstr(root->info->envelope, "\"a\" \"b.test\"") != NULL,
	   "... fields before it found");
	ok(strstr(root->info->envelope, "\"c\" \"d.test\"") == NULL,
	   "... fields past max_header_size not recorded");
	is_int(root->body_size, 6, "... body found after it");
	mime_part_free(&root);

	buf_clear(&msg);
	buf_append_str(&msg, "Subject: start\r\n");
	for (size_t i = 0; i < big / 8; i++)
		buf_append_str(&msg, " folded\r\n");
	buf_append_str(&msg, "\r\nbody");
	root = mime_parse(msg.data, msg.len, NULL, NULL);
	ok(root != NULL, "10 MB folded field parsed");
	ok(strlen(root->info->envelope) < 70 * 1024, "... cut to the limit");
	is_int(root->body_size, 4, "... body found after it");
	mime_part_free(&root);

	buf_clear(&msg);
	for (int i = 0; i < 100000; i++)
		buf_printf(&msg, "X-Field-%d: v\r\n", i);
	buf_append_str(&msg, "Subject: late\r\n\r\nbody");
	root = mime_parse(msg.data, msg.len, NULL, NULL);
	ok(root != NULL, "100000 fields parsed");
	ok(strstr(root->info->envelope, "late") == NULL,
	   "... fields past max_fields are not recorded");
	is_int(root->body_size, 4, "... body found after them");
	imap_bodystructure_write(root, true, &bs);
	mime_part_free(&root);
	buf_free(&bs);
	buf_free(&msg);
}

int main(void)
{
	tap_cpu_budget(120);
	test_corpus_forms();
	test_prefixes();
	test_sections();
	test_broken();
	test_deep_nesting();
	test_many_parts();
	test_huge_headers();
	return tap_done();
}
