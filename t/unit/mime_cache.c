/* Unit tests for libmail/mime_cache.c: records round-trip for every
 * corpus message, and damaged records are refused, never trusted. */
#include "tap.h"
#include "buf.h"
#include "imap_bodystructure.h"
#include "mime_cache.h"
#include "mime_corpus.h"
#include "mime_parse.h"

#include <stdlib.h>
#include <string.h>

static const char *const files[] = {
	"plain.eml", "alternative.eml", "mixed-attach.eml",
	"rfc822-nested.eml", "digest.eml", "missing-close.eml",
	"8bit-header.eml", "header-only.eml",
};

static bool same_tree(const struct mime_part *a, const struct mime_part *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->flags != b->flags || a->encoding != b->encoding ||
		    a->child_count != b->child_count ||
		    a->header_offset != b->header_offset ||
		    a->header_size != b->header_size ||
		    a->body_offset != b->body_offset ||
		    a->body_size != b->body_size ||
		    a->body_lines != b->body_lines ||
		    !same_tree(a->children, b->children))
			return false;
	}
	return a == NULL && b == NULL;
}

static void test_round_trip(void)
{
	struct buf msg = BUF_INIT, rec = BUF_INIT, bs = BUF_INIT;
	char name[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct mime_part *root;
		struct mime_cache *cache = NULL;
		const char *error = NULL;

		corpus_load(files[i], true, &msg);
		root = mime_parse(msg.data, msg.len, NULL, NULL);
		buf_clear(&rec);
		mime_cache_write(root, msg.data, msg.len, &rec);
		str_format(name, sizeof(name), "%s: record reads back",
			   files[i]);
		if (!ok(mime_cache_read(rec.data, rec.len, msg.len, &cache,
					&error) == 0, name)) {
			tap_diag(error);
			mime_part_free(&root);
			continue;
		}
		str_format(name, sizeof(name), "%s: same tree", files[i]);
		ok(same_tree(root, cache->root), name);
		buf_clear(&bs);
		imap_bodystructure_write(root, true, &bs);
		str_format(name, sizeof(name), "%s: same BODYSTRUCTURE",
			   files[i]);
		is_str(cache->bodystructure, buf_cstr(&bs), name);
		buf_clear(&bs);
		imap_bodystructure_write(root, false, &bs);
		str_format(name, sizeof(name), "%s: same BODY", files[i]);
		is_str(cache->body, buf_cstr(&bs), name);
		str_format(name, sizeof(name), "%s: same ENVELOPE", files[i]);
		is_str(cache->envelope, root->info->envelope, name);
		str_format(name, sizeof(name), "%s: sections work", files[i]);
		ok(mime_part_find_section(cache->root, "1") != NULL, name);
		mime_cache_free(&cache);
		ok(cache == NULL, "free clears the pointer");
		mime_part_free(&root);
	}
	buf_free(&msg);
	buf_free(&rec);
	buf_free(&bs);
}

/* Every truncation and every single-byte change of a record must either
 * be refused or give a tree that respects the message bounds. */
static void test_damage(void)
{
	struct buf msg = BUF_INIT, rec = BUF_INIT;
	struct mime_part *root;
	struct mime_cache *cache;
	const char *error;
	bool all_refused = true, all_sane = true;

	corpus_load("rfc822-nested.eml", true, &msg);
	root = mime_parse(msg.data, msg.len, NULL, NULL);
	mime_cache_write(root, msg.data, msg.len, &rec);
	mime_part_free(&root);

	for (size_t len = 0; len < rec.len; len++) {
		char *copy = xmalloc(len);

		memcpy(copy, rec.data, len);
		cache = NULL;
		if (mime_cache_read(copy, len, msg.len, &cache, &error) == 0) {
			all_refused = false;
			mime_cache_free(&cache);
		}
		free(copy);
	}
	ok(all_refused, "every truncated record refused");

	for (size_t i = 0; i < rec.len; i++) {
		for (unsigned int bit = 0; bit < 8; bit++) {
			rec.data[i] ^= (char)(1u << bit);
			cache = NULL;
			if (mime_cache_read(rec.data, rec.len, msg.len, &cache,
					    &error) == 0) {
				const struct mime_part *r = cache->root;

				if (r->body_offset + r->body_size != msg.len)
					all_sane = false;
				mime_cache_free(&cache);
			}
			rec.data[i] ^= (char)(1u << bit);
		}
	}
	ok(all_sane, "every bit flip refused or still within the message");

	error = NULL;
	rec.data[0] = MIME_CACHE_VERSION + 1;
	ok(mime_cache_read(rec.data, rec.len, msg.len, &cache, &error) < 0 &&
	   error != NULL && strstr(error, "version") != NULL,
	   "another version refused with a reason");
	rec.data[0] = MIME_CACHE_VERSION;
	ok(mime_cache_read(rec.data, rec.len, msg.len + 1, &cache, &error) < 0,
	   "record for another message size refused");
	buf_append_char(&rec, 0);
	ok(mime_cache_read(rec.data, rec.len, msg.len, &cache, &error) < 0,
	   "trailing bytes refused");
	buf_free(&msg);
	buf_free(&rec);
}

