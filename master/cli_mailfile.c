/* The spelling of flags and dates in mbox and Maildir, and the progress
 * report of import and export (cli_mailfile.h). */
#include "cli_mailfile.h"
#include "buf.h"
#include "mbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_mailfile_target(const char *arg, char user[CLI_MAILFILE_USER_MAX + 1],
			const char **mailbox_r)
{
	const char *colon = strchr(arg, ':');
	size_t len = colon != NULL ? (size_t)(colon - arg) : strlen(arg);

	if (len == 0 || len > CLI_MAILFILE_USER_MAX)
		return -1;
	memcpy(user, arg, len);
	user[len] = '\0';
	*mailbox_r = colon != NULL && colon[1] != '\0' ? colon + 1 : "INBOX";
	return 0;
}

/* Maildir's letters, in the ASCII order its writers must use. */
static const struct {
	char letter;
	uint32_t flag;
} cli_maildir_letters[] = {
	{ 'D', MBOX_DRAFT },
	{ 'F', MBOX_FLAGGED },
	{ 'R', MBOX_ANSWERED },
	{ 'S', MBOX_SEEN },
	{ 'T', MBOX_DELETED },
};

#define CLI_N_LETTERS (sizeof(cli_maildir_letters) / sizeof(cli_maildir_letters[0]))

uint32_t cli_mailfile_maildir_flags(const char *info)
{
	uint32_t flags = 0;
	size_t i;

	for (; *info != '\0'; info++) {
		for (i = 0; i < CLI_N_LETTERS; i++) {
			if (*info == cli_maildir_letters[i].letter)
				flags |= cli_maildir_letters[i].flag;
		}
	}
	return flags;
}

void cli_mailfile_maildir_letters(uint32_t flags, struct buf *out)
{
	size_t i;

	for (i = 0; i < CLI_N_LETTERS; i++) {
		if (flags & cli_maildir_letters[i].flag)
			buf_append_char(out, cli_maildir_letters[i].letter);
	}
}

/* X-Status letters (Status: carries only R and O). */
static const struct {
	char letter;
	uint32_t flag;
} cli_xstatus_letters[] = {
	{ 'A', MBOX_ANSWERED },
	{ 'F', MBOX_FLAGGED },
	{ 'T', MBOX_DRAFT },
	{ 'D', MBOX_DELETED },
};

uint32_t cli_mailfile_status_flags(const char *value, size_t len,
				   bool x_status)
{
	uint32_t flags = 0;
	size_t i, k;

	for (i = 0; i < len; i++) {
		if (!x_status) {
			if (value[i] == 'R')
				flags |= MBOX_SEEN;
			continue;
		}
		for (k = 0; k < sizeof(cli_xstatus_letters) /
		     sizeof(cli_xstatus_letters[0]); k++) {
			if (value[i] == cli_xstatus_letters[k].letter)
				flags |= cli_xstatus_letters[k].flag;
		}
	}
	return flags;
}

void cli_mailfile_status_write(uint32_t flags, struct buf *out)
{
	size_t k, start;

	buf_append_str(out, (flags & MBOX_SEEN) ? "Status: RO\n" : "Status: O\n");
	buf_append_str(out, "X-Status: ");
	start = out->len;
	for (k = 0; k < sizeof(cli_xstatus_letters) /
	     sizeof(cli_xstatus_letters[0]); k++) {
		if (flags & cli_xstatus_letters[k].flag)
			buf_append_char(out, cli_xstatus_letters[k].letter);
	}
	if (out->len == start)
		buf_truncate(out, start - strlen("X-Status: "));
	else
		buf_append_char(out, '\n');
}

int cli_mailfile_from_date(const char *line, size_t len, int64_t *date_r)
{
	static const char *const days[] = {
		"Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun ",
	};
	char text[128];
	size_t i, d;

	/* The sender comes first and may hold anything; the date is the
	 * first weekday name that starts a valid asctime date. */
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, line, len);
	text[len] = '\0';
	for (i = 5; i + 24 <= len; i++) {
		for (d = 0; d < 7; d++) {
			struct tm tm;
			const char *end;

			if (strncmp(text + i, days[d], 4) != 0)
				continue;
			memset(&tm, 0, sizeof(tm));
			end = strptime(text + i, "%a %b %d %H:%M:%S %Y", &tm);
			if (end == NULL)
				continue;
			*date_r = (int64_t)timegm(&tm);
			return 0;
		}
	}
	return -1;
}

void cli_mailfile_asctime(int64_t date, struct buf *out)
{
	char text[64];
	time_t t = (time_t)date;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y", &tm);
	buf_append_str(out, text);
}

int cli_mailfile_write_all(int fd, const void *data, size_t size)
{
	const char *p = data;

	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return -1;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

static double cli_elapsed(const struct timespec *from,
			  const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
		(double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

void cli_progress_init(struct cli_progress *p, const char *verb, size_t total,
		       bool skips)
{
	memset(p, 0, sizeof(*p));
	p->verb = verb;
	p->total = total;
	p->skips = skips;
	p->tty = isatty(STDERR_FILENO) == 1;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
}

static double cli_progress_rate(const struct cli_progress *p, size_t done,
				const struct timespec *now)
{
	double secs = cli_elapsed(&p->start, now);

	return secs > 0 ? (double)done / secs : 0;
}

void cli_progress_step(struct cli_progress *p, size_t done, size_t skipped)
{
	struct timespec now;
	char bar[31];
	size_t filled, i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!p->tty) {
		if (p->skips)
			fprintf(stderr, "%s: %zu/%zu messages, %zu already "
				"there\n", p->verb, done, p->total, skipped);
		else
			fprintf(stderr, "%s: %zu/%zu messages\n", p->verb,
				done, p->total);
		return;
	}
	/* A terminal is redrawn at most ten times a second: drawing is
	 * slower than committing a batch. */
	if (done != p->total && p->last_draw.tv_sec != 0 &&
	    cli_elapsed(&p->last_draw, &now) < 0.1)
		return;
	p->last_draw = now;
	filled = p->total > 0 ? done * (sizeof(bar) - 1) / p->total : 0;
	for (i = 0; i < sizeof(bar) - 1; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[sizeof(bar) - 1] = '\0';
	fprintf(stderr, "\r%s [%s] %zu/%zu %.0f/s ", p->verb, bar, done,
		p->total, cli_progress_rate(p, done, &now));
}

void cli_progress_end(struct cli_progress *p, size_t done, size_t skipped)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->tty)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "%s: done, %zu messages", p->verb, done);
	if (p->skips)
		fprintf(stderr, " (%zu already there)", skipped);
	fprintf(stderr, " in %.2fs, %.0f messages/s\n",
		cli_elapsed(&p->start, &now), cli_progress_rate(p, done, &now));
}
