/* qmgr's message index (qmgr_msgs.c) and parking (qmgr_park.c), on a
 * queue manager without a spool: lookups, ID order, the ready queue and
 * its sweep, the start-up sort; the room of a relay destination, the
 * order of its parked messages, wakes counted against the room, a
 * suspended destination, and a destination freed once unused. */
#include "tap.h"
#include "buf.h"
#include "event.h"
#include "queue/qmgr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void make_id(char *id, unsigned int n)
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	int i;

	/* 15 characters, in the order of n. */
	memcpy(id, "1K1D000", 7);
	for (i = 14; i >= 7; i--, n /= 32)
		id[i] = b32[n % 32];
	id[15] = '\0';
}

static bool list_in_order(struct qmgr *q, size_t *count_r)
{
	struct qmgr_msg *m, *prev = NULL;
	size_t n = 0;

	for (m = q->msgs; m != NULL; prev = m, m = m->next, n++) {
		if (m->prev != prev || (prev != NULL &&
					strcmp(prev->id, m->id) >= 0))
			return false;
	}
	*count_r = n;
	return q->msgs_tail == prev;
}

static void test_index(struct qmgr *q)
{
	char id[QUEUE_ID_SIZE], first[QUEUE_ID_SIZE];
	struct qmgr_msg *m, *a;
	unsigned int i, found = 0;
	size_t count = 0;
	time_t now = time(NULL);

	/* The start-up scan: folders list files in no order. */
	q->msgs_unsorted = true;
	for (i = 0; i < 3000; i++) {
		unsigned int n = (i * 1237) % 3000;	/* each once */

		make_id(id, n);
		(void)qmgr_msg_add(q, id, n % 3 == 0 ? QUEUE_DEFERRED :
				   QUEUE_ACTIVE, n % 6 == 0 ? now + 3600 : 0);
	}
	ok(q->ready == NULL, "nothing queued while the scan runs");
	qmgr_msgs_sorted(q);
	ok(list_in_order(q, &count) && count == 3000,
	   "sorted once the scan is over, 3000 in ID order");
	for (i = 0; i < 3000; i++) {
		make_id(id, i);
		m = qmgr_msg_find(q, id);
		found += m != NULL && strcmp(m->id, id) == 0;
	}
	is_int(found, 3000, "every one found by its ID");
	make_id(id, 3000);
	ok(qmgr_msg_find(q, id) == NULL, "an unknown ID is not found");
	make_id(id, 42);
	a = qmgr_msg_find(q, id);
	ok(qmgr_msg_add(q, id, QUEUE_INCOMING, 0) == a,
	   "adding a known ID gives the one known");

	/* The ready queue: the due ones, oldest first (every sixth is
	 * deferred for an hour: 500 of them). */
	found = 0;
	first[0] = '\0';
	while ((m = qmgr_msg_next_ready(q)) != NULL) {
		if (first[0] != '\0' && strcmp(first, m->id) >= 0)
			break;
		str_copy(first, sizeof(first), m->id);
		found++;
	}
	ok(m == NULL, "the ready queue in ID order");
	is_int(found, 2500, "the due ones queued, not the deferred");
	qmgr_msgs_sweep(q);
	found = 0;
	while (qmgr_msg_next_ready(q) != NULL)
		found++;
	is_int(found, 2500, "a sweep queues them again, each once");

	/* A deferral that ran out, and mail that arrives after the start. */
	make_id(id, 6);
	m = qmgr_msg_find(q, id);
	ok(m != NULL && m->folder == QUEUE_DEFERRED && !qmgr_msg_due(m, now),
	   "a message deferred for an hour is not due");
	m->next_attempt = now - 1;
	make_id(id, 5000);
	a = qmgr_msg_add(q, id, QUEUE_INCOMING, 0);
	ok(qmgr_msg_next_ready(q) == a && q->ready == NULL,
	   "new mail is queued at once, alone");
	ok(q->msgs_tail == a, "and goes at the end of the list");
	qmgr_msgs_sweep(q);
	ok(m->ready, "the sweep queues the one whose deferral ran out");
	found = 0;
	while (qmgr_msg_next_ready(q) != NULL)
		found++;
	is_int(found, 2502, "with the others due");
	make_id(id, 4000);
	a = qmgr_msg_add(q, id, QUEUE_INCOMING, 0);
	ok(a->next != NULL && a->prev != NULL && list_in_order(q, &count) &&
	   count == 3002, "an older ID arriving late goes in its place");

	/* Removal from the list, the table and the ready queue. */
	ok(q->ready == a && q->ready_tail == a, "queued");
	qmgr_msg_remove(q, a);
	ok(qmgr_msg_find(q, id) == NULL && q->ready == NULL &&
	   q->ready_tail == NULL, "removed from the table and the queue");
	for (i = 0; i < 3000; i += 2) {
		make_id(id, i);
		qmgr_msg_remove(q, qmgr_msg_find(q, id));
	}
	ok(list_in_order(q, &count) && count == 1501 && q->msg_count == 1501,
	   "half removed: the rest still in order");
	found = 0;
	for (i = 1; i < 3000; i += 2) {
		make_id(id, i);
		found += qmgr_msg_find(q, id) != NULL;
	}
	is_int(found, 1500, "and still found");
	qmgr_msgs_deinit(q);
	ok(q->msgs == NULL && q->msg_count == 0, "all freed");
}

