/* The fd transport at the bottom of every stream. */
#include "stream_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct stream_fd_transport {
	struct stream_transport t;
	int fd;
	bool not_socket;
	char error[160];
};

static const char *stream_fd_error(struct stream_fd_transport *ft,
				   const char *op, int err)
{
	if (str_format(ft->error, sizeof(ft->error), "%s: %s", op,
		       strerror(err)) < 0)
		return op;
	return ft->error;
}

static ssize_t stream_fd_read(struct stream_transport *t, void *data,
			      size_t size, const char **error_r)
{
	struct stream_fd_transport *ft = (struct stream_fd_transport *)t;
	ssize_t n;

	do {
		n = read(ft->fd, data, size);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return STREAM_IO_WANT_READ;
	*error_r = stream_fd_error(ft, "read", errno);
	return STREAM_IO_ERROR;
}

static ssize_t stream_fd_write(struct stream_transport *t, const void *data,
			       size_t size, const char **error_r)
{
	struct stream_fd_transport *ft = (struct stream_fd_transport *)t;
	ssize_t n;

	for (;;) {
		/* send() with MSG_NOSIGNAL: a peer that went away must end
		 * its session, not kill the process with SIGPIPE. */
		if (!ft->not_socket)
			n = send(ft->fd, data, size, MSG_NOSIGNAL);
		else
			n = write(ft->fd, data, size);
		if (n >= 0)
			return n;
		if (errno == ENOTSOCK && !ft->not_socket)
			ft->not_socket = true;
		else if (errno != EINTR)
			break;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return STREAM_IO_WANT_WRITE;
	*error_r = stream_fd_error(ft, "write", errno);
	return STREAM_IO_ERROR;
}

static void stream_fd_free(struct stream_transport *t)
{
	struct stream_fd_transport *ft = (struct stream_fd_transport *)t;

	if (ft->fd >= 0)
		close(ft->fd);
	free(ft);
}

static const struct stream_transport_vfuncs stream_fd_vfuncs = {
	.name = "fd",
	.read = stream_fd_read,
	.write = stream_fd_write,
	.free = stream_fd_free,
};

struct stream_transport *stream_fd_transport_new(int fd)
{
	struct stream_fd_transport *ft = xcalloc(1, sizeof(*ft));

	ft->t.v = &stream_fd_vfuncs;
	ft->fd = fd;
	return &ft->t;
}
