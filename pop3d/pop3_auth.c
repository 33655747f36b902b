#include "pop3_auth.h"
#include "auth_client.h"
#include "base64.h"
#include "buf.h"
#include "log.h"
#include "pop3_login_rate.h"
#include "pop3_server.h"
#include "pop3_session.h"
#include "server.h"

#include <string.h>
#include <time.h>

#define POP3_AUTH_SERVICE "pop"

bool pop3_auth_mech_allowed(const struct pop3_session *s, const char *mech)
{
	const struct pop3_server *srv = s->server;

	if (strcmp(mech, "GSSAPI") == 0)
		return srv->mech_gssapi;
	if (strcmp(mech, "PLAIN") == 0)
		return srv->mech_plain && pop3_session_password_allowed(s);
	if (strcmp(mech, "LOGIN") == 0)
		return srv->mech_login && pop3_session_password_allowed(s);
	return false;
}

bool pop3_auth_rate_check(struct pop3_session *s, const char *name)
{
	struct pop3_server *srv = s->server;

	s->auth_rate_checked = true;
	if (pop3_login_rate_attempt(srv->login_rate, name, time(NULL),
				    srv->set.pop3_login_rate_limit,
				    srv->set.pop3_login_rate_window))
		return true;
	log_info("pop3_login_refused", "user=%s reason=\"rate limit\"", name);
	pop3_session_reply(s, "-ERR [LOGIN-DELAY] Too many logins, try again "
			   "later");
	return false;
}

int pop3_auth_plain_authcid(const unsigned char *msg, size_t len, char *out,
			    size_t size)
{
	const unsigned char *authcid, *end = msg + len, *nul;

	nul = memchr(msg, '\0', len);
	if (nul == NULL)
		return -1;
	authcid = nul + 1;
	nul = memchr(authcid, '\0', (size_t)(end - authcid));
	if (nul == NULL || nul == authcid || (size_t)(nul - authcid) >= size)
		return -1;
	memcpy(out, authcid, (size_t)(nul - authcid));
	out[nul - authcid] = '\0';
	return 0;
}

/* Passwords travel in PLAIN and in the second LOGIN response; count the
 * name they are for before authd sees them.  `msg` is a decoded
 * response. */
static bool pop3_auth_rate_gate(struct pop3_session *s, const void *msg,
				size_t len)
{
	char name[AUTH_PROTO_USER_MAX + 1];

	if (s->auth_rate_checked)
		return true;
	if (strcmp(s->auth_mech, "PLAIN") == 0) {
		/* A malformed message is authd's to refuse. */
		if (pop3_auth_plain_authcid(msg, len, name, sizeof(name)) < 0)
			return true;
	} else if (strcmp(s->auth_mech, "LOGIN") == 0) {
		if (len == 0 || len >= sizeof(name) ||
		    memchr(msg, '\0', len) != NULL)
			return true;
		memcpy(name, msg, len);
		name[len] = '\0';
	} else {
		return true;
	}
	return pop3_auth_rate_check(s, name);
}

static void pop3_auth_finish(struct pop3_session *s)
{
	auth_client_free(&s->auth);
	s->auth_want_response = false;
}

void pop3_auth_abort(struct pop3_session *s, const char *reply)
{
	pop3_auth_finish(s);
	pop3_session_reply(s, "%s", reply);
	pop3_session_done(s);
}

static void pop3_auth_challenge(struct pop3_session *s,
				const struct auth_client_reply *reply)
{
	struct buf line = BUF_INIT;

	/* RFC 5034 section 4: "+" SP base64, the empty challenge as "+ ". */
	buf_append_str(&line, "+ ");
	base64_encode(&line, reply->challenge, reply->challenge_len);
	pop3_session_reply(s, "%s", buf_cstr(&line));
	buf_free(&line);
	s->auth_want_response = true;
	pop3_session_done(s);
}

