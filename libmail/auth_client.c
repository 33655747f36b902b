#include "auth_client.h"
#include "buf.h"
#include "event.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum auth_client_state {
	AUTH_CLIENT_STATE_WELCOME,	/* HELLO sent, waiting for WELCOME */
	AUTH_CLIENT_STATE_READY,	/* welcomed, START not yet sent */
	AUTH_CLIENT_STATE_WAIT,		/* waiting for CONTINUE/OK/FAIL */
	AUTH_CLIENT_STATE_RESPOND,	/* CONTINUE given, response due */
	AUTH_CLIENT_STATE_DONE,		/* verdict given or broken */
};

struct auth_client {
	int fd;
	enum auth_client_state state;
	struct auth_proto_limits limits;	/* ours, for reading */
	size_t server_max_token;		/* authd's, for writing */
	struct auth_proto_reader reader;
	struct auth_msg msg;			/* the last one parsed */
	struct buf out;
	char mechs[AUTH_PROTO_MECHS_MAX + 1];
	struct timespec deadline;
	/* event loop mode only */
	struct event_loop *loop;
	struct event_io *io;
	struct event_timer *timer;
	auth_client_callback *callback;
	void *ctx;
	bool in_callback, free_pending;
	struct auth_client_reply local_reply;	/* a FAIL made here */
};

static void auth_client_set_deadline(struct auth_client *c,
				     unsigned int secs)
{
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += secs;
}

/* Milliseconds left before the deadline, 0 when past it. */
static int auth_client_ms_left(const struct auth_client *c)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(c->deadline.tv_sec - now.tv_sec) * 1000 +
	     (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > 3600 * 1000 ? 3600 * 1000 : (int)ms;
}

static int auth_client_wait(struct auth_client *c, short events,
			    const char **error_r)
{
	struct pollfd pfd = { c->fd, events, 0 };
	int ret;

	do {
		ret = poll(&pfd, 1, auth_client_ms_left(c));
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		*error_r = "poll failed";
		return -1;
	}
	if (ret == 0) {
		*error_r = "auth service timed out";
		return -1;
	}
	return 0;
}

/* Writes all of c->out. */
static int auth_client_flush(struct auth_client *c, const char **error_r)
{
	size_t off = 0;

	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + off, c->out.len - off,
				 MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			if (auth_client_wait(c, POLLOUT, error_r) < 0)
				return -1;
		} else {
			*error_r = "write to auth service failed";
			return -1;
		}
	}
	buf_clear(&c->out);
	return 0;
}

/* Reads until one message is parsed into c->msg. */
static int auth_client_read_msg(struct auth_client *c, const char **error_r)
{
	char tmp[4096];
	const char *line;
	size_t len;
	int ret;

	for (;;) {
		ret = auth_proto_reader_next(&c->reader, &line, &len, error_r);
		if (ret < 0)
			return -1;
		if (ret > 0)
			return auth_proto_parse(line, len, &c->limits, &c->msg,
						error_r);
		ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);

		if (n > 0) {
			auth_proto_reader_feed(&c->reader, tmp, (size_t)n);
		} else if (n == 0) {
			*error_r = "auth service closed the connection";
			return -1;
		} else if (errno == EAGAIN) {
			if (auth_client_wait(c, POLLIN, error_r) < 0)
				return -1;
		} else if (errno != EINTR) {
			*error_r = "read from auth service failed";
			return -1;
		}
	}
}

/* Checks a WELCOME in c->msg and keeps what it says. */
static int auth_client_welcome(struct auth_client *c, const char **error_r)
{
	if (c->msg.type == AUTH_MSG_FAIL &&
	    c->msg.fail == AUTH_FAIL_VERSION) {
		*error_r = "auth service speaks another protocol version";
		return -1;
	}
	if (c->msg.type != AUTH_MSG_WELCOME ||
	    c->msg.version != AUTH_PROTO_VERSION) {
		*error_r = "bad handshake from auth service";
		return -1;
	}
	c->server_max_token = c->msg.max_token;
	(void)str_copy(c->mechs, sizeof(c->mechs), c->msg.mechs);
	c->state = AUTH_CLIENT_STATE_READY;
	return 0;
}

