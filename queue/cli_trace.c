/*
 * sealpost trace QUEUE-ID|MESSAGE-ID|ADDRESS [--json] [--log FILE]
 *
 * One message's story from the log: its SMTP session (client address,
 * authenticated user, size, Message-ID), each delivery attempt with the
 * replies and deferrals, and its outcome (mailbox and UID for local
 * delivery, remote host and reply for relay, the bounce and its own queue
 * ID), then what the queue manager holds of it now.  The lines are joined
 * by their keys: qid, session (the SMTP session that queued the message),
 * message_id, and origin (a bounce names the message it reports on).
 */
#include "master/cli.h"
#include "buf.h"
#include "cli_log.h"
#include "config.h"
#include "json.h"
#include "queue_client.h"
#include "queue_file.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct cli_set {
	char **items;
	size_t count;
};

static bool cli_set_has(const struct cli_set *s, const char *v)
{
	size_t i;

	for (i = 0; v != NULL && i < s->count; i++) {
		if (strcmp(s->items[i], v) == 0)
			return true;
	}
	return false;
}

static void cli_set_add(struct cli_set *s, const char *v)
{
	if (v == NULL || *v == '\0' || cli_set_has(s, v))
		return;
	s->items = xrealloc(s->items, (s->count + 1) * sizeof(*s->items));
	s->items[s->count++] = xstrdup(v);
}

static void cli_set_free(struct cli_set *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		free(s->items[i]);
	free(s->items);
}

struct cli_trace {
	const char *query;
	enum { TRACE_QID, TRACE_MSGID, TRACE_ADDRESS } kind;
	struct cli_set qids, sessions;
	bool json;
	size_t printed;
	struct buf out;
};

/* Pass 1: which queue IDs and sessions belong to the story. */
static void cli_trace_collect(void *ctx, const struct log_line *l)
{
	struct cli_trace *t = ctx;
	const char *qid = log_line_get(l, "qid");
	const char *v;

	if (qid == NULL)
		return;
	switch (t->kind) {
	case TRACE_QID:
		if (strcmp(qid, t->query) == 0)
			cli_set_add(&t->qids, qid);
		break;
	case TRACE_MSGID:
		if ((v = log_line_get(l, "message_id")) != NULL &&
		    strcmp(v, t->query) == 0)
			cli_set_add(&t->qids, qid);
		break;
	default:
		if (((v = log_line_get(l, "from")) != NULL &&
		     strcasecmp(v, t->query) == 0) ||
		    ((v = log_line_get(l, "to")) != NULL &&
		     strcasecmp(v, t->query) == 0) ||
		    ((v = log_line_get(l, "orig_to")) != NULL &&
		     strcasecmp(v, t->query) == 0))
			cli_set_add(&t->qids, qid);
		break;
	}
	/* A bounce (or other notice) about a message of the story. */
	if ((v = log_line_get(l, "origin")) != NULL && cli_set_has(&t->qids, v))
		cli_set_add(&t->qids, qid);
	if (cli_set_has(&t->qids, qid) &&
	    (strcmp(l->event, "smtp_queued") == 0 ||
	     strcmp(l->event, "smtp_mail") == 0))
		cli_set_add(&t->sessions, log_line_get(l, "session"));
}

static const char *cli_trace_get(const struct log_line *l, const char *key)
{
	const char *v = log_line_get(l, key);

	return v != NULL ? v : "";
}

/* "250 2.0.0 Ok: delivered to INBOX as uid 5": lmtpd's reply names the
 * mailbox and UID. */
static void cli_trace_lmtp(const char *reply, struct buf *out)
{
	const char *p = strstr(reply, "delivered to ");
	const char *as = p != NULL ? strstr(p, " as uid ") : NULL;

	if (p != NULL && as != NULL)
		buf_printf(out, " into mailbox %.*s, uid %s",
			   (int)(as - p - 13), p + 13, as + 8);
}

