#ifndef SEALPOST_MIME_PART_H
#define SEALPOST_MIME_PART_H

/*
 * The MIME structure of a message: a tree of parts with the byte offsets
 * IMAP needs to answer BODY[section], BODY[section.HEADER|TEXT|MIME],
 * partial fetches and BINARY[section] without parsing again.
 *
 * Every part has a header and a body, adjacent in the message:
 *
 *   header_offset  header_size   body_offset = header_offset + header_size
 *   |-------------------------|---------------------------| body_size
 *
 * For the root the header is the message header (its blank line included,
 * RFC 3501 section 6.4.5); for a body part it is the MIME header after the
 * boundary line (BODY[n.MIME]).  The CRLF before a boundary belongs to the
 * boundary (RFC 2046 section 5.1.1), so it is in no part.  A part is:
 *
 *   - multipart (MIME_PART_MULTIPART): its children are the body parts;
 *     preamble and epilogue are in its body but in no child;
 *   - message/rfc822 or message/global (MIME_PART_MESSAGE): exactly one
 *     child, the encapsulated message, whose header starts at the part's
 *     body; BODY[n.HEADER] and BODY[n.TEXT] are that child's header and
 *     body;
 *   - a leaf: anything else, including structures the parser declined to
 *     descend into (see mime_parse.h).
 *
 * body_lines counts the lines of the body as stored (RFC 3501's "size in
 * text lines"): each line started in it counts, a last line without a line
 * ending included.
 */

#include "mime_decode.h"
#include "mime_field.h"

#include <stdbool.h>
#include <stddef.h>

enum mime_part_flags {
	MIME_PART_MULTIPART = 0x01,
	MIME_PART_MESSAGE = 0x02,
	/* The type shown is text/\*: BODYSTRUCTURE gives its lines. */
	MIME_PART_TEXT = 0x04,
};
#define MIME_PART_FLAGS_ALL 0x07

/* What the part's header said, as BODYSTRUCTURE reports it.  Strings are
 * unfolded field values, or NULL when the field is absent. */
struct mime_part_info {
	/* The type shown: as written, or the defaults ("TEXT" "PLAIN", or
	 * "MESSAGE" "RFC822" in a digest), or what the parser shows instead
	 * of a structure it declined ("APPLICATION" "OCTET-STREAM"; "TEXT"
	 * "PLAIN" for a multipart without any boundary line). */
	struct mime_field content_type;
	char *encoding;		/* Content-Transfer-Encoding token */
	char *id;
	char *description;
	char *md5;
	char *location;
	struct mime_field disposition;	/* type NULL when absent */
	char **languages;
	unsigned int language_count;
	/* For the root and encapsulated messages: their ENVELOPE. */
	char *envelope;
};

struct mime_part {
	struct mime_part *parent;
	struct mime_part *children;
	struct mime_part *next;
	unsigned int child_count;
	unsigned int flags;
	enum mime_encoding encoding;
	size_t header_offset;
	size_t header_size;
	size_t body_offset;
	size_t body_size;
	size_t body_lines;
	/* NULL for a tree loaded from the cache, which keeps the IMAP strings
	 * instead. */
	struct mime_part_info *info;
};

struct message_header;

/* Builds the info of a part from its header (the fields in `hdr` must still
 * be in memory).  `digest_child` selects the message/rfc822 default type
 * of RFC 2046 section 5.1.5.  Never fails; invalid fields read as absent. */
struct mime_part_info *
mime_part_info_parse(const struct message_header *hdr, bool digest_child);

/* Replaces the type shown for the part (the strings are copied). */
void mime_part_info_set_type(struct mime_part_info *info, const char *type,
			     const char *subtype);

/* Bytes of strings the info holds, to charge against a budget. */
size_t mime_part_info_size(const struct mime_part_info *info);

/* Frees a part, its subtree and their info, and sets *part to NULL. */
void mime_part_free(struct mime_part **part);

/* Frees an info and sets *info to NULL. */
void mime_part_info_free(struct mime_part_info **info);

/* Finds an IMAP section part number ("1.2.3", RFC 3501 section 6.4.5;
 * "" is the whole message) below `root`.  A non-multipart message has one
 * part, "1", which is its body; the parts of an encapsulated message are
 * numbered from its MESSAGE part.  For "1.2.MIME", "1.2.HEADER" etc. the
 * caller strips the suffix first.  Returns the part, or NULL when there is
 * no such part or the number is malformed. */
const struct mime_part *mime_part_find_section(const struct mime_part *root,
					       const char *section);

/* The number of parts in the tree. */
unsigned int mime_part_count(const struct mime_part *root);

#endif
