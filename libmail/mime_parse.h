#ifndef SEALPOST_MIME_PARSE_H
#define SEALPOST_MIME_PARSE_H

/*
 * The MIME parser: reads a whole message from memory (the store mmaps the
 * file) and builds its part tree (mime_part.h) with each part's header
 * information and, for the root and encapsulated messages, the ENVELOPE.
 * It runs at delivery; imapd answers ENVELOPE, BODYSTRUCTURE and section
 * fetches from the result, cached by mime_cache.h.
 *
 * One pass over the lines, with a stack of open parts: each line is looked
 * at once, plus a comparison against the active boundaries (at most
 * max_depth of them) when it starts with "--".  Time is linear in the
 * message for a fixed limit; nothing recurses on input.
 *
 * Broken input, and what comes of it:
 *   - bare LF line endings work like CRLF; offsets are those of the bytes
 *     as stored;
 *   - a header with no blank line ends at the first line that is not a
 *     field (message_header.h) or at a boundary of an enclosing multipart;
 *   - boundaries match exactly (trailing white space allowed, RFC 2046
 *     section 5.1.1); an inner part without its close delimiter ends at an
 *     outer boundary or at the end of the message;
 *   - a multipart with no boundary parameter, or whose boundary never
 *     appears, is shown as text/plain so the reader sees its text;
 *   - message/rfc822 in base64 or quoted-printable (RFC 2045 section 6.4
 *     forbids it) is not descended into;
 *   - past max_depth, max_parts or max_info_size, multiparts and messages
 *     are shown as application/octet-stream leaves holding the rest.
 * Never fails: every input gives a tree whose offsets lie in the message.
 */

#include "message_header.h"
#include "mime_part.h"

#include <stddef.h>

struct mime_parse_limits {
	struct message_header_limits header;
	/* Nesting of multiparts and messages.  Real mail nests a handful;
	 * forwarded-as-attachment chains reach tens. */
	unsigned int max_depth;
	/* Parts per message, the root included. */
	unsigned int max_parts;
	/* Bytes of header information (parameters, descriptions, envelopes)
	 * kept across the whole tree, so a message of many parts with large
	 * headers cannot make the structure (and its cached BODYSTRUCTURE)
	 * grow without bound. */
	size_t max_info_size;
};

extern const struct mime_parse_limits mime_parse_default_limits;

/* Parses data[0..len).  `limits` may be NULL for the defaults.  Returns
 * the root (free it with mime_part_free()); sets *limited_r, when not
 * NULL, to whether a limit cut the structure short.  The data need not
 * outlive the call: the tree copies what it keeps. */
struct mime_part *mime_parse(const char *data, size_t len,
			     const struct mime_parse_limits *limits,
			     bool *limited_r);

#endif