static struct qmgr_msg *parked_msg(struct qmgr *q, unsigned int n)
{
	char id[QUEUE_ID_SIZE];

	make_id(id, n);
	return qmgr_msg_add(q, id, QUEUE_ACTIVE, 0);
}

static void test_park(struct qmgr *q)
{
	struct qmgr_dest *d = qmgr_relay_dest(q, "slow.example");
	struct qmgr_dest *e = qmgr_relay_dest(q, "other.example");
	struct qmgr_msg *m[5], *x;
	unsigned int i;

	ok(d != NULL && qmgr_relay_dest(q, "SLOW.example") == d,
	   "one destination per domain, without case");
	ok(qmgr_park_has_room(q, d), "an idle destination has room");
	d->active = 1;		/* its one session */
	d->waiting = 1;		/* and its one waiting place */
	ok(!qmgr_park_has_room(q, d), "full: one sending, one waiting");
	ok(qmgr_park_has_room(q, e), "another destination still has room");
	q->smtp_active = 2;
	ok(!qmgr_park_has_room(q, e), "none when the relay as a whole holds "
	   "half of the active places");
	q->set.qmgr_relay_active_limit = 3;
	ok(qmgr_park_has_room(q, e), "qmgr_relay_active_limit gives it more");
	q->set.qmgr_relay_active_limit = 100;
	q->smtp_active = 4;
	ok(!qmgr_park_has_room(q, e), "never more than every active place");
	q->set.qmgr_relay_active_limit = 0;
	q->smtp_active = 0;

	/* Parked oldest first, whatever the order they come in. */
	for (i = 0; i < 5; i++) {
		m[i] = parked_msg(q, 10 + i);
		(void)qmgr_msg_next_ready(q);
	}
	qmgr_park(q, m[1], d);
	qmgr_park(q, m[3], d);
	qmgr_park(q, m[0], d);
	qmgr_park(q, m[4], d);
	qmgr_park(q, m[2], d);
	ok(d->parked == m[0] && m[0]->park_next == m[1] &&
	   m[1]->park_next == m[2] && m[2]->park_next == m[3] &&
	   m[3]->park_next == m[4] && d->parked_tail == m[4] &&
	   q->parked_count == 5, "parked in ID order");
	ok(!qmgr_msg_due(m[0], time(NULL)), "a parked message is not due");

	/* One place frees: one message woken, and counted against it. */
	d->waiting = 0;
	qmgr_park_wake(q);
	ok(m[0]->parked_on == NULL && m[0]->woken_for == d && d->woken == 1 &&
	   q->woken_count == 1 && q->parked_count == 4,
	   "one free place wakes the oldest, and only it");
	ok(qmgr_msg_next_ready(q) == m[0] && q->ready == NULL,
	   "queued for the schedule");
	qmgr_park_wake(q);
	ok(d->parked == m[1], "no room left: the next stays parked");
	qmgr_park_forget(q, m[0]);
	ok(d->woken == 0 && q->woken_count == 0,
	   "taken up: the room is its own now");

	/* The postmaster deletes a parked message. */
	qmgr_msg_remove(q, m[2]);
	ok(m[1]->park_next == m[3] && q->parked_count == 3,
	   "removed from the park");
	qmgr_msg_remove(q, m[4]);
	ok(d->parked_tail == m[3] && q->parked_count == 2,
	   "the last removed: the tail follows");

	/* Suspended: every parked message woken, none counted. */
	d->dead_until = time(NULL) + 60;
	qmgr_park_wake(q);
	ok(d->parked == NULL && d->parked_tail == NULL &&
	   q->parked_count == 0 && d->woken == 0 && q->woken_count == 0,
	   "a suspended destination's messages woken, taking no room");
	x = qmgr_msg_next_ready(q);
	ok(x == m[1] && qmgr_msg_next_ready(q) == m[3],
	   "queued, oldest first");

	/* Freed once nothing refers to it. */
	qmgr_relay_tidy(q);
	ok(q->dests == d && d->next == NULL,
	   "the unused destination freed, the suspended one kept");
	d->dead_until = 0;
	d->active = 0;
	qmgr_park(q, m[1], d);
	ok(m[1]->woken_for == d, "parked with room: woken at once");
	qmgr_relay_tidy(q);
	ok(q->dests == d, "a destination with a woken message is kept");
	qmgr_msg_remove(q, m[1]);
	qmgr_relay_tidy(q);
	ok(q->dests == NULL, "an unused one is freed");
	qmgr_msgs_deinit(q);
}

int main(void)
{
	struct qmgr q;

	memset(&q, 0, sizeof(q));
	q.loop = event_loop_new();
	q.set.qmgr_message_active_limit = 4;
	q.relay.relayhost = "";
	q.relay.smtp_destination_concurrency_limit = 1;
	q.relay.smtp_destination_waiting_limit = 1;
	q.relay.smtp_concurrency_limit = 10;
	log_open("qmgr_msgs", LOG_TARGET_STDERR, LOG_LEVEL_WARN);
	test_index(&q);
	test_park(&q);
	qmgr_park_deinit(&q);
	event_loop_free(&q.loop);
	return tap_done();
}