/* Turns a reply in c->msg into *reply_r and the next state. */
static int auth_client_reply(struct auth_client *c,
			     struct auth_client_reply *reply_r,
			     const char **error_r)
{
	memset(reply_r, 0, sizeof(*reply_r));
	switch (c->msg.type) {
	case AUTH_MSG_CONTINUE:
		reply_r->status = AUTH_CLIENT_CONTINUE;
		reply_r->challenge = (const unsigned char *)c->msg.token.data;
		reply_r->challenge_len = c->msg.token.len;
		if (reply_r->challenge == NULL)
			reply_r->challenge = (const unsigned char *)"";
		c->state = AUTH_CLIENT_STATE_RESPOND;
		return 0;
	case AUTH_MSG_OK:
		reply_r->status = AUTH_CLIENT_OK;
		reply_r->user = c->msg.user;
		reply_r->authn_user = c->msg.authn_user;
		c->state = AUTH_CLIENT_STATE_DONE;
		return 0;
	case AUTH_MSG_FAIL:
		reply_r->status = AUTH_CLIENT_FAIL;
		reply_r->fail = c->msg.fail;
		c->state = AUTH_CLIENT_STATE_DONE;
		return 0;
	default:
		c->state = AUTH_CLIENT_STATE_DONE;
		*error_r = "unexpected message from auth service";
		return -1;
	}
}

/*
 * A unix connect completes or fails at once, except when the listen backlog
 * is full: a blocking connect then waits for room, which the sealpost
 * command may do, but an event-driven daemon must not, so `nonblocking`
 * turns that case into an error (the daemon answers "try later").
 */
static int auth_client_open_socket(const char *path, bool nonblocking,
				   int *fd_r, const char **error_r)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, sizeof(sun.sun_path), path) < 0) {
		*error_r = "auth socket path too long";
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    (nonblocking ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		*error_r = "socket() failed";
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		*error_r = errno == EAGAIN ? "auth service overloaded" :
			"cannot connect to auth service";
		return -1;
	}
	if (!nonblocking &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		close(fd);
		*error_r = "fcntl() failed";
		return -1;
	}
	*fd_r = fd;
	return 0;
}

static struct auth_client *auth_client_new(int fd, size_t max_token)
{
	struct auth_client *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->limits.max_token = max_token > AUTH_PROTO_TOKEN_HARD_MAX ?
		AUTH_PROTO_TOKEN_HARD_MAX : max_token;
	auth_proto_reader_init(&c->reader, auth_proto_max_line(&c->limits));
	c->state = AUTH_CLIENT_STATE_WELCOME;
	return c;
}

static void auth_client_queue_hello(struct auth_client *c)
{
	struct auth_msg hello = { .type = AUTH_MSG_HELLO,
				  .version = AUTH_PROTO_VERSION };

	auth_proto_write(&c->out, &hello);
}

int auth_client_connect(const char *socket_path, unsigned int timeout_secs,
			size_t max_token, struct auth_client **client_r,
			const char **error_r)
{
	struct auth_client *c;
	int fd;

	*client_r = NULL;
	if (auth_client_open_socket(socket_path, false, &fd, error_r) < 0)
		return -1;
	c = auth_client_new(fd, max_token);
	auth_client_set_deadline(c, timeout_secs);
	auth_client_queue_hello(c);
	if (auth_client_flush(c, error_r) < 0 ||
	    auth_client_read_msg(c, error_r) < 0 ||
	    auth_client_welcome(c, error_r) < 0) {
		auth_client_free(&c);
		return -1;
	}
	*client_r = c;
	return 0;
}

const char *auth_client_mechs(const struct auth_client *client)
{
	return client->mechs;
}

bool auth_client_has_mech(const struct auth_client *client, const char *mech)
{
	const char *p = client->mechs;
	size_t len = strlen(mech);

	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n == len && memcmp(p, mech, n) == 0)
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

/* Fills a START message; -1 when the request holds values the protocol
 * cannot carry (a caller bug or hostile input reaching the caller). */
static int auth_client_start_msg(struct auth_client *c,
				 const struct auth_client_request *req,
				 struct auth_msg *start, const char **error_r)
{
	start->type = AUTH_MSG_START;
	if (str_copy(start->mech, sizeof(start->mech), req->mech) < 0 ||
	    str_copy(start->service, sizeof(start->service), req->service) < 0 ||
	    str_copy(start->client_addr, sizeof(start->client_addr),
		     req->client_addr != NULL ? req->client_addr : "") < 0 ||
	    str_copy(start->session, sizeof(start->session),
		     req->session) < 0) {
		*error_r = "request field too long";
		return -1;
	}
	start->secured = req->secured;
	start->has_token = req->initial_response != NULL;
	if (start->has_token)
		buf_append(&start->token, req->initial_response,
			   req->initial_response_len);
	return 0;
}

int auth_client_start(struct auth_client *c,
		      const struct auth_client_request *req,
		      struct auth_client_reply *reply_r, const char **error_r)
{
	struct auth_msg start = { 0 };
	int ret;

