#ifndef SEALPOST_MIME_CACHE_H
#define SEALPOST_MIME_CACHE_H

/*
 * The cached form of a parsed message, written at delivery into the
 * mailbox's cache so that FETCH ENVELOPE, BODY, BODYSTRUCTURE and section
 * fetches never parse the message again.
 *
 * A record is self-describing and versioned (DESIGN.md, "formats carry
 * versions"):
 *
 *   u8      MIME_CACHE_VERSION
 *   varint  message size
 *   varint  number of parts
 *   parts, in pre-order, each:
 *           varint flags, encoding, child count,
 *                  header offset, header size, body size, body lines
 *   varint  length, then the ENVELOPE string
 *   varint  length, then the BODY string
 *   varint  length, then the BODYSTRUCTURE string
 *
 * Varints are unsigned LEB128 (7 bits a byte, low first), so the record
 * has no byte order and small numbers take one byte.  A record of another
 * version, or one that fails any check, is refused; the cache is derived
 * data, and the caller's answer is to parse the message again and
 * rewrite the record (which is the upgrade path as well).
 */

#include <stddef.h>

struct buf;
struct mime_part;

#define MIME_CACHE_VERSION 1

/* Bounds a record must respect to be read: generous beside the parser's
 * defaults, so records written under raised limits still load. */
#define MIME_CACHE_MAX_DEPTH 1000
#define MIME_CACHE_MAX_PARTS 1000000

struct mime_cache {
	/* Offsets, sizes, lines, flags and encodings; info is NULL. */
	struct mime_part *root;
	char *envelope;
	char *body;
	char *bodystructure;
};

/* Appends the record of `root` (from mime_parse(), for a message of
 * `message_size` bytes) to `out`. */
void mime_cache_write(const struct mime_part *root, size_t message_size,
		      struct buf *out);

/* Reads a record of `len` bytes.  `message_size` is the size of the
 * message file as the index knows it; a record for another size is
 * refused.  Returns 0 and a new cache in *cache_r, or -1 with a static
 * reason in *error_r (bad version, truncated, inconsistent offsets, ...).
 * Never trusts a length: every count and offset is checked against the
 * record and the message before it is used. */
int mime_cache_read(const void *data, size_t len, size_t message_size,
		    struct mime_cache **cache_r, const char **error_r);

/* Frees the cache and sets *cache to NULL. */
void mime_cache_free(struct mime_cache **cache);

#endif
