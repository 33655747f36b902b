#include "imapd/imap_auth.h"
#include "imapd/imap_client.h"
#include "imapd/imapd.h"
#include "auth_client.h"
#include "base64.h"
#include "log.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>

struct imap_auth {
	char mech[32];
};

static void imap_auth_ctx_free(struct imap_client *c)
{
	free(c->cmd_ctx);
	c->cmd_ctx = NULL;
	auth_client_free(&c->auth);
}

static void imap_auth_on_line(struct imap_client *c, const char *line,
			      size_t len)
{
	struct buf decoded = BUF_INIT;

	/* RFC 9051 section 6.2.2: "*" cancels. */
	if (len == 1 && line[0] == '*') {
		auth_client_free(&c->auth);
		imap_client_done_plain(c, "BAD Authentication cancelled");
		return;
	}
	if (base64_decode(&decoded, line, len,
			  c->daemon->auth.auth_max_token_size) < 0) {
		auth_client_free(&c->auth);
		imap_client_done_plain(c, "BAD Invalid base64 in response");
		buf_free(&decoded);
		return;
	}
	auth_client_continue(c->auth, decoded.data != NULL ? decoded.data : "",
			     decoded.len);
	buf_free(&decoded);
}

static void imap_auth_callback(void *ctx, const struct auth_client_reply *reply,
			       const char *error)
{
	struct imap_client *c = ctx;
	struct imap_auth *a = c->cmd_ctx;
	struct buf line = BUF_INIT;
	char *user, *authn, mech[sizeof(a->mech)];

	imap_client_ref(c);
	memcpy(mech, a->mech, sizeof(mech));
	if (reply == NULL) {
		log_error("auth_unavailable", "mech=%s reason=%s", mech, error);
		auth_client_free(&c->auth);
		imap_client_done_plain(c, "NO [UNAVAILABLE] Authentication is "
				       "not possible now; please quote session %s",
				       c->log.session);
	} else if (reply->status == AUTH_CLIENT_CONTINUE) {
		buf_append_str(&line, "+ ");
		base64_encode(&line, reply->challenge, reply->challenge_len);
		imap_client_send(c, "%s", buf_cstr(&line));
		imap_client_read_lines(c, imap_auth_on_line);
		(void)imap_client_wait_output(c, NULL);
	} else if (reply->status == AUTH_CLIENT_OK) {
		user = xstrdup(reply->user);
		authn = reply->authn_user != NULL ?
			xstrdup(reply->authn_user) : NULL;
		auth_client_free(&c->auth);
		imap_client_login(c, user, authn, mech);
		free(user);
		free(authn);
	} else if (reply->fail == AUTH_FAIL_TEMP) {
		/* The KDC did not answer: not the user's fault, and worth
		 * trying again (RFC 5530 UNAVAILABLE). */
		log_warn("auth_unavailable", "mech=%s reason=%s", mech,
			 auth_fail_name(reply->fail));
		auth_client_free(&c->auth);
		imap_client_done_plain(c, "NO [UNAVAILABLE] Authentication is "
				       "not possible now; please quote session %s",
				       c->log.session);
	} else {
		auth_client_free(&c->auth);
		imap_client_login_failed(c, mech, auth_fail_name(reply->fail));
	}
	buf_free(&line);
	imap_client_unref(c);
}

void imap_auth_begin(struct imap_client *c, const char *mech, const void *ir,
		     size_t ir_len)
{
	struct imapd *d = c->daemon;
	struct auth_client_request req;
	struct imap_auth *a = xcalloc(1, sizeof(*a));
	const char *error;

	(void)str_copy(a->mech, sizeof(a->mech), mech);
	c->cmd_ctx = a;
	c->cmd_ctx_free = imap_auth_ctx_free;
	memset(&req, 0, sizeof(req));
	req.mech = a->mech;
	req.service = "imap";
	req.secured = c->tls;
	req.client_addr = c->conn->peer_ip;
	req.session = c->log.session;
	req.initial_response = ir;
	req.initial_response_len = ir_len;
	if (auth_client_begin(d->loop, d->auth_socket,
			      d->auth.auth_request_timeout,
			      d->auth.auth_max_token_size, &req,
			      imap_auth_callback, c, &c->auth, &error) < 0) {
		log_error("auth_unavailable", "mech=%s reason=%s", mech, error);
		imap_client_done_plain(c, "NO [UNAVAILABLE] Authentication is "
				       "not possible now; please quote session %s",
				       c->log.session);
	}
}
