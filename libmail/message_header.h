#ifndef SEALPOST_MESSAGE_HEADER_H
#define SEALPOST_MESSAGE_HEADER_H

/*
 * RFC 5322 header sections: split into fields, look fields up by name,
 * unfold their values.  The parser reads a header that is already in memory
 * (the message file is mmapped) and keeps pointers into it, so it copies
 * nothing; the memory must outlive the struct message_header.
 *
 * Hostile input is expected.  Field values may hold 8-bit bytes and bare
 * CRs; a line is ended by LF or CRLF.  A line that is neither a field
 * ("name:" with optional white space before the colon, RFC 5322 section
 * 3.6.8 and 4.5) nor a continuation ends the header without being part of
 * it: the sender forgot the blank line, and the line is body text, as
 * Postfix's cleanup and the common MUAs read it.  The limits below cap what
 * is recorded, never what is scanned: over-long fields are cut, fields past
 * the count or size limit are skipped, and the header still ends where it
 * really ends, so offsets computed from it stay right.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;

struct message_header_limits {
	/* Bytes of one field's value, continuation lines included.  RFC 5322
	 * section 2.1.1 caps a line at 998 characters; a folded Subject or To
	 * of 64 KiB is already far beyond any real message. */
	size_t max_field_size;
	/* Fields recorded; later ones cannot be looked up.  Real messages
	 * carry tens of fields, a long Received chain a few hundred. */
	unsigned int max_fields;
	/* Fields starting past this many bytes of header are not recorded. */
	size_t max_header_size;
};

extern const struct message_header_limits message_header_default_limits;

struct message_header_field {
	const char *name;	/* points into the message */
	size_t name_len;
	/* The raw value from just after the colon to the end of the field,
	 * line breaks of continuation lines included, final one excluded. */
	const char *value;
	size_t value_len;
	bool truncated;		/* value_len was cut to max_field_size */
};

struct message_header {
	const struct message_header_limits *limits;
	struct message_header_field *fields;
	unsigned int count;
	unsigned int alloc;
	/* Bytes taken by the header so far, the blank line included. */
	size_t size;
	bool ended;		/* a blank line or a body line was seen */
	bool has_blank_line;
	bool truncated;		/* a field was cut or not recorded */
	bool in_field;		/* continuation lines extend the last field */
};

enum message_header_line {
	/* The line was a field or a continuation and belongs to the header. */
	MESSAGE_HEADER_LINE_FIELD,
	/* The line was the blank line ending the header; it belongs to it. */
	MESSAGE_HEADER_LINE_END,
	/* The line is not header syntax: the header ended before it and it
	 * belongs to the body. */
	MESSAGE_HEADER_LINE_BODY,
};

/* Prepares an empty header.  `limits` (NULL for the defaults) must outlive
 * it. */
void message_header_init(struct message_header *hdr,
			 const struct message_header_limits *limits);
void message_header_deinit(struct message_header *hdr);

/* Feeds one line, its LF or CRLF included (a last line may lack one).
 * Consecutive lines must be consecutive in memory, since a field's value
 * spans its continuation lines.  After END or BODY the header is complete
 * and must not be fed again. */
enum message_header_line
message_header_feed_line(struct message_header *hdr, const char *line,
			 size_t len);

/* Parses the header at the start of data[0..len).  Returns the number of
 * bytes it takes (its blank line included); the body starts there. */
size_t message_header_parse(struct message_header *hdr, const char *data,
			    size_t len);

/* The first field named `name` (ASCII case-insensitive), or NULL. */
const struct message_header_field *
message_header_find(const struct message_header *hdr, const char *name);

/* Appends the value unfolded (RFC 5322 section 2.2.3: line breaks before
 * white space removed) with leading and trailing white space trimmed. NUL
 * bytes are dropped: nothing downstream (IMAP, C strings) can carry them. */
void message_header_unfold(const char *value, size_t len, struct buf *out);

/* Finds `name` and appends its unfolded value to `out`.  Returns false
 * (appending nothing) when there is no such field. */
bool message_header_get(const struct message_header *hdr, const char *name,
			struct buf *out);

#endif
