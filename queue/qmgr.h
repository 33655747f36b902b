#ifndef SEALPOST_QMGR_H
#define SEALPOST_QMGR_H

/*
 * qmgr: the queue manager, one process, one event loop.  It owns the
 * spool: it takes new files from incoming/ (noticed through inotify, and
 * by a scan at start), moves them to active/ while it works on them,
 * hands local recipients to lmtpd (qmgr_lmtp.c), records each outcome in
 * the file and fsyncs it before the next step, and then bounces
 * (qmgr_bounce.c), defers to deferred/ with the next attempt time as the
 * file's mtime, or removes the file once every recipient is final.
 *
 * Exactly one bounce per failure: a bounce carries its origin's queue ID,
 * and the bounce is in incoming/ (fsynced) before its origin is removed.
 * After a crash between the two, the start-up scan sees both files before
 * any delivery runs and removes the origin without bouncing again.
 */

#include "log.h"
#include "mail_settings.h"
#include "queue_file.h"
#include "queue_settings.h"
#include "relay_settings.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct aliases;
struct dns;
struct dkim_sign_key;
struct qmgr_dest;
struct qmgr_relay;
struct tls_ctx;
struct event_io;
struct event_loop;
struct event_timer;
struct qmgr_lmtp;
struct qmgr_lmtp_conn;
struct server;
struct server_conn;
struct worker;

/* What the postmaster asked for a message whose delivery was running:
 * done when the attempt ends (qmgr_admin.c). */
enum qmgr_action {
	QMGR_ACTION_NONE,
	QMGR_ACTION_HOLD,
	QMGR_ACTION_DELETE,
};

/* Someone (a queue command) waiting for the attempt of a message to end;
 * `result` says what became of the message. */
typedef void qmgr_wait_fn(void *ctx, const char *id, bool ok,
			  const char *result);
struct qmgr_wait {
	struct qmgr_wait *next;
	qmgr_wait_fn *fn;
	void *ctx;
};

struct qmgr_msg {
	/* In ID order; in the hash table's chain; in the ready queue
	 * (qmgr_msgs.c). */
	struct qmgr_msg *next, *prev, *hash_next;
	struct qmgr_msg *ready_next, *ready_prev;
	bool ready;
	char id[QUEUE_ID_SIZE];
	enum queue_folder folder;
	time_t next_attempt;	/* deferred: when to try again */
	bool busy;		/* a delivery is running */
	/* Parked: left in active/, unread, until `parked_on` has room for
	 * another relay job (qmgr_park.c); `park_next` links the
	 * destination's parked messages.  Woken: let go of the park and
	 * counted against `woken_for`'s room until its delivery starts. */
	struct qmgr_dest *parked_on, *woken_for;
	struct qmgr_msg *park_next;
	enum qmgr_action action;	/* to do when it ends */
	struct qmgr_wait *waits;
};

/* A relay destination: a recipient domain, or the relayhost
 * (qmgr_relay.c). */
struct qmgr_dest {
	struct qmgr_dest *next;
	char *name;
	unsigned int active;	/* jobs holding a session */
	unsigned int waiting;	/* jobs waiting for one */
	time_t dead_until;
	char *dead_reason;
	/* A session kept after its message, for the next one. */
	struct qmgr_smtp *idle;
	struct event_timer *idle_timer;
	/* Messages parked until it has room, oldest first, and how many
	 * were woken and not yet taken up again (qmgr_park.c). */
	struct qmgr_msg *parked, *parked_tail;
	unsigned int woken;
};

/* Counters since qmgr started, for the stats endpoint (qmgr_stats.c). */
struct qmgr_counters {
	unsigned long long received;	/* messages that entered the queue */
	unsigned long long delivered;	/* recipients */
	unsigned long long deferred;	/* recipient attempts */
	unsigned long long bounced;	/* recipients */
	unsigned long long removed;	/* messages done */
	unsigned long long held, released, deleted;	/* postmaster */
};

