#ifndef SEALPOST_IMAP_SEARCH_PARSE_H
#define SEALPOST_IMAP_SEARCH_PARSE_H

/*
 * SEARCH arguments into a tree of search keys (RFC 9051 sections 6.4.4 and
 * 9; RFC 3501's NEW, OLD and RECENT; MODSEQ from RFC 7162 section 3.1.5;
 * YOUNGER and OLDER from RFC 5032; "$" from RFC 5182; RETURN options for
 * ESEARCH from RFC 4731, in RFC 9051's base).  The tree says what to match;
 * evaluating it against a mailbox is the daemon's job.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "imapd/imap_arg.h"
#include "imapd/imap_date.h"
#include "imapd/imap_seqset.h"

enum imap_search_key_type {
	IMAP_SEARCH_AND,	/* "(" keys ")" and the top level */
	IMAP_SEARCH_OR,		/* two children */
	IMAP_SEARCH_NOT,	/* one child */
	IMAP_SEARCH_SEQSET,	/* a message sequence set, or "$" */
	IMAP_SEARCH_ALL,
	IMAP_SEARCH_ANSWERED,
	IMAP_SEARCH_BCC,
	IMAP_SEARCH_BEFORE,
	IMAP_SEARCH_BODY,
	IMAP_SEARCH_CC,
	IMAP_SEARCH_DELETED,
	IMAP_SEARCH_DRAFT,
	IMAP_SEARCH_FLAGGED,
	IMAP_SEARCH_FROM,
	IMAP_SEARCH_HEADER,
	IMAP_SEARCH_KEYWORD,
	IMAP_SEARCH_LARGER,
	IMAP_SEARCH_MODSEQ,
	IMAP_SEARCH_NEW,
	IMAP_SEARCH_OLD,
	IMAP_SEARCH_OLDER,
	IMAP_SEARCH_ON,
	IMAP_SEARCH_RECENT,
	IMAP_SEARCH_SEEN,
	IMAP_SEARCH_SENTBEFORE,
	IMAP_SEARCH_SENTON,
	IMAP_SEARCH_SENTSINCE,
	IMAP_SEARCH_SINCE,
	IMAP_SEARCH_SMALLER,
	IMAP_SEARCH_SUBJECT,
	IMAP_SEARCH_TEXT,
	IMAP_SEARCH_TO,
	IMAP_SEARCH_UID,
	IMAP_SEARCH_UNANSWERED,
	IMAP_SEARCH_UNDELETED,
	IMAP_SEARCH_UNDRAFT,
	IMAP_SEARCH_UNFLAGGED,
	IMAP_SEARCH_UNKEYWORD,
	IMAP_SEARCH_UNSEEN,
	IMAP_SEARCH_YOUNGER,
	IMAP_SEARCH_SAVEDBEFORE,	/* RFC 8514 */
	IMAP_SEARCH_SAVEDON,
	IMAP_SEARCH_SAVEDSINCE,
	IMAP_SEARCH_SAVEDATESUPPORTED,
	IMAP_SEARCH_EMAILID,		/* RFC 8474 */
	IMAP_SEARCH_THREADID,
};

/* MODSEQ's entry-type-req (RFC 7162 section 3.1.5). */
enum imap_search_modseq_type {
	IMAP_SEARCH_MODSEQ_ALL,
	IMAP_SEARCH_MODSEQ_PRIV,
	IMAP_SEARCH_MODSEQ_SHARED,
};

struct imap_search_key {
	enum imap_search_key_type type;
	struct imap_search_key *children;	/* AND, OR, NOT */
	size_t child_count;
	/* BCC, BODY, CC, FROM, SUBJECT, TEXT, TO: the text (valid UTF-8);
	 * EMAILID, THREADID: the object ID;
	 * HEADER: the field name; KEYWORD, UNKEYWORD: the keyword;
	 * MODSEQ: the entry name ("/flags/\Seen") or NULL. */
	char *str;
	char *value;			/* HEADER's text */
	struct imap_date date;		/* BEFORE, ON, SINCE, SENT*, SAVED* */
	/* LARGER, SMALLER (octets), OLDER, YOUNGER (seconds), MODSEQ */
	uint64_t number;
	enum imap_search_modseq_type modseq_type;
	struct imap_seqset *seqset;	/* SEQSET, UID */
};

