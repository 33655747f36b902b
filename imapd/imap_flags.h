#ifndef SEALPOST_IMAP_FLAGS_H
#define SEALPOST_IMAP_FLAGS_H

/*
 * Message flags as clients send them in STORE and APPEND (RFC 9051 section
 * 2.3.2): system flags ("\Seen") and keywords (atoms such as "$Junk").
 * Keywords are case-insensitive; the first spelling given is kept.
 */

#include <stddef.h>

#include "buf.h"
#include "imapd/imap_arg.h"

#define IMAP_FLAG_ANSWERED	0x01
#define IMAP_FLAG_FLAGGED	0x02
#define IMAP_FLAG_DELETED	0x04
#define IMAP_FLAG_SEEN		0x08
#define IMAP_FLAG_DRAFT		0x10
/* Only SEARCH and responses name \Recent: a client can't set it (RFC 3501
 * section 2.3.2); RFC 9051 dropped it. */
#define IMAP_FLAG_RECENT	0x20

struct imap_flags {
	unsigned int system;	/* IMAP_FLAG_* */
	char **keywords;	/* owned; no two equal ignoring case */
	size_t keyword_count;
};

#define IMAP_FLAGS_DEFAULT_MAX_KEYWORDS 100

/* The IMAP_FLAG_* bit for a system flag name ("\Seen", any case), or 0. */
unsigned int imap_flag_system(const char *name);

/* Is `name` a keyword a client may set?  flag-keyword = atom (RFC 9051
 * section 9): ATOM-CHARs only, so no "\", "]", "*" or "%". */
bool imap_flag_keyword_valid(const char *name);

/* Parses an EOL-terminated array of flag arguments (the members of a
 * flag-list, or the flat flags after STORE's FLAGS) into *flags_r, which
 * the caller deinits.  Unknown system flags and \Recent are refused (a
 * client may not set them), as are more than max_keywords keywords.
 * Returns 0, or -1 with a fixed *error_r (a BAD) and *flags_r empty. */
int imap_flags_parse(const struct imap_arg *args, size_t max_keywords,
		     struct imap_flags *flags_r, const char **error_r);

/* Frees the keywords and empties the struct. */
void imap_flags_deinit(struct imap_flags *flags);

/* Appends "(\Answered \Seen $Junk)" (system flags first, in a fixed
 * order). */
void imap_flags_format(const struct imap_flags *flags, struct buf *out);

#endif
