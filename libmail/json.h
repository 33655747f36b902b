#ifndef SEALPOST_JSON_H
#define SEALPOST_JSON_H

/*
 * Writing JSON (RFC 8259) for the postmaster's tools: the queue listing,
 * trace and stats.  Only what a writer needs: strings escaped so that any
 * byte a message or a peer put into a value (quotes, control bytes) comes
 * out as valid JSON.  Bytes of 0x80 and above pass through unchanged, so
 * UTF-8 stays UTF-8; a value that is not UTF-8 stays what it was.
 */

struct buf;

/* Appends `s` as a quoted JSON string. */
void json_append_string(struct buf *out, const char *s);

/* Appends `"key":` followed by `s` as a JSON string (NULL: null), with a
 * comma first unless `first`. */
void json_append_member(struct buf *out, const char *key, const char *s,
			int first);

#endif
