/*
 * libFuzzer entry point for the MIME parser and the IMAP writers: parses
 * the input as a message, writes ENVELOPE, BODY and BODYSTRUCTURE, and
 * checks that the cache record reads back to the same strings.
 */
#include "buf.h"
#include "imap_bodystructure.h"
#include "mime_cache.h"
#include "mime_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_part *root;
	struct mime_cache *cache = NULL;
	struct buf body = BUF_INIT, bs = BUF_INIT, rec = BUF_INIT;
	const char *error;

	root = mime_parse((const char *)data, size, NULL, NULL);
	imap_bodystructure_write(root, false, &body);
	imap_bodystructure_write(root, true, &bs);
	mime_cache_write(root, (const char *)data, size, &rec);
	if (mime_cache_read(rec.data, rec.len, size, &cache, &error) < 0 ||
	    strcmp(cache->body, buf_cstr(&body)) != 0 ||
	    strcmp(cache->bodystructure, buf_cstr(&bs)) != 0 ||
	    strcmp(cache->envelope, root->info->envelope) != 0)
		abort();
	mime_cache_free(&cache);
	mime_part_free(&root);
	buf_free(&body);
	buf_free(&bs);
	buf_free(&rec);
	return 0;
}
