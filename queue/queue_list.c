/* What the queue commands show of the queue: the mailq(1) listing in the
 * format Postfix's `postqueue -p` prints, so that habits and scripts keep
 * working,
 *
 *   -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
 *   1K1B9KS9RAJ51AP*   5426 Sat Nov 28 17:15:11  sender@example.com
 *   (connect to mx.example.com: Connection refused)
 *                                            alice@example.edu
 *
 *   -- 6 Kbytes in 1 Request.
 *
 * ("*" marks a message in the active queue, "!" one on hold; the last
 * reason of a deferred recipient is shown in parentheses above it, once
 * for a run of recipients with the same reason), the same as JSON lines
 * in the shape of `postqueue -j`, and one message in full (show). */
#include "qmgr.h"
#include "buf.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The most of a message `show` prints. */
#define QUEUE_SHOW_MESSAGE_MAX (1024 * 1024)

static struct queue_file *queue_list_open(struct qmgr *q,
					  const struct qmgr_msg *m)
{
	char *path = queue_path(q->queue_dir, m->folder, m->id);
	struct queue_file *qf;
	const char *error;
	bool corrupt;
	int ret = queue_file_open(path, false, NULL, &qf, &corrupt, &error);

	free(path);
	return ret < 0 ? NULL : qf;
}

static char queue_list_mark(const struct qmgr_msg *m)
{
	if (m->folder == QUEUE_HOLD)
		return '!';
	return m->busy || m->folder == QUEUE_ACTIVE ? '*' : ' ';
}

static void queue_list_one(struct qmgr *q, const struct qmgr_msg *m,
			   struct buf *out, uint64_t *bytes_r)
{
	struct queue_file *qf = queue_list_open(q, m);
	const char *last_reason = NULL;
	char when[32];
	struct tm tm;
	size_t i;

	if (qf == NULL)
		return;
	localtime_r(&qf->env.arrival, &tm);
	if (strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm) == 0)
		when[0] = '\0';
	/* As Postfix: the arrival time is asctime()'s first 20 columns
	 * (with its trailing space), then a space, then the sender. */
	buf_printf(out, "%-11s%c %7llu %-20.20s %s\n", m->id,
		   queue_list_mark(m),
		   (unsigned long long)qf->env.message_size, when,
		   qf->env.sender[0] != '\0' ? qf->env.sender :
		   "MAILER-DAEMON");
	for (i = 0; i < qf->env.rcpt_count; i++) {
		const struct queue_rcpt *r = &qf->env.rcpts[i];

		if (r->state != QUEUE_RCPT_PENDING)
			continue;
		if (r->reply != NULL && (last_reason == NULL ||
					 strcmp(last_reason, r->reply) != 0))
			buf_printf(out, "(%s)\n", r->reply);
		last_reason = r->reply;
		buf_printf(out, "%41s%s\n", "", r->address);
	}
	buf_append_char(out, '\n');
	*bytes_r += qf->env.message_size;
	queue_file_close(&qf);
}

void queue_list_format(struct qmgr *q, struct buf *out)
{
	const struct qmgr_msg *m;
	uint64_t bytes = 0;
	size_t count = 0;

	for (m = q->msgs; m != NULL; m = m->next) {
		if (m->folder == QUEUE_CORRUPT)
			continue;
		if (count++ == 0)
			buf_append_str(out, "-Queue ID-  --Size-- ----Arrival "
				       "Time---- -Sender/Recipient-------\n");
		queue_list_one(q, m, out, &bytes);
	}
	if (count == 0)
		buf_append_str(out, "Mail queue is empty\n");
	else
		buf_printf(out, "-- %llu Kbytes in %zu Request%s.\n",
			   (unsigned long long)(bytes + 1023) / 1024, count,
			   count == 1 ? "" : "s");
}

void queue_list_json(struct qmgr *q, struct buf *out)
{
	const struct qmgr_msg *m;

	for (m = q->msgs; m != NULL; m = m->next) {
		struct queue_file *qf;
		size_t i;
		bool first = true;

		if (m->folder == QUEUE_CORRUPT || (qf = queue_list_open(q, m)) == NULL)
			continue;
		buf_append_char(out, '{');
		json_append_member(out, "queue_name",
				   queue_folder_name(m->folder), 1);
		json_append_member(out, "queue_id", m->id, 0);
		buf_printf(out, ",\"arrival_time\":%lld,\"message_size\":%llu,"
			   "\"forced_expire\":false",
			   (long long)qf->env.arrival,
			   (unsigned long long)qf->env.message_size);
		json_append_member(out, "sender", qf->env.sender, 0);
		buf_append_str(out, ",\"recipients\":[");
		for (i = 0; i < qf->env.rcpt_count; i++) {
			const struct queue_rcpt *r = &qf->env.rcpts[i];

			if (r->state != QUEUE_RCPT_PENDING)
				continue;
			if (!first)
				buf_append_char(out, ',');
			first = false;
			buf_append_char(out, '{');
			json_append_member(out, "address", r->address, 1);
			if (r->reply != NULL)
				json_append_member(out, "delay_reason",
						   r->reply, 0);
			buf_append_char(out, '}');
		}
		buf_append_str(out, "]}\n");
		queue_file_close(&qf);
	}
}

