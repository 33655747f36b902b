/* qmgr: start-up scan, the list of messages, inotify and the schedule. */
#include "qmgr.h"
#include "aliases.h"
#include "buf.h"
#include "event.h"
#include "server.h"
#include "sync_batch.h"
#include "worker.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define QMGR_TMP_MAX_AGE (24 * 3600)

bool qmgr_has_origin(const struct qmgr *q, const char *id)
{
	size_t i;

	for (i = 0; i < q->origin_count; i++) {
		if (strcmp(q->origins[i], id) == 0)
			return true;
	}
	return false;
}

void qmgr_add_origin(struct qmgr *q, const char *id)
{
	q->origins = xrealloc(q->origins,
			      (q->origin_count + 1) * sizeof(*q->origins));
	str_copy(q->origins[q->origin_count++], QUEUE_ID_SIZE, id);
}

bool qmgr_domain_is_local(const struct qmgr *q, const char *domain)
{
	return mail_domain_is_local(&q->mail, q->hostname, domain);
}

/* Notes the origin of a bounce, so its origin is never bounced twice. */
static void qmgr_scan_origin(struct qmgr *q, enum queue_folder folder,
			     const char *id)
{
	char *path = queue_path(q->queue_dir, folder, id);
	struct queue_file *qf;
	const char *error;
	bool corrupt;

	if (queue_file_open(path, false, NULL, &qf, &corrupt, &error) == 0) {
		if (qf->env.origin[0] != '\0')
			qmgr_add_origin(q, qf->env.origin);
		queue_file_close(&qf);
	}
	free(path);
}

static void qmgr_scan_folder(struct qmgr *q, enum queue_folder folder)
{
	struct buf dir = BUF_INIT;
	struct dirent *de;
	DIR *d;

	buf_printf(&dir, "%s/%s", q->queue_dir, queue_folder_name(folder));
	d = opendir(buf_cstr(&dir));
	if (d == NULL)
		log_fatal("queue: opendir %s: %s", buf_cstr(&dir),
			  strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		time_t next = 0;

		if (!queue_id_valid(de->d_name))
			continue;
		if (folder == QUEUE_DEFERRED &&
		    fstatat(dirfd(d), de->d_name, &st, 0) == 0)
			next = st.st_mtime;
		qmgr_scan_origin(q, folder, de->d_name);
		qmgr_msg_add(q, de->d_name, folder, next);
	}
	closedir(d);
	buf_free(&dir);
}

/* Files a crashed writer left in tmp/: never acknowledged, so nobody
 * waits for them.  Young ones may belong to a live smtpd. */
static void qmgr_clean_tmp(struct qmgr *q)
{
	struct buf dir = BUF_INIT;
	struct dirent *de;
	time_t now = time(NULL);
	DIR *d;

	buf_printf(&dir, "%s/tmp", q->queue_dir);
	d = opendir(buf_cstr(&dir));
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct stat st;

		if (queue_id_valid(de->d_name) &&
		    fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    now - st.st_mtime > QMGR_TMP_MAX_AGE &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("queue_tmp_removed", "path=%s/%s",
				 buf_cstr(&dir), de->d_name);
	}
	if (d != NULL)
		closedir(d);
	buf_free(&dir);
}

void qmgr_schedule(struct qmgr *q)
{
	struct qmgr_msg *m;
	time_t now = time(NULL);

	while (q->running < q->set.qmgr_message_active_limit &&
	       (m = qmgr_msg_next_ready(q)) != NULL) {
		if (!qmgr_msg_due(m, now))
			continue;	/* queued again when it is */
		if (m->folder != QUEUE_ACTIVE &&
		    qmgr_msg_move(q, m, QUEUE_ACTIVE) < 0) {
			/* Gone (deleted by the postmaster) or unreadable. */
			qmgr_msg_remove(q, m);
			continue;
		}
		qmgr_deliver(q, m);
	}
}

void qmgr_schedule_all(struct qmgr *q)
{
	qmgr_msgs_sweep(q);
	qmgr_schedule(q);
}

/* Takes up the files of incoming/ not yet known: after the kernel's
 * event queue overflowed, or every tick when there is no inotify. */
static void qmgr_rescan_incoming(struct qmgr *q)
{
	struct buf dir = BUF_INIT;
	struct dirent *de;
	DIR *d;

	buf_printf(&dir, "%s/%s", q->queue_dir,
		   queue_folder_name(QUEUE_INCOMING));
	d = opendir(buf_cstr(&dir));
	if (d == NULL) {
		log_error("queue_scan_failed", "path=%s reason=%s",
			  buf_cstr(&dir), strerror(errno));
		buf_free(&dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (queue_id_valid(de->d_name) &&
		    qmgr_msg_find(q, de->d_name) == NULL) {
			qmgr_msg_add(q, de->d_name, QUEUE_INCOMING, 0);
			q->counters.received++;
		}
	}
	closedir(d);
	buf_free(&dir);
}

static void qmgr_on_inotify(void *ctx, unsigned int events)
{
	struct qmgr *q = ctx;
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(q->inotify_fd, ev, sizeof(ev))) > 0) {
		ssize_t off = 0;

		while (off < n) {
			const struct inotify_event *e = (const void *)(ev + off);

			/* More arrived than the kernel could queue: the
			 * names are lost, the files are not. */
			if (e->mask & IN_Q_OVERFLOW) {
				log_warn("queue_events_lost", "fallback=rescan");
				qmgr_rescan_incoming(q);
			}
			if (e->len > 0 && queue_id_valid(e->name) &&
			    qmgr_msg_find(q, e->name) == NULL) {
				qmgr_msg_add(q, e->name, QUEUE_INCOMING, 0);
				q->counters.received++;
			}
			off += (ssize_t)sizeof(*e) + e->len;
		}
	}
	qmgr_schedule(q);
}

