#ifndef SEALPOST_IMAP_MESSAGE_H
#define SEALPOST_IMAP_MESSAGE_H

/*
 * One message of a mailbox as FETCH and SEARCH read it: the record from
 * the index, the file (mapped only when its bytes are needed) and its
 * parsed structure (from the mailbox's cache, or parsed again when the
 * cache entry is missing or damaged, which the cache format allows).
 */

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "mbox.h"

struct mbox_cache_window;

struct mbox_cache_window;
struct mime_cache;
struct mime_cache_fields;
struct mime_part;

/* Files up to this size are read with one pread() rather than mapped: a
 * mapping costs mmap, page faults and munmap (with its TLB shootdown), far
 * more than copying a few pages, and a SEARCH BODY reads every file.  The
 * bound keeps the memory a worker holds for it small; bigger files are
 * mapped, which also lets FETCH send them without a copy. */
#define IMAP_MESSAGE_READ_MAX (256 * 1024)

struct imap_message {
	struct mbox *mbox;
	struct mbox_record rec;
	int fd;
	/* The whole file: read into memory (a small one) or mapped; NULL
	 * until read. */
	const char *data;
	size_t size;
	bool mapped;		/* data is a mapping of the file */
	struct buf *read_buf;	/* data is in this buffer (see .c) */
	struct mime_cache *cache;
	/* Where imap_message_structure() reads the cache entry: a window
	 * a command going through many messages keeps (one read for the
	 * entries of many messages), or NULL (two preads of its own).  Set
	 * after imap_message_init(). */
	struct mbox_cache_window *window;
};

void imap_message_init(struct imap_message *m, struct mbox *mbox,
		       const struct mbox_record *rec);
/* Reads the file (up to IMAP_MESSAGE_READ_MAX bytes into memory, beyond
 * that by mapping it).  -1 with a reason when it is gone (expunged). */
int imap_message_data(struct imap_message *m, const char **error_r);
/* Loads the structure (ENVELOPE, BODY, BODYSTRUCTURE strings and part
 * offsets).  -1 with a reason. */
int imap_message_structure(struct imap_message *m, const char **error_r);
/* The same from a cache record the caller has read (a SEARCH reads them
 * through a window): parsed again from the file when the record is
 * refused.  -1 with a reason. */
int imap_message_structure_from(struct imap_message *m, const void *record,
				size_t len, const char **error_r);
void imap_message_deinit(struct imap_message *m);

/* The header fields the mailbox keeps of a message (mime_cache.h), read
 * through `w`: from its entry in the fields file, which holds nothing
 * else, or else from its cache record.  False when neither has them
 * (the file must be read).  The fields point into the window and stay
 * valid until the next message's are read. */
bool imap_message_cached_fields(struct mbox *mbox,
				const struct mbox_record *rec,
				struct mbox_cache_window *w,
				struct mime_cache_fields *fields_r);

/* Whether the next file read by imap_message_data() is to tell if it was
 * in the page cache (reset by that read). */
void imap_message_check_cold(bool on);
/* How many message files this process, asked to tell, found not to be in
 * the page cache when it read them (since it started): a SEARCH compares
 * the count before and after a message to know it came from the disk. */
uint64_t imap_message_cold_reads(void);
/* Whether that count can be trusted: false once the kernel or the file
 * system refused to read without waiting (RWF_NOWAIT), when only the time
 * a read took tells. */
bool imap_message_cold_known(void);

/* The section a FETCH BODY[...]/BINARY[...] names (imap_fetch_parse.h). */
struct imap_fetch_body;

enum imap_section_result {
	IMAP_SECTION_OK,
	IMAP_SECTION_NONE,		/* no such part: NIL */
	IMAP_SECTION_UNKNOWN_CTE,	/* BINARY of an unknown encoding */
	IMAP_SECTION_ERROR,
};

/* Finds the bytes of a section: *data_r points into the mapped file, or
 * into `owned` when they had to be built (HEADER.FIELDS, BINARY).  The
 * partial <o.l> is not applied here. */
enum imap_section_result
imap_message_section(struct imap_message *m, const struct imap_fetch_body *b,
		     struct buf *owned, const char **data_r, size_t *len_r,
		     const char **error_r);

/* Appends the header lines of data[0..len) whose names are (or, with
 * `not`, are not) in `fields`, then the blank line (RFC 9051 6.4.5). */
void imap_message_header_fields(const char *data, size_t len,
				char *const *fields, size_t field_count,
				bool not, struct buf *out);

#endif
