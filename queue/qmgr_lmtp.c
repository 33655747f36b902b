/* The LMTP client (RFC 2033): one connection to lmtpd per message.
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
	bool pipelining;	/* the server offered PIPELINING */
	bool data_sent;
	qmgr_lmtp_rcpt_fn *rcpt_fn;
	qmgr_lmtp_done_fn *done_fn;
	void *ctx;
	struct stream *stream;
	struct smtp_reply_parser *parser;
	enum qmgr_lmtp_state state;
	unsigned int ext;
	uint64_t body_off;
	bool line_start;
	char last;
};

static void qmgr_lmtp_report(struct qmgr_lmtp *l, size_t i, char state,
			     const char *reply)
{
	if (l->reported[i])
		return;
	l->reported[i] = true;
	l->rcpt_fn(l->ctx, l->idx[i], state, reply);
}

/* Ends the conversation: every recipient without an answer yet gets a
 * temporary failure with `reason`. */
static void qmgr_lmtp_finish(struct qmgr_lmtp *l, const char *reason)
{
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
	if (l->stream != NULL) {
		stream_pause(l->stream);
		if (reason == NULL) {
			stream_write_str(l->stream, "QUIT\r\n");
			(void)stream_flush(l->stream);
		}
	}
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
	while (l->rcpt_sent < l->count &&
	       (l->pipelining ?
		stream_output_queued(l->stream) < QMGR_LMTP_QUEUE_MAX :
		l->rcpt_sent == l->rcpt_i)) {
		const struct queue_rcpt *r =
			&l->qf->env.rcpts[l->idx[l->rcpt_sent++]];

		stream_printf(l->stream, "RCPT TO:<%s>\r\n", r->address);
	}
	if (l->pipelining && l->rcpt_sent == l->count && !l->data_sent) {
		stream_write_str(l->stream, "DATA\r\n");
		l->data_sent = true;
	}
}

static void qmgr_lmtp_send_body(struct qmgr_lmtp *l)
{
	char chunk[QMGR_LMTP_CHUNK];
	struct buf out = BUF_INIT;

	while (l->body_off < l->qf->env.message_size &&
	       stream_output_queued(l->stream) < QMGR_LMTP_QUEUE_MAX) {
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
		stream_write(l->stream, out.data, out.len);
	}
	buf_free(&out);
	if (l->body_off >= l->qf->env.message_size) {
		if (l->qf->env.message_size > 0 && l->last != '\n')
			stream_write_str(l->stream, "\r\n");
		stream_write_str(l->stream, ".\r\n");
		l->state = QMGR_LMTP_DOT;
		stream_resume(l->stream);
	}
	(void)stream_flush(l->stream);
}

static void qmgr_lmtp_send_mail(struct qmgr_lmtp *l)
{
	const struct queue_envelope *env = &l->qf->env;

	stream_printf(l->stream, "MAIL FROM:<%s>", env->sender);
	if ((l->ext & SMTP_EXT_8BITMIME) &&
	    env->body == SMTP_PARAMS_BODY_8BITMIME)
		stream_write_str(l->stream, " BODY=8BITMIME");
	if ((l->ext & SMTP_EXT_SMTPUTF8) && env->smtputf8)
		stream_write_str(l->stream, " SMTPUTF8");
	if (l->ext & SMTP_EXT_SIZE)
		stream_printf(l->stream, " SIZE=%llu",
			      (unsigned long long)env->message_size);
	stream_write_str(l->stream, "\r\n");
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
	switch (l->state) {
	case QMGR_LMTP_GREETING:
		if (reply->code != 220) {
			qmgr_lmtp_finish(l, buf_cstr(&text));
			break;
		}
		stream_printf(l->stream, "LHLO %s\r\n", l->q->hostname);
		l->state = QMGR_LMTP_LHLO;
		break;
	case QMGR_LMTP_LHLO:
		if (smtp_ehlo_parse(reply, &ehlo, &error) < 0) {
			qmgr_lmtp_finish(l, buf_cstr(&text));
			break;
		}
		l->ext = ehlo->extensions;
		smtp_ehlo_free(&ehlo);
		l->pipelining = (l->ext & SMTP_EXT_PIPELINING) != 0;
		qmgr_lmtp_send_mail(l);
		if (l->pipelining)
			qmgr_lmtp_send_rcpts(l);
		l->state = QMGR_LMTP_MAIL;
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
				stream_write_str(l->stream, "DATA\r\n");
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
		stream_pause(l->stream);
		qmgr_lmtp_send_body(l);
		break;
	case QMGR_LMTP_DOT:
		/* RFC 2033 4.2: one reply per accepted RCPT, in order. */
		qmgr_lmtp_report(l, l->accepted[l->dot_i++],
				 qmgr_lmtp_state_char(reply->code),
				 buf_cstr(&text));
		if (l->dot_i == l->accepted_count)
			qmgr_lmtp_finish(l, NULL);
		break;
	default:
		break;
	}
	buf_free(&text);
}