	if (c->state != AUTH_CLIENT_STATE_READY) {
		*error_r = "exchange already started";
		return -1;
	}
	if (auth_client_start_msg(c, req, &start, error_r) < 0 ||
	    auth_proto_check(&start, c->server_max_token, error_r) < 0) {
		auth_msg_deinit(&start);
		c->state = AUTH_CLIENT_STATE_DONE;
		return -1;
	}
	auth_proto_write(&c->out, &start);
	auth_msg_deinit(&start);
	c->state = AUTH_CLIENT_STATE_WAIT;
	ret = auth_client_flush(c, error_r);
	if (ret == 0)
		ret = auth_client_read_msg(c, error_r);
	if (ret == 0)
		ret = auth_client_reply(c, reply_r, error_r);
	if (ret < 0)
		c->state = AUTH_CLIENT_STATE_DONE;
	return ret;
}

/* Queues a RESPONSE, or fills a local FAIL when it is too large. */
static int auth_client_queue_response(struct auth_client *c,
				      const void *data, size_t len,
				      struct auth_client_reply *reply_r)
{
	struct auth_msg resp = { .type = AUTH_MSG_RESPONSE,
				 .has_token = true };

	if (len > c->server_max_token) {
		memset(reply_r, 0, sizeof(*reply_r));
		reply_r->status = AUTH_CLIENT_FAIL;
		reply_r->fail = AUTH_FAIL_PROTO;
		c->state = AUTH_CLIENT_STATE_DONE;
		return 1;
	}
	buf_append(&resp.token, data, len);
	auth_proto_write(&c->out, &resp);
	auth_msg_deinit(&resp);
	c->state = AUTH_CLIENT_STATE_WAIT;
	return 0;
}

int auth_client_respond(struct auth_client *c, const void *response,
			size_t len, struct auth_client_reply *reply_r,
			const char **error_r)
{
	int ret;

	if (c->state != AUTH_CLIENT_STATE_RESPOND) {
		*error_r = "no challenge to respond to";
		return -1;
	}
	if (auth_client_queue_response(c, response, len, reply_r) > 0)
		return 0;
	ret = auth_client_flush(c, error_r);
	if (ret == 0)
		ret = auth_client_read_msg(c, error_r);
	if (ret == 0)
		ret = auth_client_reply(c, reply_r, error_r);
	if (ret < 0)
		c->state = AUTH_CLIENT_STATE_DONE;
	return ret;
}

/* ---- event loop mode ---- */

static void auth_client_io(void *ctx, unsigned int events);

/* Calls the callback; returns false when the client was freed in it. */
static bool auth_client_report(struct auth_client *c,
			       const struct auth_client_reply *reply,
			       const char *error)
{
	struct auth_client *self = c;

	c->in_callback = true;
	c->callback(c->ctx, reply, error);
	c->in_callback = false;
	if (c->free_pending) {
		c->free_pending = false;
		auth_client_free(&self);
		return false;
	}
	return true;
}

/* Ends the exchange with an error, once. */
static void auth_client_async_fail(struct auth_client *c, const char *error)
{
	event_io_remove(&c->io);
	event_timer_remove(&c->timer);
	c->state = AUTH_CLIENT_STATE_DONE;
	(void)auth_client_report(c, NULL, error);
}

static void auth_client_timeout(void *ctx)
{
	struct auth_client *c = ctx;

	auth_client_async_fail(c, "auth service timed out");
}

static void auth_client_update_io(struct auth_client *c)
{
	unsigned int events = 0;

	if (c->state == AUTH_CLIENT_STATE_DONE) {
		event_io_remove(&c->io);
		event_timer_remove(&c->timer);
		return;
	}
	if (c->out.len > 0)
		events |= EVENT_WRITE;
	if (c->state == AUTH_CLIENT_STATE_WELCOME ||
	    c->state == AUTH_CLIENT_STATE_WAIT)
		events |= EVENT_READ;
	event_io_set(c->io, events);
}

/* Writes what the socket takes now; -1 on error. */
static int auth_client_async_write(struct auth_client *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);

		if (n > 0)
			buf_consume(&c->out, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return 0;
		else
			return -1;
	}
	return 0;
}

/* Handles every complete message buffered; false when the client is
 * gone or finished. */
