#ifndef SEALPOST_IMAP_UTF7_H
#define SEALPOST_IMAP_UTF7_H

/*
 * Mailbox names in modified UTF-7 (RFC 3501 section 5.1.3), for clients
 * that have not enabled UTF8=ACCEPT (RFC 6855 section 3): the store keeps
 * names in UTF-8, and imapd converts at the protocol edge.
 */

#include "buf.h"

/* Decodes `in` and appends UTF-8 to `out`.  Only the canonical encoding is
 * taken (no base64 for characters that stand for themselves, no split or
 * padded runs, paired surrogates), so each name has exactly one spelling
 * and two spellings can't reach one mailbox.  Returns 0, or -1 with a fixed
 * *error_r; `out` then holds a partial result to be discarded. */
int imap_utf7_to_utf8(const char *in, struct buf *out, const char **error_r);

/* Encodes UTF-8 `in` and appends modified UTF-7 to `out`.  Returns 0, or -1
 * if `in` is not valid UTF-8. */
int imap_utf8_to_utf7(const char *in, struct buf *out, const char **error_r);

#endif