struct qmgr {
	struct event_loop *loop;
	struct worker *worker;
	struct queue_settings set;
	struct relay_settings relay;
	struct mail_settings mail;
	char hostname[256];
	char *queue_dir;
	char *lmtp_socket;
	/* lmtpd's de-duplication window (seconds; 0: off): whether a
	 * delivery repeated after a crash is stored once (qmgr_deliver.c). */
	unsigned long long lmtp_dedup_window;
	struct aliases *aliases;
	/* The messages (qmgr_msgs.c): in ID order, by ID, and those due,
	 * oldest first.  Unsorted while the start-up scan runs. */
	struct qmgr_msg *msgs, *msgs_tail;
	struct qmgr_msg **msg_hash;
	size_t msg_hash_size, msg_count;
	struct qmgr_msg *ready, *ready_tail;
	bool msgs_unsorted;
	/* Queue IDs whose bounce already exists (see above). */
	char (*origins)[QUEUE_ID_SIZE];
	size_t origin_count;
	unsigned int running;	/* deliveries in progress */
	/* The group commit of outcomes (qmgr_deliver.c): attempts whose
	 * jobs are over and wait for the next commit, those whose files the
	 * running commit syncs (and their items in its sync_batch), what
	 * runs it, and its timer. */
	struct qmgr_delivery *finishing, *committing;
	int *commit_items;
	struct sync_batch_loop *commit_sync;
	struct event_timer *commit_timer;
	/* LMTP: deliveries running, deliveries waiting for a slot, and the
	 * idle connections kept for the next ones (qmgr_lmtp.c). */
	unsigned int lmtp_active;
	struct qmgr_delivery *lmtp_waiting;
	struct qmgr_lmtp_conn *lmtp_idle;
	unsigned int lmtp_idle_count;
	/* The relay (qmgr_relay.c). */
	struct dns *dns;
	struct tls_ctx *tls_client;
	char *smtp_auth_user, *smtp_auth_pass;
	struct qmgr_dest *dests;
	struct qmgr_relay *relay_waiting;
	unsigned int smtp_active;
	unsigned int relay_waiting_count;
	/* Parking (qmgr_park.c): messages parked in all, woken ones not yet
	 * taken up, and the timer that runs the schedule after a wake. */
	unsigned int parked_count, woken_count;
	struct event_timer *wake_timer;
	/* DKIM signing keys of the relay (qmgr_dkim.c). */
	struct dkim_sign_key *dkim_keys;
	size_t dkim_key_count;
	int inotify_fd;
	struct event_io *inotify_io;
	struct event_timer *tick;
	struct server *server;
	struct qmgr_counters counters;
	struct qmgr_stats *stats;	/* the HTTP endpoint, or NULL */
};

/* ---- qmgr.c ---- */
void qmgr_init(struct qmgr *q, struct worker *w, struct event_loop *loop);
void qmgr_deinit(struct qmgr *q);
/* Starts deliveries of the ready queue, within the concurrency limit. */
void qmgr_schedule(struct qmgr *q);
/* The same after a sweep of every message (the postmaster changed some,
 * or a deferral ran out). */
void qmgr_schedule_all(struct qmgr *q);

/* ---- qmgr_msgs.c ---- */
/* A file in `folder`: track it (the one known, if it is). */
struct qmgr_msg *qmgr_msg_add(struct qmgr *q, const char *id,
			      enum queue_folder folder, time_t next_attempt);
void qmgr_msg_remove(struct qmgr *q, struct qmgr_msg *m);
struct qmgr_msg *qmgr_msg_find(struct qmgr *q, const char *id);
/* Moves a file between folders (rename; the caller decides on fsync). */
int qmgr_msg_move(struct qmgr *q, struct qmgr_msg *m, enum queue_folder to);
/* Whether a delivery of `m` may start now. */
bool qmgr_msg_due(const struct qmgr_msg *m, time_t now);
/* Queues `m` for the schedule if it is due and not queued yet. */
void qmgr_msg_ready(struct qmgr *q, struct qmgr_msg *m, time_t now);
/* Takes the oldest of the ready queue, or NULL. */
struct qmgr_msg *qmgr_msg_next_ready(struct qmgr *q);
/* Queues every message that is due. */
void qmgr_msgs_sweep(struct qmgr *q);
/* The start-up scan is over: sorts the list and queues what is due. */
void qmgr_msgs_sorted(struct qmgr *q);
void qmgr_msgs_deinit(struct qmgr *q);
bool qmgr_has_origin(const struct qmgr *q, const char *id);
void qmgr_add_origin(struct qmgr *q, const char *id);
bool qmgr_domain_is_local(const struct qmgr *q, const char *domain);

