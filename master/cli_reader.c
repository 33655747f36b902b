/* The reader child of cli_reader.h.  Each file goes over the pipe as a
 * header (an errno, the length) and then its bytes. */
#include "cli_reader.h"
#include "buf.h"
#include "cli_mailfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct cli_reader {
	pid_t pid;
	int fd;
};

struct cli_reader_head {
	int32_t error;		/* 0, or the errno of opening or reading */
	uint32_t reserved;
	uint64_t size;
};

/* 1 all read, 0 end of file first, -1 error. */
static int cli_reader_read_all(int fd, void *data, size_t size)
{
	char *p = data;

	while (size > 0) {
		ssize_t n = read(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		p += n;
		size -= (size_t)n;
	}
	return 1;
}

/* Reads the whole file first, so the length sent is the length of what
 * follows even when the file changes meanwhile. */
static void cli_reader_send(int dir_fd, const char *path, int out,
			    struct buf *data)
{
	struct cli_reader_head head;
	struct stat st;
	char chunk[65536];
	int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);

	memset(&head, 0, sizeof(head));
	buf_clear(data);
	if (fd < 0 || fstat(fd, &st) < 0) {
		head.error = errno;
	} else if ((uint64_t)st.st_size > CLI_READER_MAX_FILE) {
		head.error = EFBIG;
	} else {
		for (;;) {
			ssize_t n = read(fd, chunk, sizeof(chunk));

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				head.error = errno;
			if (n <= 0)
				break;
			buf_append(data, chunk, (size_t)n);
			if (data->len > CLI_READER_MAX_FILE) {
				head.error = EFBIG;
				break;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	head.size = head.error == 0 ? data->len : 0;
	if (cli_mailfile_write_all(out, &head, sizeof(head)) < 0 ||
	    cli_mailfile_write_all(out, data->data, (size_t)head.size) < 0)
		_exit(1);	/* the command stopped reading */
}

int cli_reader_start(int dir_fd, char *const *paths, size_t count,
		     struct cli_reader **reader_r, const char **error_r)
{
	struct cli_reader *r;
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*error_r = strerror(errno);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		struct buf data = BUF_INIT;
		size_t i;

		close(fds[0]);
		signal(SIGPIPE, SIG_DFL);
		for (i = 0; i < count; i++)
			cli_reader_send(dir_fd, paths[i], fds[1], &data);
		_exit(0);
	}
	close(fds[1]);
	r = xcalloc(1, sizeof(*r));
	r->pid = pid;
	r->fd = fds[0];
	*reader_r = r;
	return 0;
}

int cli_reader_next(struct cli_reader *r, struct buf *out,
		    const char **error_r)
{
	struct cli_reader_head head;
	int ret;

	buf_clear(out);
	ret = cli_reader_read_all(r->fd, &head, sizeof(head));
	if (ret <= 0) {
		*error_r = ret == 0 ? "the reader ended early" : strerror(errno);
		return -1;
	}
	if (head.error == ENOENT)
		return 0;
	if (head.error != 0) {
		*error_r = strerror(head.error);
		return -1;
	}
	if (head.size > CLI_READER_MAX_FILE) {
		*error_r = "the reader sent a bad length";
		return -1;
	}
	buf_reserve(out, (size_t)head.size);
	while (out->len < head.size) {
		char chunk[65536];
		size_t n = (size_t)head.size - out->len;

		if (n > sizeof(chunk))
			n = sizeof(chunk);
		ret = cli_reader_read_all(r->fd, chunk, n);
		if (ret <= 0) {
			*error_r = ret == 0 ? "the reader ended early" :
				strerror(errno);
			return -1;
		}
		buf_append(out, chunk, n);
	}
	return 1;
}

void cli_reader_stop(struct cli_reader **rp)
{
	struct cli_reader *r = *rp;

	if (r == NULL)
		return;
	*rp = NULL;
	/* A reader still writing gets EPIPE and ends. */
	close(r->fd);
	while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(r);
}
