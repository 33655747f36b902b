#ifndef SEALPOST_CLI_MAILFILE_H
#define SEALPOST_CLI_MAILFILE_H

/*
 * What `sealpost import` and `sealpost export` share: how the store's
 * flags are spelled in the two foreign formats, the date of an mbox
 * "From " line, the USER[:MAILBOX] operand, and the progress report.
 *
 *   mbox:    Status: R = \Seen (O, "old", is written and ignored);
 *            X-Status: A = \Answered, F = \Flagged, T = \Draft,
 *            D = \Deleted; X-Keywords: the keywords, space-separated;
 *            X-UID: the UID at export (informative only).
 *   Maildir: the letters after ":2,": D \Draft, F \Flagged,
 *            R \Answered, S \Seen, T \Deleted (in ASCII order).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;

#define CLI_MAILFILE_USER_MAX 64

/* Splits USER[:MAILBOX] (MAILBOX defaults to INBOX) into `user` and
 * *mailbox_r (a pointer into `arg`).  0, or -1 when USER is too long. */
int cli_mailfile_target(const char *arg, char user[CLI_MAILFILE_USER_MAX + 1],
			const char **mailbox_r);

/* Flags from Maildir's info letters (what follows ":2,"); unknown letters
 * (lowercase keyword letters of other servers) are ignored. */
uint32_t cli_mailfile_maildir_flags(const char *info);
/* Appends the Maildir info letters of `flags`, in ASCII order. */
void cli_mailfile_maildir_letters(uint32_t flags, struct buf *out);

/* Flags from the value of a Status: or X-Status: field. */
uint32_t cli_mailfile_status_flags(const char *value, size_t len,
				   bool x_status);
/* Appends "Status: ..." and "X-Status: ..." lines (LF endings). */
void cli_mailfile_status_write(uint32_t flags, struct buf *out);

/* The date of a "From " line (asctime form, taken as UTC, optionally
 * followed by a numeric zone); 0 and *date_r, or -1 when there is none. */
int cli_mailfile_from_date(const char *line, size_t len, int64_t *date_r);
/* Appends the asctime form of `date` (UTC), as a "From " line wants. */
void cli_mailfile_asctime(int64_t date, struct buf *out);

/* Writes all of `data` to `fd` (a file or a pipe), retrying after
 * signals.  0, or -1 with errno set. */
int cli_mailfile_write_all(int fd, const void *data, size_t size);

/*
 * Progress of a long import or export, on stderr.  On a terminal one line
 * redraws itself (a bar, a count, a rate); otherwise one plain line is
 * written at each step reported (each commit), so a log or a script can
 * follow it.  `total` may be 0 when unknown.
 */
struct cli_progress {
	const char *verb;
	size_t total;
	bool tty;
	bool skips;		/* the count of skipped messages means something */
	struct timespec start;
	struct timespec last_draw;
};

void cli_progress_init(struct cli_progress *p, const char *verb, size_t total,
		       bool skips);
/* `done` messages handled so far, of which `skipped` were there already. */
void cli_progress_step(struct cli_progress *p, size_t done, size_t skipped);
/* The last line: totals and the rate. */
void cli_progress_end(struct cli_progress *p, size_t done, size_t skipped);

#endif
