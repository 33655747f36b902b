#ifndef SEALPOST_IMAP_SEQSET_H
#define SEALPOST_IMAP_SEQSET_H

/*
 * Sequence sets (RFC 9051 section 9, sequence-set; "$" from RFC 5182):
 * "1:5,7,9:*".  Parsed into sorted, merged ranges of fixed numbers plus the
 * part that depends on "*", which is only known against a mailbox: "*" is
 * the largest number in use, and "n:*" covers n up to it whichever is
 * larger (RFC 9051 section 6.4.9).  Whether the numbers are UIDs or message
 * sequence numbers is the caller's business.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct imap_seq_range {
	uint32_t lo, hi;	/* lo <= hi, both >= 1 */
};

struct imap_seqset {
	struct imap_seq_range *ranges;	/* sorted, non-overlapping,
					 * non-adjacent */
	size_t count;
	/* "*" or "n:*" was given; the set then also holds
	 * [min(star_low, max), max].  star_low is above any number for a
	 * plain "*". */
	bool has_star;
	uint64_t star_low;
	/* "$": the saved search result (RFC 5182); nothing else is set. */
	bool saved;
};

/* Default for max_ranges: far more than any client sends, and few enough
 * that sorting them costs nothing. */
#define IMAP_SEQSET_DEFAULT_MAX_RANGES 10000

/* Parses `text`.  More than max_ranges comma-separated items is refused as
 * soon as it is seen, before anything more is allocated.  Returns 0 with a
 * new set, or -1 with a fixed *error_r (a BAD).  Never blocks. */
int imap_seqset_parse(const char *text, size_t max_ranges,
		      struct imap_seqset **set_r, const char **error_r);

/* Frees the set and sets *set to NULL; NULL is fine. */
void imap_seqset_free(struct imap_seqset **set);

/* Is `n` in the set, for a mailbox whose largest number is `max` (0 for an
 * empty mailbox)?  "$" sets contain nothing: resolve them first. */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n,
			  uint32_t max);

/* The largest fixed number in the set (0 if none): message sequence numbers
 * above the message count make the command BAD (RFC 9051 section 9,
 * seq-number). */
uint32_t imap_seqset_highest(const struct imap_seqset *set);

/* Walks the set as merged ranges within [1, max], ascending. */
struct imap_seqset_iter {
	const struct imap_seqset *set;
	uint32_t max;
	size_t i;
	bool star_done;
};

void imap_seqset_iter_init(struct imap_seqset_iter *it,
			   const struct imap_seqset *set, uint32_t max);
/* Returns false when there are no more ranges. */
bool imap_seqset_iter_next(struct imap_seqset_iter *it, uint32_t *lo_r,
			   uint32_t *hi_r);

/* Appends the set in canonical form: "1:3,7,9:*", "*", "$". */
void imap_seqset_format(const struct imap_seqset *set, struct buf *out);

#endif
