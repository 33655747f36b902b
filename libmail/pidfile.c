#include "pidfile.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static char pidfile_error[512];

static pid_t pidfile_read_fd(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	long pid;
	char *end;

	if (n <= 0)
		return 0;
	text[n] = '\0';
	pid = strtol(text, &end, 10);
	return pid > 0 && (*end == '\n' || *end == '\0') ? (pid_t)pid : 0;
}

int pidfile_lock(const char *path, pid_t *holder_r, const char **error_r)
{
	char text[32];
	int fd, len;

	*holder_r = 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(pidfile_error, sizeof(pidfile_error), "%s: %s", path,
			 strerror(errno));
		*error_r = pidfile_error;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		*holder_r = pidfile_read_fd(fd);
		snprintf(pidfile_error, sizeof(pidfile_error),
			 "%s is locked by a running master (pid %ld)", path,
			 (long)*holder_r);
		*error_r = pidfile_error;
		close(fd);
		return -1;
	}
	len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len) {
		snprintf(pidfile_error, sizeof(pidfile_error),
			 "%s: cannot write: %s", path, strerror(errno));
		*error_r = pidfile_error;
		close(fd);
		return -1;
	}
	return fd;
}

pid_t pidfile_holder(const char *path)
{
	pid_t pid = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	/* If we can take a shared lock nobody holds the exclusive one. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		pid = pidfile_read_fd(fd);
	close(fd);
	return pid;
}
