#ifndef SEALPOST_IMAP_THREAD_H
#define SEALPOST_IMAP_THREAD_H

/*
 * The THREAD algorithms of RFC 5256 section 3, ORDEREDSUBJECT and
 * REFERENCES, over keys read beforehand (imap_msgkeys.h), and the THREAD
 * response's thread lists.  Every walk of the tree is a loop, not a
 * recursion: a References header can make chains as long as the header
 * limit allows, and a stack must not be what bounds them.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct imap_msgkeys;

enum imap_thread_alg {
	IMAP_THREAD_ORDEREDSUBJECT,
	IMAP_THREAD_REFERENCES,
};

/* The algorithm an atom names (ignoring case); -1 when unknown. */
int imap_thread_alg_parse(const char *name);

/* Threads `msgs` (in sequence order) and appends the thread lists
 * ("(1 2)(3 (4)(5))", nothing for no messages), numbering messages by UID
 * when `uid`, else by sequence number.  REFERENCES links a message by only
 * the last `max_refs` IDs of its References: each link costs a walk up
 * the tree, so a sender who writes thousands of IDs into the headers of
 * many messages could otherwise make one THREAD command run for hours.
 * The last IDs are the ones that place a message (its parent is the last
 * one); RFC 5256 already allows for References that were cut short. */
void imap_thread_run(enum imap_thread_alg alg,
		     const struct imap_msgkeys *const *msgs, size_t count,
		     size_t max_refs, bool uid, struct buf *out);

#endif