/* ---- qmgr_deliver.c ---- */
/* Runs one delivery attempt of `m` (in active/). */
void qmgr_deliver(struct qmgr *q, struct qmgr_msg *m);

/* ---- qmgr_lmtp.c ---- */
/* "550 5.1.1 text text" from a parsed reply (LMTP and SMTP). */
struct smtp_reply;
struct buf;
void qmgr_reply_text(const struct smtp_reply *reply, struct buf *out);
/* The outcome of one recipient: 'D', 'F' or 'T' with the reply text. */
typedef void qmgr_lmtp_rcpt_fn(void *ctx, size_t index, char state,
			       const char *reply);
/* All replies are in (or the rest failed with `T`). */
typedef void qmgr_lmtp_done_fn(void *ctx);
/* Delivers the recipients `indexes` of `qf` over LMTP, on an idle
 * connection when there is one.  Always calls rcpt_fn once per recipient
 * and then done_fn (either may come before this returns). */
struct qmgr_lmtp *qmgr_lmtp_start(struct qmgr *q, struct queue_file *qf,
				  const size_t *indexes, size_t count,
				  qmgr_lmtp_rcpt_fn *rcpt_fn,
				  qmgr_lmtp_done_fn *done_fn, void *ctx);
void qmgr_lmtp_free(struct qmgr_lmtp **l);
/* Closes the idle connections. */
void qmgr_lmtp_deinit(struct qmgr *q);

/* ---- qmgr_relay.c ---- */
/* The outcome of recipient `index` of the queue file: 'D', 'F' or 'T',
 * the reply, the remote host that gave it (NULL when none did), and
 * whether NOTIFY went on to a next hop that offers DSN. */
typedef void qmgr_relay_rcpt_fn(void *ctx, size_t index, char state,
				const char *reply, const char *remote,
				bool dsn_passed);
typedef void qmgr_relay_done_fn(void *ctx);
void qmgr_relay_init(struct qmgr *q);
void qmgr_relay_deinit(struct qmgr *q);
/* Delivers the recipients `indexes` of `qf`, all in `domain`, by SMTP.
 * Always reports each recipient once through rcpt_fn, then calls
 * done_fn; either may come before this returns. */
struct qmgr_relay *qmgr_relay_start(struct qmgr *q, struct queue_file *qf,
				    const char *domain, const size_t *indexes,
				    size_t count, qmgr_relay_rcpt_fn *rcpt_fn,
				    qmgr_relay_done_fn *done_fn, void *ctx);
void qmgr_relay_free(struct qmgr_relay **r);
/* The destination of mail for `domain`: the relayhost when there is one. */
struct qmgr_dest *qmgr_relay_dest(struct qmgr *q, const char *domain);
/* Frees the destinations no job, message or session refers to. */
void qmgr_relay_tidy(struct qmgr *q);

/* ---- qmgr_park.c ---- */
/* Whether a relay job for `d` may start now (or wait in memory for a
 * session), rather than its message being parked. */
bool qmgr_park_has_room(const struct qmgr *q, const struct qmgr_dest *d);
/* Parks `m` (in active/, not busy) until `d` has room. */
void qmgr_park(struct qmgr *q, struct qmgr_msg *m, struct qmgr_dest *d);
/* `m` is being taken up, moved or removed: drops its park or wake. */
void qmgr_park_forget(struct qmgr *q, struct qmgr_msg *m);
/* A relay job stopped waiting or ended: wakes the parked messages that
 * now have room, and schedules them. */
void qmgr_park_wake(struct qmgr *q);
void qmgr_park_deinit(struct qmgr *q);

/* ---- qmgr_dkim.c ---- */
void qmgr_dkim_init(struct qmgr *q);
void qmgr_dkim_deinit(struct qmgr *q);
/* Signs a message about to be relayed when it came from one of our users
 * and its From domain has keys: the DKIM-Signature fields go in front of
 * the message as read from `qf` (in memory, for this attempt). */
void qmgr_dkim_sign(struct qmgr *q, struct queue_file *qf);

