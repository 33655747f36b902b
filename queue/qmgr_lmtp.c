/* The LMTP client (RFC 2033).  Connections to lmtpd are kept open and
 * carry transaction after transaction: a connection whose transaction
 * ended cleanly (the message sent and every reply to it read) waits
 * in an idle pool for the next message, for at most
 * lmtp_connection_idle_timeout and lmtp_connection_reuse_limit
 * transactions.  Anything else (a protocol error, a refusal that would
 * need RSET, a 421, the peer closing) drops it.  The pool never holds
 * more connections than lmtp_destination_concurrency_limit, since a new
 * one is opened only when none is idle and a delivery slot is free.
 *
 * A reused connection may have been closed by lmtpd just before we wrote
 * to it (its own idle timeout, a restart).  When it fails before the
 * first reply of the transaction, nothing can have been delivered (the
 * body goes only after 354), so the transaction starts again once on a
 * fresh connection instead of deferring the message.
 *
 * When the server offers PIPELINING (RFC 2920), MAIL, the RCPTs and DATA
 * go out in one write (a very long recipient list in several, as room in
 * the output buffer allows) and their replies are read in order;
 * otherwise one command at a time.  After the message, one reply per
 * accepted recipient (RFC 2033 4.2).  Each recipient's outcome is
 * reported as its reply arrives, the same either way. */
#include "qmgr.h"
#include "buf.h"
#include "event.h"
#include "smtp_ehlo.h"
#include "smtp_ext.h"
#include "smtp_params.h"
#include "smtp_reply.h"
#include "smtp_reply_parser.h"
#include "stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define QMGR_LMTP_CHUNK 65536
#define QMGR_LMTP_QUEUE_MAX (256 * 1024)

enum qmgr_lmtp_state {
	QMGR_LMTP_GREETING,
	QMGR_LMTP_LHLO,
	QMGR_LMTP_MAIL,
	QMGR_LMTP_RCPT,
	QMGR_LMTP_DATA,
	QMGR_LMTP_BODY,
	QMGR_LMTP_DOT,
	QMGR_LMTP_DONE,
};

/* One connection to lmtpd: carrying a transaction, or idle in the pool. */
struct qmgr_lmtp_conn {
	struct qmgr_lmtp_conn *next;	/* in q->lmtp_idle */
	struct qmgr *q;
	struct stream *stream;
	struct smtp_reply_parser *parser;
	struct qmgr_lmtp *l;	/* the transaction it carries, or NULL */
	/* Frees it from the loop, never from inside its own callbacks. */
	struct event_timer *close_timer;
	unsigned int ext;	/* what LHLO offered */
	unsigned int uses;	/* transactions begun on it */
	bool idle, closing;
};

struct qmgr_lmtp {
	struct qmgr *q;
	struct queue_file *qf;
	size_t *idx;
	size_t count;
	bool *reported;
	size_t *accepted;
	size_t accepted_count;
	size_t rcpt_i, dot_i;
	size_t rcpt_sent;	/* RCPT commands written */
	bool data_sent;
	bool replied;		/* a reply to this transaction came in */
	bool retried;		/* started again on a fresh connection */
	bool clean;		/* every reply in, the connection reusable */
	bool broken;		/* a 421: the server is closing */
	qmgr_lmtp_rcpt_fn *rcpt_fn;
	qmgr_lmtp_done_fn *done_fn;
	void *ctx;
	struct qmgr_lmtp_conn *conn;
	enum qmgr_lmtp_state state;
	uint64_t body_off;
	bool line_start;
	char last;
};

static void qmgr_lmtp_conn_release(struct qmgr_lmtp_conn *c, bool clean);
static void qmgr_lmtp_conn_close(struct qmgr_lmtp_conn *c,
				 const char *reason);
static void qmgr_lmtp_begin(struct qmgr_lmtp *l, bool may_reuse);
static void qmgr_lmtp_retry(struct qmgr_lmtp *l, const char *reason);

