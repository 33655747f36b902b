#ifndef SEALPOST_IMAP_PARSER_H
#define SEALPOST_IMAP_PARSER_H

/*
 * The IMAP command reader: turns the bytes a client sends into tagged
 * commands with an argument tree (imap_arg.h).  It does no I/O: the
 * connection layer hands it whatever it has read, in pieces of any size
 * (one byte at a time works), and acts on the events it returns.
 *
 *     size_t used;
 *     for (;;) {
 *         ev = imap_parser_run(p, data, len, &used);
 *         data += used; len -= used;
 *         switch (ev) {
 *         case IMAP_PARSER_MORE: read more, then loop
 *         case IMAP_PARSER_CONTINUE: send "+ Ready\r\n"
 *         case IMAP_PARSER_LITERAL: an APPEND literal is announced:
 *             check imap_parser_literal() and imap_parser_command(), then
 *             imap_parser_literal_stream/_buffer/_refuse()
 *         case IMAP_PARSER_LITERAL_DATA: store imap_parser_chunk()
 *         case IMAP_PARSER_LITERAL_END: the streamed literal is complete
 *         case IMAP_PARSER_COMMAND: run imap_parser_command()
 *         case IMAP_PARSER_ERROR: answer from imap_parser_error()
 *         }
 *     }
 *
 * Literals ({n}, {n+} of RFC 7888, ~{n} of RFC 3516) outside APPEND become
 * ordinary string arguments, bounded by max_literal_size.  In APPEND (and
 * REPLACE, RFC 8508) each literal is first announced so the caller can stream
 * a large message to disk instead of the parser holding it in memory.
 * literal8 is only taken in APPEND and REPLACE, where RFC 3516 puts it.
 *
 * After an error the parser resynchronises by itself: it discards the rest
 * of the command line and every non-synchronising literal the client is
 * committed to send (RFC 7888 section 4), without buffering them, and then
 * reads the next command.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapd/imap_arg.h"

/* RFC 7888 section 5: under LITERAL- a non-synchronising literal may not
 * exceed this. */
#define IMAP_LITERAL_MINUS_MAX 4096

struct imap_parser_limits {
	/* Bytes of one command, literal data excluded: the tag, name,
	 * atoms, quoted strings and literal headers of all its lines.  This
	 * also bounds every token held while parsing. */
	size_t max_line_length;
	/* One literal held in memory (any command but APPEND, and APPEND
	 * literals the caller chooses to buffer). */
	uint64_t max_literal_size;
	/* All in-memory literals of one command together, so many small
	 * literals can't add up to a large allocation. */
	uint64_t max_literal_total;
	/* One APPEND literal (the message): the APPENDLIMIT of RFC 7889.
	 * Larger ones get NO [TOOBIG]. */
	uint64_t max_append_size;
	/* An over-limit non-synchronising literal larger than this is not
	 * worth reading just to throw away: the error asks the daemon to
	 * disconnect (RFC 7888 section 4, choice 2). */
	uint64_t max_discard_size;
	/* Nesting of parenthesised lists; also bounds the tree's depth. */
	unsigned int max_depth;
	/* Arguments of one command, counted at every level. */
	unsigned int max_args;
	/* true: LITERAL- (IMAP4rev2's default, RFC 9051 section 2.2.2);
	 * false: LITERAL+ (non-synchronising literals of any size). */
	bool literal_minus;
};

/* Conservative defaults: 64 KiB lines, 64 KiB literals (1 MiB in all), 50 MiB
 * messages, 16 levels, 10000 arguments, LITERAL-. */
extern const struct imap_parser_limits imap_parser_default_limits;

enum imap_parser_event {
	IMAP_PARSER_MORE,		/* all input used; feed more */
	IMAP_PARSER_COMMAND,		/* a command is complete */
	IMAP_PARSER_CONTINUE,		/* send a "+" continuation now */
	IMAP_PARSER_LITERAL,		/* an APPEND literal: decide */
	IMAP_PARSER_LITERAL_DATA,	/* a chunk of a streamed literal */
	IMAP_PARSER_LITERAL_END,	/* the streamed literal is complete */
	IMAP_PARSER_ERROR,		/* the command is refused */
};

