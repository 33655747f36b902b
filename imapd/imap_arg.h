#ifndef SEALPOST_IMAP_ARG_H
#define SEALPOST_IMAP_ARG_H

/*
 * The arguments of a parsed IMAP command: a tree of atoms, strings and
 * parenthesised lists, as the command reader (imap_parser.h) builds it.
 * Each list, and the top level, is an array ended by an IMAP_ARG_EOL entry,
 * so command code can look at args[0], args[1], ... without counting.
 * Strings are NUL-terminated copies that may also hold NUL bytes (literal8),
 * so `len` is the real length.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_arg_type {
	IMAP_ARG_EOL,		/* end of a list or of the command */
	IMAP_ARG_ATOM,		/* 1*ASTRING-CHAR, plus the list wildcards,
				 * a leading "\" (flags) and, in FETCH,
				 * bracketed sections: BODY[1.HEADER]<0.9> */
	IMAP_ARG_NIL,		/* the atom NIL (its text is kept) */
	IMAP_ARG_QUOTED,	/* "..." with the escapes removed */
	IMAP_ARG_LITERAL,	/* {n}, {n+} or ~{n}, held in memory */
	IMAP_ARG_LITERAL_STREAMED, /* a literal the caller took as a stream:
				 * only its size is here */
	IMAP_ARG_LIST,		/* ( ... ) */
};

/* Literal flags. */
#define IMAP_ARG_LITERAL8	0x01	/* ~{n}: may hold NUL (RFC 3516) */
#define IMAP_ARG_NONSYNC	0x02	/* {n+} (RFC 7888) */

struct imap_arg {
	enum imap_arg_type type;
	unsigned int flags;
	/* String length, or the number of list members (without the EOL),
	 * or the declared size of a streamed literal. */
	uint64_t len;
	union {
		char *str;
		struct imap_arg *list;
	} u;
};

/* A complete command.  `name` is upper-cased ASCII; after "UID" the real
 * command name is in `name` and `uid` is set. */
struct imap_command {
	char *tag;
	char *name;
	bool uid;
	struct imap_arg *args;	/* EOL-terminated, never NULL */
	size_t arg_count;	/* top-level arguments */
};

/* Frees the command, its arguments and strings, and sets *cmd to NULL.
 * A NULL *cmd is fine. */
void imap_command_free(struct imap_command **cmd);

/* Frees what an argument array (EOL-terminated) owns, then the array. */
void imap_arg_list_free(struct imap_arg *list);

/* The accessors below return false when the argument has another type; the
 * string they give stays owned by the argument. */

/* An atom (or NIL, which is an atom too). */
bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r);
/* quoted / literal held in memory. */
bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r,
			 size_t *len_r);
/* astring: atom, NIL, quoted or literal (RFC 9051 section 9).  Atoms with
 * list wildcards or FETCH brackets are not astrings. */
bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r,
			  size_t *len_r);
/* nstring: a string, or NIL (str NULL). */
bool imap_arg_get_nstring(const struct imap_arg *arg, const char **str_r,
			  size_t *len_r);
bool imap_arg_get_list(const struct imap_arg *arg,
		       const struct imap_arg **list_r, size_t *count_r);
bool imap_arg_is_nil(const struct imap_arg *arg);
/* True when the argument is an atom equal to `word`, ignoring ASCII case. */
bool imap_arg_atom_equals(const struct imap_arg *arg, const char *word);

/* Character classes of RFC 9051 section 9. */
bool imap_is_atom_char(unsigned char c);
bool imap_is_astring_char(unsigned char c);
/* True when `s` is a non-empty run of ATOM-CHARs: a keyword, a search key
 * name, a tag-less atom. */
bool imap_is_atom(const char *s);

/* Parses number (32-bit, `max` UINT32_MAX) or number64 (`max` INT64_MAX):
 * digits only, no sign, no overflow.  Returns 0 or -1. */
int imap_parse_number(const char *s, uint64_t max, uint64_t *num_r);

#endif