/* RETURN options (RFC 9051 section 6.4.4.1). */
#define IMAP_SEARCH_RETURN_MIN		0x01
#define IMAP_SEARCH_RETURN_MAX		0x02
#define IMAP_SEARCH_RETURN_ALL		0x04
#define IMAP_SEARCH_RETURN_COUNT	0x08
#define IMAP_SEARCH_RETURN_SAVE		0x10

struct imap_search {
	/* RETURN was given: answer with ESEARCH.  RETURN () means ALL
	 * (RFC 4731 section 3.1), so `returns` is never 0 when set. */
	bool has_return;
	unsigned int returns;
	/* "UTF-8" or "US-ASCII" when CHARSET was given, else NULL. */
	const char *charset;
	struct imap_search_key root;	/* an AND of the keys */
};

struct imap_search_limits {
	unsigned int max_depth;		/* NOT, OR and "(" nesting */
	size_t max_keys;		/* keys in the whole program */
	size_t max_ranges;		/* in each sequence set */
};

/* 32 levels, 1000 keys, IMAP_SEQSET_DEFAULT_MAX_RANGES ranges. */
extern const struct imap_search_limits imap_search_default_limits;

/* SORT and THREAD (RFC 5256) put a bare charset before the keys and have no
 * CHARSET keyword or RETURN of this form: their caller parses what comes
 * first and passes the rest with this flag. */
#define IMAP_SEARCH_PARSE_CHARSET_FIRST 0x01

enum imap_search_parse_result {
	IMAP_SEARCH_PARSE_OK = 0,
	IMAP_SEARCH_PARSE_BAD = -1,	    /* answer BAD *error_r */
	/* answer NO [BADCHARSET (UTF-8 US-ASCII)] (RFC 9051 7.1) */
	IMAP_SEARCH_PARSE_BADCHARSET = -2,
};

/* The response code text to send with IMAP_SEARCH_PARSE_BADCHARSET. */
#define IMAP_SEARCH_BADCHARSET_CODE "BADCHARSET (UTF-8 US-ASCII)"

/* Parses the arguments after SEARCH (or UID SEARCH).  `limits` NULL means
 * the defaults.  Over-deep nesting is refused at the first level too many,
 * before any deeper recursion.  On success *search_r is new; otherwise it
 * is NULL and *error_r holds a fixed text. */
enum imap_search_parse_result
imap_search_parse(const struct imap_arg *args, unsigned int flags,
		  const struct imap_search_limits *limits,
		  struct imap_search **search_r, const char **error_r);

void imap_search_free(struct imap_search **search);

/* Parses the members of a RETURN list (also SORT's, RFC 5267 section 3)
 * into IMAP_SEARCH_RETURN_* bits; an empty list means ALL.  Returns 0, or
 * -1 with a fixed *error_r. */
int imap_search_parse_return(const struct imap_arg *list,
			     unsigned int *returns_r, const char **error_r);

/* Does `key` or any key under it have type `type`?  (MODSEQ changes the
 * answers of SEARCH and SORT, RFC 7162 sections 3.1.5 and 3.1.9.)  The
 * tree's depth is bounded by the parser's limits. */
bool imap_search_has_key(const struct imap_search_key *key,
			 enum imap_search_key_type type);

/* The key's name as a client writes it ("SENTBEFORE"); "" for AND and
 * SEQSET, which have none. */
const char *imap_search_key_name(enum imap_search_key_type type);

/* Appends the keys in a canonical form: upper-case names, strings always
 * quoted (or literals), normalised dates and sequence sets, one space
 * between keys, groups in parentheses.  Parsing the output again gives the
 * same tree. */
void imap_search_format_key(const struct imap_search_key *key,
			    struct buf *out);
/* Appends "RETURN (...) CHARSET ... " (as given) and the keys. */
void imap_search_format(const struct imap_search *search, struct buf *out);

#endif
