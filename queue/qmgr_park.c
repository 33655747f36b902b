/*
 * Parking: what keeps one slow relay destination from holding back the
 * rest of the queue.
 *
 * The scheduler takes messages into delivery up to
 * qmgr_message_active_limit, oldest first.  A relay job whose destination
 * has all its sessions busy waits in memory, its message open and
 * counted as active.  Before parking, a destination that took 85 ms a
 * message (or a tarpit) filled every active place with messages waiting
 * for its few sessions, and local mail, which lmtpd delivers in a couple
 * of milliseconds, went in at the slow destination's pace.
 *
 * So a relay job is started only while its destination has room: fewer
 * than smtp_destination_concurrency_limit + smtp_destination_waiting_limit
 * jobs sending or waiting, and the relay as a whole under
 * qmgr_relay_active_limit (by default half of qmgr_message_active_limit).
 * When there is none, the recipients for that destination are not tried
 * in this attempt and, once the rest of the attempt is over, the message
 * is parked: its file stays in active/, it is not read again and it takes
 * no active place, in a list per destination, oldest first.  Nothing
 * about parking is written to disk: after a restart every file in active/
 * is simply due again.
 *
 * Whenever a relay job stops waiting or ends, the parked messages that
 * now have room are woken, oldest first and one destination after
 * another, and the schedule runs.  A woken message counts against its
 * destination's room until its delivery starts, so one free place wakes
 * one message, not the whole list.  A destination that is suspended
 * (every host failed) always has room, and its woken messages are not
 * counted: they are deferred at once without a connection, as before.
 */
#include "qmgr.h"
#include "buf.h"
#include "event.h"

#include <string.h>

/* The relay's share of the active places (qmgr_relay_active_limit, by
 * default half): the rest is always left for local mail. */
static unsigned int qmgr_park_relay_share(const struct qmgr *q)
{
	unsigned int all = q->set.qmgr_message_active_limit;
	unsigned int share = q->set.qmgr_relay_active_limit;

	if (share == 0)
		share = all / 2;
	if (share > all)
		share = all;
	return share > 0 ? share : 1;
}

bool qmgr_park_has_room(const struct qmgr *q, const struct qmgr_dest *d)
{
	unsigned int dest_jobs = d->active + d->waiting + d->woken;
	unsigned int dest_room = q->relay.smtp_destination_concurrency_limit +
		q->relay.smtp_destination_waiting_limit;
	unsigned int relay_jobs = q->smtp_active + q->relay_waiting_count +
		q->woken_count;

	if (d->dead_until > time(NULL))
		return true;
	return dest_jobs < dest_room &&
		relay_jobs < qmgr_park_relay_share(q);
}

static void qmgr_park_log(const struct qmgr_msg *m,
			  const struct qmgr_dest *d, unsigned int count)
{
	const struct log_ctx *was = log_get_ctx();
	struct log_ctx ctx;

	/* Parked at the end of an attempt (its context is set) or at the
	 * start of one that did not begin (none is). */
	memset(&ctx, 0, sizeof(ctx));
	if (was != NULL)
		ctx = *was;
	str_copy(ctx.queue_id, sizeof(ctx.queue_id), m->id);
	log_set_ctx(&ctx);
	log_info("queue_parked", "relay=%s count=%u", d->name, count);
	log_set_ctx(was);
}

void qmgr_park(struct qmgr *q, struct qmgr_msg *m, struct qmgr_dest *d)
{
	struct qmgr_msg **pp;

	qmgr_park_forget(q, m);
	m->parked_on = d;
	/* Oldest first: a new message goes last; one woken too early (its
	 * room taken meanwhile) goes back near the front. */
	if (d->parked_tail == NULL || strcmp(d->parked_tail->id, m->id) < 0) {
		pp = d->parked_tail != NULL ? &d->parked_tail->park_next :
			&d->parked;
	} else {
		for (pp = &d->parked; *pp != NULL &&
		     strcmp((*pp)->id, m->id) < 0; pp = &(*pp)->park_next)
			;
	}
	m->park_next = *pp;
	*pp = m;
	if (m->park_next == NULL)
		d->parked_tail = m;
	q->parked_count++;
	qmgr_park_log(m, d, q->parked_count);
	/* Room may have opened while the rest of its attempt ran. */
	qmgr_park_wake(q);
}

/* Takes `m` off its destination's list. */
static void qmgr_park_unlink(struct qmgr *q, struct qmgr_msg *m)
{
	struct qmgr_dest *d = m->parked_on;
	struct qmgr_msg **pp, *prev = NULL;

	for (pp = &d->parked; *pp != NULL; prev = *pp, pp = &(*pp)->park_next) {
		if (*pp == m) {
			*pp = m->park_next;
			break;
		}
	}
	if (d->parked_tail == m)
		d->parked_tail = prev;
	m->park_next = NULL;
	m->parked_on = NULL;
	q->parked_count--;
}

void qmgr_park_forget(struct qmgr *q, struct qmgr_msg *m)
{
	if (m->parked_on != NULL)
		qmgr_park_unlink(q, m);
	if (m->woken_for != NULL) {
		m->woken_for->woken--;
		q->woken_count--;
		m->woken_for = NULL;
	}
}

static void qmgr_park_on_wake(void *ctx)
{
	qmgr_schedule(ctx);
}

void qmgr_park_wake(struct qmgr *q)
{
	struct qmgr_dest *d;
	time_t now = time(NULL);
	bool woke;

	if (q->parked_count == 0)
		return;
	/* One message per destination per round, so destinations share
	 * the relay's places in turn. */
	do {
		woke = false;
		for (d = q->dests; d != NULL; d = d->next) {
			struct qmgr_msg *m = d->parked;

			if (m == NULL || !qmgr_park_has_room(q, d))
				continue;
			qmgr_park_unlink(q, m);
			/* A suspended destination's messages are deferred at
			 * once, without a session: they take no room. */
			if (d->dead_until <= now) {
				m->woken_for = d;
				d->woken++;
				q->woken_count++;
			}
			qmgr_msg_ready(q, m, now);
			woke = true;
		}
	} while (woke && q->parked_count > 0);
	/* From the loop, never from inside a job's own callback. */
	if (q->woken_count > 0) {
		if (q->wake_timer == NULL)
			q->wake_timer = event_timer_add(q->loop, 0, 0,
							qmgr_park_on_wake, q);
		else
			event_timer_reset(q->wake_timer);
	}
}

void qmgr_park_deinit(struct qmgr *q)
{
	event_timer_remove(&q->wake_timer);
}
