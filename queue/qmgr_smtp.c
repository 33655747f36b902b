/* The relay's SMTP client session; see qmgr_smtp.h. */
#include "qmgr_smtp.h"
#include "base64.h"
#include "buf.h"
#include "dot_stuff.h"
#include "event.h"
#include "smtp_ehlo.h"
#include "smtp_ext.h"
#include "smtp_params.h"
#include "smtp_reply.h"
#include "smtp_reply_parser.h"
#include "stream.h"
#include "tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QMGR_SMTP_CHUNK 65536
#define QMGR_SMTP_QUEUE_MAX (256 * 1024)
/* RFC 5321 4.5.3.1.5 says 512; real servers send longer lines. */
#define QMGR_SMTP_LINE_MAX 2046

enum qmgr_smtp_state {
	SMTP_GREETING,
	SMTP_EHLO,
	SMTP_HELO,
	SMTP_STARTTLS,
	SMTP_TLS,	/* handshake running */
	SMTP_AUTH,
	SMTP_RSET,
	SMTP_TRANS,	/* MAIL, RCPT and DATA replies */
	SMTP_BODY,
	SMTP_DOT,
	SMTP_DOT_EMPTY,	/* the "." after a 354 with no recipient left */
	SMTP_IDLE,	/* between messages */
	SMTP_DONE,	/* finished or failed */
};

struct qmgr_smtp {
	struct qmgr *q;
	struct qmgr_smtp_peer peer;
	struct stream *stream;
	struct smtp_reply_parser *parser;
	enum qmgr_smtp_state state;
	unsigned int ext;
	uint64_t size_limit;
	bool tls_on, tls_refused, authed, broken;
	bool finished;		/* the outcome waits for done_timer */
	const char *step;	/* for "lost connection while ..." */
	/* The transaction. */
	struct queue_file *qf;
	size_t *idx;
	size_t count;
	bool *reported;
	size_t *accepted;
	size_t accepted_count;
	size_t replies;		/* transaction replies read: MAIL, RCPTs, DATA */
	bool pipelining;
	bool mail_failed;
	char mail_state;
	struct buf mail_reply;
	uint64_t body_off;
	struct dot_stuff dot;
	qmgr_smtp_rcpt_fn *rcpt_fn;
	qmgr_smtp_done_fn *done_fn;
	void *ctx;
	/* The outcome, handed to done_fn from the loop. */
	struct event_timer *done_timer;
	bool try_next;
	struct buf reason;
};

static void qmgr_smtp_trans_begin(struct qmgr_smtp *s);

const char *qmgr_smtp_relay(const struct qmgr_smtp *s)
{
	return s->peer.relay;
}

static void qmgr_smtp_timeout(struct qmgr_smtp *s, unsigned int secs,
			      const char *step)
{
	s->step = step;
	stream_set_timeouts(s->stream, secs * 1000,
			    s->q->relay.smtp_data_xfer_timeout * 1000);
}

static char qmgr_smtp_state_char(unsigned int code)
{
	return code < 300 ? 'D' : code >= 500 ? 'F' : 'T';
}

static void qmgr_smtp_report(struct qmgr_smtp *s, size_t pos, char state,
			     const char *reply)
{
	if (s->reported[pos])
		return;
	s->reported[pos] = true;
	s->rcpt_fn(s->ctx, pos, state, reply,
		   state == 'D' && (s->ext & SMTP_EXT_DSN) != 0);
}

static void qmgr_smtp_report_all(struct qmgr_smtp *s, char state,
				 const char *reply)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		qmgr_smtp_report(s, i, state, reply);
}

