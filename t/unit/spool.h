#ifndef SEALPOST_T_UNIT_SPOOL_H
#define SEALPOST_T_UNIT_SPOOL_H

/* For the mailbox unit tests: writes `text` to a new file m0, m1, ... in
 * `dir` WITHOUT fsync, as lmtpd and imapd spool a message before its
 * commit makes it durable.  Returns the path in a static buffer, good
 * until the next call; aborts when the file cannot be written. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#endif