static void qmgr_lmtp_report(struct qmgr_lmtp *l, size_t i, char state,
			     const char *reply)
{
	if (l->reported[i])
		return;
	l->reported[i] = true;
	l->rcpt_fn(l->ctx, l->idx[i], state, reply);
}

/* Ends the transaction: every recipient without an answer yet gets a
 * temporary failure with `reason`.  Its connection goes back to the pool
 * when the transaction ended cleanly, else it is closed (with QUIT when
 * the server did nothing wrong). */
static void qmgr_lmtp_finish(struct qmgr_lmtp *l, const char *reason)
{
	struct qmgr_lmtp_conn *c = l->conn;
	struct buf reply = BUF_INIT;
	size_t i;

	if (l->state == QMGR_LMTP_DONE)
		return;
	buf_printf(&reply, "451 4.4.1 lmtp: %s",
		   reason != NULL ? reason : "no reply");
	for (i = 0; i < l->count; i++)
		qmgr_lmtp_report(l, i, 'T', buf_cstr(&reply));
	buf_free(&reply);
	l->state = QMGR_LMTP_DONE;
	l->conn = NULL;
	if (c != NULL) {
		c->l = NULL;
		if (reason != NULL)
			qmgr_lmtp_conn_close(c, reason);
		else
			qmgr_lmtp_conn_release(c, l->clean);
	}
	/* After the connection is back in the pool, so that the next
	 * delivery this starts can take it. */
	l->done_fn(l->ctx);
}

void qmgr_reply_text(const struct smtp_reply *reply, struct buf *out)
{
	size_t i;

	buf_printf(out, "%u", reply->code);
	if (reply->enhanced[0] != '\0')
		buf_printf(out, " %s", reply->enhanced);
	for (i = 0; i < reply->line_count; i++) {
		if (reply->lines[i][0] != '\0')
			buf_printf(out, " %s", reply->lines[i]);
	}
}

static char qmgr_lmtp_state_char(unsigned int code)
{
	return code < 300 ? 'D' : code >= 500 ? 'F' : 'T';
}

/* Writes the RCPT commands due: the next one once the previous reply is
 * in, or when pipelining all that fit, then DATA after the last (RFC 2920
 * 3.1: DATA may end a batch).  The input handler's flush sends them. */
static void qmgr_lmtp_send_rcpts(struct qmgr_lmtp *l)
{
	struct stream *s = l->conn->stream;
	bool pipelining = (l->conn->ext & SMTP_EXT_PIPELINING) != 0;

	while (l->rcpt_sent < l->count &&
	       (pipelining ?
		stream_output_queued(s) < QMGR_LMTP_QUEUE_MAX :
		l->rcpt_sent == l->rcpt_i)) {
		const struct queue_rcpt *r =
			&l->qf->env.rcpts[l->idx[l->rcpt_sent++]];

		stream_printf(s, "RCPT TO:<%s>\r\n", r->address);
	}
	if (pipelining && l->rcpt_sent == l->count && !l->data_sent) {
		stream_write_str(s, "DATA\r\n");
		l->data_sent = true;
	}
}

static void qmgr_lmtp_send_body(struct qmgr_lmtp *l)
{
	char chunk[QMGR_LMTP_CHUNK];
	struct buf out = BUF_INIT;
	struct stream *s = l->conn->stream;

	while (l->body_off < l->qf->env.message_size &&
	       stream_output_queued(s) < QMGR_LMTP_QUEUE_MAX) {
		ssize_t n = queue_file_read_message(l->qf, l->body_off, chunk,
						    sizeof(chunk));
		ssize_t i;

		if (n <= 0) {
			buf_free(&out);
			qmgr_lmtp_finish(l, "cannot read the queue file");
			return;
		}
		buf_clear(&out);
		/* Dot-stuffing (RFC 5321 4.5.2). */
		for (i = 0; i < n; i++) {
			if (l->line_start && chunk[i] == '.')
				buf_append_char(&out, '.');
			buf_append_char(&out, chunk[i]);
			l->line_start = chunk[i] == '\n';
		}
		l->last = chunk[n - 1];
		l->body_off += (uint64_t)n;
		stream_write(s, out.data, out.len);
	}
	buf_free(&out);
	if (l->body_off >= l->qf->env.message_size) {
		if (l->qf->env.message_size > 0 && l->last != '\n')
			stream_write_str(s, "\r\n");
		stream_write_str(s, ".\r\n");
		l->state = QMGR_LMTP_DOT;
		stream_resume(s);
	}
	(void)stream_flush(s);
}

