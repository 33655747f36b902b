/* The queue socket: sendmail(1) hands over messages, mailq(1) and the
 * queue commands ask for the listing.  A line protocol:
 *
 *   LIST                      -> the mailq listing, then the server closes
 *   LIST JSON                 -> one JSON object per line per message
 *   SHOW ID                   -> the message's envelope, state and text,
 *                                or "ERR ID reason"
 *   HOLD|RELEASE|REQUEUE|DELETE ID... | ALL
 *   DELETE FROM XTEXT | DELETE TO XTEXT
 *                             -> one line per message, "OK ID text" or
 *                                "ERR ID reason"; a message being
 *                                delivered is answered when its attempt
 *                                has ended (see qmgr_admin.c)
 *   STATS                     -> "name value" lines: folders, counters
 *   FLUSH                     -> "OK": deferred mail is tried again now
 *   SUBMIT                    -> a message follows:
 *   FROM XTEXT                   the envelope sender ("" for <>)
 *   RCPT XTEXT                   a recipient, once per recipient
 *   DATA SIZE                    then SIZE octets of message (CRLF lines)
 *                             -> "OK QUEUEID" or "ERR reason"
 *
 * Only root and mail_user can reach the socket (the master makes it 0660),
 * so everyone who submits is a trusted local program; the peer's uid goes
 * into the Received header all the same. */
#include "qmgr.h"
#include "aliases.h"
#include "buf.h"
#include "event.h"
#include "queue_message.h"
#include "server.h"
#include "smtp_address.h"
#include "smtp_limits.h"
#include "stream.h"
#include "xtext.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QMGR_CONTROL_LINE_MAX 2048
/* A command line with queue IDs: over 3000 of them, within the
 * stream's 64 KiB of input. */
#define QMGR_CONTROL_COMMAND_MAX (60 * 1024)
#define QMGR_CONTROL_RCPTS_MAX 10000

enum qmgr_client_state {
	QMGR_CLIENT_COMMAND,
	QMGR_CLIENT_ENVELOPE,
	QMGR_CLIENT_DATA,
	QMGR_CLIENT_CLOSING,
};

struct qmgr_client {
	struct qmgr *q;
	struct server_conn *conn;
	struct stream *stream;
	enum qmgr_client_state state;
	struct queue_envelope env;
	struct queue_writer *writer;
	struct queue_message *message;
	uint64_t data_left;
	struct log_ctx log;
	/* A queue action: the answer so far, and the messages whose
	 * running attempt it still waits for. */
	struct buf answer;
	unsigned int waiting;
	bool in_input, free_pending;
};

static void qmgr_client_free(struct qmgr_client *c)
{
	qmgr_admin_forget(c->q, c);
	buf_free(&c->answer);
	queue_message_free(&c->message);
	queue_writer_abort(&c->writer);
	queue_envelope_deinit(&c->env);
	stream_free(&c->stream);
	server_conn_done(&c->conn);
	free(c);
}

static void qmgr_client_close(struct qmgr_client *c, const char *reply)
{
	if (reply != NULL)
		stream_write_str(c->stream, reply);
	c->state = QMGR_CLIENT_CLOSING;
	stream_pause(c->stream);
	if (stream_flush(c->stream) == 0)
		return;
	/* Sent (or failed): done.  Not under the input loop's feet. */
	if (c->in_input)
		c->free_pending = true;
	else
		qmgr_client_free(c);
}

static bool qmgr_is_local_cb(void *ctx, const char *domain)
{
	return qmgr_domain_is_local(ctx, domain);
}

