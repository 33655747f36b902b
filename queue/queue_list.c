/* The mailq(1) listing in the format Postfix's `postqueue -p` prints, so
 * that habits and scripts keep working:
 *
 *   -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
 *   1K1B9KS9RAJ51AP*   5426 Sat Nov 28 17:15:11  sender@example.com
 *                                            alice@example.edu
 *
 *   -- 6 Kbytes in 1 Request.
 *
 * "*" marks a message being delivered, "!" one on hold; a deferred
 * recipient's last reason is shown in parentheses above it. */
#include "qmgr.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void queue_list_one(struct qmgr *q, const struct qmgr_msg *m,
			   struct buf *out, uint64_t *bytes_r)
{
	char *path = queue_path(q->queue_dir, m->folder, m->id);
	struct queue_file *qf;
	const char *error;
	char when[32];
	struct tm tm;
	bool corrupt;
	size_t i;

	if (queue_file_open(path, false, NULL, &qf, &corrupt, &error) < 0) {
		free(path);
		return;
	}
	free(path);
	localtime_r(&qf->env.arrival, &tm);
	if (strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm) == 0)
		when[0] = '\0';
	buf_printf(out, "%-11s%c %7llu %20s  %s\n", m->id,
		   m->folder == QUEUE_HOLD ? '!' :
		   m->busy ? '*' : ' ',
		   (unsigned long long)qf->env.message_size, when,
		   qf->env.sender[0] != '\0' ? qf->env.sender :
		   "MAILER-DAEMON");
	for (i = 0; i < qf->env.rcpt_count; i++) {
		const struct queue_rcpt *r = &qf->env.rcpts[i];

		if (r->state != QUEUE_RCPT_PENDING)
			continue;
		if (r->reply != NULL)
			buf_printf(out, "(%s)\n", r->reply);
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
