/* One connection of the auth protocol (libmail/auth_proto.h), served from
 * accept to close: handshake, START, rounds of CONTINUE/RESPONSE, verdict.
 * Blocking I/O under one deadline for the whole exchange. */
#include "authd.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct authd_conn {
	struct authd *authd;
	int fd;
	struct timespec deadline;
	struct auth_proto_reader reader;
	struct auth_msg msg;
	struct buf out;
	struct log_ctx log;
};

static const struct authd_mech *const authd_mechs[] = {
	&authd_mech_gssapi, &authd_mech_plain, &authd_mech_login,
};

const struct authd_mech *authd_mech_find(const struct authd *a,
					 const char *name)
{
	size_t i;

	if (!auth_name_list_contains(a->set.auth_mechanisms, name))
		return NULL;
	for (i = 0; i < sizeof(authd_mechs) / sizeof(authd_mechs[0]); i++) {
		if (strcmp(authd_mechs[i]->name, name) == 0)
			return authd_mechs[i];
	}
	return NULL;
}

enum authd_step authd_fail(struct authd_exchange *x, enum auth_fail fail,
			   const char *user, const char *reason)
{
	x->fail = fail;
	log_info("auth_fail", "mech=%s service=%s user=%s client=%s status=%s "
		 "reason=%s", x->mech->name, x->service, user,
		 x->client_addr[0] != '\0' ? x->client_addr : "-",
		 auth_fail_name(fail), reason);
	return AUTHD_STEP_FAIL;
}

enum authd_step authd_login(struct authd_exchange *x,
			    const struct auth_name *name, const char *authzid)
{
	const char *authz_user, *error;

	if (auth_name_authorize(name->user, authzid, x->authd->set.auth_admins,
				&x->authd->realms, &authz_user, &error) < 0)
		return authd_fail(x, AUTH_FAIL_AUTH, name->user, error);
	(void)str_copy(x->user, sizeof(x->user), authz_user);
	(void)str_copy(x->authn_user, sizeof(x->authn_user), name->user);
	log_info("auth_ok", "mech=%s service=%s user=%s authn_user=%s client=%s "
		 "cached=%s", x->mech->name, x->service, x->user,
		 x->authn_user, x->client_addr[0] != '\0' ? x->client_addr : "-",
		 x->cached ? "yes" : "no");
	return AUTHD_STEP_OK;
}

static int authd_conn_ms_left(const struct authd_conn *c)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(c->deadline.tv_sec - now.tv_sec) * 1000 +
	     (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

/* Waits for `events`; -1 on timeout.  SIGTERM does not cut an exchange
 * short: the worker contract lets us finish it. */
static int authd_conn_wait(struct authd_conn *c, short events)
{
	struct pollfd pfd = { c->fd, events, 0 };
	int ret;

	do {
		ret = poll(&pfd, 1, authd_conn_ms_left(c));
	} while (ret < 0 && errno == EINTR);
	return ret > 0 ? 0 : -1;
}

static int authd_conn_send(struct authd_conn *c, const struct auth_msg *msg)
{
	size_t off = 0;

	buf_clear(&c->out);
	auth_proto_write(&c->out, msg);
	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + off, c->out.len - off,
				 MSG_NOSIGNAL);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno == EAGAIN) {
			if (authd_conn_wait(c, POLLOUT) < 0)
				return -1;
		} else if (n < 0 && errno == EINTR)
			continue;
		else
			return -1;
	}
	return 0;
}

/* Reads the next message into c->msg; -1 (logged) on EOF, timeout or a
 * malformed message. */
static int authd_conn_recv(struct authd_conn *c)
{
	const char *line, *error;
	char tmp[4096];
	size_t len;
	ssize_t n;
	int ret;

	for (;;) {
		ret = auth_proto_reader_next(&c->reader, &line, &len, &error);
		if (ret > 0)
			break;
		if (ret < 0)
			goto bad;
		n = recv(c->fd, tmp, sizeof(tmp), 0);
		if (n > 0) {
			auth_proto_reader_feed(&c->reader, tmp, (size_t)n);
		} else if (n == 0) {
			log_debug("auth_conn_closed", "reason=%s",
				  "peer closed");
			return -1;
		} else if (errno == EAGAIN) {
			if (authd_conn_wait(c, POLLIN) < 0) {
				log_info("auth_conn_error", "reason=%s",
					 "request timeout");
				return -1;
			}
		} else if (errno != EINTR) {
			log_info("auth_conn_error", "reason=%s",
				 strerror(errno));
			return -1;
		}
	}
	if (auth_proto_parse(line, len, &c->authd->limits, &c->msg,
			     &error) == 0)
		return 0;
bad:
	log_warn("auth_conn_error", "reason=%s", error);
	return -1;
}

static int authd_conn_fail(struct authd_conn *c, enum auth_fail fail)
{
	struct auth_msg msg = { .type = AUTH_MSG_FAIL, .fail = fail };

	return authd_conn_send(c, &msg);
}

