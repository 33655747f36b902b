#ifndef SEALPOST_MBOX_FORMAT_H
#define SEALPOST_MBOX_FORMAT_H

/*
 * The on-disk layout of a mailbox's index, log and fields file (see
 * mbox.h).  Integers are stored in the host's byte order: a store is never
 * moved between machines of different endianness without `sealpost
 * export`.  The files start with a magic and a version; a newer version is
 * refused, an older one upgraded at open.
 *
 * Index version 2 (this one) keeps the offset of each message's fields
 * entry in bits that version 1 left zero (struct mbox_record), so a
 * version 1 index is read as it is, its messages having no fields entry:
 * their header searches read the cache file, as before, until
 * `sealpost reconstruct` writes the entries.  Its header says version 2
 * from the first write on.  The log's APPEND records carry the same
 * record and so the same bits; the log's own format is unchanged.
 *
 * The fields file: struct mbox_fields_header, then an entry per message
 * at an offset that is a multiple of 8: a uint32_t length, a uint32_t
 * CRC-32C of the data, the data (what mbox_new_message's fields_size
 * names), zero padding.  Like the cache it is appended without fsync:
 * a lost or torn entry fails its CRC and the search reads the cache
 * entry instead.  A cache entry is the same without the padding.  The
 * CRC of both starts from the message's UID (mbox_entry_crc()), so an
 * entry read for another message fails it; entries written before that
 * started from 0 and are still accepted.
 */

#include "mbox.h"

#include <stdint.h>

#define MBOX_INDEX_MAGIC "SPMBIDX"
#define MBOX_LOG_MAGIC   "SPMBLOG"
#define MBOX_FIELDS_MAGIC "SPMBFLD"
#define MBOX_INDEX_VERSION 2
/* Read as version 2: see above. */
#define MBOX_INDEX_VERSION_NO_FIELDS 1
#define MBOX_LOG_VERSION 1
#define MBOX_FIELDS_VERSION 1

#define MBOX_INDEX_HEADER_SIZE 8192
#define MBOX_LOG_HEADER_SIZE 64

struct mbox_index_header {
	char magic[8];
	uint32_t version;
	uint32_t record_size;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t record_count;		/* records in the file, tombstones too */
	uint32_t keyword_count;
	/* The log offset up to which the index reflects the log... */
	uint64_t applied_offset;
	/* ...and up to which it is known to be on disk (fsync'ed). */
	uint64_t checkpoint_offset;
	/* The boot in which applied_offset was written: after a reboot the
	 * page cache may have lost index writes, so replay starts from the
	 * checkpoint instead. */
	unsigned char boot_id[16];
	uint64_t log_seq;		/* which log file these offsets are in */
	unsigned char reserved[256 - 80];
	char keywords[MBOX_MAX_KEYWORDS][64];
};

struct mbox_fields_header {
	char magic[8];
	uint32_t version;
	uint32_t reserved;
};
#define MBOX_FIELDS_HEADER_SIZE 16
/* An entry's data may not be larger than this; the writer leaves a
 * larger one out. */
#define MBOX_FIELDS_MAX_ENTRY (1024 * 1024)

struct mbox_log_header {
	char magic[8];
	uint32_t version;
	uint32_t uidvalidity;
	uint64_t log_seq;
	unsigned char reserved[MBOX_LOG_HEADER_SIZE - 24];
};

enum mbox_log_type {
	MBOX_LOG_APPEND = 1,	/* payload: struct mbox_record */
	MBOX_LOG_FLAGS = 2,	/* payload: struct mbox_log_flags */
	MBOX_LOG_EXPUNGE = 3,	/* payload: uint32_t uid */
	MBOX_LOG_KEYWORD = 4,	/* payload: uint32_t index, then the name */
	MBOX_LOG_COMMIT = 5,	/* no payload: the batch before it is whole */
};

/* Every record: this header, the payload, zero padding, then a CRC-32C of
 * all that; `size` is a multiple of 8 so records stay aligned. */
struct mbox_log_record {
	uint32_t size;		/* header + payload + padding + crc */
	uint16_t type;
	uint16_t payload_size;
	uint64_t modseq;
};

struct mbox_log_flags {
	uint32_t uid;
	uint32_t flags;
	uint64_t keywords;
};

/* A log record may not be larger than this (the largest is a keyword). */
#define MBOX_LOG_MAX_RECORD 256

_Static_assert(sizeof(struct mbox_record) == 72, "index record size");
_Static_assert(sizeof(struct mbox_index_header) <= MBOX_INDEX_HEADER_SIZE,
	       "index header size");
_Static_assert(sizeof(struct mbox_log_header) == MBOX_LOG_HEADER_SIZE,
	       "log header size");
_Static_assert(sizeof(struct mbox_fields_header) == MBOX_FIELDS_HEADER_SIZE,
	       "fields header size");

#endif
