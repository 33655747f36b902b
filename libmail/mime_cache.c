#include "mime_cache.h"
#include "buf.h"
#include "imap_bodystructure.h"
#include "message_header.h"
#include "mime_part.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const mime_cache_field_names[MIME_CACHE_FIELD_COUNT] = {
	[MIME_CACHE_FIELD_SUBJECT] = "Subject",
	[MIME_CACHE_FIELD_FROM] = "From",
	[MIME_CACHE_FIELD_TO] = "To",
	[MIME_CACHE_FIELD_CC] = "Cc",
	[MIME_CACHE_FIELD_BCC] = "Bcc",
	[MIME_CACHE_FIELD_DATE] = "Date",
	[MIME_CACHE_FIELD_MESSAGE_ID] = "Message-ID",
	[MIME_CACHE_FIELD_IN_REPLY_TO] = "In-Reply-To",
	[MIME_CACHE_FIELD_SENDER] = "Sender",
	[MIME_CACHE_FIELD_REPLY_TO] = "Reply-To",
	[MIME_CACHE_FIELD_REFERENCES] = "References",
};

int mime_cache_field_id(const char *name, size_t len)
{
	for (int id = 0; id < MIME_CACHE_FIELD_COUNT; id++) {
		if (strlen(mime_cache_field_names[id]) == len &&
		    strncasecmp(mime_cache_field_names[id], name, len) == 0)
			return id;
	}
	return -1;
}

const char *mime_cache_field_name(unsigned int id)
{
	return mime_cache_field_names[id];
}

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

/* The header as SEARCH parses it (message_header_parse() of the whole
 * message, default limits), so a search answered from the record matches
 * exactly what one reading the file would. */
static void put_fields(struct buf *out, const char *data, size_t size)
{
	struct message_header hdr;
	struct buf value = BUF_INIT, entries = BUF_INIT;
	size_t need[MIME_CACHE_FIELD_COUNT] = { 0 }, used = 0, count = 0;
	unsigned int covered = 0, f;
	int id;

	message_header_init(&hdr, NULL);
	(void)message_header_parse(&hdr, data, size);
	for (f = 0; f < hdr.count; f++) {
		id = mime_cache_field_id(hdr.fields[f].name,
					 hdr.fields[f].name_len);
		if (id < 0)
			continue;
		buf_clear(&value);
		message_header_unfold(hdr.fields[f].value,
				      hdr.fields[f].value_len, &value);
		need[id] += value.len;
	}
	for (id = 0; id < MIME_CACHE_FIELD_COUNT; id++) {
		if (need[id] <= MIME_CACHE_FIELDS_MAX_SIZE - used) {
			covered |= 1u << id;
			used += need[id];
		}
	}
	for (f = 0; f < hdr.count; f++) {
		id = mime_cache_field_id(hdr.fields[f].name,
					 hdr.fields[f].name_len);
		if (id < 0 || (covered & (1u << id)) == 0)
			continue;
		buf_clear(&value);
		message_header_unfold(hdr.fields[f].value,
				      hdr.fields[f].value_len, &value);
		put_varint(&entries, (uint64_t)id);
		put_string(&entries, value.data, value.len);
		count++;
	}
	put_varint(out, covered);
	put_varint(out, count);
	buf_append(out, entries.data, entries.len);
	message_header_deinit(&hdr);
	buf_free(&value);
	buf_free(&entries);
}

void mime_cache_write(const struct mime_part *root, const char *data,
		      size_t message_size, struct buf *out)
{
	struct buf s = BUF_INIT;

	buf_append_char(out, MIME_CACHE_VERSION);
	put_varint(out, message_size);
	put_fields(out, data, message_size);
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

/* Checks the stored fields once, so mime_cache_fields_next() can trust
 * them. */
static int get_fields(struct reader *r, struct mime_cache_fields *f)
{
	uint64_t covered, count, id;
	size_t len;

	if (get_varint(r, &covered) < 0 || get_varint(r, &count) < 0)
		return -1;
	if (covered >= (1u << MIME_CACHE_FIELD_COUNT))
		return fail(r, "cache field mask out of range");
	/* Each entry takes two bytes at least. */
	if (count > (uint64_t)(r->end - r->p) / 2)
		return fail(r, "cache field count out of range");
	f->covered = (unsigned int)covered;
	f->left = (size_t)count;
	f->p = r->p;
	for (uint64_t i = 0; i < count; i++) {
		if (get_varint(r, &id) < 0 || get_size(r, SIZE_MAX, &len) < 0)
			return -1;
		if (id >= MIME_CACHE_FIELD_COUNT ||
		    (covered & (1u << id)) == 0)
			return fail(r, "cache field out of range");
		if (len > (size_t)(r->end - r->p))
			return fail(r, "cache record truncated");
		if (memchr(r->p, '\0', len) != NULL)
			return fail(r, "cache field holds NUL");
		r->p += len;
	}
	f->end = r->p;
	return 0;
}

/* The version, the message size and (version 2) the fields. */
static int read_head(struct reader *r, struct mime_cache_fields *f)
{
	unsigned char version;
	size_t size;

	memset(f, 0, sizeof(*f));
	if (r->p >= r->end)
		return fail(r, "cache record empty");
	version = *r->p++;
	if (version != MIME_CACHE_VERSION &&
	    version != MIME_CACHE_VERSION_NO_FIELDS)
		return fail(r, "unsupported cache record version");
	if (get_size(r, SIZE_MAX, &size) < 0)
		return -1;
	if (size != r->message_size)
		return fail(r, "cache record is for another message size");
	if (version == MIME_CACHE_VERSION && get_fields(r, f) < 0)
		return -1;
	return 0;
}

int mime_cache_fields_open(const void *data, size_t len, size_t message_size,
			   struct mime_cache_fields *fields_r,
			   const char **error_r)
{
	struct reader r = {
		.p = data, .end = (const unsigned char *)data + len,
		.message_size = message_size,
	};

	if (read_head(&r, fields_r) < 0) {
		memset(fields_r, 0, sizeof(*fields_r));
		*error_r = r.error;
		return -1;
	}
	return 0;
}

size_t mime_cache_fields_size(const void *data, size_t len,
			      size_t message_size)
{
	struct mime_cache_fields fields;
	const char *error;

	if (!mime_cache_is_current(data, len) ||
	    mime_cache_fields_open(data, len, message_size, &fields,
				   &error) < 0)
		return 0;
	return (size_t)(fields.end - (const unsigned char *)data);
}

bool mime_cache_fields_next(struct mime_cache_fields *fields,
			    unsigned int *id_r, const char **value_r,
			    size_t *len_r)
{
	struct reader r = { .p = fields->p, .end = fields->end };
	uint64_t id, len;

	if (fields->left == 0 || get_varint(&r, &id) < 0 ||
	    get_varint(&r, &len) < 0 || len > (uint64_t)(r.end - r.p))
		return false;
	*id_r = (unsigned int)id;
	*value_r = (const char *)r.p;
	*len_r = (size_t)len;
	fields->p = r.p + len;
	fields->left--;
	return true;
}

static int read_record(struct reader *r, struct mime_cache *cache)
{
	struct mime_cache_fields fields;
	size_t size = r->message_size;
	uint64_t parts;

	if (read_head(r, &fields) < 0 || get_varint(r, &parts) < 0)
		return -1;
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

bool mime_cache_is_current(const void *data, size_t len)
{
	return len > 0 && *(const unsigned char *)data == MIME_CACHE_VERSION;
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