static void cli_trace_describe(const struct log_line *l, struct buf *out)
{
	const char *e = l->event;
#define V(key) cli_trace_get(l, key)

	if (strcmp(e, "smtp_connect") == 0) {
		buf_printf(out, "connection from %s on %s", V("client"),
			   V("listener"));
	} else if (strcmp(e, "smtp_auth_ok") == 0) {
		buf_printf(out, "authenticated as %s (%s)", V("user"), V("mech"));
	} else if (strcmp(e, "tls_ok") == 0) {
		buf_printf(out, "TLS %s", V("tls"));
	} else if (strcmp(e, "smtp_mail") == 0) {
		buf_printf(out, "MAIL FROM:<%s>", V("from"));
	} else if (strcmp(e, "smtp_rcpt") == 0) {
		buf_printf(out, "RCPT TO:<%s>", V("to"));
	} else if (strcmp(e, "smtp_queued") == 0 || strcmp(e, "pickup") == 0) {
		buf_printf(out, "accepted%s: %s%s%s recipient(s), Message-ID <%s>",
			   e[0] == 'p' ? " from sendmail" : "",
			   e[0] == 'p' ? "" : V("size"),
			   e[0] == 'p' ? "" : " bytes, ", V("count"),
			   V("message_id"));
	} else if (strcmp(e, "queue_active") == 0) {
		buf_printf(out, "delivery attempt (%s bytes, %s recipient(s))",
			   V("size"), V("count"));
	} else if (strcmp(e, "delivered") == 0 && l->program[0] == 'q') {
		buf_printf(out, "delivered to <%s> via %s: %s", V("to"),
			   V("relay"), V("reason"));
		if (strcmp(V("relay"), "lmtp") == 0)
			cli_trace_lmtp(V("reason"), out);
	} else if (strcmp(e, "deferred") == 0) {
		buf_printf(out, "deferred <%s> via %s: %s", V("to"), V("relay"),
			   V("reason"));
	} else if (strcmp(e, "bounced") == 0) {
		buf_printf(out, "failed <%s> via %s: %s", V("to"), V("relay"),
			   V("reason"));
	} else if (strcmp(e, "bounce_queued") == 0) {
		buf_printf(out, "bounce %s queued to <%s> about %s",
			   V("qid"), V("to"), V("origin"));
	} else if (strcmp(e, "queue_deferred") == 0) {
		buf_printf(out, "kept in the queue; next attempt in %ss",
			   V("next_s"));
	} else if (strcmp(e, "queue_removed") == 0) {
		buf_printf(out, "done: removed from the queue after %ss",
			   V("delay_s"));
	} else if (strncmp(e, "queue_", 6) == 0) {
		buf_printf(out, "%s by the postmaster", e + 6);
	} else {
		size_t i;

		buf_append_str(out, e);
		for (i = 0; i < l->field_count; i++) {
			if (strcmp(l->fields[i].key, "qid") != 0 &&
			    strcmp(l->fields[i].key, "session") != 0)
				buf_printf(out, " %s=%s", l->fields[i].key,
					   l->fields[i].value);
		}
	}
#undef V
}

/* Pass 2: the lines of the story. */
static void cli_trace_print(void *ctx, const struct log_line *l)
{
	struct cli_trace *t = ctx;
	const char *qid = log_line_get(l, "qid");
	const char *session = log_line_get(l, "session");
	struct buf text = BUF_INIT;
	size_t i;

	if (qid != NULL ? !cli_set_has(&t->qids, qid) :
	    !cli_set_has(&t->sessions, session))
		return;
	if (t->json) {
		buf_append_str(&t->out, t->printed++ > 0 ? ",\n  {" : "\n  {");
		json_append_member(&t->out, "time", l->stamp, 1);
		json_append_member(&t->out, "program", l->program, 0);
		buf_printf(&t->out, ",\"pid\":%ld", l->pid);
		json_append_member(&t->out, "event", l->event, 0);
		buf_append_str(&t->out, ",\"fields\":{");
		for (i = 0; i < l->field_count; i++)
			json_append_member(&t->out, l->fields[i].key,
					   l->fields[i].value, i == 0);
		buf_append_str(&t->out, "}}");
		return;
	}
	t->printed++;
	cli_trace_describe(l, &text);
	buf_printf(&t->out, "%s  %-15s %-7s %s\n", l->stamp,
		   qid != NULL ? qid : "", l->program, buf_cstr(&text));
	buf_free(&text);
}