/* A recipient as sendmail(1) gives it: an address, or a bare local name. */
static int qmgr_client_rcpt(struct qmgr_client *c, const char *text)
{
	struct qmgr *q = c->q;
	struct smtp_address *addr;
	struct aliases_result res;
	enum smtp_address_error kind;
	struct buf full = BUF_INIT, canon = BUF_INIT;
	char domain[256], *user;
	const char *error;
	size_t i, len;
	const char *detail;

	if (c->env.rcpt_count >= QMGR_CONTROL_RCPTS_MAX)
		return -1;
	if (strchr(text, '@') == NULL) {
		if (mail_primary_domain(&q->mail, q->hostname, domain,
					sizeof(domain)) < 0)
			return -1;
		buf_printf(&full, "%s@%s", text, domain);
	} else {
		buf_append_str(&full, text);
	}
	if (smtp_address_parse_mailbox(full.data, full.len,
				       SMTP_ADDRESS_ALLOW_UTF8,
				       &smtp_limits_default, &addr, &kind,
				       &error) < 0) {
		buf_free(&full);
		return -1;
	}
	buf_free(&full);
	smtp_address_write(&canon, addr);
	if (!qmgr_domain_is_local(q, addr->domain)) {
		queue_envelope_add_rcpt(&c->env, buf_cstr(&canon), NULL, 0,
					NULL, NULL, 0);
		goto out;
	}
	if (!smtp_address_split_detail(addr->local_part,
				       q->mail.recipient_delimiter, &len,
				       &detail))
		len = strlen(addr->local_part);
	user = xstrndup(addr->local_part, len);
	for (i = 0; user[i] != '\0'; i++)
		user[i] = (char)tolower((unsigned char)user[i]);
	aliases_refresh(q->aliases, time(NULL));
	if (aliases_expand(q->aliases, user, addr->domain, qmgr_is_local_cb, q,
			   &res) == 1) {
		for (i = 0; i < res.count; i++)
			queue_envelope_add_rcpt(&c->env, res.addresses[i],
						buf_cstr(&canon), 0, NULL, NULL,
						res.loop ? QUEUE_RCPT_FLAG_LOOP
							 : 0);
		if (res.count == 0)
			queue_envelope_add_rcpt(&c->env, buf_cstr(&canon),
						NULL, 0, NULL, NULL,
						QUEUE_RCPT_FLAG_LOOP);
		aliases_result_deinit(&res);
	} else {
		queue_envelope_add_rcpt(&c->env, buf_cstr(&canon), NULL, 0,
					NULL, NULL, 0);
	}
	free(user);
out:
	buf_free(&canon);
	smtp_address_free(&addr);
	return 0;
}

static void qmgr_client_begin_data(struct qmgr_client *c)
{
	struct qmgr *q = c->q;
	struct queue_message_opts opts;
	struct buf received = BUF_INIT;
	const char *error;

	if (c->env.sender == NULL || c->env.rcpt_count == 0) {
		qmgr_client_close(c, "ERR no sender or no recipients\n");
		return;
	}
	c->env.client = xstrdup("local");
	if (queue_writer_begin(q->queue_dir, &c->env, &c->writer, &error) < 0) {
		log_error("queue_error", "reason=%s", error);
		qmgr_client_close(c, "ERR temporary failure\n");
		return;
	}
	str_copy(c->log.queue_id, sizeof(c->log.queue_id), c->env.id);
	log_set_ctx(&c->log);
	buf_printf(&received, "Received: by %s (sealpost, from userid %u)\r\n"
		   "\tid %s; ", q->hostname, (unsigned int)c->conn->peer_uid,
		   c->env.id);
	queue_message_date(&received, (long long)time(NULL));
	buf_append_str(&received, "\r\n");
	memset(&opts, 0, sizeof(opts));
	opts.prepend = buf_cstr(&received);
	opts.add_missing = true;
	opts.hostname = q->hostname;
	opts.queue_id = c->env.id;
	opts.header_max = 100 * 1024;
	c->message = queue_message_new(c->writer, &opts);
	buf_free(&received);
	c->state = QMGR_CLIENT_DATA;
}

static void qmgr_client_end_data(struct qmgr_client *c)
{
	struct qmgr *q = c->q;
	const char *error;
	struct buf reply = BUF_INIT;
	char id[QUEUE_ID_SIZE], *msgid;

	queue_message_finish(c->message);
	msgid = queue_message_id(c->message) != NULL ?
		xstrdup(queue_message_id(c->message)) : xstrdup("");
	queue_message_free(&c->message);
	memcpy(id, c->env.id, sizeof(id));
	/* Straight into incoming/: inotify picks it up like any other. */
	if (queue_writer_finish(&c->writer, QUEUE_INCOMING, &error) < 0 ||
	    queue_dir_sync(q->queue_dir, QUEUE_INCOMING, &error) < 0) {
		log_error("queue_error", "reason=%s", error);
		qmgr_client_close(c, "ERR temporary failure\n");
		free(msgid);
		return;
	}
	log_info("pickup", "from=%s count=%zu peer_uid=%u message_id=%s",
		 c->env.sender, c->env.rcpt_count,
		 (unsigned int)c->conn->peer_uid, msgid);
	buf_printf(&reply, "OK %s\n", id);
	qmgr_client_close(c, buf_cstr(&reply));
	buf_free(&reply);
	free(msgid);
}

/* The attempt of a message a HOLD or DELETE waited for has ended. */
static void qmgr_client_waited(void *ctx, const char *id, bool ok,
			       const char *result)
{
	struct qmgr_client *c = ctx;

	buf_printf(&c->answer, "%s %s %s\n", ok ? "OK" : "ERR", id, result);
	if (--c->waiting == 0)
		qmgr_client_close(c, buf_cstr(&c->answer));
}