/* HELLO in, WELCOME out. */
static int authd_conn_handshake(struct authd_conn *c)
{
	struct auth_msg welcome = { .type = AUTH_MSG_WELCOME,
				    .version = AUTH_PROTO_VERSION };
	struct authd *a = c->authd;
	struct buf mechs = BUF_INIT;
	size_t i;
	int ret;

	if (authd_conn_recv(c) < 0)
		return -1;
	if (c->msg.type != AUTH_MSG_HELLO) {
		log_warn("auth_conn_error", "reason=%s", "expected HELLO");
		return -1;
	}
	if (c->msg.version != AUTH_PROTO_VERSION) {
		log_warn("auth_conn_error", "reason=%s version=%u",
			 "unsupported version", c->msg.version);
		(void)authd_conn_fail(c, AUTH_FAIL_VERSION);
		return -1;
	}
	for (i = 0; i < sizeof(authd_mechs) / sizeof(authd_mechs[0]); i++) {
		if (authd_mech_find(a, authd_mechs[i]->name) == NULL)
			continue;
		if (mechs.len > 0)
			buf_append_char(&mechs, ' ');
		buf_append_str(&mechs, authd_mechs[i]->name);
	}
	welcome.max_token = a->limits.max_token;
	(void)str_copy(welcome.mechs, sizeof(welcome.mechs),
		       buf_cstr(&mechs));
	buf_free(&mechs);
	ret = authd_conn_send(c, &welcome);
	return ret;
}

/* Checks the START in c->msg; returns the mechanism or NULL after
 * answering FAIL. */
static const struct authd_mech *authd_conn_start(struct authd_conn *c,
						 struct authd_exchange *x)
{
	const struct authd_mech *mech;

	(void)str_copy(c->log.session, sizeof(c->log.session),
		       c->msg.session);
	(void)str_copy(x->service, sizeof(x->service), c->msg.service);
	(void)str_copy(x->client_addr, sizeof(x->client_addr),
		       c->msg.client_addr);
	x->secured = c->msg.secured;
	mech = authd_mech_find(c->authd, c->msg.mech);
	if (mech == NULL) {
		log_info("auth_fail", "mech=%s service=%s status=%s reason=%s",
			 c->msg.mech, x->service, "mech",
			 "mechanism not enabled");
		(void)authd_conn_fail(c, AUTH_FAIL_MECH);
		return NULL;
	}
	/* Defence in depth: the daemon should not have offered it, but a
	 * password must never be checked unless it came over TLS. */
	if (mech->plaintext && !x->secured) {
		log_warn("auth_fail", "mech=%s service=%s status=%s reason=%s",
			 mech->name, x->service, "mech",
			 "plaintext mechanism outside TLS");
		(void)authd_conn_fail(c, AUTH_FAIL_MECH);
		return NULL;
	}
	x->mech = mech;
	return mech;
}

/* Runs the mechanism until a verdict, relaying challenges. */
static void authd_conn_exchange(struct authd_conn *c,
				struct authd_exchange *x)
{
	struct auth_msg reply = { 0 };
	enum authd_step step;

	step = x->mech->step(x, (const unsigned char *)c->msg.token.data,
			     c->msg.token.len, c->msg.has_token);
	while (step == AUTHD_STEP_CONTINUE) {
		reply.type = AUTH_MSG_CONTINUE;
		reply.has_token = true;
		reply.token = x->challenge;
		if (x->challenge.len > c->authd->limits.max_token) {
			step = authd_fail(x, AUTH_FAIL_TEMP, "",
					  "challenge over auth_max_token_size");
			break;
		}
		if (authd_conn_send(c, &reply) < 0 || authd_conn_recv(c) < 0)
			return;
		if (c->msg.type != AUTH_MSG_RESPONSE) {
			log_warn("auth_conn_error", "reason=%s",
				 "expected RESPONSE");
			return;
		}
		step = x->mech->step(x, (const unsigned char *)c->msg.token.data,
				     c->msg.token.len, true);
	}
	memset(&reply, 0, sizeof(reply));
	if (step == AUTHD_STEP_OK) {
		reply.type = AUTH_MSG_OK;
		(void)str_copy(reply.user, sizeof(reply.user), x->user);
		(void)str_copy(reply.authn_user, sizeof(reply.authn_user),
			       x->authn_user);
	} else {
		reply.type = AUTH_MSG_FAIL;
		reply.fail = x->fail;
	}
	(void)authd_conn_send(c, &reply);
}

void authd_conn_serve(struct authd *a, int fd)
{
	struct authd_conn c = { .authd = a, .fd = fd };
	struct authd_exchange x = { .authd = a };

	clock_gettime(CLOCK_MONOTONIC, &c.deadline);
	c.deadline.tv_sec += a->set.auth_request_timeout;
	auth_proto_reader_init(&c.reader, auth_proto_max_line(&a->limits));
	log_set_ctx(&c.log);
	if (authd_conn_handshake(&c) == 0 && authd_conn_recv(&c) == 0) {
		if (c.msg.type != AUTH_MSG_START)
			log_warn("auth_conn_error", "reason=%s",
				 "expected START");
		else if (authd_conn_start(&c, &x) != NULL)
			authd_conn_exchange(&c, &x);
	}
	if (x.mech != NULL)
		x.mech->free(&x);
	log_set_ctx(NULL);
	buf_free(&x.challenge);
	auth_msg_deinit(&c.msg);
	buf_free(&c.out);
	auth_proto_reader_deinit(&c.reader);
}