static void qmgr_lmtp_send_mail(struct qmgr_lmtp *l)
{
	const struct queue_envelope *env = &l->qf->env;
	struct stream *s = l->conn->stream;

	stream_printf(s, "MAIL FROM:<%s>", env->sender);
	if ((l->conn->ext & SMTP_EXT_8BITMIME) &&
	    env->body == SMTP_PARAMS_BODY_8BITMIME)
		stream_write_str(s, " BODY=8BITMIME");
	if ((l->conn->ext & SMTP_EXT_SMTPUTF8) && env->smtputf8)
		stream_write_str(s, " SMTPUTF8");
	if (l->conn->ext & SMTP_EXT_SIZE)
		stream_printf(s, " SIZE=%llu",
			      (unsigned long long)env->message_size);
	stream_write_str(s, "\r\n");
}

/* MAIL, and with PIPELINING the RCPTs and DATA behind it. */
static void qmgr_lmtp_send_envelope(struct qmgr_lmtp *l)
{
	qmgr_lmtp_send_mail(l);
	if (l->conn->ext & SMTP_EXT_PIPELINING)
		qmgr_lmtp_send_rcpts(l);
	l->state = QMGR_LMTP_MAIL;
}

static void qmgr_lmtp_all(struct qmgr_lmtp *l, const struct smtp_reply *reply,
			  const char *text)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		qmgr_lmtp_report(l, i, qmgr_lmtp_state_char(reply->code), text);
}

static void qmgr_lmtp_reply(struct qmgr_lmtp *l, const struct smtp_reply *reply)
{
	struct buf text = BUF_INIT;
	struct smtp_ehlo *ehlo;
	const char *error;
	size_t i;

	qmgr_reply_text(reply, &text);
	if (l->state == QMGR_LMTP_MAIL && !l->replied && reply->code == 421 &&
	    l->conn->uses > 1 && !l->retried) {
		/* A reused connection that lmtpd is closing (a restart):
		 * nothing was taken, so try once more on a new one. */
		qmgr_lmtp_retry(l, buf_cstr(&text));
		buf_free(&text);
		return;
	}
	l->replied = true;
	/* RFC 5321 3.8: the server closes after a 421. */
	if (reply->code == 421)
		l->broken = true;
	switch (l->state) {
	case QMGR_LMTP_GREETING:
		if (reply->code != 220) {
			qmgr_lmtp_finish(l, buf_cstr(&text));
			break;
		}
		stream_printf(l->conn->stream, "LHLO %s\r\n", l->q->hostname);
		l->state = QMGR_LMTP_LHLO;
		break;
	case QMGR_LMTP_LHLO:
		if (smtp_ehlo_parse(reply, &ehlo, &error) < 0) {
			qmgr_lmtp_finish(l, buf_cstr(&text));
			break;
		}
		l->conn->ext = ehlo->extensions;
		smtp_ehlo_free(&ehlo);
		qmgr_lmtp_send_envelope(l);
		break;
	case QMGR_LMTP_MAIL:
		if (reply->code >= 300) {
			qmgr_lmtp_all(l, reply, buf_cstr(&text));
			qmgr_lmtp_finish(l, NULL);
			break;
		}
		l->state = QMGR_LMTP_RCPT;
		qmgr_lmtp_send_rcpts(l);
		break;
	case QMGR_LMTP_RCPT:
		if (reply->code < 300)
			l->accepted[l->accepted_count++] = l->rcpt_i;
		else
			qmgr_lmtp_report(l, l->rcpt_i,
					 qmgr_lmtp_state_char(reply->code),
					 buf_cstr(&text));
		if (++l->rcpt_i < l->count) {
			qmgr_lmtp_send_rcpts(l);
		} else if (l->accepted_count == 0) {
			/* A pipelined DATA is refused for want of recipients
			 * (or, by a broken server, taken: closing aborts it);
			 * nothing is left to report either way. */
			qmgr_lmtp_finish(l, NULL);
		} else {
			if (!l->data_sent) {
				stream_write_str(l->conn->stream, "DATA\r\n");
				l->data_sent = true;
			}
			l->state = QMGR_LMTP_DATA;
		}
		break;
	case QMGR_LMTP_DATA:
		if (reply->code != 354) {
			for (i = 0; i < l->accepted_count; i++)
				qmgr_lmtp_report(l, l->accepted[i],
						 qmgr_lmtp_state_char(reply->code),
						 buf_cstr(&text));
			qmgr_lmtp_finish(l, NULL);
			break;
		}
		l->state = QMGR_LMTP_BODY;
		l->line_start = true;
		stream_pause(l->conn->stream);
		qmgr_lmtp_send_body(l);
		break;
	case QMGR_LMTP_DOT:
		/* RFC 2033 4.2: one reply per accepted RCPT, in order. */
		qmgr_lmtp_report(l, l->accepted[l->dot_i++],
				 qmgr_lmtp_state_char(reply->code),
				 buf_cstr(&text));
		if (l->dot_i == l->accepted_count) {
			l->clean = !l->broken;
			qmgr_lmtp_finish(l, NULL);
		}
		break;
	default:
		break;
	}
	buf_free(&text);
}

