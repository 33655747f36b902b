/* Bounces: RFC 3464 delivery status notifications for the recipients
 * that failed, sent from the null sender (so they never bounce back) to
 * the original sender, and never to the null sender (RFC 5321 6.1). */
#include "qmgr.h"
#include "buf.h"
#include "queue_message.h"
#include "smtp_params.h"
#include "smtp_status.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Whether the recipient asked for a failure notice (RFC 3461 4.1:
 * without NOTIFY, failures are reported). */
static bool qmgr_bounce_wanted(const struct queue_rcpt *r)
{
	if (r->state != QUEUE_RCPT_FAILED)
		return false;
	return r->notify == 0 || (r->notify & SMTP_PARAMS_NOTIFY_FAILURE);
}

static const char *qmgr_dsn_action_name(char action)
{
	switch (action) {
	case QMGR_DSN_FAILED: return "failed";
	case QMGR_DSN_DELAYED: return "delayed";
	case QMGR_DSN_DELIVERED: return "delivered";
	case QMGR_DSN_RELAYED: return "relayed";
	default: return "?";
	}
}

/* The enhanced code of a stored reply "550 5.1.1 text" when its class is
 * the action's, else the action's generic one (RFC 3463 X.0.0). */
static void qmgr_bounce_status(const char *reply, char action,
			       char out[SMTP_STATUS_ENHANCED_SIZE])
{
	const char *sp = strchr(reply, ' ');
	char class = action == QMGR_DSN_FAILED ? '5' :
		action == QMGR_DSN_DELAYED ? '4' : '2';

	if (sp == NULL ||
	    smtp_status_enhanced_parse(sp + 1, strlen(sp + 1), out) == 0 ||
	    out[0] != class) {
		out[0] = class;
		memcpy(out + 1, ".0.0", 5);
	}
}

static void qmgr_bounce_text(struct qmgr *q, const struct queue_envelope *env,
			     const char *actions, enum qmgr_dsn_kind kind,
			     struct buf *b, const char *boundary)
{
	static const char *const intro[] = {
		[QMGR_DSN_KIND_FAILURE] = "I'm sorry to have to inform you "
		"that your message could not\r\nbe delivered to one or more "
		"recipients.",
		[QMGR_DSN_KIND_DELAY] = "Your message could not be delivered "
		"yet to one or more\r\nrecipients.  The mail system will "
		"keep trying; you need not\r\nsend it again.",
		[QMGR_DSN_KIND_SUCCESS] = "Your message was delivered to the "
		"destinations below, as you\r\nasked.  For a relayed "
		"recipient, the next system was not\r\nasked to report.",
	};
	size_t i;

	buf_printf(b, "--%s\r\n"
		   "Content-Description: Notification\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n\r\n"
		   "This is the mail system at host %s.\r\n\r\n%s\r\n\r\n",
		   boundary, q->hostname, intro[kind]);
	for (i = 0; i < env->rcpt_count; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];

		if (actions[i] != QMGR_DSN_NONE)
			buf_printf(b, "<%s>: %s\r\n", r->orig,
				   r->reply != NULL ? r->reply :
				   qmgr_dsn_action_name(actions[i]));
	}
	buf_append_str(b, "\r\n");
}