static bool auth_client_async_messages(struct auth_client *c)
{
	struct auth_client_reply reply;
	const char *line, *error;
	size_t len;
	int ret;

	while (c->state == AUTH_CLIENT_STATE_WELCOME ||
	       c->state == AUTH_CLIENT_STATE_WAIT) {
		ret = auth_proto_reader_next(&c->reader, &line, &len, &error);
		if (ret == 0)
			return true;
		if (ret < 0 ||
		    auth_proto_parse(line, len, &c->limits, &c->msg,
				     &error) < 0) {
			auth_client_async_fail(c, error);
			return false;
		}
		if (c->state == AUTH_CLIENT_STATE_WELCOME) {
			if (auth_client_welcome(c, &error) < 0) {
				auth_client_async_fail(c, error);
				return false;
			}
			/* START went out with HELLO. */
			c->state = AUTH_CLIENT_STATE_WAIT;
			continue;
		}
		if (auth_client_reply(c, &reply, &error) < 0) {
			auth_client_async_fail(c, error);
			return false;
		}
		if (!auth_client_report(c, &reply, NULL))
			return false;
		if (c->state == AUTH_CLIENT_STATE_DONE) {
			/* The verdict is final: nothing more is read or
			 * reported, whatever authd does next. */
			event_io_remove(&c->io);
			event_timer_remove(&c->timer);
			return false;
		}
	}
	return true;
}

static void auth_client_io(void *ctx, unsigned int events)
{
	struct auth_client *c = ctx;
	char tmp[4096];
	ssize_t n;

	if ((events & EVENT_WRITE) != 0 && auth_client_async_write(c) < 0) {
		auth_client_async_fail(c, "write to auth service failed");
		return;
	}
	if ((events & (EVENT_READ | EVENT_ERROR)) != 0) {
		n = recv(c->fd, tmp, sizeof(tmp), 0);
		if (n > 0) {
			auth_proto_reader_feed(&c->reader, tmp, (size_t)n);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			auth_client_async_fail(c, "auth service closed the "
					       "connection");
			return;
		}
		if (!auth_client_async_messages(c))
			return;
	}
	auth_client_update_io(c);
}

/* A FAIL decided locally is still reported from the loop, never from
 * inside auth_client_continue(), so callers see one calling pattern. */
static void auth_client_local_reply(void *ctx)
{
	struct auth_client *c = ctx;

	event_timer_remove(&c->timer);
	(void)auth_client_report(c, &c->local_reply, NULL);
}

int auth_client_begin(struct event_loop *loop, const char *socket_path,
		      unsigned int timeout_secs, size_t max_token,
		      const struct auth_client_request *req,
		      auth_client_callback *callback, void *ctx,
		      struct auth_client **client_r, const char **error_r)
{
	struct auth_msg start = { 0 };
	struct auth_client *c;
	int fd;

	*client_r = NULL;
	if (auth_client_open_socket(socket_path, true, &fd, error_r) < 0)
		return -1;
	c = auth_client_new(fd, max_token);
	/* authd's limit is not known before WELCOME; until then ours (from
	 * the same auth_max_token_size) stands in for it. */
	c->server_max_token = c->limits.max_token;
	if (auth_client_start_msg(c, req, &start, error_r) < 0 ||
	    auth_proto_check(&start, c->server_max_token, error_r) < 0) {
		auth_msg_deinit(&start);
		auth_client_free(&c);
		return -1;
	}
	auth_client_queue_hello(c);
	auth_proto_write(&c->out, &start);
	auth_msg_deinit(&start);
	c->loop = loop;
	c->callback = callback;
	c->ctx = ctx;
	c->io = event_io_add(loop, fd, EVENT_READ | EVENT_WRITE,
			     auth_client_io, c);
	c->timer = event_timer_add(loop, timeout_secs * 1000, 0,
				   auth_client_timeout, c);
	*client_r = c;
	return 0;
}

void auth_client_continue(struct auth_client *c, const void *response,
			  size_t len)
{
	if (c->state != AUTH_CLIENT_STATE_RESPOND || c->loop == NULL)
		log_panic("auth_client_continue without a challenge");
	if (auth_client_queue_response(c, response, len,
				       &c->local_reply) > 0) {
		event_io_remove(&c->io);
		event_timer_remove(&c->timer);
		c->timer = event_timer_add(c->loop, 0, 0,
					   auth_client_local_reply, c);
		return;
	}
	auth_client_update_io(c);
}

void auth_client_free(struct auth_client **client)
{
	struct auth_client *c = *client;

	if (c == NULL)
		return;
	*client = NULL;
	if (c->in_callback) {
		c->free_pending = true;
		return;
	}
	event_io_remove(&c->io);
	event_timer_remove(&c->timer);
	if (c->fd >= 0)
		close(c->fd);
	auth_proto_reader_deinit(&c->reader);
	auth_msg_deinit(&c->msg);
	buf_free(&c->out);
	free(c);
}
