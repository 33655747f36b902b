/* Binding the listeners the master hands to its workers. */
#include "master.h"
#include "buf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MASTER_LISTEN_BACKLOG 511

static char listen_error[512];

static int listen_fail(const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int listen_fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(listen_error, sizeof(listen_error), fmt, ap);
	va_end(ap);
	*error_r = listen_error;
	return -1;
}

static int listen_unix(const char *address, const char *state_dir,
		       uid_t uid, gid_t gid, struct master_listener *l,
		       const char **error_r)
{
	struct sockaddr_un sun;
	struct buf path = BUF_INIT;
	int fd;

	if (address[0] == '/')
		buf_append_str(&path, address);
	else
		buf_printf(&path, "%s/%s", state_dir, address);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, sizeof(sun.sun_path), buf_cstr(&path)) < 0) {
		buf_free(&path);
		return listen_fail(error_r, "%s: unix socket path too long",
				   address);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		buf_free(&path);
		return listen_fail(error_r, "socket: %s", strerror(errno));
	}
	/* A socket file left by a master that died is ours to replace: the
	 * pid file lock guarantees no live master owns it. */
	(void)unlink(sun.sun_path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(sun.sun_path, 0660) < 0 ||
	    (uid != (uid_t)-1 && chown(sun.sun_path, uid, gid) < 0) ||
	    listen(fd, MASTER_LISTEN_BACKLOG) < 0) {
		int err = errno;

		close(fd);
		listen_fail(error_r, "%s: %s", buf_cstr(&path), strerror(err));
		buf_free(&path);
		return -1;
	}
	l->fd = fd;
	l->unix_path = buf_steal(&path);
	return 0;
}

/* Splits "host:port", "[v6]:port" or "*:port". */
static int listen_split(const char *address, char *host, size_t host_size,
			char *port, size_t port_size)
{
	const char *colon;

	if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		if ((size_t)(close - address - 1) >= host_size)
			return -1;
		memcpy(host, address + 1, (size_t)(close - address - 1));
		host[close - address - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(address, ':');
		if (colon == NULL || (size_t)(colon - address) >= host_size)
			return -1;
		memcpy(host, address, (size_t)(colon - address));
		host[colon - address] = '\0';
	}
	return str_copy(port, port_size, colon + 1);
}

static int listen_tcp(const char *address, struct master_listener *l,
		      const char **error_r)
{
	struct addrinfo hints, *ai;
	char host[256], port[16];
	int fd, on = 1, rc;

	if (listen_split(address, host, sizeof(host), port, sizeof(port)) < 0 ||
	    port[0] == '\0')
		return listen_fail(error_r, "'%s' is not host:port", address);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port, &hints,
			 &ai);
	if (rc != 0)
		return listen_fail(error_r, "%s: %s", address, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, MASTER_LISTEN_BACKLOG) < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return listen_fail(error_r, "%s: %s", address, strerror(err));
	}
	freeaddrinfo(ai);
	l->fd = fd;
	l->unix_path = NULL;
	return 0;
}

int master_listen_bind(const char *address, const char *state_dir,
		       uid_t uid, gid_t gid, struct master_listener *l,
		       const char **error_r)
{
	int ret;

	/* A TCP address always has a colon; a socket path is anything else
	 * (a name relative to state_dir, or an absolute path). */
	if (address[0] == '/' || strchr(address, ':') == NULL)
		ret = listen_unix(address, state_dir, uid, gid, l, error_r);
	else
		ret = listen_tcp(address, l, error_r);
	if (ret == 0)
		l->address = xstrdup(address);
	return ret;
}

void master_listener_close(struct master_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->unix_path != NULL)
		(void)unlink(l->unix_path);
	free(l->unix_path);
	free(l->address);
	free(l->name);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}
