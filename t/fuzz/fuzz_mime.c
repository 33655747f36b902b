/*
 * libFuzzer entry point for the MIME parser and the IMAP writers: parses
 * the input as a message, writes ENVELOPE, BODY and BODYSTRUCTURE, and
 * checks that the cache record reads back to the same strings, and that
 * the header fields it stores for SEARCH are the header's, unfolded, in
 * order, each covered one complete.
 */
#include "buf.h"
#include "imap_bodystructure.h"
#include "message_header.h"
#include "mime_cache.h"
#include "mime_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The field number of header field `i`, when the record covers it. */
static int covered_id(const struct message_header *hdr, unsigned int i,
		      unsigned int covered)
{
	int id = mime_cache_field_id(hdr->fields[i].name,
				     hdr->fields[i].name_len);

	return id >= 0 && (covered & (1u << id)) != 0 ? id : -1;
}

static void check_fields(const char *msg, size_t size, const struct buf *rec)
{
	struct mime_cache_fields f;
	struct message_header hdr;
	struct buf v = BUF_INIT;
	const char *error, *value;
	unsigned int id, i = 0;
	size_t len;

	if (mime_cache_fields_open(rec->data, rec->len, size, &f, &error) < 0)
		abort();
	message_header_init(&hdr, NULL);
	(void)message_header_parse(&hdr, msg, size);
	while (mime_cache_fields_next(&f, &id, &value, &len)) {
		while (i < hdr.count && covered_id(&hdr, i, f.covered) < 0)
			i++;
		if (i == hdr.count || covered_id(&hdr, i, f.covered) != (int)id)
			abort();
		buf_clear(&v);
		message_header_unfold(hdr.fields[i].value,
				      hdr.fields[i].value_len, &v);
		if (v.len != len || (len > 0 && memcmp(v.data, value, len) != 0))
			abort();
		i++;
	}
	for (; i < hdr.count; i++) {
		if (covered_id(&hdr, i, f.covered) >= 0)
			abort();
	}
	message_header_deinit(&hdr);
	buf_free(&v);
}

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
	check_fields((const char *)data, size, &rec);
	mime_cache_free(&cache);
	mime_part_free(&root);
	buf_free(&body);
	buf_free(&bs);
	buf_free(&rec);
	return 0;
}
