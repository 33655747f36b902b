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
 *   varint  mask of the header fields whose every occurrence is stored
 *           (bit n: mime_cache_field n), then the number of entries,
 *           then each: varint field number, varint length, the value
 *           unfolded (message_header_unfold), in header order
 *   varint  number of parts
 *   parts, in pre-order, each:
 *           varint flags, encoding, child count,
 *                  header offset, header size, body size, body lines
 *   varint  length, then the ENVELOPE string
 *   varint  length, then the BODY string
 *   varint  length, then the BODYSTRUCTURE string
 *
 * The head of a record, up to and with the fields, is a record of its
 * own for mime_cache_fields_open(): the mailbox stores it apart as well,
 * so that a header search reads only that (mime_cache_fields_size()).
 *
 * Varints are unsigned LEB128 (7 bits a byte, low first), so the record
 * has no byte order and small numbers take one byte.  A record of another
 * version, or one that fails any check, is refused; the cache is derived
 * data, and the caller's answer is to parse the message again and
 * rewrite the record (which is the upgrade path as well).
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct mime_part;

#define MIME_CACHE_VERSION 2
/* Version 1 records (no header fields) are still read; their fields read
 * as not stored, so SEARCH reads the message file for them. */
#define MIME_CACHE_VERSION_NO_FIELDS 1

/* Bounds a record must respect to be read: generous beside the parser's
 * defaults, so records written under raised limits still load. */
#define MIME_CACHE_MAX_DEPTH 1000
#define MIME_CACHE_MAX_PARTS 1000000

/* The header fields a record carries so that SEARCH can answer FROM, TO,
 * CC, BCC, SUBJECT, SENT* and HEADER of these names without the message
 * file.  The order is the priority under MIME_CACHE_FIELDS_MAX_SIZE. */
enum mime_cache_field {
	MIME_CACHE_FIELD_SUBJECT,
	MIME_CACHE_FIELD_FROM,
	MIME_CACHE_FIELD_TO,
	MIME_CACHE_FIELD_CC,
	MIME_CACHE_FIELD_BCC,
	MIME_CACHE_FIELD_DATE,
	MIME_CACHE_FIELD_MESSAGE_ID,
	MIME_CACHE_FIELD_IN_REPLY_TO,
	MIME_CACHE_FIELD_SENDER,
	MIME_CACHE_FIELD_REPLY_TO,
	MIME_CACHE_FIELD_REFERENCES,
	MIME_CACHE_FIELD_COUNT
};

/* Bytes of field values one record stores at most: a field whose values
 * do not all fit is left out whole (and read from the file), so a header
 * with a thousand recipients does not bloat the cache. */
#define MIME_CACHE_FIELDS_MAX_SIZE 16384

/* The field number of a header name (ASCII case-insensitive), or -1. */
int mime_cache_field_id(const char *name, size_t len);
/* The name of field `id` (< MIME_CACHE_FIELD_COUNT), as RFC 5322 spells
 * it. */
const char *mime_cache_field_name(unsigned int id);

/* The stored fields of a record, read in place (nothing is copied: the
 * record must outlive it). */
struct mime_cache_fields {
	unsigned int covered;	/* bit n: every field n of the header is here */
	const unsigned char *p, *end;
	size_t left;
};

/* Finds and checks the fields of a record of `len` bytes for a message of
 * `message_size` bytes.  A version 1 record gives covered == 0.  -1 with
 * a static reason when the record is not one mime_cache_read() accepts
 * (as far as the fields go). */
int mime_cache_fields_open(const void *data, size_t len, size_t message_size,
			   struct mime_cache_fields *fields_r,
			   const char **error_r);

/* The length of the head of a record (its version, message size and
 * fields), which mime_cache_fields_open() reads alone as well as in the
 * whole record: what a mailbox keeps apart from the rest for header
 * searches (mbox_new_message's fields_size).  0 for a record without
 * fields (version 1) or one that is not good as far as its fields go. */
size_t mime_cache_fields_size(const void *data, size_t len,
			      size_t message_size);

/* The next stored field, in header order: false at the end. */
bool mime_cache_fields_next(struct mime_cache_fields *fields,
			    unsigned int *id_r, const char **value_r,
			    size_t *len_r);

struct mime_cache {
	/* Offsets, sizes, lines, flags and encodings; info is NULL. */
	struct mime_part *root;
	char *envelope;
	char *body;
	char *bodystructure;
};

/* Appends the record of `root` (from mime_parse() of data[0..message_size))
 * to `out`. */
void mime_cache_write(const struct mime_part *root, const char *data,
		      size_t message_size, struct buf *out);

/* Reads a record of `len` bytes.  `message_size` is the size of the
 * message file as the index knows it; a record for another size is
 * refused.  Returns 0 and a new cache in *cache_r, or -1 with a static
 * reason in *error_r (bad version, truncated, inconsistent offsets, ...).
 * Never trusts a length: every count and offset is checked against the
 * record and the message before it is used. */
int mime_cache_read(const void *data, size_t len, size_t message_size,
		    struct mime_cache **cache_r, const char **error_r);

/* Whether a record is of the version mime_cache_write() writes now (it is
 * not checked otherwise): `sealpost reconstruct` rewrites older ones, so
 * a store from before the header fields were kept searches from its
 * cache again. */
bool mime_cache_is_current(const void *data, size_t len);

/* Frees the cache and sets *cache to NULL. */
void mime_cache_free(struct mime_cache **cache);

#endif