static void qmgr_smtp_finish(struct qmgr_smtp *s, bool try_next,
			     const char *reason, bool reusable)
{
	if (s->finished)
		return;
	s->finished = true;
	s->try_next = try_next;
	buf_clear(&s->reason);
	buf_append_str(&s->reason, reason != NULL ? reason : "");
	if (!try_next) {
		struct buf r = BUF_INIT;

		/* Every recipient leaves with an outcome. */
		buf_printf(&r, "451 4.4.2 %s: %s", s->peer.relay,
			   reason != NULL ? reason : "no reply");
		qmgr_smtp_report_all(s, 'T', buf_cstr(&r));
		buf_free(&r);
	}
	s->state = reusable ? SMTP_IDLE : SMTP_DONE;
	if (!reusable)
		s->broken = true;
	stream_pause(s->stream);
	event_timer_reset(s->done_timer);
}

static void qmgr_smtp_on_done(void *ctx)
{
	struct qmgr_smtp *s = ctx;

	event_timer_stop(s->done_timer);
	s->done_fn(s->ctx, s->try_next, buf_cstr(&s->reason));
}

/* The connection failed at `s->step`. */
static void qmgr_smtp_lost(struct qmgr_smtp *s, const char *why)
{
	struct buf r = BUF_INIT;
	/* Before MAIL nothing is decided: the next host may do better.
	 * After it, a recipient may already have been taken; the message
	 * is deferred and tried afresh later (RFC 5321 4.1.1.4 on the
	 * risk of duplicates after a lost final reply). */
	bool before = s->state < SMTP_TRANS || s->state == SMTP_RSET;

	buf_printf(&r, "%s while %s", why, s->step != NULL ? s->step :
		   "talking");
	qmgr_smtp_finish(s, before, buf_cstr(&r), false);
	buf_free(&r);
}

static void qmgr_smtp_send(struct qmgr_smtp *s, const char *line)
{
	stream_printf(s->stream, "%s\r\n", line);
}

static void qmgr_smtp_send_ehlo(struct qmgr_smtp *s, const char *verb)
{
	stream_printf(s->stream, "%s %s\r\n", verb, s->q->hostname);
	qmgr_smtp_timeout(s, s->q->relay.smtp_helo_timeout,
			  verb[0] == 'E' ? "sending EHLO" : "sending HELO");
}

static void qmgr_smtp_host_fail(struct qmgr_smtp *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void qmgr_smtp_host_fail(struct qmgr_smtp *s, const char *fmt, ...)
{
	struct buf r = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&r, fmt, ap);
	va_end(ap);
	qmgr_smtp_finish(s, true, buf_cstr(&r), false);
	buf_free(&r);
}

static void qmgr_smtp_send_auth(struct qmgr_smtp *s)
{
	struct buf plain = BUF_INIT, b64 = BUF_INIT;

	/* RFC 4616: authzid NUL authcid NUL password; sent as the initial
	 * response (RFC 4954 4).  Never logged. */
	buf_append_char(&plain, '\0');
	buf_append_str(&plain, s->peer.auth_user);
	buf_append_char(&plain, '\0');
	buf_append_str(&plain, s->peer.auth_pass);
	base64_encode(&b64, plain.data, plain.len);
	stream_printf(s->stream, "AUTH PLAIN %s\r\n", buf_cstr(&b64));
	memset(plain.data, 0, plain.len);
	buf_free(&plain);
	buf_free(&b64);
	s->state = SMTP_AUTH;
	qmgr_smtp_timeout(s, s->q->relay.smtp_helo_timeout, "sending AUTH");
}

/* After EHLO/HELO: TLS, then AUTH, then the transaction. */
static void qmgr_smtp_after_ehlo(struct qmgr_smtp *s)
{
	if (!s->tls_on && !s->tls_refused && s->peer.tls >= QMGR_TLS_MAY &&
	    s->peer.tls_ctx != NULL && (s->ext & SMTP_EXT_STARTTLS)) {
		qmgr_smtp_send(s, "STARTTLS");
		s->state = SMTP_STARTTLS;
		qmgr_smtp_timeout(s, s->q->relay.smtp_starttls_timeout,
				  "sending STARTTLS");
		return;
	}
	if (!s->tls_on && s->peer.tls >= QMGR_TLS_ENCRYPT) {
		qmgr_smtp_host_fail(s, "TLS is required, but was not offered "
				    "by host %s", s->peer.relay);
		return;
	}
	if (s->peer.auth_user != NULL && !s->authed && s->tls_on &&
	    (s->ext & SMTP_EXT_AUTH)) {
		qmgr_smtp_send_auth(s);
		return;
	}
	qmgr_smtp_trans_begin(s);
}