/* Replies are read until the body is due or the conversation is over. */
static bool qmgr_lmtp_wants_reply(void *ctx)
{
	const struct qmgr_lmtp *l = ctx;

	return l->state != QMGR_LMTP_DONE && l->state != QMGR_LMTP_BODY;
}

static void qmgr_lmtp_on_reply(void *ctx, const struct smtp_reply *reply)
{
	qmgr_lmtp_reply(ctx, reply);
}

static void qmgr_lmtp_input(void *ctx)
{
	struct qmgr_lmtp *l = ctx;
	const char *error;

	if (smtp_reply_parser_read_all(l->parser, l->stream, 2046,
				       qmgr_lmtp_wants_reply,
				       qmgr_lmtp_on_reply, l, &error) < 0)
		qmgr_lmtp_finish(l, error != NULL ? error :
				 stream_error(l->stream) != NULL ?
				 stream_error(l->stream) :
				 "connection closed");
	if (l->state != QMGR_LMTP_DONE)
		(void)stream_flush(l->stream);
}

static void qmgr_lmtp_drained(void *ctx)
{
	struct qmgr_lmtp *l = ctx;

	if (l->state == QMGR_LMTP_BODY)
		qmgr_lmtp_send_body(l);
}

static void qmgr_lmtp_error(void *ctx)
{
	struct qmgr_lmtp *l = ctx;

	qmgr_lmtp_finish(l, stream_timed_out(l->stream) ? "timeout" :
			 stream_error(l->stream) != NULL ?
			 stream_error(l->stream) : "connection lost");
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

struct qmgr_lmtp *qmgr_lmtp_start(struct qmgr *q, struct queue_file *qf,
				  const size_t *indexes, size_t count,
				  qmgr_lmtp_rcpt_fn *rcpt_fn,
				  qmgr_lmtp_done_fn *done_fn, void *ctx)
{
	struct qmgr_lmtp *l = xcalloc(1, sizeof(*l));
	struct stream_settings set = stream_default_settings;
	const char *error;
	int fd;

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
	l->parser = smtp_reply_parser_new(&smtp_reply_limits_default);
	fd = qmgr_lmtp_connect(q->lmtp_socket, &error);
	if (fd < 0) {
		qmgr_lmtp_finish(l, error);
		return l;
	}
	set.read_timeout_ms = q->set.lmtp_timeout * 1000;
	set.write_timeout_ms = q->set.lmtp_timeout * 1000;
	l->stream = stream_new(q->loop, fd, &set, &qmgr_lmtp_cb, l);
	return l;
}

void qmgr_lmtp_free(struct qmgr_lmtp **lp)
{
	struct qmgr_lmtp *l = *lp;

	if (l == NULL)
		return;
	stream_free(&l->stream);
	smtp_reply_parser_free(&l->parser);
	free(l->idx);
	free(l->reported);
	free(l->accepted);
	free(l);
	*lp = NULL;
}
