#ifndef SEALPOST_IMAP_BODYSTRUCTURE_H
#define SEALPOST_IMAP_BODYSTRUCTURE_H

/*
 * IMAP BODYSTRUCTURE and BODY (RFC 3501 section 7.4.2, RFC 9051 section
 * 7.5.2) from a parsed part tree.
 *
 * Types, subtypes, parameter names and values, and the transfer encoding
 * are reported as the message spells them; defaults are upper case as in
 * the RFC's examples: "TEXT" "PLAIN" ("CHARSET" "US-ASCII") and "7BIT".
 * A text part without a charset parameter gets ("CHARSET" "US-ASCII")
 * appended (RFC 2046 section 4.1.2).  Extension data (BODYSTRUCTURE only)
 * is always complete: MD5, disposition, language and location for a leaf;
 * parameters, disposition, language and location for a multipart.
 * Sizes and line counts are of the body as stored.  Strings that need it
 * go out as literals (imap_string.h).
 */

#include <stdbool.h>

struct buf;
struct mime_part;

/* Appends the BODYSTRUCTURE (`extended`) or BODY of `part`, normally the
 * root from mime_parse().  The tree must carry info (a tree loaded from
 * the cache has the strings already).  Recurses once per nesting level,
 * which the parser bounds. */
void imap_bodystructure_write(const struct mime_part *part, bool extended,
			      struct buf *out);

#endif
