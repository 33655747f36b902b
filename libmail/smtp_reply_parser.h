#ifndef SEALPOST_SMTP_REPLY_PARSER_H
#define SEALPOST_SMTP_REPLY_PARSER_H

/*
 * The client side's reply reader (relay and LMTP client): an incremental
 * parser for one multi-line reply at a time (RFC 5321 4.2).  Input may
 * arrive split at any octet.  It stops at the end of each reply and says how
 * much it used, so the caller sees what the server sent after it: a server
 * that answers STARTTLS with more than one reply in the same packet is
 * attempting response injection, and the caller must notice the leftover
 * octets and give up (see research notes on STARTTLS injection).
 *
 * Strict: lines end with CRLF (a bare LF or CR is an error); the code is
 * three digits, 2-5 then 0-5 then 0-9; continuation lines ("250-") must
 * all carry the final line's code; NULs are refused; line length and line
 * count are bounded.  The enhanced code (RFC 3463) is taken from the first
 * line when its class agrees with the reply code, and removed from every
 * line that repeats it.
 */

#include <stdbool.h>
#include <stddef.h>

struct smtp_reply;

struct smtp_reply_limits {
	/* One line, CRLF included.  RFC 5321 4.5.3.1.5 says 512, but real
	 * servers send longer EHLO and error lines, hence 2048 by default. */
	size_t line;
	/* Lines in one reply: an EHLO reply has about 15. */
	size_t lines;
};

/* 2048 octets per line, 100 lines. */
extern const struct smtp_reply_limits smtp_reply_limits_default;

struct smtp_reply_parser;

/* `limits` is copied. */
struct smtp_reply_parser *
smtp_reply_parser_new(const struct smtp_reply_limits *limits);
void smtp_reply_parser_free(struct smtp_reply_parser **parser);

/*
 * Feeds `len` octets.  Returns:
 *   1  a reply is complete: *reply_r points to it (owned by the parser,
 *      valid until the next call) and *used_r says how many octets of
 *      `data` it took; the rest belongs to the next reply;
 *   0  every octet was used and the reply is not complete yet;
 *  -1  protocol error, with a static *error_r; the parser stays failed and
 *      the connection should be dropped.
 */
int smtp_reply_parser_feed(struct smtp_reply_parser *parser,
			   const void *data, size_t len, size_t *used_r,
			   const struct smtp_reply **reply_r,
			   const char **error_r);

struct buf;
struct stream;

/*
 * The client side's read loop over a stream, shared by the LMTP and SMTP
 * clients: takes the next CRLF line (at most `max_line` octets) from `s`
 * and feeds it to `parser`, using `scratch` for the line with its CRLF.
 * Returns 1 with a whole reply in *reply_r, 0 when more input is needed,
 * or -1: then *error_r says what was wrong with the reply (a bare LF, a
 * protocol error), or is NULL when the stream itself failed, with its
 * result (STREAM_TOO_LONG, STREAM_EOF, STREAM_ERROR) in *stream_r so the
 * caller can word the reason in its own terms.
 */
int smtp_reply_parser_read(struct smtp_reply_parser *parser, struct stream *s,
			   size_t max_line, struct buf *scratch,
			   const struct smtp_reply **reply_r, int *stream_r,
			   const char **error_r);

/*
 * The input handler of a client conversation, on smtp_reply_parser_read():
 * while `wanted(ctx)` says a reply is expected, reads the next one and
 * hands it to `handle(ctx, reply)`.  Returns 0 when no more input is there
 * or no reply is wanted, or -1 when the connection must be dropped: then
 * *error_r is what was wrong with the reply ("reply line too long" for an
 * over-long line), or NULL when the stream failed, which the caller words
 * in its own terms (it knows whether it timed out).
 */
int smtp_reply_parser_read_all(struct smtp_reply_parser *parser,
			       struct stream *s, size_t max_line,
			       bool (*wanted)(void *ctx),
			       void (*handle)(void *ctx,
					      const struct smtp_reply *reply),
			       void *ctx, const char **error_r);

#endif
