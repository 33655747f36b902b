#include "mime_cache.h"
#include "buf.h"
#include "imap_bodystructure.h"
#include "mime_part.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void put_varint(struct buf *out, uint64_t v)
{
	do {
		unsigned char c = v & 0x7f;

		v >>= 7;
		if (v != 0)
			c |= 0x80;
		buf_append_char(out, (char)c);
	} while (v != 0);
}

static void put_string(struct buf *out, const char *s, size_t len)
{
	put_varint(out, len);
	buf_append(out, s, len);
}

static void put_parts(struct buf *out, const struct mime_part *part)
{
	for (; part != NULL; part = part->next) {
		put_varint(out, part->flags);
		put_varint(out, (uint64_t)part->encoding);
		put_varint(out, part->child_count);
		put_varint(out, part->header_offset);
		put_varint(out, part->header_size);
		put_varint(out, part->body_size);
		put_varint(out, part->body_lines);
		put_parts(out, part->children);
	}
}

void mime_cache_write(const struct mime_part *root, size_t message_size,
		      struct buf *out)
{
	struct buf s = BUF_INIT;

	buf_append_char(out, MIME_CACHE_VERSION);
	put_varint(out, message_size);
	put_varint(out, mime_part_count(root));
	put_parts(out, root);
	put_string(out, root->info->envelope, strlen(root->info->envelope));
	imap_bodystructure_write(root, false, &s);
	put_string(out, s.data, s.len);
	buf_clear(&s);
	imap_bodystructure_write(root, true, &s);
	put_string(out, s.data, s.len);
	buf_free(&s);
}

struct reader {
	const unsigned char *p, *end;
	size_t message_size;
	uint64_t parts_left;
	const char *error;
};

static int fail(struct reader *r, const char *error)
{
	if (r->error == NULL)
		r->error = error;
	return -1;
}

static int get_varint(struct reader *r, uint64_t *v_r)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		unsigned char c;

		if (r->p >= r->end)
			return fail(r, "cache record truncated");
		c = *r->p++;
		if (shift == 63 && (c & 0x7e) != 0)
			return fail(r, "cache number overflows");
		v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0) {
			*v_r = v;
			return 0;
		}
	}
	return fail(r, "cache number too long");
}

static int get_size(struct reader *r, size_t max, size_t *v_r)
{
	uint64_t v;

	if (get_varint(r, &v) < 0)
		return -1;
	if (v > max)
		return fail(r, "cache value out of range");
	*v_r = (size_t)v;
	return 0;
}

/* Reads one part and its subtree.  [start, end) is where the parent lets
 * it lie. */
static int get_part(struct reader *r, struct mime_part *part, size_t start,
		    size_t end, unsigned int depth);

static int get_children(struct reader *r, struct mime_part *part,
			unsigned int depth)
{
	size_t pos = part->body_offset;
	size_t end = part->body_offset + part->body_size;
	struct mime_part **tail = &part->children;

	for (unsigned int i = 0; i < part->child_count; i++) {
		struct mime_part *child;

		if (r->parts_left == 0)
			return fail(r, "cache part count mismatch");
		r->parts_left--;
		child = *tail = xcalloc(1, sizeof(*child));
		child->parent = part;
		tail = &child->next;
		if (get_part(r, child, pos, end, depth + 1) < 0)
			return -1;
		pos = child->body_offset + child->body_size;
	}
	if ((part->flags & MIME_PART_MESSAGE) != 0 &&
	    (part->children->header_offset != part->body_offset || pos != end))
		return fail(r, "cache message part does not fit its body");
	return 0;
}