static void qmgr_bounce_report(struct qmgr *q, const struct queue_envelope *env,
			       const char *actions, struct buf *b,
			       const char *boundary)
{
	char status[SMTP_STATUS_ENHANCED_SIZE];
	size_t i;

	buf_printf(b, "--%s\r\n"
		   "Content-Description: Delivery report\r\n"
		   "Content-Type: message/delivery-status\r\n\r\n"
		   "Reporting-MTA: dns; %s\r\n"
		   "X-Sealpost-Queue-ID: %s\r\n",
		   boundary, q->hostname, env->id);
	if (env->envid != NULL)
		buf_printf(b, "Original-Envelope-Id: %s\r\n", env->envid);
	buf_append_str(b, "Arrival-Date: ");
	queue_message_date(b, (long long)env->arrival);
	buf_append_str(b, "\r\n");
	for (i = 0; i < env->rcpt_count; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];

		if (actions[i] == QMGR_DSN_NONE)
			continue;
		qmgr_bounce_status(r->reply != NULL ? r->reply : "",
				   actions[i], status);
		buf_printf(b, "\r\nFinal-Recipient: rfc822; %s\r\n", r->address);
		if (r->orcpt_type != NULL)
			buf_printf(b, "Original-Recipient: %s; %s\r\n",
				   r->orcpt_type, r->orcpt);
		buf_printf(b, "Action: %s\r\nStatus: %s\r\n",
			   qmgr_dsn_action_name(actions[i]), status);
		if (r->remote != NULL)
			/* RFC 3464 2.3.5: the host name, not our
			 * "host[address]:port" log form. */
			buf_printf(b, "Remote-MTA: dns; %.*s\r\n",
				   (int)strcspn(r->remote, "["), r->remote);
		if (r->reply != NULL && actions[i] != QMGR_DSN_DELIVERED)
			buf_printf(b, "Diagnostic-Code: smtp; %s\r\n", r->reply);
		if (actions[i] == QMGR_DSN_DELAYED) {
			buf_append_str(b, "Will-Retry-Until: ");
			queue_message_date(b, (long long)env->arrival +
					   q->set.maximal_queue_lifetime);
			buf_append_str(b, "\r\n");
		}
	}
	buf_append_str(b, "\r\n");
}

/* The returned message, or only its header (RET=HDRS, RFC 3461 4.3). */
static int qmgr_bounce_original(struct queue_file *qf, struct queue_writer *w,
				const char *boundary, bool hdrs)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	uint64_t off = 0;
	/* Where we are in "\r\n\r\n"; the message starts as if after a
	 * CRLF, so an empty header ends at once. */
	int crlf = 2;
	ssize_t n;

	buf_printf(&b, "--%s\r\n"
		   "Content-Description: %s\r\n"
		   "Content-Type: %s\r\n\r\n", boundary,
		   hdrs ? "Undelivered Message Headers" : "Undelivered Message",
		   hdrs ? "text/rfc822-headers" : "message/rfc822");
	queue_writer_write(w, b.data, b.len);
	while ((n = queue_file_read_message(qf, off, chunk, sizeof(chunk))) > 0) {
		size_t len = (size_t)n;
		bool end = false;
		ssize_t i;

		for (i = 0; hdrs && i < n && !end; i++) {
			char c = chunk[i];

			if ((crlf == 0 || crlf == 2) && c == '\r')
				crlf++;
			else if ((crlf == 1 || crlf == 3) && c == '\n')
				crlf++;
			else
				crlf = c == '\r' ? 1 : 0;
			if (crlf == 4) {
				/* Keep the header's last CRLF, not the
				 * empty line. */
				len = i >= 1 ? (size_t)(i - 1) : 0;
				end = true;
			}
		}
		queue_writer_write(w, chunk, len);
		off += (uint64_t)n;
		if (end)
			break;
	}
	buf_clear(&b);
	buf_printf(&b, "\r\n--%s--\r\n", boundary);
	queue_writer_write(w, b.data, b.len);
	buf_free(&b);
	return n < 0 ? -1 : 0;
}

int qmgr_dsn(struct qmgr *q, struct queue_file *qf, const char *actions,
	     enum qmgr_dsn_kind kind, const char **error_r)
{
	static const char *const subjects[] = {
		[QMGR_DSN_KIND_FAILURE] = "Undelivered Mail Returned to Sender",
		[QMGR_DSN_KIND_DELAY] = "Delayed Mail (still being retried)",
		[QMGR_DSN_KIND_SUCCESS] = "Successful Mail Delivery Report",
	};
	static const char *const events[] = {
		[QMGR_DSN_KIND_FAILURE] = "bounce_queued",
		[QMGR_DSN_KIND_DELAY] = "delay_notice_queued",
		[QMGR_DSN_KIND_SUCCESS] = "success_notice_queued",
	};
	const struct queue_envelope *env = &qf->env;
	struct queue_envelope bounce;
	struct queue_writer *w;
	struct buf b = BUF_INIT, boundary = BUF_INIT;
	size_t i, wanted = 0;