enum imap_parse_error_kind {
	IMAP_PARSE_ERROR_SYNTAX,
	IMAP_PARSE_ERROR_LINE_TOO_LONG,
	IMAP_PARSE_ERROR_TOO_DEEP,
	IMAP_PARSE_ERROR_TOO_MANY_ARGS,
	IMAP_PARSE_ERROR_LITERAL_TOO_BIG,	/* over max_literal_size/total */
	IMAP_PARSE_ERROR_NONSYNC_TOO_BIG,	/* {n+} over 4096 under LITERAL- */
	IMAP_PARSE_ERROR_APPEND_TOO_BIG,	/* over max_append_size */
};

struct imap_parse_error {
	enum imap_parse_error_kind kind;
	/* The command's tag, or NULL when the error came before the tag was
	 * complete: answer with "*". */
	const char *tag;
	/* What to answer with before the text: "BAD", "BAD [TOOBIG]" (RFC
	 * 7888 section 5, APPEND) or "NO [TOOBIG]" (RFC 7889 section 4). */
	const char *reply;
	/* A fixed description, safe to send; never contains client data. */
	const char *text;
	/* Reading on would mean discarding more than max_discard_size bytes:
	 * send BYE and close. */
	bool disconnect;
};

/* The literal announced by IMAP_PARSER_LITERAL. */
struct imap_parser_literal {
	uint64_t size;
	bool nonsync;		/* {n+}: the data follows without a "+" */
	bool literal8;		/* ~{n}: may hold NUL bytes */
};

struct imap_parser;

/* Creates a reader.  `limits` is copied; NULL means the defaults.  A
 * max_depth above 1000 is lowered to 1000 (the tree is freed recursively). */
struct imap_parser *imap_parser_new(const struct imap_parser_limits *limits);
void imap_parser_free(struct imap_parser **p);

/* Consumes bytes from `data` until an event happens or the input runs out;
 * *consumed_r says how many were used (possibly 0, for events that were
 * pending).  Never blocks, never keeps a pointer to `data` except the chunk
 * of an IMAP_PARSER_LITERAL_DATA event, which points into it.  A command
 * returned by IMAP_PARSER_COMMAND stays valid until the next call, unless
 * taken with imap_parser_take_command(). */
enum imap_parser_event imap_parser_run(struct imap_parser *p, const void *data,
				       size_t size, size_t *consumed_r);

/* The complete command after IMAP_PARSER_COMMAND, or the command so far
 * (tag, name and the arguments before the literal) after
 * IMAP_PARSER_LITERAL.  NULL otherwise. */
const struct imap_command *imap_parser_command(struct imap_parser *p);

/* Hands the command of the last IMAP_PARSER_COMMAND to the caller, who frees
 * it with imap_command_free().  NULL if there is none. */
struct imap_command *imap_parser_take_command(struct imap_parser *p);

/* After IMAP_PARSER_ERROR; valid until the next imap_parser_run(). */
const struct imap_parse_error *imap_parser_error(const struct imap_parser *p);

/* After IMAP_PARSER_LITERAL. */
const struct imap_parser_literal *
imap_parser_literal(const struct imap_parser *p);

/* After IMAP_PARSER_LITERAL the caller must pick one of these three before
 * running the parser again (running it without a choice is a panic).
 *
 * _stream: the data comes back as IMAP_PARSER_LITERAL_DATA chunks, then
 *   IMAP_PARSER_LITERAL_END (preceded by IMAP_PARSER_CONTINUE when the
 *   literal is synchronising); the argument tree gets an
 *   IMAP_ARG_LITERAL_STREAMED with the size only.
 * _buffer: the literal becomes an ordinary string argument.  Returns -1 when
 *   it is over max_literal_size or max_literal_total; then pick another.
 * _refuse: the caller answers the command itself (for example NO
 *   [TRYCREATE] or NO [OVERQUOTA]); the parser discards the literal and the
 *   rest of the command as it does after an error.  Returns true when that
 *   means discarding a non-synchronising literal over max_discard_size:
 *   the daemon had better send BYE and close (RFC 7888 section 4).
 *
 * A streamed literal that is not literal8 should hold no NUL (RFC 9051
 * section 9, CHAR8); the parser doesn't look inside it, the caller does. */
void imap_parser_literal_stream(struct imap_parser *p);
int imap_parser_literal_buffer(struct imap_parser *p);
bool imap_parser_literal_refuse(struct imap_parser *p);

/* The chunk of an IMAP_PARSER_LITERAL_DATA event: a pointer into the input
 * given to imap_parser_run(). */
void imap_parser_chunk(const struct imap_parser *p, const void **data_r,
		       size_t *size_r);

#endif
