/*
 * The queue manager's messages: one record per queue file it knows,
 * found by queue ID through a hash table, kept in a list in ID order (the
 * order of arrival) for the listings, and those due for delivery in a
 * ready queue, oldest first, which the schedule takes from.
 *
 * Every step a message goes through costs the same whatever the queue
 * holds.  Before, each lookup, insertion and schedule walked the whole
 * list: with 50,000 deferred messages qmgr spent 38 s of CPU starting and
 * 9 ms per local message.
 *
 * A message enters the ready queue when it arrives, when it is woken from
 * the park, and when the once-a-second sweep finds it due (a deferred one
 * whose time came, one the postmaster released); the schedule drops those
 * no longer due when it reaches them.
 */
#include "qmgr.h"
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QMGR_MSGS_HASH_MIN 1024

static size_t qmgr_msgs_hash(const char *id)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*id != '\0')
		h = (h ^ (unsigned char)*id++) * 16777619u;
	return h;
}

static void qmgr_msgs_rehash(struct qmgr *q, size_t size)
{
	struct qmgr_msg **table = xcalloc(size, sizeof(*table)), *m;

	for (m = q->msgs; m != NULL; m = m->next) {
		size_t i = qmgr_msgs_hash(m->id) & (size - 1);

		m->hash_next = table[i];
		table[i] = m;
	}
	free(q->msg_hash);
	q->msg_hash = table;
	q->msg_hash_size = size;
}

struct qmgr_msg *qmgr_msg_find(struct qmgr *q, const char *id)
{
	struct qmgr_msg *m;

	if (q->msg_hash == NULL)
		return NULL;
	m = q->msg_hash[qmgr_msgs_hash(id) & (q->msg_hash_size - 1)];
	for (; m != NULL; m = m->hash_next) {
		if (strcmp(m->id, id) == 0)
			return m;
	}
	return NULL;
}

/* Links `m` into the list before `at` (NULL: at the end). */
static void qmgr_msgs_link(struct qmgr *q, struct qmgr_msg *m,
			   struct qmgr_msg *at)
{
	m->next = at;
	m->prev = at != NULL ? at->prev : q->msgs_tail;
	if (m->prev != NULL)
		m->prev->next = m;
	else
		q->msgs = m;
	if (at != NULL)
		at->prev = m;
	else
		q->msgs_tail = m;
}

struct qmgr_msg *qmgr_msg_add(struct qmgr *q, const char *id,
			      enum queue_folder folder, time_t next_attempt)
{
	struct qmgr_msg *m = qmgr_msg_find(q, id), *at;
	size_t i;

	if (m != NULL)
		return m;
	if (q->msg_count >= q->msg_hash_size)
		qmgr_msgs_rehash(q, q->msg_hash_size > 0 ?
				 q->msg_hash_size * 2 : QMGR_MSGS_HASH_MIN);
	m = xcalloc(1, sizeof(*m));
	str_copy(m->id, sizeof(m->id), id);
	m->folder = folder;
	m->next_attempt = next_attempt;
	i = qmgr_msgs_hash(id) & (q->msg_hash_size - 1);
	m->hash_next = q->msg_hash[i];
	q->msg_hash[i] = m;
	q->msg_count++;
	/* New mail has the newest ID: its place is at the end, or close to
	 * it.  The start-up scan reads folders in no order and sorts once. */
	at = NULL;
	if (!q->msgs_unsorted) {
		struct qmgr_msg *before = q->msgs_tail;

		while (before != NULL && strcmp(before->id, id) > 0) {
			at = before;
			before = before->prev;
		}
	}
	qmgr_msgs_link(q, m, at);
	if (!q->msgs_unsorted)
		qmgr_msg_ready(q, m, time(NULL));
	return m;
}

static void qmgr_ready_unlink(struct qmgr *q, struct qmgr_msg *m)
{
	if (!m->ready)
		return;
	if (m->ready_prev != NULL)
		m->ready_prev->ready_next = m->ready_next;
	else
		q->ready = m->ready_next;
	if (m->ready_next != NULL)
		m->ready_next->ready_prev = m->ready_prev;
	else
		q->ready_tail = m->ready_prev;
	m->ready_next = m->ready_prev = NULL;
	m->ready = false;
}