	for (i = 0; i < env->rcpt_count; i++)
		wanted += actions[i] != QMGR_DSN_NONE;
	if (env->sender[0] == '\0' || wanted == 0)
		return 0;
	memset(&bounce, 0, sizeof(bounce));
	bounce.sender = xstrdup("");
	/* Only a bounce names its origin: it is what keeps a message from
	 * bouncing twice, and a delay or success notice must not. */
	if (kind == QMGR_DSN_KIND_FAILURE)
		str_copy(bounce.origin, sizeof(bounce.origin), env->id);
	bounce.smtputf8 = env->smtputf8;
	queue_envelope_add_rcpt(&bounce, env->sender, env->sender, 0, NULL,
				NULL, 0);
	if (queue_writer_begin(q->queue_dir, &bounce, &w, error_r) < 0) {
		queue_envelope_deinit(&bounce);
		return -1;
	}
	buf_printf(&boundary, "%s/%s", bounce.id, q->hostname);
	buf_printf(&b, "From: MAILER-DAEMON@%s (Mail Delivery System)\r\n"
		   "To: <%s>\r\n"
		   "Subject: %s\r\n"
		   "Date: ", q->hostname, env->sender, subjects[kind]);
	queue_message_date(&b, (long long)time(NULL));
	buf_printf(&b, "\r\nMessage-ID: <%s.bounce@%s>\r\n"
		   "Auto-Submitted: auto-replied\r\n"
		   "MIME-Version: 1.0\r\n"
		   "Content-Type: multipart/report; report-type=delivery-status;"
		   "\r\n\tboundary=\"%s\"\r\n\r\n"
		   "This is a MIME-encapsulated message.\r\n\r\n",
		   bounce.id, q->hostname, buf_cstr(&boundary));
	qmgr_bounce_text(q, env, actions, kind, &b, buf_cstr(&boundary));
	qmgr_bounce_report(q, env, actions, &b, buf_cstr(&boundary));
	queue_writer_write(w, b.data, b.len);
	buf_free(&b);
	/* RFC 3461 4.3: RET chooses for failures; other notices carry the
	 * header only. */
	if (qmgr_bounce_original(qf, w, buf_cstr(&boundary),
				 kind != QMGR_DSN_KIND_FAILURE ||
				 env->ret == SMTP_PARAMS_RET_HDRS) < 0) {
		queue_writer_abort(&w);
		*error_r = "cannot read the queue file";
		buf_free(&boundary);
		queue_envelope_deinit(&bounce);
		return -1;
	}
	buf_free(&boundary);
	if (queue_writer_finish(&w, QUEUE_INCOMING, error_r) < 0 ||
	    queue_dir_sync(q->queue_dir, QUEUE_INCOMING, error_r) < 0) {
		queue_envelope_deinit(&bounce);
		return -1;
	}
	if (kind == QMGR_DSN_KIND_FAILURE)
		qmgr_add_origin(q, env->id);
	{
		/* Logged as the bounce's own story, naming its origin. */
		const struct log_ctx *prev = log_get_ctx();
		struct log_ctx ctx;

		memset(&ctx, 0, sizeof(ctx));
		str_copy(ctx.queue_id, sizeof(ctx.queue_id), bounce.id);
		log_set_ctx(&ctx);
		log_info(events[kind], "origin=%s to=%s", env->id,
			 env->sender);
		log_set_ctx(prev);
	}
	queue_envelope_deinit(&bounce);
	return 1;
}

int qmgr_bounce(struct qmgr *q, struct queue_file *qf, const char **error_r)
{
	const struct queue_envelope *env = &qf->env;
	char *actions = xcalloc(env->rcpt_count + 1, 1);
	size_t i;
	int ret;

	for (i = 0; i < env->rcpt_count; i++)
		actions[i] = qmgr_bounce_wanted(&env->rcpts[i]) ?
			QMGR_DSN_FAILED : QMGR_DSN_NONE;
	ret = qmgr_dsn(q, qf, actions, QMGR_DSN_KIND_FAILURE, error_r);
	free(actions);
	return ret;
}