static void qmgr_on_tick(void *ctx)
{
	struct qmgr *q = ctx;

	if (q->inotify_fd < 0)
		qmgr_rescan_incoming(q);
	/* Wakes are made as jobs end and deliveries start; this one
	 * catches the room a woken message left when the postmaster held
	 * or deleted it before it was taken up. */
	qmgr_park_wake(q);
	qmgr_relay_tidy(q);
	qmgr_schedule_all(q);
}

static void qmgr_shutdown(void *ctx)
{
	struct qmgr *q = ctx;

	/* Deliveries in flight are cut off; their files stay in active/ and
	 * are taken up again at the next start (LMTP de-duplicates). */
	event_loop_stop(q->loop);
}

void qmgr_init(struct qmgr *q, struct worker *w, struct event_loop *loop)
{
	const char *host = config_get(w->config, "hostname"), *v, *error;
	struct buf dir = BUF_INIT;
	char *path;

	q->loop = loop;
	q->worker = w;
	config_fill(w->config, &queue_config_table, &q->set);
	mail_settings_read(w->config, &q->mail);
	if (host == NULL || *host == '\0')
		(void)gethostname(q->hostname, sizeof(q->hostname) - 1);
	else if (str_copy(q->hostname, sizeof(q->hostname), host) < 0)
		log_fatal("hostname too long");
	q->queue_dir = worker_path(w, "queue");
	/* lmtpd's table declares the socket; until it is known, the
	 * default name lmtpd uses. */
	v = config_get(w->config, "lmtp_socket");
	q->lmtp_socket = worker_path(w, v != NULL && *v != '\0' ? v :
				     "lmtp.sock");
	v = config_get(w->config, "lmtp_dedup_window");
	if (v == NULL || config_parse_time(v, &q->lmtp_dedup_window) < 0)
		q->lmtp_dedup_window = 0;	/* unknown: sync every outcome */
	if (queue_dirs_create(q->queue_dir, &error) < 0)
		log_fatal("queue: %s", error);
	path = worker_path(w, q->mail.aliases_file);
	if (aliases_open(path, &q->aliases, &error) < 0)
		log_fatal("aliases: %s", error);
	free(path);

	/* Watch before scanning, so no file slips between the two.  When
	 * the kernel refuses (its per-user inotify limits), incoming/ is
	 * scanned at every tick instead: mail waits up to a second more. */
	q->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	buf_printf(&dir, "%s/incoming", q->queue_dir);
	if (q->inotify_fd >= 0 &&
	    inotify_add_watch(q->inotify_fd, buf_cstr(&dir),
			      IN_CREATE | IN_MOVED_TO) < 0) {
		int err = errno;

		close(q->inotify_fd);
		q->inotify_fd = -1;
		errno = err;
	}
	if (q->inotify_fd < 0)
		log_warn("inotify_failed", "path=%s reason=%s fallback=poll",
			 buf_cstr(&dir), strerror(errno));
	else
		q->inotify_io = event_io_add(loop, q->inotify_fd, EVENT_READ,
					     qmgr_on_inotify, q);
	buf_free(&dir);
	qmgr_clean_tmp(q);
	q->msgs_unsorted = true;
	qmgr_scan_folder(q, QUEUE_ACTIVE);
	qmgr_scan_folder(q, QUEUE_INCOMING);
	qmgr_scan_folder(q, QUEUE_DEFERRED);
	qmgr_scan_folder(q, QUEUE_HOLD);
	qmgr_msgs_sorted(q);
	qmgr_relay_init(q);
	q->tick = event_timer_add(loop, 1000, 1, qmgr_on_tick, q);
	q->server = server_new(loop, w, NULL, NULL, qmgr_control_accept,
			       qmgr_shutdown, q);
	qmgr_stats_init(q);
	log_info("qmgr_started", "path=%s", q->queue_dir);
	qmgr_schedule(q);
}

void qmgr_deinit(struct qmgr *q)
{
	/* Its thread syncs files of deliveries that are not freed here. */
	sync_batch_loop_free(&q->commit_sync);
	free(q->commit_items);
	q->commit_items = NULL;
	qmgr_msgs_deinit(q);
	server_free(&q->server);
	qmgr_stats_deinit(q);
	qmgr_park_deinit(q);
	qmgr_relay_deinit(q);
	qmgr_lmtp_deinit(q);
	event_timer_remove(&q->tick);
	event_timer_remove(&q->commit_timer);
	event_io_remove(&q->inotify_io);
	if (q->inotify_fd >= 0)
		close(q->inotify_fd);
	aliases_free(&q->aliases);
	free(q->origins);
	free(q->queue_dir);
	free(q->lmtp_socket);
}