static int get_part(struct reader *r, struct mime_part *part, size_t start,
		    size_t end, unsigned int depth)
{
	size_t flags, encoding, children, lines;

	if (depth > MIME_CACHE_MAX_DEPTH)
		return fail(r, "cache nesting too deep");
	if (get_size(r, MIME_PART_FLAGS_ALL, &flags) < 0 ||
	    get_size(r, MIME_ENCODING_UNKNOWN, &encoding) < 0 ||
	    get_size(r, MIME_CACHE_MAX_PARTS, &children) < 0 ||
	    get_size(r, end, &part->header_offset) < 0 ||
	    get_size(r, end, &part->header_size) < 0 ||
	    get_size(r, end, &part->body_size) < 0 ||
	    get_size(r, end, &lines) < 0)
		return -1;
	part->flags = (unsigned int)flags;
	part->encoding = (enum mime_encoding)encoding;
	part->child_count = (unsigned int)children;
	part->body_lines = lines;
	if (part->header_offset < start ||
	    part->header_size > end - part->header_offset ||
	    part->body_size > end - part->header_offset - part->header_size)
		return fail(r, "cache part outside its parent");
	part->body_offset = part->header_offset + part->header_size;
	if (lines > part->body_size)
		return fail(r, "cache line count exceeds size");
	if ((flags & MIME_PART_MULTIPART) != 0 && (flags & MIME_PART_MESSAGE) != 0)
		return fail(r, "cache part both multipart and message");
	if ((flags & MIME_PART_MULTIPART) != 0 ? children == 0 :
	    (flags & MIME_PART_MESSAGE) != 0 ? children != 1 : children != 0)
		return fail(r, "cache part has wrong number of children");
	return get_children(r, part, depth);
}

static int get_string(struct reader *r, char **s_r)
{
	size_t len;

	/* The bound is taken after the length is read: the varint's own
	 * bytes are not string. */
	if (get_size(r, SIZE_MAX, &len) < 0)
		return -1;
	if (len > (size_t)(r->end - r->p))
		return fail(r, "cache record truncated");
	if (len == 0 || memchr(r->p, '\0', len) != NULL)
		return fail(r, "cache string empty or holds NUL");
	*s_r = xstrndup((const char *)r->p, len);
	r->p += len;
	return 0;
}

static int read_record(struct reader *r, struct mime_cache *cache)
{
	size_t size;
	uint64_t parts;

	if (r->p >= r->end)
		return fail(r, "cache record empty");
	if (*r->p++ != MIME_CACHE_VERSION)
		return fail(r, "unsupported cache record version");
	if (get_size(r, SIZE_MAX, &size) < 0 ||
	    get_varint(r, &parts) < 0)
		return -1;
	if (size != r->message_size)
		return fail(r, "cache record is for another message size");
	if (parts == 0 || parts > MIME_CACHE_MAX_PARTS ||
	    parts > (uint64_t)(r->end - r->p) / 7)
		return fail(r, "cache part count out of range");
	r->parts_left = parts - 1;
	cache->root = xcalloc(1, sizeof(*cache->root));
	if (get_part(r, cache->root, 0, size, 0) < 0)
		return -1;
	if (r->parts_left != 0)
		return fail(r, "cache part count mismatch");
	if (cache->root->header_offset != 0 ||
	    cache->root->body_offset + cache->root->body_size != size)
		return fail(r, "cache root does not cover the message");
	if (get_string(r, &cache->envelope) < 0 ||
	    get_string(r, &cache->body) < 0 ||
	    get_string(r, &cache->bodystructure) < 0)
		return -1;
	if (r->p != r->end)
		return fail(r, "cache record has trailing bytes");
	return 0;
}

int mime_cache_read(const void *data, size_t len, size_t message_size,
		    struct mime_cache **cache_r, const char **error_r)
{
	struct reader r = {
		.p = data, .end = (const unsigned char *)data + len,
		.message_size = message_size,
	};
	struct mime_cache *cache = xcalloc(1, sizeof(*cache));

	if (read_record(&r, cache) < 0) {
		mime_cache_free(&cache);
		*error_r = r.error;
		return -1;
	}
	*cache_r = cache;
	return 0;
}

void mime_cache_free(struct mime_cache **cachep)
{
	struct mime_cache *cache = *cachep;

	if (cache == NULL)
		return;
	mime_part_free(&cache->root);
	free(cache->envelope);
	free(cache->body);
	free(cache->bodystructure);
	free(cache);
	*cachep = NULL;
}
