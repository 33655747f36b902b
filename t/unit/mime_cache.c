/* Unit tests for libmail/mime_cache.c: records round-trip for every
 * corpus message, and damaged records are refused, never trusted. */
#include "tap.h"
#include "buf.h"
#include "imap_bodystructure.h"
#include "mime_cache.h"
#include "mime_corpus.h"
#include "mime_parse.h"

#include <stdlib.h>

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
		mime_cache_write(root, msg.len, &rec);
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
	mime_cache_write(root, msg.len, &rec);
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
		MIME_CACHE_VERSION, 10, 0xc0, 0x84, 0x3d, 0, 0, 0, 0, 0, 0, 0,
	};
	struct mime_cache *cache = NULL;
	const char *error = NULL;

	ok(mime_cache_read(rec, sizeof(rec), 10, &cache, &error) < 0 &&
	   cache == NULL, "absurd part count refused");
}

int main(void)
{
	test_round_trip();
	test_damage();
	test_claims();
	return tap_done();
}