/* A record claiming a million parts in a few bytes is refused before
 * anything is allocated for them. */
static void test_claims(void)
{
	static const unsigned char rec[] = {
		MIME_CACHE_VERSION, 10, 0, 0, 0xc0, 0x84, 0x3d, 0, 0, 0, 0, 0,
		0, 0,
	};
	static const unsigned char fields[] = {
		MIME_CACHE_VERSION, 10, 1, 0xc0, 0x84, 0x3d, 0, 1, 'x',
	};
	struct mime_cache *cache = NULL;
	struct mime_cache_fields f;
	const char *error = NULL;

	ok(mime_cache_read(rec, sizeof(rec), 10, &cache, &error) < 0 &&
	   cache == NULL, "absurd part count refused");
	ok(mime_cache_fields_open(fields, sizeof(fields), 10, &f, &error) < 0 &&
	   f.covered == 0, "absurd field count refused");
}

/* The header fields a record stores for SEARCH: every occurrence, in
 * order, unfolded as message_header_unfold() makes them. */
static void test_fields(void)
{
	static const char msg[] =
		"From: =?UTF-8?B?SsO2cmc=?= <j@example.org>\r\n"
		"Subject: a folded\r\n\tsubject =?ISO-8859-1?Q?caf=E9?=\r\n"
		"To: friends: a@example.org, b@example.org;\r\n"
		"X-Other: not stored\r\n"
		"From: second@example.org\r\n"
		"bcc:\r\n"
		"\r\nbody\r\n";
	static const char *const want[][2] = {
		{ "From", "=?UTF-8?B?SsO2cmc=?= <j@example.org>" },
		{ "Subject", "a folded\tsubject =?ISO-8859-1?Q?caf=E9?=" },
		{ "To", "friends: a@example.org, b@example.org;" },
		{ "From", "second@example.org" },
		{ "Bcc", "" },
	};
	struct buf rec = BUF_INIT, big = BUF_INIT, v1 = BUF_INIT;
	struct mime_part *root;
	struct mime_cache_fields f;
	struct mime_cache *cache = NULL;
	const char *error = NULL, *value;
	size_t len, n = 0, i;
	unsigned int id;
	bool same = true, bounded = true;

	root = mime_parse(msg, sizeof(msg) - 1, NULL, NULL);
	mime_cache_write(root, msg, sizeof(msg) - 1, &rec);
	mime_part_free(&root);
	ok(mime_cache_fields_open(rec.data, rec.len, sizeof(msg) - 1, &f,
				  &error) == 0, "fields open");
	is_int((int)f.covered, (1 << MIME_CACHE_FIELD_COUNT) - 1,
	       "every field covered, present or not");
	while (mime_cache_fields_next(&f, &id, &value, &len)) {
		if (n >= sizeof(want) / sizeof(want[0]) ||
		    (int)id != mime_cache_field_id(want[n][0],
						   strlen(want[n][0])) ||
		    len != strlen(want[n][1]) ||
		    memcmp(value, want[n][1], len) != 0)
			same = false;
		n++;
	}
	ok(same && n == sizeof(want) / sizeof(want[0]),
	   "stored fields in header order, unfolded, not decoded");
	ok(mime_cache_read(rec.data, rec.len, sizeof(msg) - 1, &cache,
			   &error) == 0, "the whole record still reads");
	mime_cache_free(&cache);

	/* The head stored apart (the mailbox's fields file) is a record for
	 * mime_cache_fields_open() on its own, with the same fields. */
	{
		size_t head = mime_cache_fields_size(rec.data, rec.len,
						     sizeof(msg) - 1);
		struct mime_cache_fields whole, part;
		const char *v2;
		size_t len2;
		unsigned int id2;
		bool alike = true;

		ok(head > 0 && head < rec.len, "the head is part of the record");
		ok(mime_cache_fields_open(rec.data, head, sizeof(msg) - 1,
					  &part, &error) == 0 &&
		   mime_cache_fields_open(rec.data, rec.len, sizeof(msg) - 1,
					  &whole, &error) == 0 &&
		   part.covered == whole.covered, "and opens alone");
		while (mime_cache_fields_next(&whole, &id, &value, &len)) {
			if (!mime_cache_fields_next(&part, &id2, &v2, &len2) ||
			    id2 != id || len2 != len ||
			    memcmp(v2, value, len) != 0)
				alike = false;
		}
		ok(alike && !mime_cache_fields_next(&part, &id2, &v2, &len2),
		   "with the same fields");
		ok(mime_cache_fields_open(rec.data, head - 1, sizeof(msg) - 1,
					  &part, &error) < 0,
		   "a head cut short is refused");
		is_int((int)mime_cache_fields_size(rec.data, rec.len, 5), 0,
		       "no head for another message size");
		is_int((int)mime_cache_fields_size(rec.data, head - 1,
						   sizeof(msg) - 1), 0,
		       "nor for a record cut short");
	}
	is_int(mime_cache_field_id("message-id", 10),
	       MIME_CACHE_FIELD_MESSAGE_ID, "names ignore case");
	is_int(mime_cache_field_id("Received", 8), -1, "other names have none");

	/* Bit flips in the fields: refused, or every value inside the
	 * record. */
	for (i = 0; i < rec.len; i++) {
		for (unsigned int bit = 0; bit < 8; bit++) {
			rec.data[i] ^= (char)(1u << bit);
			if (mime_cache_fields_open(rec.data, rec.len,
						   sizeof(msg) - 1, &f,
						   &error) == 0) {
				while (mime_cache_fields_next(&f, &id, &value,
							      &len)) {
					if (value < rec.data ||
					    value + len > rec.data + rec.len ||
					    id >= MIME_CACHE_FIELD_COUNT)
						bounded = false;
				}
			}
			rec.data[i] ^= (char)(1u << bit);
		}
	}
	ok(bounded, "every bit flip refused or within the record");

	/* A field too big for the budget is left out whole. */
	buf_append_str(&big, "Subject: s\r\nTo: ");
	while (big.len < MIME_CACHE_FIELDS_MAX_SIZE + 100)
		buf_append_str(&big, "someone@example.org, ");
	buf_append_str(&big, "x@example.org\r\n\r\nbody\r\n");
	root = mime_parse(big.data, big.len, NULL, NULL);
	buf_clear(&rec);
	mime_cache_write(root, big.data, big.len, &rec);
	mime_part_free(&root);
	ok(mime_cache_fields_open(rec.data, rec.len, big.len, &f, &error) == 0 &&
	   (f.covered & (1u << MIME_CACHE_FIELD_TO)) == 0 &&
	   (f.covered & (1u << MIME_CACHE_FIELD_SUBJECT)) != 0,
	   "an oversized To is not stored, the Subject is");
	n = 0;
	while (mime_cache_fields_next(&f, &id, &value, &len))
		n += id == MIME_CACHE_FIELD_TO;
	is_int((int)n, 0, "and no To value is");

	/* A version 1 record (no fields) still reads, with nothing covered. */
	root = mime_parse("X: y\r\n\r\nb\r\n", 12, NULL, NULL);
	buf_clear(&rec);
	mime_cache_write(root, "X: y\r\n\r\nb\r\n", 12, &rec);
	mime_part_free(&root);
	/* version, size 12, mask 0x7ff (two bytes), no entries */
	buf_append_char(&v1, MIME_CACHE_VERSION_NO_FIELDS);
	buf_append_char(&v1, 12);
	buf_append(&v1, rec.data + 5, rec.len - 5);
	ok(mime_cache_read(v1.data, v1.len, 12, &cache, &error) == 0,
	   "a version 1 record is read");
	ok(!mime_cache_is_current(v1.data, v1.len) &&
	   mime_cache_is_current(rec.data, rec.len) &&
	   !mime_cache_is_current(rec.data, 0),
	   "but is not current, so reconstruct rewrites it");
	mime_cache_free(&cache);
	ok(mime_cache_fields_open(v1.data, v1.len, 12, &f, &error) == 0 &&
	   f.covered == 0 && !mime_cache_fields_next(&f, &id, &value, &len),
	   "with no fields stored");
	is_int((int)mime_cache_fields_size(v1.data, v1.len, 12), 0,
	       "and no head to store apart");
	buf_free(&rec);
	buf_free(&big);
	buf_free(&v1);
}

int main(void)
{
	test_round_trip();
	test_damage();
	test_claims();
	test_fields();
	return tap_done();
}
