#ifndef SEALPOST_LOG_PARSE_H
#define SEALPOST_LOG_PARSE_H

/*
 * Reading back the lines log.c writes (the format is in the LOGGING section of sealpost(8)),
 * for `sealpost trace` and `sealpost stats`:
 *
 *   2026-11-28T17:15:11.042Z qmgr[812]: delivered to=a@b relay=lmtp ...
 *
 * as written to stderr, and the same after a syslog daemon's prefix
 * ("Nov 28 17:15:11 host qmgr[812]: ..." or an RFC 3339 time stamp).
 * Values come back unquoted and unescaped.  Lines that are not ours are
 * refused, never guessed at.
 */

#include <stddef.h>
#include <time.h>

#define LOG_PARSE_FIELDS_MAX 32
#define LOG_PARSE_LINE_MAX 16384

struct log_field {
	const char *key;
	const char *value;
};

struct log_line {
	time_t time;		/* 0 when the stamp could not be read */
	const char *stamp;	/* the time stamp as written */
	const char *program;
	long pid;
	const char *event;
	struct log_field fields[LOG_PARSE_FIELDS_MAX];
	size_t field_count;
	char *storage;		/* everything above points into it */
};

/* Parses `line` (no LF).  0 with *l filled (free with log_line_free), or
 * -1 when it is not a sealpost log line or is longer than
 * LOG_PARSE_LINE_MAX. */
int log_parse_line(const char *line, struct log_line *l);
void log_line_free(struct log_line *l);

/* The value of `key`, or NULL. */
const char *log_line_get(const struct log_line *l, const char *key);

#endif