static void qmgr_smtp_ehlo_reply(struct qmgr_smtp *s,
				 const struct smtp_reply *reply,
				 const char *text)
{
	struct smtp_ehlo *ehlo;
	const char *error;

	if (s->state == SMTP_EHLO && reply->code != 250 && !s->tls_on) {
		/* RFC 5321 3.2: an old server; fall back to HELO. */
		qmgr_smtp_send_ehlo(s, "HELO");
		s->state = SMTP_HELO;
		return;
	}
	if (reply->code != 250) {
		qmgr_smtp_host_fail(s, "host %s refused to talk to me: %s",
				    s->peer.relay, text);
		return;
	}
	s->ext = 0;
	s->size_limit = 0;
	if (s->state == SMTP_EHLO && smtp_ehlo_parse(reply, &ehlo, &error) == 0) {
		s->ext = ehlo->extensions;
		s->size_limit = ehlo->size;
		if (s->peer.auth_user != NULL &&
		    smtp_ehlo_has_auth(ehlo, "PLAIN"))
			s->ext |= SMTP_EXT_AUTH;
		else
			s->ext &= ~(unsigned int)SMTP_EXT_AUTH;
		smtp_ehlo_free(&ehlo);
	}
	qmgr_smtp_after_ehlo(s);
}

static void qmgr_smtp_tls_ready(void *ctx)
{
	struct qmgr_smtp *s = ctx;
	struct tls_info info;

	if (tls_stream_info(s->stream, &info) < 0 || !info.handshake_done) {
		qmgr_smtp_lost(s, "TLS handshake failed");
		return;
	}
	if (s->peer.tls >= QMGR_TLS_VERIFY && !info.peer_verified) {
		qmgr_smtp_host_fail(s, "server certificate of %s not "
				    "verified: %s", s->peer.relay, info.verify_error != NULL ?
				    info.verify_error : "unknown");
		return;
	}
	s->tls_on = true;
	{
		struct buf t = BUF_INIT;

		buf_printf(&t, "%s %s %s", info.protocol, info.cipher,
			   info.peer_verified ? "verified" : "unverified");
		log_info("smtp_tls", "relay=%s tls=%s", s->peer.relay,
			 buf_cstr(&t));
		buf_free(&t);
	}
	/* RFC 3207 4.2: forget what the server said before TLS. */
	s->state = SMTP_EHLO;
	qmgr_smtp_send_ehlo(s, "EHLO");
	(void)stream_flush(s->stream);
	stream_resume(s->stream);
}

static void qmgr_smtp_starttls_reply(struct qmgr_smtp *s,
				     const struct smtp_reply *reply,
				     const char *text)
{
	const char *error;

	if (reply->code != 220) {
		if (s->peer.tls >= QMGR_TLS_ENCRYPT) {
			qmgr_smtp_host_fail(s, "host %s refused STARTTLS: %s",
					    s->peer.relay, text);
			return;
		}
		s->tls_refused = true;
		qmgr_smtp_after_ehlo(s);
		return;
	}
	/* Input after the 220 was sent before TLS: tls_stream_start()
	 * drops it (RFC 3207 6, the STARTTLS injection attack). */
	if (tls_stream_start(s->stream, s->peer.tls_ctx, s->peer.host,
			     &error) < 0) {
		qmgr_smtp_lost(s, error);
		return;
	}
	s->state = SMTP_TLS;
	s->step = "in the TLS handshake";
}

/* ---- the transaction ---- */