/* ---- qmgr_bounce.c ---- */
/* What a DSN (RFC 3464 2.3.3 Action) says about one recipient. */
enum qmgr_dsn_action {
	QMGR_DSN_NONE = 0,
	QMGR_DSN_FAILED = 'f',
	QMGR_DSN_DELAYED = 'w',
	QMGR_DSN_DELIVERED = 'd',
	QMGR_DSN_RELAYED = 'r',
};
enum qmgr_dsn_kind {
	QMGR_DSN_KIND_FAILURE,
	QMGR_DSN_KIND_DELAY,
	QMGR_DSN_KIND_SUCCESS,
};
/* Writes a DSN to the sender of `qf` about the recipients whose
 * `actions` entry is not QMGR_DSN_NONE, into incoming/, synced.  Returns
 * 1 when one was written, 0 when none was due (null sender, nobody), -1
 * on error. */
int qmgr_dsn(struct qmgr *q, struct queue_file *qf, const char *actions,
	     enum qmgr_dsn_kind kind, const char **error_r);
/* Writes the DSN (RFC 3464) for the failed recipients of `qf` into
 * incoming/ and syncs it.  Returns 1 when one was written, 0 when none
 * was due (null sender, NOTIFY), -1 on error. */
int qmgr_bounce(struct qmgr *q, struct queue_file *qf, const char **error_r);

/* ---- qmgr_control.c ---- */
/* A connection to the queue socket (sendmail, mailq, sealpost queue). */
void qmgr_control_accept(void *ctx, struct server_conn *conn);

/* ---- qmgr_admin.c ---- */
/*
 * The postmaster's actions on one message.  Each returns 0 when done (a
 * line for the postmaster in `result`), -1 when refused (the reason in
 * `result`), or 1 when the message is being delivered: then the action is
 * recorded and `fn` is called once the attempt in progress has ended and
 * the action is done (what the attempt delivered is recorded and told).
 */
int qmgr_admin_hold(struct qmgr *q, struct qmgr_msg *m, qmgr_wait_fn *fn,
		    void *ctx, struct buf *result);
int qmgr_admin_delete(struct qmgr *q, struct qmgr_msg *m, qmgr_wait_fn *fn,
		      void *ctx, struct buf *result);
int qmgr_admin_release(struct qmgr *q, struct qmgr_msg *m, struct buf *result);
int qmgr_admin_requeue(struct qmgr *q, struct qmgr_msg *m, struct buf *result);
/* Forgets every wait registered with `ctx` (a client that went away). */
void qmgr_admin_forget(struct qmgr *q, void *ctx);
/*
 * The attempt of `*mp` has ended with `qf` as it left it; `pending`: some
 * recipient is still to be delivered.  Does the action the postmaster
 * asked for meanwhile, if any, and tells whoever waits.  Returns true
 * when it took the message (held or deleted; *mp is NULL once deleted),
 * false when the caller goes on as usual (defer or remove).
 */
bool qmgr_admin_attempt_over(struct qmgr *q, struct qmgr_msg **mp,
			     const struct queue_file *qf, bool pending);

/* ---- queue_list.c ---- */
/* Appends the mailq(1) listing (Postfix's format) of the whole queue. */
struct buf;
void queue_list_format(struct qmgr *q, struct buf *out);
/* The same as JSON, one object per line per message (postqueue -j). */
void queue_list_json(struct qmgr *q, struct buf *out);
/* `sealpost queue show`: envelope, recipients, then the message.  -1
 * when the message is not in the queue. */
int queue_list_show(struct qmgr *q, struct qmgr_msg *m, struct buf *out);
/* Whether `m`'s sender is `from` or a pending recipient is `to` (either
 * may be NULL), case-insensitively. */
bool queue_list_matches(struct qmgr *q, const struct qmgr_msg *m,
			const char *from, const char *to);

/* ---- qmgr_stats.c ---- */
/* Counts the messages of each folder. */
void qmgr_stats_folders(const struct qmgr *q,
			unsigned long long counts[QUEUE_FOLDER_COUNT]);
/* Appends the counters as `key value` lines (the STATS command). */
void qmgr_stats_format(const struct qmgr *q, struct buf *out);
/* Starts the HTTP endpoint of stats_listen, when set. */
void qmgr_stats_init(struct qmgr *q);
void qmgr_stats_deinit(struct qmgr *q);

#endif