void qmgr_msg_remove(struct qmgr *q, struct qmgr_msg *m)
{
	struct qmgr_msg **pp;

	for (pp = &q->msg_hash[qmgr_msgs_hash(m->id) &
			       (q->msg_hash_size - 1)];
	     *pp != m; pp = &(*pp)->hash_next)
		;
	*pp = m->hash_next;
	q->msg_count--;
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		q->msgs = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	else
		q->msgs_tail = m->prev;
	qmgr_ready_unlink(q, m);
	qmgr_park_forget(q, m);
	while (m->waits != NULL) {
		struct qmgr_wait *w = m->waits;

		m->waits = w->next;
		free(w);
	}
	free(m);
}

int qmgr_msg_move(struct qmgr *q, struct qmgr_msg *m, enum queue_folder to)
{
	char *from = queue_path(q->queue_dir, m->folder, m->id);
	char *dest = queue_path(q->queue_dir, to, m->id);
	int ret = rename(from, dest);

	/* Out of active/ (held, say): no longer waiting for a relay. */
	if (ret == 0 && to != QUEUE_ACTIVE)
		qmgr_park_forget(q, m);
	if (ret < 0)
		log_error("queue_error", "path=%s reason=\"rename: %s\"", from,
			  strerror(errno));
	else
		m->folder = to;
	free(from);
	free(dest);
	return ret;
}

bool qmgr_msg_due(const struct qmgr_msg *m, time_t now)
{
	if (m->busy || m->parked_on != NULL)
		return false;
	if (m->folder == QUEUE_INCOMING || m->folder == QUEUE_ACTIVE)
		return true;
	return m->folder == QUEUE_DEFERRED && m->next_attempt <= now;
}

void qmgr_msg_ready(struct qmgr *q, struct qmgr_msg *m, time_t now)
{
	if (m->ready || !qmgr_msg_due(m, now))
		return;
	m->ready = true;
	m->ready_next = NULL;
	m->ready_prev = q->ready_tail;
	if (q->ready_tail != NULL)
		q->ready_tail->ready_next = m;
	else
		q->ready = m;
	q->ready_tail = m;
}

struct qmgr_msg *qmgr_msg_next_ready(struct qmgr *q)
{
	struct qmgr_msg *m = q->ready;

	if (m != NULL)
		qmgr_ready_unlink(q, m);
	return m;
}

void qmgr_msgs_sweep(struct qmgr *q)
{
	struct qmgr_msg *m;
	time_t now = time(NULL);

	for (m = q->msgs; m != NULL; m = m->next)
		qmgr_msg_ready(q, m, now);
}

/* Merge sort of the list by ID (the start-up scan's order is the
 * folders'). */
static struct qmgr_msg *qmgr_msgs_merge_sort(struct qmgr_msg *list,
					     size_t n)
{
	struct qmgr_msg *a, *b, *head = NULL, **tail = &head;
	size_t i, half = n / 2;

	if (n < 2)
		return list;
	for (a = list, i = 1; i < half; i++)
		a = a->next;
	b = a->next;
	a->next = NULL;
	a = qmgr_msgs_merge_sort(list, half);
	b = qmgr_msgs_merge_sort(b, n - half);
	while (a != NULL && b != NULL) {
		struct qmgr_msg **take = strcmp(a->id, b->id) <= 0 ? &a : &b;

		*tail = *take;
		tail = &(*take)->next;
		*take = (*take)->next;
	}
	*tail = a != NULL ? a : b;
	return head;
}

void qmgr_msgs_sorted(struct qmgr *q)
{
	struct qmgr_msg *m, *prev = NULL;

	q->msgs = qmgr_msgs_merge_sort(q->msgs, q->msg_count);
	for (m = q->msgs; m != NULL; prev = m, m = m->next)
		m->prev = prev;
	q->msgs_tail = prev;
	q->msgs_unsorted = false;
	qmgr_msgs_sweep(q);
}

void qmgr_msgs_deinit(struct qmgr *q)
{
	while (q->msgs != NULL)
		qmgr_msg_remove(q, q->msgs);
	free(q->msg_hash);
	q->msg_hash = NULL;
	q->msg_hash_size = 0;
}