static void qmgr_smtp_send_mail(struct qmgr_smtp *s)
{
	const struct queue_envelope *env = &s->qf->env;
	struct smtp_mail_params p;
	struct buf line = BUF_INIT;

	memset(&p, 0, sizeof(p));
	p.size_set = true;
	p.size = env->message_size;
	p.body = (enum smtp_params_body)env->body;
	p.smtputf8 = env->smtputf8;
	p.ret = (enum smtp_params_ret)env->ret;
	p.envid = env->envid;
	buf_printf(&line, "MAIL FROM:<%s>", env->sender);
	smtp_params_write_mail(&line, &p, s->ext & ~(unsigned int)SMTP_EXT_AUTH);
	stream_printf(s->stream, "%s\r\n", buf_cstr(&line));
	buf_free(&line);
}

static void qmgr_smtp_send_rcpt(struct qmgr_smtp *s, size_t pos)
{
	const struct queue_rcpt *r = &s->qf->env.rcpts[s->idx[pos]];
	struct smtp_rcpt_params p;
	struct buf line = BUF_INIT;

	memset(&p, 0, sizeof(p));
	p.notify = r->notify;
	p.orcpt_type = r->orcpt_type;
	p.orcpt = r->orcpt;
	buf_printf(&line, "RCPT TO:<%s>", r->address);
	/* RFC 3461 5.2: DSN requests go on when the server takes them. */
	smtp_params_write_rcpt(&line, &p, s->ext, s->qf->env.smtputf8);
	stream_printf(s->stream, "%s\r\n", buf_cstr(&line));
	buf_free(&line);
}

/* Checks what the message needs against what the server offered.
 * Returns false after failing every recipient. */
static bool qmgr_smtp_fits(struct qmgr_smtp *s)
{
	const struct queue_envelope *env = &s->qf->env;
	struct buf r = BUF_INIT;

	if ((s->ext & SMTP_EXT_SIZE) && s->size_limit > 0 &&
	    env->message_size > s->size_limit)
		/* RFC 1870 6.1: larger than the server's fixed limit. */
		buf_printf(&r, "552 5.3.4 Message size exceeds fixed maximum "
			   "message size of host %s", s->peer.relay);
	else if (env->smtputf8 && !(s->ext & SMTP_EXT_SMTPUTF8))
		/* RFC 6531 3.2: no downgrade, so it cannot go. */
		buf_printf(&r, "550 5.6.7 SMTPUTF8 is required, but was not "
			   "offered by host %s", s->peer.relay);
	else if (env->body == SMTP_PARAMS_BODY_8BITMIME &&
		 !(s->ext & SMTP_EXT_8BITMIME))
		/* RFC 6152 3: 8-bit data only to a server that offers it;
		 * we do not convert. */
		buf_printf(&r, "554 5.6.3 8BITMIME is required, but was not "
			   "offered by host %s", s->peer.relay);
	if (r.len == 0)
		return true;
	qmgr_smtp_report_all(s, 'F', buf_cstr(&r));
	buf_free(&r);
	return false;
}

static void qmgr_smtp_trans_end(struct qmgr_smtp *s)
{
	qmgr_smtp_finish(s, false, NULL, true);
}

static void qmgr_smtp_trans_begin(struct qmgr_smtp *s)
{
	size_t i;

	if (!qmgr_smtp_fits(s)) {
		qmgr_smtp_trans_end(s);
		return;
	}
	s->pipelining = (s->ext & SMTP_EXT_PIPELINING) != 0;
	s->state = SMTP_TRANS;
	s->replies = 0;
	s->mail_failed = false;
	qmgr_smtp_send_mail(s);
	if (s->pipelining) {
		/* RFC 2920 3.1: MAIL, RCPT and DATA may go in one group. */
		for (i = 0; i < s->count; i++)
			qmgr_smtp_send_rcpt(s, i);
		qmgr_smtp_send(s, "DATA");
	}
	qmgr_smtp_timeout(s, s->q->relay.smtp_mail_timeout, "sending MAIL");
}

