#ifndef SEALPOST_BASE_SUBJECT_H
#define SEALPOST_BASE_SUBJECT_H

/*
 * The "base subject" of RFC 5256 section 2.1: a Subject with the reply and
 * forward artifacts ("Re:", "Fwd:", "[list] Re:", "(fwd)", "[fwd: ...]")
 * removed, used by IMAP SORT SUBJECT and by both THREAD algorithms.  The
 * procedure is the RFC's, step by step, since servers and disconnected
 * clients must agree on it exactly.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Appends the base subject of a raw Subject field value (folded or not,
 * RFC 2047 words still encoded) to `out`, as UTF-8 without NUL bytes,
 * case kept as written (comparisons use i;ascii-casemap).  Returns true
 * when the subject is a reply or forward in the sense of RFC 5256 section
 * 3 (REFERENCES): the extraction removed a subj-refwd, a "(fwd)" trailer
 * or a "[fwd: ...]" wrapper.  Never fails; any text has a base subject,
 * possibly empty. */
bool base_subject_extract(const char *value, size_t len, struct buf *out);

#endif