enum qmgr_verb { QMGR_HOLD, QMGR_RELEASE, QMGR_REQUEUE, QMGR_DELETE };

static int qmgr_client_act(struct qmgr_client *c, enum qmgr_verb verb,
			   struct qmgr_msg *m)
{
	struct qmgr *q = c->q;
	struct buf result = BUF_INIT;
	char id[QUEUE_ID_SIZE];
	int ret;

	/* The message may be gone once the action is done. */
	memcpy(id, m->id, sizeof(id));
	switch (verb) {
	case QMGR_HOLD:
		ret = qmgr_admin_hold(q, m, qmgr_client_waited, c, &result);
		break;
	case QMGR_DELETE:
		ret = qmgr_admin_delete(q, m, qmgr_client_waited, c, &result);
		break;
	case QMGR_RELEASE:
		ret = qmgr_admin_release(q, m, &result);
		break;
	default:
		ret = qmgr_admin_requeue(q, m, &result);
		break;
	}
	if (ret == 1)
		c->waiting++;
	else
		buf_printf(&c->answer, "%s %s %s\n", ret == 0 ? "OK" : "ERR",
			   id, buf_cstr(&result));
	buf_free(&result);
	return ret;
}

/* Whether ALL takes `m` for `verb`. */
static bool qmgr_client_all_takes(enum qmgr_verb verb,
				  const struct qmgr_msg *m)
{
	switch (verb) {
	case QMGR_HOLD:
		return m->folder != QUEUE_HOLD;
	case QMGR_RELEASE:
		return m->folder == QUEUE_HOLD;
	case QMGR_REQUEUE:
		return m->folder == QUEUE_DEFERRED;
	default:
		return true;
	}
}

/* HOLD, RELEASE, REQUEUE, DELETE with IDs, ALL, or (DELETE) FROM/TO. */
static void qmgr_client_action(struct qmgr_client *c, enum qmgr_verb verb,
			       char *args)
{
	struct qmgr *q = c->q;
	struct qmgr_msg *m, *next;
	struct buf addr = BUF_INIT;
	const char *error, *from = NULL, *to = NULL;
	char *word;

	if (verb == QMGR_DELETE && (strncmp(args, "FROM ", 5) == 0 ||
				    strncmp(args, "TO ", 3) == 0)) {
		bool is_from = args[0] == 'F';
		const char *x = args + (is_from ? 5 : 3);

		if (xtext_decode(&addr, x, strlen(x), &error) < 0) {
			qmgr_client_close(c, "ERR DELETE bad address\n");
			return;
		}
		if (is_from)
			from = buf_cstr(&addr);
		else
			to = buf_cstr(&addr);
	}
	if (from != NULL || to != NULL || strcmp(args, "ALL") == 0) {
		for (m = q->msgs; m != NULL; m = next) {
			next = m->next;
			if (from != NULL || to != NULL) {
				if (!queue_list_matches(q, m, from, to))
					continue;
			} else if (!qmgr_client_all_takes(verb, m)) {
				continue;
			}
			(void)qmgr_client_act(c, verb, m);
		}
	} else {
		while ((word = strsep(&args, " ")) != NULL) {
			if (*word == '\0')
				continue;
			m = queue_id_valid(word) ? qmgr_msg_find(q, word) : NULL;
			if (m == NULL)
				buf_printf(&c->answer, "ERR %.*s no such message "
					   "in the queue\n", 64, word);
			else
				(void)qmgr_client_act(c, verb, m);
		}
	}
	buf_free(&addr);
	qmgr_schedule_all(q);
	if (c->waiting == 0)
		qmgr_client_close(c, buf_cstr(&c->answer));
	else
		stream_pause(c->stream);
}

static void qmgr_client_command(struct qmgr_client *c, char *line)
{
	static const struct {
		const char *name;
		enum qmgr_verb verb;
	} verbs[] = {
		{ "HOLD ", QMGR_HOLD }, { "RELEASE ", QMGR_RELEASE },
		{ "REQUEUE ", QMGR_REQUEUE }, { "DELETE ", QMGR_DELETE },
	};
	struct qmgr *q = c->q;
	struct buf b = BUF_INIT;
	struct qmgr_msg *m;
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		size_t n = strlen(verbs[i].name);

		if (strncmp(line, verbs[i].name, n) == 0) {
			qmgr_client_action(c, verbs[i].verb, line + n);
			return;
		}
	}
	if (strcmp(line, "LIST") == 0) {
		queue_list_format(q, &b);
	} else if (strcmp(line, "LIST JSON") == 0) {
		queue_list_json(q, &b);
	} else if (strncmp(line, "SHOW ", 5) == 0) {
		m = queue_id_valid(line + 5) ? qmgr_msg_find(q, line + 5) : NULL;
		if (m == NULL || queue_list_show(q, m, &b) < 0) {
			buf_clear(&b);
			buf_printf(&b, "ERR %.*s no such message in the queue\n",
				   64, line + 5);
		}
	} else if (strcmp(line, "STATS") == 0) {
		qmgr_stats_format(q, &b);
	} else if (strcmp(line, "FLUSH") == 0) {
		for (m = q->msgs; m != NULL; m = m->next)
			m->next_attempt = 0;
		qmgr_schedule_all(q);
		buf_append_str(&b, "OK\n");
	} else if (strcmp(line, "SUBMIT") == 0) {
		c->state = QMGR_CLIENT_ENVELOPE;
		return;
	} else {
		buf_append_str(&b, "ERR COMMAND unknown command\n");
	}
	qmgr_client_close(c, buf_cstr(&b));
	buf_free(&b);
}