/* What the queue manager holds of each message now. */
static void cli_trace_queue(struct cli_trace *t, struct config *cfg)
{
	size_t i;

	for (i = 0; i < t->qids.count; i++) {
		struct buf cmd = BUF_INIT, answer = BUF_INIT;
		const char *error, *state = NULL, *p;
		int fd = queue_client_connect(cfg, &error);

		buf_printf(&cmd, "SHOW %s", t->qids.items[i]);
		if (fd >= 0 &&
		    queue_client_request(fd, buf_cstr(&cmd), &answer, &error) == 0 &&
		    (p = strstr(buf_cstr(&answer), "\nqueue:")) != NULL) {
			p += 7;
			p += strspn(p, " ");
			state = p;
			answer.data[(size_t)(p - answer.data) + strcspn(p, "\n")] = '\0';
		}
		if (fd >= 0)
			close(fd);
		if (t->json) {
			buf_append_str(&t->out, i > 0 ? ",\n  {" : "\n  {");
			json_append_member(&t->out, "queue_id", t->qids.items[i], 1);
			json_append_member(&t->out, "queue", state, 0);
			buf_append_char(&t->out, '}');
		} else {
			buf_printf(&t->out, "now: %s %s\n", t->qids.items[i],
				   state != NULL ? state : "is not in the queue");
		}
		buf_free(&cmd);
		buf_free(&answer);
	}
}

int cli_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *logpath = NULL;
	struct cli_trace t;
	struct config *cfg;
	char *query;
	int c, ret = 0;

	memset(&t, 0, sizeof(t));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'l': logpath = optarg; break;
		case 'j': t.json = true; break;
		case 'h':
			printf("usage: sealpost trace QUEUE-ID|MESSAGE-ID|ADDRESS "
			       "[--json] [--log FILE] [--config FILE]\n");
			return 0;
		default:
			return CLI_EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: sealpost trace QUEUE-ID|MESSAGE-ID|"
			"ADDRESS [--json] [--log FILE] [--config FILE]\n");
		return CLI_EX_USAGE;
	}
	query = argv[optind];
	if (queue_id_valid(query))
		t.kind = TRACE_QID;
	else if (query[0] != '<' && strchr(query, '@') != NULL)
		t.kind = TRACE_ADDRESS;
	else
		t.kind = TRACE_MSGID;
	/* "<id@host>" is a Message-ID; logs keep it without brackets. */
	if (query[0] == '<') {
		query = xstrndup(query + 1, strcspn(query + 1, ">"));
		t.kind = TRACE_MSGID;
	} else {
		query = xstrdup(query);
	}
	t.query = query;
	cfg = cli_load_config(config, NULL, 0);
	if (cfg == NULL) {
		free(query);
		return 1;
	}
	if (cli_log_each(cfg, logpath, cli_trace_collect, &t) < 0) {
		ret = 1;
		goto out;
	}
	/* An address that no envelope names may be a Message-ID. */
	if (t.qids.count == 0 && t.kind == TRACE_ADDRESS) {
		t.kind = TRACE_MSGID;
		(void)cli_log_each(cfg, logpath, cli_trace_collect, &t);
	}
	if (t.qids.count == 0) {
		fprintf(stderr, "sealpost trace: nothing in the log about %s\n",
			t.query);
		ret = 1;
		goto out;
	}
	if (t.json) {
		buf_append_str(&t.out, "{");
		json_append_member(&t.out, "query", t.query, 1);
		buf_append_str(&t.out, ",\"events\":[");
	}
	(void)cli_log_each(cfg, logpath, cli_trace_print, &t);
	if (t.json)
		buf_append_str(&t.out, "\n ],\"queue\":[");
	cli_trace_queue(&t, cfg);
	if (t.json)
		buf_append_str(&t.out, "\n ]}\n");
	fwrite(t.out.data, 1, t.out.len, stdout);
out:
	buf_free(&t.out);
	cli_set_free(&t.qids);
	cli_set_free(&t.sessions);
	config_free(&cfg);
	free(query);
	return ret;
}
