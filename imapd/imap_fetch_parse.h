#ifndef SEALPOST_IMAP_FETCH_PARSE_H
#define SEALPOST_IMAP_FETCH_PARSE_H

/*
 * The arguments of FETCH after the sequence set (RFC 9051 section 6.4.5;
 * BINARY from RFC 3516; MODSEQ, CHANGEDSINCE and VANISHED from RFC 7162):
 *
 *     (ALL | FAST | FULL | fetch-att | "(" fetch-att *(SP fetch-att) ")")
 *     [SP "(" fetch-modifier *(SP fetch-modifier) ")"]
 *
 * The command reader keeps a FETCH attribute's bracketed section in its atom
 * ("BODY.PEEK[1.HEADER.FIELDS (From To)]<0.512>"); this module takes it
 * apart.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "imapd/imap_arg.h"

/* Simple message data items. */
#define IMAP_FETCH_FLAGS		0x0001
#define IMAP_FETCH_INTERNALDATE		0x0002
#define IMAP_FETCH_RFC822_SIZE		0x0004
#define IMAP_FETCH_ENVELOPE		0x0008
#define IMAP_FETCH_BODY			0x0010	/* non-extensible structure */
#define IMAP_FETCH_BODYSTRUCTURE	0x0020
#define IMAP_FETCH_UID			0x0040
#define IMAP_FETCH_MODSEQ		0x0080
#define IMAP_FETCH_RFC822		0x0100	/* = BODY[], sets \Seen */
#define IMAP_FETCH_RFC822_HEADER	0x0200	/* = BODY.PEEK[HEADER] */
#define IMAP_FETCH_RFC822_TEXT		0x0400	/* = BODY[TEXT], sets \Seen */
#define IMAP_FETCH_EMAILID		0x0800	/* RFC 8474 */
#define IMAP_FETCH_THREADID		0x1000	/* RFC 8474 */
#define IMAP_FETCH_SAVEDATE		0x2000	/* RFC 8514 */

enum imap_fetch_body_kind {
	IMAP_FETCH_BODY_SECTION,	/* BODY[...] and BODY.PEEK[...] */
	IMAP_FETCH_BINARY,		/* BINARY[...], BINARY.PEEK[...] */
	IMAP_FETCH_BINARY_SIZE,		/* BINARY.SIZE[...] */
};

enum imap_section_text {
	IMAP_SECTION_WHOLE,		/* [] or [1.2]: the part itself */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME,		/* only after a part number */
};

struct imap_fetch_body {
	enum imap_fetch_body_kind kind;
	bool peek;			/* don't set \Seen */
	uint32_t *parts;		/* 1.2.3 -> {1, 2, 3} */
	size_t part_count;
	enum imap_section_text text;
	char **fields;			/* HEADER.FIELDS[.NOT] names */
	size_t field_count;
	bool partial;			/* <offset.length> */
	uint64_t offset, length;
	/* The section in canonical form, between the brackets of the
	 * response's name: "1.2.HEADER.FIELDS (From To)". */
	char *section;
};

struct imap_fetch {
	unsigned int items;		/* IMAP_FETCH_* */
	struct imap_fetch_body *bodies;
	size_t body_count;
	bool has_changedsince;		/* CHANGEDSINCE (adds MODSEQ) */
	uint64_t changedsince;
	bool vanished;			/* VANISHED (UID FETCH only) */
};

struct imap_fetch_limits {
	size_t max_bodies;		/* BODY[]/BINARY[] items */
	size_t max_fields;		/* names in one HEADER.FIELDS */
	size_t max_part_depth;		/* numbers in 1.2.3... */
};

/* 64 section items, 256 header names, 32 levels of parts. */
extern const struct imap_fetch_limits imap_fetch_default_limits;

/* Parses `args` (the command's arguments after the sequence set); `uid`
 * tells whether this is UID FETCH, which VANISHED needs (RFC 7162 section
 * 3.2.6).  `limits` NULL means the defaults.  Returns 0 with a new
 * *fetch_r, or -1 with a fixed *error_r (answer BAD). */
int imap_fetch_parse(const struct imap_arg *args, bool uid,
		     const struct imap_fetch_limits *limits,
		     struct imap_fetch **fetch_r, const char **error_r);

void imap_fetch_free(struct imap_fetch **fetch);

/* Appends the name a FETCH response gives this item, as RFC 9051 section
 * 7.5.2 wants it: "BODY[1.HEADER]<0>" (".PEEK" dropped, only the partial's
 * origin kept), "BINARY[2]", "BINARY.SIZE[2]". */
void imap_fetch_body_name(const struct imap_fetch_body *body, struct buf *out);

#endif