static void qmgr_smtp_send_body(struct qmgr_smtp *s)
{
	char chunk[QMGR_SMTP_CHUNK];
	struct buf out = BUF_INIT;

	while (s->body_off < s->qf->env.message_size &&
	       stream_output_queued(s->stream) < QMGR_SMTP_QUEUE_MAX) {
		ssize_t n = queue_file_read_message(s->qf, s->body_off, chunk,
						    sizeof(chunk));

		if (n <= 0) {
			buf_free(&out);
			qmgr_smtp_finish(s, false, "cannot read the queue file",
					 false);
			return;
		}
		buf_clear(&out);
		dot_stuff_append(&s->dot, &out, chunk, (size_t)n);
		s->body_off += (uint64_t)n;
		stream_write(s->stream, out.data, out.len);
	}
	if (s->body_off >= s->qf->env.message_size) {
		buf_clear(&out);
		dot_stuff_finish(&s->dot, &out);
		stream_write(s->stream, out.data, out.len);
		s->state = SMTP_DOT;
		qmgr_smtp_timeout(s, s->q->relay.smtp_data_done_timeout,
				  "sending end of data");
		stream_resume(s->stream);
	}
	buf_free(&out);
	(void)stream_flush(s->stream);
}

/* A reply to MAIL, RCPT or DATA; `text` is "550 5.1.1 ...". */
static void qmgr_smtp_trans_reply(struct qmgr_smtp *s,
				  const struct smtp_reply *reply,
				  const char *text)
{
	size_t n = s->replies++;
	size_t i;

	if (n == 0) {
		if (reply->code >= 300) {
			s->mail_failed = true;
			s->mail_state = qmgr_smtp_state_char(reply->code);
			buf_clear(&s->mail_reply);
			buf_append_str(&s->mail_reply, text);
			if (!s->pipelining) {
				qmgr_smtp_report_all(s, s->mail_state, text);
				qmgr_smtp_trans_end(s);
				return;
			}
		} else if (!s->pipelining) {
			qmgr_smtp_send_rcpt(s, 0);
		}
		qmgr_smtp_timeout(s, s->q->relay.smtp_rcpt_timeout,
				  "sending RCPT");
		return;
	}
	if (n <= s->count) {
		size_t pos = n - 1;

		if (!s->mail_failed && reply->code < 300)
			s->accepted[s->accepted_count++] = pos;
		else if (!s->mail_failed)
			qmgr_smtp_report(s, pos,
					 qmgr_smtp_state_char(reply->code), text);
		if (s->pipelining)
			return;
		if (pos + 1 < s->count) {
			qmgr_smtp_send_rcpt(s, pos + 1);
		} else if (s->accepted_count == 0) {
			/* The server keeps the MAIL; RSET comes before the
			 * next message. */
			qmgr_smtp_trans_end(s);
			return;
		} else {
			qmgr_smtp_send(s, "DATA");
			qmgr_smtp_timeout(s, s->q->relay.smtp_data_init_timeout,
					  "sending DATA");
		}
		return;
	}
	/* DATA. */
	if (s->mail_failed || s->accepted_count == 0) {
		if (s->mail_failed)
			qmgr_smtp_report_all(s, s->mail_state,
					     buf_cstr(&s->mail_reply));
		if (reply->code == 354) {
			/* RFC 2920 3.1: nothing to send, but the server
			 * waits for data: end it at once. */
			qmgr_smtp_send(s, ".");
			s->state = SMTP_DOT_EMPTY;
			return;
		}
		qmgr_smtp_trans_end(s);
		return;
	}
	if (reply->code != 354) {
		for (i = 0; i < s->accepted_count; i++)
			qmgr_smtp_report(s, s->accepted[i],
					 qmgr_smtp_state_char(reply->code), text);
		qmgr_smtp_trans_end(s);
		return;
	}
	s->state = SMTP_BODY;
	s->step = "sending message body";
	s->body_off = 0;
	dot_stuff_init(&s->dot);
	stream_pause(s->stream);
	qmgr_smtp_send_body(s);
}