/* ---- connections ---- */

static void qmgr_lmtp_conn_free(struct qmgr_lmtp_conn *c)
{
	event_timer_remove(&c->close_timer);
	stream_free(&c->stream);
	smtp_reply_parser_free(&c->parser);
	free(c);
}

static void qmgr_lmtp_conn_on_close(void *ctx)
{
	qmgr_lmtp_conn_free(ctx);
}

static void qmgr_lmtp_idle_unlink(struct qmgr_lmtp_conn *c)
{
	struct qmgr_lmtp_conn **pp;

	if (!c->idle)
		return;
	for (pp = &c->q->lmtp_idle; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->idle = false;
	c->q->lmtp_idle_count--;
}

/* Closes `c`: with QUIT when reason is NULL (we are done with it), else
 * at once.  Freed from the loop, since this may run inside one of its
 * callbacks, whose caller still holds it. */
static void qmgr_lmtp_conn_close(struct qmgr_lmtp_conn *c, const char *reason)
{
	if (c->closing)
		return;
	c->closing = true;
	c->l = NULL;
	qmgr_lmtp_idle_unlink(c);
	log_info("lmtp_connection_closed", "reason=%s count=%u",
		 reason != NULL ? reason : "done", c->uses);
	stream_pause(c->stream);
	if (reason == NULL) {
		stream_write_str(c->stream, "QUIT\r\n");
		(void)stream_flush(c->stream);
	}
	c->close_timer = event_timer_add(c->q->loop, 0, 0,
					 qmgr_lmtp_conn_on_close, c);
}

/* After a transaction: keeps a clean connection for the next one,
 * within the idle time and the reuse limit; closes the others. */
static void qmgr_lmtp_conn_release(struct qmgr_lmtp_conn *c, bool clean)
{
	struct qmgr *q = c->q;
	unsigned int idle_ms = q->set.lmtp_connection_idle_timeout * 1000U;

	if (!clean || idle_ms == 0 ||
	    c->uses >= q->set.lmtp_connection_reuse_limit ||
	    stream_error(c->stream) != NULL || stream_is_eof(c->stream)) {
		/* A transaction refused before its message may have left
		 * the server mid-way (a pipelined DATA): no RSET, a new
		 * connection is as cheap. */
		qmgr_lmtp_conn_close(c, NULL);
		return;
	}
	/* While idle the read timeout is the idle timeout: the stream's
	 * error callback then closes it. */
	stream_set_timeouts(c->stream, idle_ms, idle_ms);
	stream_resume(c->stream);
	c->next = q->lmtp_idle;
	q->lmtp_idle = c;
	q->lmtp_idle_count++;
	c->idle = true;
}

static bool qmgr_lmtp_wants_reply(void *ctx)
{
	const struct qmgr_lmtp_conn *c = ctx;

	/* Replies are read until the body is due or the transaction is
	 * over (and the connection perhaps carries the next one). */
	return !c->closing && c->l != NULL && c->l->state != QMGR_LMTP_DONE &&
		c->l->state != QMGR_LMTP_BODY;
}

static void qmgr_lmtp_on_reply(void *ctx, const struct smtp_reply *reply)
{
	struct qmgr_lmtp_conn *c = ctx;

	qmgr_lmtp_reply(c->l, reply);
}

/* The connection failed under a transaction. */
static void qmgr_lmtp_conn_failed(struct qmgr_lmtp_conn *c, const char *reason)
{
	struct qmgr_lmtp *l = c->l;

	if (l->conn->uses > 1 && !l->replied && !l->retried &&
	    l->state >= QMGR_LMTP_MAIL && l->state <= QMGR_LMTP_DATA)
		qmgr_lmtp_retry(l, reason);
	else
		qmgr_lmtp_finish(l, reason);
}

static const char *qmgr_lmtp_stream_reason(const struct stream *s)
{
	return stream_timed_out(s) ? "timeout" :
		stream_error(s) != NULL ? stream_error(s) :
		"connection closed";
}

static void qmgr_lmtp_input(void *ctx)
{
	struct qmgr_lmtp_conn *c = ctx;
	const char *error;

	if (c->closing)
		return;
	if (c->l == NULL) {
		/* Idle: anything from the server (its 421, end of file) ends
		 * the connection; nothing is lost. */
		qmgr_lmtp_conn_close(c, "closed by lmtpd");
		return;
	}
	if (smtp_reply_parser_read_all(c->parser, c->stream, 2046,
				       qmgr_lmtp_wants_reply,
				       qmgr_lmtp_on_reply, c, &error) < 0 &&
	    c->l != NULL && !c->closing)
		qmgr_lmtp_conn_failed(c, error != NULL ? error :
				      qmgr_lmtp_stream_reason(c->stream));
	if (c->l != NULL && !c->closing)
		(void)stream_flush(c->stream);
}

static void qmgr_lmtp_drained(void *ctx)
{
	struct qmgr_lmtp_conn *c = ctx;

	if (!c->closing && c->l != NULL && c->l->state == QMGR_LMTP_BODY)
		qmgr_lmtp_send_body(c->l);
}

static void qmgr_lmtp_error(void *ctx)
{
	struct qmgr_lmtp_conn *c = ctx;

	if (c->closing)
		return;
	if (c->l == NULL)
		qmgr_lmtp_conn_close(c, stream_timed_out(c->stream) ? "idle" :
				     qmgr_lmtp_stream_reason(c->stream));
	else
		qmgr_lmtp_conn_failed(c, qmgr_lmtp_stream_reason(c->stream));
}

static const struct stream_callbacks qmgr_lmtp_cb = {
	.input = qmgr_lmtp_input,
	.drained = qmgr_lmtp_drained,
	.error = qmgr_lmtp_error,
};

static int qmgr_lmtp_connect(const char *path, const char **error_r)
{
	static char error[256];
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, sizeof(sun.sun_path), path) < 0) {
		*error_r = "socket path too long";
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(error, sizeof(error), "connect to %s: %s", path,
			 strerror(errno));
		*error_r = error;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static struct qmgr_lmtp_conn *qmgr_lmtp_conn_open(struct qmgr *q,
						  const char **error_r)
{
	struct stream_settings set = stream_default_settings;
	struct qmgr_lmtp_conn *c;
	int fd = qmgr_lmtp_connect(q->lmtp_socket, error_r);

	if (fd < 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->q = q;
	c->parser = smtp_reply_parser_new(&smtp_reply_limits_default);
	set.read_timeout_ms = q->set.lmtp_timeout * 1000;
	set.write_timeout_ms = q->set.lmtp_timeout * 1000;
	c->stream = stream_new(q->loop, fd, &set, &qmgr_lmtp_cb, c);
	return c;
}

/* ---- transactions ---- */

/* Starts (or starts again) the transaction: on an idle connection when
 * one is there and `may_reuse`, else on a new one. */
static void qmgr_lmtp_begin(struct qmgr_lmtp *l, bool may_reuse)
{
	struct qmgr *q = l->q;
	struct qmgr_lmtp_conn *c = may_reuse ? q->lmtp_idle : NULL;
	const char *error;

	l->rcpt_i = l->rcpt_sent = l->dot_i = l->accepted_count = 0;
	l->data_sent = l->replied = false;
	if (c == NULL) {
		c = qmgr_lmtp_conn_open(q, &error);
		if (c == NULL) {
			qmgr_lmtp_finish(l, error);
			return;
		}
		c->uses = 1;
		c->l = l;
		l->conn = c;
		l->state = QMGR_LMTP_GREETING;
		return;
	}
	qmgr_lmtp_idle_unlink(c);
	c->uses++;
	c->l = l;
	l->conn = c;
	stream_set_timeouts(c->stream, q->set.lmtp_timeout * 1000U,
			    q->set.lmtp_timeout * 1000U);
	/* The previous transaction ended with every reply read: the
	 * server is ready for MAIL without RSET (RFC 5321 4.1.4). */
	qmgr_lmtp_send_envelope(l);
	if (stream_flush(c->stream) < 0)
		qmgr_lmtp_conn_failed(c, qmgr_lmtp_stream_reason(c->stream));
}

/* A reused connection failed before any reply to this transaction:
 * lmtpd closed it meanwhile.  Nothing was delivered (no body was sent),
 * so the transaction starts once more on a new connection. */
static void qmgr_lmtp_retry(struct qmgr_lmtp *l, const char *reason)
{
	struct qmgr_lmtp_conn *c = l->conn;

	log_info("lmtp_connection_retry", "reason=%s count=%u", reason,
		 c->uses);
	c->l = NULL;
	l->conn = NULL;
	qmgr_lmtp_conn_close(c, reason);
	l->retried = true;
	qmgr_lmtp_begin(l, false);
}

struct qmgr_lmtp *qmgr_lmtp_start(struct qmgr *q, struct queue_file *qf,
				  const size_t *indexes, size_t count,
				  qmgr_lmtp_rcpt_fn *rcpt_fn,
				  qmgr_lmtp_done_fn *done_fn, void *ctx)
{
	struct qmgr_lmtp *l = xcalloc(1, sizeof(*l));

	l->q = q;
	l->qf = qf;
	l->idx = xcalloc(count, sizeof(*l->idx));
	memcpy(l->idx, indexes, count * sizeof(*l->idx));
	l->count = count;
	l->reported = xcalloc(count, sizeof(*l->reported));
	l->accepted = xcalloc(count, sizeof(*l->accepted));
	l->rcpt_fn = rcpt_fn;
	l->done_fn = done_fn;
	l->ctx = ctx;
	qmgr_lmtp_begin(l, true);
	return l;
}

void qmgr_lmtp_free(struct qmgr_lmtp **lp)
{
	struct qmgr_lmtp *l = *lp;

	if (l == NULL)
		return;
	if (l->conn != NULL) {
		/* Cut off mid-transaction: the connection cannot be
		 * reused. */
		l->conn->l = NULL;
		qmgr_lmtp_conn_close(l->conn, "aborted");
	}
	free(l->idx);
	free(l->reported);
	free(l->accepted);
	free(l);
	*lp = NULL;
}

void qmgr_lmtp_deinit(struct qmgr *q)
{
	while (q->lmtp_idle != NULL) {
		struct qmgr_lmtp_conn *c = q->lmtp_idle;

		qmgr_lmtp_idle_unlink(c);
		qmgr_lmtp_conn_free(c);
	}
}
