#ifndef SEALPOST_T_UNIT_MBOX_FIXTURE_H
#define SEALPOST_T_UNIT_MBOX_FIXTURE_H

/* Fixtures of the mailbox unit tests.
 *
 * spool_file(): writes `text` to a new file m0, m1, ... in
 * `dir` WITHOUT fsync, as lmtpd and imapd spool a message before its
 * commit makes it durable.  Returns the path in a static buffer, good
 * until the next call; aborts when the file cannot be written. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mbox.h"
#include "tap.h"

static inline char *spool_file(const char *dir, const char *text)
{
	static char path[300];
	static int seq;
	int fd;

	snprintf(path, sizeof(path), "%s/m%d", dir, seq++);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

/* Creates the mailbox `name` under `root` (its path into dir[size]) and
 * opens it; aborts on failure. */
static inline struct mbox *fixture_mailbox(const char *root,
					   const char *name, char *dir,
					   size_t size)
{
	struct mbox *mb = NULL;
	const char *err;

	snprintf(dir, size, "%s/%s", root, name);
	if (mbox_create(dir, 1, &err) < 0 || mbox_open(dir, &mb, &err) < 0) {
		tap_diag(err);
		abort();
	}
	return mb;
}

#endif