static void queue_list_time(struct buf *out, const char *label, time_t t)
{
	char when[64];
	struct tm tm;

	localtime_r(&t, &tm);
	if (strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		when[0] = '\0';
	buf_printf(out, "%-16s%s\n", label, when);
}

static const char *queue_list_state(const struct queue_rcpt *r)
{
	switch (r->state) {
	case QUEUE_RCPT_DELIVERED:
		return "delivered";
	case QUEUE_RCPT_FAILED:
		return "failed";
	default:
		return r->attempts > 0 ? "deferred" : "pending";
	}
}

int queue_list_show(struct qmgr *q, struct qmgr_msg *m, struct buf *out)
{
	struct queue_file *qf = queue_list_open(q, m);
	const struct queue_envelope *env;
	char chunk[65536];
	uint64_t off = 0;
	unsigned int attempts = 0;
	size_t i;

	if (qf == NULL)
		return -1;
	env = &qf->env;
	buf_printf(out, "%-16s%s\n", "queue_id:", m->id);
	buf_printf(out, "%-16s%s", "queue:", queue_folder_name(m->folder));
	if (m->busy)
		buf_append_str(out, " (being delivered)");
	else if (m->parked_on != NULL)
		buf_printf(out, " (parked: waiting for room at %s)",
			   m->parked_on->name);
	buf_append_char(out, '\n');
	queue_list_time(out, "arrival:", env->arrival);
	buf_printf(out, "%-16s<%s>\n", "sender:", env->sender);
	if (env->auth_user != NULL)
		buf_printf(out, "%-16s%s\n", "auth_user:", env->auth_user);
	if (env->client != NULL)
		buf_printf(out, "%-16s%s\n", "client:", env->client);
	if (env->envid != NULL)
		buf_printf(out, "%-16s%s\n", "envid:", env->envid);
	if (env->origin[0] != '\0')
		buf_printf(out, "%-16s%s (a bounce)\n", "origin:", env->origin);
	buf_printf(out, "%-16s%llu\n", "size:",
		   (unsigned long long)env->message_size);
	for (i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].attempts > attempts)
			attempts = env->rcpts[i].attempts;
	}
	buf_printf(out, "%-16s%u\n", "attempts:", attempts);
	if (m->folder == QUEUE_DEFERRED)
		queue_list_time(out, "next_attempt:", m->next_attempt);
	else if (m->folder == QUEUE_HOLD)
		buf_printf(out, "%-16s%s\n", "next_attempt:",
			   "none (on hold)");
	for (i = 0; i < env->rcpt_count; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];

		buf_printf(out, "recipient:      <%s> %s attempts=%u", r->address,
			   queue_list_state(r), r->attempts);
		if (r->orig != NULL && strcmp(r->orig, r->address) != 0)
			buf_printf(out, " orig=<%s>", r->orig);
		buf_append_char(out, '\n');
		if (r->reply != NULL)
			buf_printf(out, "  last reply:   %s%s%s\n", r->reply,
				   r->remote != NULL ? " from " : "",
				   r->remote != NULL ? r->remote : "");
	}
	buf_append_str(out, "\n");
	while (off < QUEUE_SHOW_MESSAGE_MAX) {
		ssize_t n = queue_file_read_message(qf, off, chunk,
						    sizeof(chunk));

		if (n <= 0)
			break;
		buf_append(out, chunk, (size_t)n);
		off += (uint64_t)n;
	}
	if (env->message_size > off)
		buf_printf(out, "\n[%llu more octets not shown]\n",
			   (unsigned long long)(env->message_size - off));
	queue_file_close(&qf);
	return 0;
}

bool queue_list_matches(struct qmgr *q, const struct qmgr_msg *m,
			const char *from, const char *to)
{
	struct queue_file *qf = queue_list_open(q, m);
	bool match = false;
	size_t i;

	if (qf == NULL)
		return false;
	if (from != NULL && strcasecmp(qf->env.sender, from) == 0)
		match = true;
	for (i = 0; to != NULL && !match && i < qf->env.rcpt_count; i++) {
		const struct queue_rcpt *r = &qf->env.rcpts[i];

		match = r->state == QUEUE_RCPT_PENDING &&
			strcasecmp(r->address, to) == 0;
	}
	queue_file_close(&qf);
	return match;
}
