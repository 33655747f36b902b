#ifndef SEALPOST_IMAP_SORT_H
#define SEALPOST_IMAP_SORT_H

/*
 * SORT criteria (RFC 5256 section 3, DISPLAYFROM and DISPLAYTO from RFC
 * 5957) and sorting messages by them.  The keys are read beforehand
 * (imap_msgkeys.h); sorting compares only what was read.
 */

#include <stdbool.h>
#include <stddef.h>

#include "imapd/imap_arg.h"

struct imap_msgkeys;

enum imap_sort_key {
	IMAP_SORT_ARRIVAL,
	IMAP_SORT_CC,
	IMAP_SORT_DATE,
	IMAP_SORT_FROM,
	IMAP_SORT_SIZE,
	IMAP_SORT_SUBJECT,
	IMAP_SORT_TO,
	IMAP_SORT_DISPLAYFROM,
	IMAP_SORT_DISPLAYTO,
};

/* More criteria than there are keys, each possibly REVERSE, would only
 * repeat one; the list is bounded by that. */
#define IMAP_SORT_MAX_CRITERIA 18

struct imap_sort_program {
	struct {
		enum imap_sort_key key;
		bool reverse;
	} criteria[IMAP_SORT_MAX_CRITERIA];
	size_t count;
};

/* Parses the parenthesised sort-criteria list (its members).  Returns 0,
 * or -1 with a fixed *error_r for a BAD answer. */
int imap_sort_parse(const struct imap_arg *list, struct imap_sort_program *prog,
		    const char **error_r);

/* True when the program needs the message header (not just the index). */
bool imap_sort_needs_header(const struct imap_sort_program *prog);

/* Sorts `msgs` (pointers, so the keys do not move) by the program, ties
 * broken by sequence number. */
void imap_sort_run(const struct imap_sort_program *prog,
		   const struct imap_msgkeys **msgs, size_t count);

#endif