static void pop3_auth_failed(struct pop3_session *s, enum auth_fail fail)
{
	log_info("pop3_auth_failed", "mech=%s reason=%s", s->auth_mech,
		 auth_fail_name(fail));
	if (fail == AUTH_FAIL_TEMP) {
		/* Not the client's fault: no penalty. */
		pop3_session_reply(s, "-ERR [SYS/TEMP] Authentication is "
				   "unavailable, try again later");
		pop3_session_done(s);
		return;
	}
	/* One answer whatever went wrong, so nobody learns whether the
	 * user exists. */
	pop3_session_login_failed(s, "-ERR [AUTH] Authentication failed");
}

static void pop3_auth_callback(void *ctx, const struct auth_client_reply *reply,
			       const char *error)
{
	struct pop3_session *s = ctx;

	log_set_ctx(&s->log);
	if (reply == NULL) {
		log_error("pop3_auth_error", "mech=%s error=%s", s->auth_mech,
			  error);
		pop3_auth_finish(s);
		pop3_session_reply(s, "-ERR [SYS/TEMP] Authentication is "
				   "unavailable, try again later");
		pop3_session_done(s);
	} else if (reply->status == AUTH_CLIENT_CONTINUE) {
		pop3_auth_challenge(s, reply);
	} else if (reply->status == AUTH_CLIENT_OK) {
		char user[AUTH_PROTO_USER_MAX + 1];

		/* The reply dies with the client. */
		if (str_copy(user, sizeof(user), reply->user) < 0)
			log_panic("auth_client returned an over-long user");
		pop3_auth_finish(s);
		pop3_session_login(s, user);
	} else {
		enum auth_fail fail = reply->fail;

		pop3_auth_finish(s);
		pop3_auth_failed(s, fail);
	}
	log_set_ctx(NULL);
}

void pop3_auth_begin(struct pop3_session *s, const char *mech,
		     const void *ir, size_t ir_len)
{
	struct pop3_server *srv = s->server;
	struct auth_client_request req;
	const char *error;

	(void)str_copy(s->auth_mech, sizeof(s->auth_mech), mech);
	s->auth_rate_checked = false;
	pop3_session_busy(s);
	if (ir != NULL && !pop3_auth_rate_gate(s, ir, ir_len)) {
		pop3_session_done(s);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.mech = mech;
	req.service = POP3_AUTH_SERVICE;
	req.secured = s->tls;
	req.client_addr = s->conn->is_unix ? NULL : s->conn->peer_ip;
	req.session = s->log.session;
	req.initial_response = ir;
	req.initial_response_len = ir_len;
	if (auth_client_begin(srv->loop, srv->auth_socket,
			      srv->auth_set.auth_request_timeout,
			      srv->auth_set.auth_max_token_size, &req,
			      pop3_auth_callback, s, &s->auth, &error) < 0) {
		log_error("pop3_auth_error", "mech=%s error=%s", mech, error);
		pop3_session_reply(s, "-ERR [SYS/TEMP] Authentication is "
				   "unavailable, try again later");
		pop3_session_done(s);
	}
}

void pop3_auth_response(struct pop3_session *s, const char *line, size_t len)
{
	struct buf resp = BUF_INIT;

	s->auth_want_response = false;
	/* RFC 5034 section 4: "*" cancels, and the server must answer
	 * -ERR. */
	if (len == 1 && line[0] == '*') {
		pop3_auth_abort(s, "-ERR Authentication cancelled");
		return;
	}
	if (base64_decode(&resp, line, len,
			  s->server->auth_set.auth_max_token_size) < 0) {
		pop3_auth_abort(s, "-ERR [AUTH] Invalid base64 in response");
		return;
	}
	pop3_session_busy(s);
	if (!pop3_auth_rate_gate(s, resp.data != NULL ? resp.data : "",
				 resp.len)) {
		explicit_bzero(resp.data, resp.cap);
		buf_free(&resp);
		pop3_auth_finish(s);
		pop3_session_done(s);
		return;
	}
	auth_client_continue(s->auth, resp.data != NULL ? resp.data : "",
			     resp.len);
	if (resp.data != NULL)
		explicit_bzero(resp.data, resp.cap);
	buf_free(&resp);
}
