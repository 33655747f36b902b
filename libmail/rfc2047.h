#ifndef SEALPOST_RFC2047_H
#define SEALPOST_RFC2047_H

/*
 * RFC 2047 encoded words ("=?charset?B|Q?text?=") in header values,
 * decoded to UTF-8 for SEARCH, SORT and anything shown to a person.
 * IMAP ENVELOPE and BODYSTRUCTURE carry the words undecoded (RFC 3501
 * section 7.4.2: the client decodes), so this is not used for them.
 *
 * Common practice beyond the letter of the RFC, all of it what MUAs do:
 * words are recognised even when not separated from surrounding text by
 * white space; white space between two adjacent words is dropped (section
 * 6.2); adjacent words in the same charset are joined before conversion,
 * so a multi-byte character split across two words comes out whole; the
 * RFC 2231 language suffix ("utf-8*en") is ignored; 8-bit text outside
 * words is taken as UTF-8.  Unknown charsets give their bytes sanitised
 * (see charset.h).
 */

#include <stddef.h>

struct buf;

/* Appends the decoded, UTF-8 form of an unfolded header value. */
void rfc2047_decode(const char *value, size_t len, struct buf *out);

#endif