static void qmgr_smtp_reply(struct qmgr_smtp *s, const struct smtp_reply *reply)
{
	struct buf text = BUF_INIT;
	size_t i;

	qmgr_reply_text(reply, &text);
	switch (s->state) {
	case SMTP_GREETING:
		if (reply->code != 220) {
			qmgr_smtp_host_fail(s, "host %s refused to talk to "
					    "me: %s", s->peer.relay,
					    buf_cstr(&text));
			break;
		}
		s->state = SMTP_EHLO;
		qmgr_smtp_send_ehlo(s, "EHLO");
		break;
	case SMTP_EHLO:
	case SMTP_HELO:
		qmgr_smtp_ehlo_reply(s, reply, buf_cstr(&text));
		break;
	case SMTP_STARTTLS:
		qmgr_smtp_starttls_reply(s, reply, buf_cstr(&text));
		break;
	case SMTP_AUTH:
		if (reply->code != 235) {
			qmgr_smtp_host_fail(s, "authentication to %s failed: "
					    "%s", s->peer.relay, buf_cstr(&text));
			break;
		}
		s->authed = true;
		qmgr_smtp_trans_begin(s);
		break;
	case SMTP_RSET:
		if (reply->code != 250) {
			qmgr_smtp_host_fail(s, "host %s refused RSET: %s",
					    s->peer.relay, buf_cstr(&text));
			break;
		}
		qmgr_smtp_trans_begin(s);
		break;
	case SMTP_TRANS:
		qmgr_smtp_trans_reply(s, reply, buf_cstr(&text));
		break;
	case SMTP_DOT:
		/* RFC 5321 4.1.1.4: one reply for the whole message. */
		for (i = 0; i < s->accepted_count; i++)
			qmgr_smtp_report(s, s->accepted[i],
					 qmgr_smtp_state_char(reply->code),
					 buf_cstr(&text));
		qmgr_smtp_trans_end(s);
		break;
	case SMTP_DOT_EMPTY:
		qmgr_smtp_trans_end(s);
		break;
	default:
		/* A reply nobody asked for: the server is confused. */
		qmgr_smtp_finish(s, false, "unexpected reply", false);
		break;
	}
	buf_free(&text);
}

/* Replies are read only while one is awaited: not while idle in the
 * connection cache, sending the body, or in the TLS handshake. */
static bool qmgr_smtp_wants_reply(void *ctx)
{
	const struct qmgr_smtp *s = ctx;

	return s->state != SMTP_DONE && s->state != SMTP_IDLE &&
	       s->state != SMTP_BODY && s->state != SMTP_TLS;
}

static void qmgr_smtp_on_reply(void *ctx, const struct smtp_reply *reply)
{
	qmgr_smtp_reply(ctx, reply);
}

static void qmgr_smtp_input(void *ctx)
{
	struct qmgr_smtp *s = ctx;
	const char *error;

	if (smtp_reply_parser_read_all(s->parser, s->stream,
				       QMGR_SMTP_LINE_MAX,
				       qmgr_smtp_wants_reply,
				       qmgr_smtp_on_reply, s, &error) < 0)
		qmgr_smtp_lost(s, error != NULL ? error :
			       stream_timed_out(s->stream) ?
			       "conversation timed out" : "lost connection");
	if (s->state != SMTP_DONE)
		(void)stream_flush(s->stream);
}

static void qmgr_smtp_drained(void *ctx)
{
	struct qmgr_smtp *s = ctx;

	if (s->state == SMTP_BODY)
		qmgr_smtp_send_body(s);
}

static void qmgr_smtp_error(void *ctx)
{
	struct qmgr_smtp *s = ctx;

	if (s->state == SMTP_IDLE) {
		/* The server closed a cached connection: fine. */
		s->state = SMTP_DONE;
		s->broken = true;
		return;
	}
	qmgr_smtp_lost(s, stream_timed_out(s->stream) ?
		       "conversation timed out" : "lost connection");
}

static const struct stream_callbacks qmgr_smtp_cb = {
	.input = qmgr_smtp_input,
	.drained = qmgr_smtp_drained,
	.error = qmgr_smtp_error,
	.ready = qmgr_smtp_tls_ready,
};

