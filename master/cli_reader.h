#ifndef SEALPOST_CLI_READER_H
#define SEALPOST_CLI_READER_H

/*
 * Reading files the store's user may not read.  A command that works on
 * the store drops root's rights for good before it opens the store (its
 * files must be mail_user's); a postmaster's files, though, may be readable
 * by root alone (a user's Maildir, mode 0700).  So before dropping, the
 * command starts a reader: a child that keeps the rights the command
 * started with, opens the files it was given, in order, and sends their
 * bytes over a pipe.  It parses nothing and writes nothing else, so what
 * keeps root's rights is as small as it can be.
 */

#include <stddef.h>

struct buf;
struct cli_reader;

/* Files larger than this are refused: bigger than any message. */
#define CLI_READER_MAX_FILE ((size_t)1 << 30)

/* Forks the reader for `count` paths relative to `dir_fd`.  0 or -1 with a
 * reason. */
int cli_reader_start(int dir_fd, char *const *paths, size_t count,
		     struct cli_reader **reader_r, const char **error_r);

/* The next file's bytes into `out` (which is cleared first): 1 read, 0 the
 * file was gone (moved or removed by its owner meanwhile), -1 with a
 * reason.  May block. */
int cli_reader_next(struct cli_reader *r, struct buf *out,
		    const char **error_r);

/* Ends the reader (done or not) and waits for it. */
void cli_reader_stop(struct cli_reader **r);

#endif
