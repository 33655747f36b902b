/* The queue socket's client side; see queue_client.h. */
#include "queue_client.h"
#include "buf.h"
#include "config.h"
#include "xtext.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define QUEUE_CLIENT_TIMEOUT_MS 120000

int queue_client_connect(const struct config *cfg, const char **error_r)
{
	static char error[512];
	const char *sock = config_get(cfg, "queue_socket");
	const char *state_dir = config_get(cfg, "state_dir");
	struct sockaddr_un sun;
	struct buf path = BUF_INIT;
	int fd;

	if (sock == NULL || state_dir == NULL) {
		*error_r = "the config names no queue_socket";
		return -1;
	}
	if (sock[0] == '/')
		buf_append_str(&path, sock);
	else
		buf_printf(&path, "%s/%s", state_dir, sock);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, sizeof(sun.sun_path), buf_cstr(&path)) < 0) {
		*error_r = "queue socket path too long";
		buf_free(&path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(error, sizeof(error), "connect to %s: %s (is the "
			 "queue manager running?)", buf_cstr(&path),
			 strerror(errno));
		*error_r = error;
		if (fd >= 0)
			close(fd);
		buf_free(&path);
		return -1;
	}
	buf_free(&path);
	return fd;
}

static int queue_client_write(int fd, const void *data, size_t len,
			      const char **error_r)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error_r = strerror(errno);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the server closes, into `out`. */
static int queue_client_read_all(int fd, struct buf *out, const char **error_r)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, QUEUE_CLIENT_TIMEOUT_MS) <= 0) {
			*error_r = "timed out waiting for the queue manager";
			return -1;
		}
		buf_reserve(out, 65536);
		n = read(fd, out->data + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = strerror(errno);
			return -1;
		}
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (out->len > 64 * 1024 * 1024) {
			*error_r = "answer too large";
			return -1;
		}
	}
}

int queue_client_request(int fd, const char *command, struct buf *answer,
			 const char **error_r)
{
	struct buf cmd = BUF_INIT;
	int ret;

	buf_printf(&cmd, "%s\n", command);
	ret = queue_client_write(fd, cmd.data, cmd.len, error_r);
	if (ret == 0)
		ret = queue_client_read_all(fd, answer, error_r);
	buf_free(&cmd);
	return ret;
}

int queue_client_command(int fd, const char *command, FILE *out,
			 const char **error_r)
{
	struct buf answer = BUF_INIT;
	int ret = queue_client_request(fd, command, &answer, error_r);

	if (ret == 0 && answer.len > 0)
		fwrite(answer.data, 1, answer.len, out);
	buf_free(&answer);
	return ret;
}

int queue_client_submit(int fd, const char *sender, char *const *rcpts,
			size_t rcpt_count, const void *message, size_t size,
			char *id, size_t id_size, const char **error_r)
{
	static char error[256];
	struct buf req = BUF_INIT, answer = BUF_INIT;
	size_t i;
	int ret;

	buf_append_str(&req, "SUBMIT\nFROM ");
	xtext_encode(&req, sender, strlen(sender));
	buf_append_char(&req, '\n');
	for (i = 0; i < rcpt_count; i++) {
		buf_append_str(&req, "RCPT ");
		xtext_encode(&req, rcpts[i], strlen(rcpts[i]));
		buf_append_char(&req, '\n');
	}
	buf_printf(&req, "DATA %zu\n", size);
	ret = queue_client_write(fd, req.data, req.len, error_r);
	if (ret == 0)
		ret = queue_client_write(fd, message, size, error_r);
	if (ret == 0)
		ret = queue_client_read_all(fd, &answer, error_r);
	if (ret == 0) {
		const char *a = buf_cstr(&answer);
		size_t n = strcspn(a, "\n");

		if (strncmp(a, "OK ", 3) == 0 && n - 3 < id_size) {
			memcpy(id, a + 3, n - 3);
			id[n - 3] = '\0';
		} else {
			snprintf(error, sizeof(error), "queue manager: %.*s",
				 (int)(n > 200 ? 200 : n), a);
			*error_r = error;
			ret = -1;
		}
	}
	buf_free(&req);
	buf_free(&answer);
	return ret;
}
