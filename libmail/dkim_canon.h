#ifndef SEALPOST_DKIM_CANON_H
#define SEALPOST_DKIM_CANON_H

/*
 * DKIM canonicalisation (RFC 6376 3.4): the "simple" and "relaxed" forms of
 * header fields and of the body, and the splitting of a message into its
 * header fields and its body as the octets arrive.
 *
 * The body is canonicalised incrementally into a SHA-256 context: only a
 * run of empty lines (which may turn out to be the end of the body) and a
 * few octets of output are held, so hashing a big message costs no memory
 * beyond a small fixed buffer.  The header section is held (up to a
 * bound), since signing and verifying pick fields out of it by name.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

enum dkim_canon {
	DKIM_CANON_SIMPLE,
	DKIM_CANON_RELAXED,
};

/* Appends the canonical form of one header field to `out`.  `field` is
 * the field as it appears in the message ("Name: value", folding CRLFs
 * included), without its final CRLF; none is appended. */
void dkim_canon_header(enum dkim_canon canon, const char *field, size_t len,
		       struct buf *out);

/* ---- the body ---- */

#define DKIM_BODY_NO_LIMIT UINT64_MAX
#define DKIM_BODY_OUT_SIZE 4096

struct dkim_body {
	enum dkim_canon canon;
	uint64_t limit;		/* octets to hash at most (l=) */
	uint64_t hashed;	/* canonical octets hashed so far */
	uint64_t total;		/* canonical octets of the whole body */
	void *md;		/* EVP_MD_CTX */
	uint64_t empty_lines;	/* empty lines not yet emitted */
	bool in_line;		/* the current line has content */
	bool wsp;		/* relaxed: whitespace not yet emitted */
	bool cr;		/* the last octet was a CR */
	bool any;		/* something was emitted */
	size_t out_len;
	unsigned char out[DKIM_BODY_OUT_SIZE];
};

void dkim_body_init(struct dkim_body *b, enum dkim_canon canon,
		    uint64_t limit);
void dkim_body_write(struct dkim_body *b, const void *data, size_t len);
/* Ends the body and writes its SHA-256 into `hash` (32 octets). */
void dkim_body_finish(struct dkim_body *b, unsigned char hash[32]);
void dkim_body_deinit(struct dkim_body *b);

/* ---- the message's header fields ---- */

struct dkim_field {
	size_t off, len;	/* in the header buffer, final CRLF excluded */
	size_t name_len;
};

struct dkim_header {
	size_t max_size;	/* octets of header section held at most */
	size_t max_fields;
	struct buf *held;
	struct dkim_field *fields;
	size_t count;
	bool done;		/* the empty line (or the end) was seen */
	bool too_big;		/* more than max_size or max_fields */
	size_t scan;		/* where to look for the end next */
};

void dkim_header_init(struct dkim_header *h, size_t max_size,
		      size_t max_fields);
/* Takes message octets until the end of the header section: returns how
 * many of `len` belong to the header (the empty line included); the rest
 * is body. */
size_t dkim_header_write(struct dkim_header *h, const char *data, size_t len);
/* The message ended: whatever is held is the header. */
void dkim_header_finish(struct dkim_header *h);
const char *dkim_header_data(const struct dkim_header *h,
			     const struct dkim_field *f);
/* Whether field `f` has the name `name` (any case). */
bool dkim_field_is(const struct dkim_header *h, const struct dkim_field *f,
		   const char *name, size_t name_len);
void dkim_header_deinit(struct dkim_header *h);

#endif