static void qmgr_smtp_set_job(struct qmgr_smtp *s, struct queue_file *qf,
			      const size_t *idx, size_t count,
			      qmgr_smtp_rcpt_fn *rcpt_fn,
			      qmgr_smtp_done_fn *done_fn, void *ctx)
{
	free(s->idx);
	free(s->reported);
	free(s->accepted);
	s->qf = qf;
	s->idx = xcalloc(count, sizeof(*s->idx));
	memcpy(s->idx, idx, count * sizeof(*s->idx));
	s->count = count;
	s->reported = xcalloc(count, sizeof(*s->reported));
	s->accepted = xcalloc(count, sizeof(*s->accepted));
	s->accepted_count = 0;
	s->rcpt_fn = rcpt_fn;
	s->done_fn = done_fn;
	s->ctx = ctx;
}

struct qmgr_smtp *qmgr_smtp_start(struct qmgr *q, int fd,
				  const struct qmgr_smtp_peer *peer,
				  struct queue_file *qf, const size_t *idx,
				  size_t count, qmgr_smtp_rcpt_fn *rcpt_fn,
				  qmgr_smtp_done_fn *done_fn, void *ctx)
{
	struct qmgr_smtp *s = xcalloc(1, sizeof(*s));
	struct stream_settings set = stream_default_settings;

	s->q = q;
	s->peer = *peer;
	s->peer.host = xstrdup(peer->host);
	s->peer.relay = xstrdup(peer->relay);
	s->parser = smtp_reply_parser_new(&smtp_reply_limits_default);
	qmgr_smtp_set_job(s, qf, idx, count, rcpt_fn, done_fn, ctx);
	s->done_timer = event_timer_add(q->loop, 0, 0, qmgr_smtp_on_done, s);
	event_timer_stop(s->done_timer);
	set.read_timeout_ms = q->relay.smtp_helo_timeout * 1000;
	set.write_timeout_ms = q->relay.smtp_data_xfer_timeout * 1000;
	s->stream = stream_new(q->loop, fd, &set, &qmgr_smtp_cb, s);
	s->state = SMTP_GREETING;
	s->step = "receiving the initial server greeting";
	return s;
}

bool qmgr_smtp_reusable(const struct qmgr_smtp *s)
{
	return s->state == SMTP_IDLE && !s->broken &&
		stream_error(s->stream) == NULL && !stream_is_eof(s->stream);
}

void qmgr_smtp_next(struct qmgr_smtp *s, struct queue_file *qf,
		    const size_t *idx, size_t count,
		    qmgr_smtp_rcpt_fn *rcpt_fn, qmgr_smtp_done_fn *done_fn,
		    void *ctx)
{
	qmgr_smtp_set_job(s, qf, idx, count, rcpt_fn, done_fn, ctx);
	s->finished = false;
	/* The last transaction may have stopped after MAIL. */
	qmgr_smtp_send(s, "RSET");
	s->state = SMTP_RSET;
	qmgr_smtp_timeout(s, s->q->relay.smtp_quit_timeout, "sending RSET");
	stream_resume(s->stream);
	(void)stream_flush(s->stream);
}

void qmgr_smtp_free(struct qmgr_smtp **sp)
{
	struct qmgr_smtp *s = *sp;

	if (s == NULL)
		return;
	if (s->state == SMTP_IDLE && !s->broken &&
	    stream_error(s->stream) == NULL) {
		/* Polite, but nobody waits for the 221. */
		qmgr_smtp_send(s, "QUIT");
		(void)stream_flush(s->stream);
	}
	stream_free(&s->stream);
	smtp_reply_parser_free(&s->parser);
	event_timer_remove(&s->done_timer);
	buf_free(&s->reason);
	buf_free(&s->mail_reply);
	free((char *)s->peer.host);
	free((char *)s->peer.relay);
	free(s->idx);
	free(s->reported);
	free(s->accepted);
	free(s);
	*sp = NULL;
}
