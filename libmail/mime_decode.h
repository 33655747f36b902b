#ifndef SEALPOST_MIME_DECODE_H
#define SEALPOST_MIME_DECODE_H

/*
 * Content-Transfer-Encoding decoders (RFC 2045 section 6) for BINARY[]
 * fetches (RFC 3516), body SEARCH and RFC 2047 "B" words.  They stream: a
 * body can be fed in pieces split at any byte and the output is the same as
 * for one piece.  Like every widely used decoder they are lenient, because
 * refusing a mis-encoded attachment helps no one: base64 skips bytes
 * outside its alphabet and accepts missing padding; quoted-printable passes
 * malformed '=' sequences through unchanged.  `invalid` records that
 * something was skipped, for callers that want to know.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* The transfer encodings of RFC 2045 section 6.1. */
enum mime_encoding {
	MIME_ENCODING_7BIT = 0,
	MIME_ENCODING_8BIT,
	MIME_ENCODING_BINARY,
	MIME_ENCODING_BASE64,
	MIME_ENCODING_QUOTED_PRINTABLE,
	/* An x-token or garbage: BINARY[] must answer UNKNOWN-CTE
	 * (RFC 3516 section 4.3). */
	MIME_ENCODING_UNKNOWN,
};

/* Maps a Content-Transfer-Encoding token (any case) to its value; an empty
 * token is the 7bit default (RFC 2045 section 6.1). */
enum mime_encoding mime_encoding_parse(const char *token, size_t len);

/* True for the identity encodings, which need no decoding. */
static inline bool mime_encoding_is_identity(enum mime_encoding enc)
{
	return enc == MIME_ENCODING_7BIT || enc == MIME_ENCODING_8BIT ||
	       enc == MIME_ENCODING_BINARY;
}

struct mime_decoder {
	enum mime_encoding encoding;
	bool invalid;		/* bytes were skipped or passed through */
	/* base64: bits collected and how many sextets they hold. */
	unsigned int b64_bits;
	unsigned int b64_count;
	/* quoted-printable: bytes held back until the next byte tells what
	 * they are (a soft line break, trailing white space, an escape). */
	int qp_state;
	unsigned int qp_pending_len;
	char qp_pending[80];
};

/* Prepares a decoder.  MIME_ENCODING_UNKNOWN decodes as identity; callers
 * that must refuse it (BINARY) check before. */
void mime_decoder_init(struct mime_decoder *dec, enum mime_encoding encoding);

/* Decodes `len` bytes and appends the result to `out`. */
void mime_decoder_feed(struct mime_decoder *dec, const void *data, size_t len,
		       struct buf *out);

/* Flushes what was held back at the end of the input. */
void mime_decoder_finish(struct mime_decoder *dec, struct buf *out);

/* Whole-buffer helpers.  Return false when the input was not cleanly
 * encoded (the output is still the lenient decoding). */
bool mime_decode_base64(const void *data, size_t len, struct buf *out);
bool mime_decode_qp(const void *data, size_t len, struct buf *out);

#endif