static void qmgr_client_line(struct qmgr_client *c, char *line)
{
	struct buf b = BUF_INIT;
	const char *error;
	unsigned long long n;

	if (c->state == QMGR_CLIENT_COMMAND) {
		/* The postmaster's actions are logged under this session. */
		log_set_ctx(&c->log);
		qmgr_client_command(c, line);
		log_set_ctx(NULL);
	} else if (strncmp(line, "FROM ", 5) == 0 && c->env.sender == NULL &&
		   xtext_decode(&b, line + 5, strlen(line + 5), &error) == 0) {
		c->env.sender = buf_steal(&b);
	} else if (strncmp(line, "RCPT ", 5) == 0 &&
		   xtext_decode(&b, line + 5, strlen(line + 5), &error) == 0) {
		if (qmgr_client_rcpt(c, buf_cstr(&b)) < 0)
			qmgr_client_close(c, "ERR bad recipient address\n");
	} else if (strncmp(line, "DATA ", 5) == 0 &&
		   config_parse_uint(line + 5, &n) == 0 &&
		   n <= queue_file_limits_default.message) {
		c->data_left = n;
		qmgr_client_begin_data(c);
	} else {
		qmgr_client_close(c, "ERR bad envelope line\n");
	}
	buf_free(&b);
}

static void qmgr_client_read(struct qmgr_client *c);

static void qmgr_client_input(void *ctx)
{
	struct qmgr_client *c = ctx;

	c->in_input = true;
	qmgr_client_read(c);
	c->in_input = false;
	if (c->free_pending)
		qmgr_client_free(c);
}

static void qmgr_client_read(struct qmgr_client *c)
{
	struct stream_line line;
	const char *data;
	size_t size;

	while (c->state != QMGR_CLIENT_CLOSING && c->waiting == 0) {
		enum stream_result r;

		if (c->state == QMGR_CLIENT_DATA) {
			if (c->data_left == 0) {
				qmgr_client_end_data(c);
				break;
			}
			r = stream_read_bytes(c->stream,
					      c->data_left > 65536 ? 65536 :
					      (size_t)c->data_left, &data, &size);
			if (r == STREAM_OK) {
				queue_message_write(c->message, data, size);
				c->data_left -= size;
				stream_read_progress(c->stream);
				continue;
			}
		} else {
			r = stream_read_line(c->stream,
					     c->state == QMGR_CLIENT_COMMAND ?
					     QMGR_CONTROL_COMMAND_MAX :
					     QMGR_CONTROL_LINE_MAX, &line);
			if (r == STREAM_OK) {
				qmgr_client_line(c, line.data);
				continue;
			}
		}
		if (r == STREAM_WAIT)
			return;
		qmgr_client_close(c, NULL);
		return;
	}
}

static void qmgr_client_drained(void *ctx)
{
	struct qmgr_client *c = ctx;

	if (c->state == QMGR_CLIENT_CLOSING)
		qmgr_client_free(c);
}

static void qmgr_client_error(void *ctx)
{
	qmgr_client_free(ctx);
}

static const struct stream_callbacks qmgr_client_cb = {
	.input = qmgr_client_input,
	.drained = qmgr_client_drained,
	.error = qmgr_client_error,
};

void qmgr_control_accept(void *ctx, struct server_conn *conn)
{
	struct qmgr *q = ctx;
	struct qmgr_client *c = xcalloc(1, sizeof(*c));
	struct stream_settings set = stream_default_settings;

	c->q = q;
	c->conn = conn;
	log_new_session_id(c->log.session);
	set.output_max = 256 * 1024 * 1024;
	set.read_timeout_ms = 60000;
	set.write_timeout_ms = 60000;
	c->stream = stream_new(q->loop, conn->fd, &set, &qmgr_client_cb, c);
}
