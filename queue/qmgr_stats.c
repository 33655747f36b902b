/*
 * The queue manager's counters: for the STATS command of the queue socket
 * (`sealpost stats`) and, when stats_listen is set, a tiny HTTP/1.0
 * endpoint on loopback that serves them in the Prometheus text exposition
 * format at GET /metrics (everything else is 404).  It answers one short
 * request per connection and closes; requests are bounded in size, count
 * and time, so a stuck client costs one descriptor for a few seconds.
 *
 * Counters count since qmgr started (Prometheus computes rates); the
 * per-hour and per-day numbers of `sealpost stats` come from the log.
 */
#include "qmgr.h"
#include "buf.h"
#include "event.h"
#include "proc_net.h"
#include "stream.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define QMGR_STATS_CLIENTS_MAX 16
#define QMGR_STATS_LINE_MAX 1024
#define QMGR_STATS_HEADERS_MAX 64
#define QMGR_STATS_TIMEOUT_MS 5000

/* The listeners whose sessions are counted, by service name. */
static const char *const qmgr_stats_listeners[][2] = {
	{ "smtp_listen", "smtp" }, { "submission_listen", "submission" },
	{ "submissions_listen", "submissions" }, { "imap_listen", "imap" },
	{ "imaps_listen", "imaps" }, { "pop3_listen", "pop3" },
	{ "pop3s_listen", "pop3s" }, { "kpop_listen", "kpop" },
	{ "lmtp_listen", "lmtp" },
};
#define QMGR_STATS_LISTENERS \
	(sizeof(qmgr_stats_listeners) / sizeof(qmgr_stats_listeners[0]))

struct qmgr_stats {
	struct qmgr *q;
	int fd;
	struct event_io *io;
	unsigned int clients;
};

struct qmgr_stats_client {
	struct qmgr_stats *st;
	struct stream *stream;
	unsigned int lines;
	bool found, closing;
};

void qmgr_stats_folders(const struct qmgr *q,
			unsigned long long counts[QUEUE_FOLDER_COUNT])
{
	const struct qmgr_msg *m;

	memset(counts, 0, QUEUE_FOLDER_COUNT * sizeof(counts[0]));
	for (m = q->msgs; m != NULL; m = m->next)
		counts[m->busy ? QUEUE_ACTIVE : m->folder]++;
}

/* Sessions open per service, from the kernel's TCP table. */
static void qmgr_stats_sessions(const struct qmgr *q,
				unsigned long long counts[QMGR_STATS_LISTENERS],
				bool used[QMGR_STATS_LISTENERS])
{
	unsigned int ports[QMGR_STATS_LISTENERS];
	size_t i;

	for (i = 0; i < QMGR_STATS_LISTENERS; i++) {
		const char *v = config_get(q->worker->config,
					   qmgr_stats_listeners[i][0]);

		ports[i] = v != NULL ? proc_net_listen_port(v) : 0;
		used[i] = ports[i] != 0;
		counts[i] = 0;
	}
	(void)proc_net_count_established(ports, QMGR_STATS_LISTENERS, counts);
}

void qmgr_stats_format(const struct qmgr *q, struct buf *out)
{
	unsigned long long folders[QUEUE_FOLDER_COUNT];
	const struct qmgr_counters *c = &q->counters;
	unsigned long long sessions[QMGR_STATS_LISTENERS];
	bool used[QMGR_STATS_LISTENERS];
	size_t i;

	qmgr_stats_folders(q, folders);
	for (i = 0; i < QUEUE_CORRUPT; i++)
		buf_printf(out, "queue.%s %llu\n",
			   queue_folder_name((enum queue_folder)i), folders[i]);
	/* Of active: waiting for a relay destination's room (qmgr_park.c). */
	buf_printf(out, "queue.parked %u\n", q->parked_count);
	buf_printf(out, "total.received %llu\ntotal.delivered %llu\n"
		   "total.deferred %llu\ntotal.bounced %llu\n"
		   "total.removed %llu\ntotal.held %llu\n"
		   "total.released %llu\ntotal.deleted %llu\n",
		   c->received, c->delivered, c->deferred, c->bounced,
		   c->removed, c->held, c->released, c->deleted);
	qmgr_stats_sessions(q, sessions, used);
	for (i = 0; i < QMGR_STATS_LISTENERS; i++) {
		if (used[i])
			buf_printf(out, "sessions.%s %llu\n",
				   qmgr_stats_listeners[i][1], sessions[i]);
	}
}

/* The same numbers in the Prometheus text format (version 0.0.4). */
static void qmgr_stats_prometheus(const struct qmgr *q, struct buf *out)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} counters[] = {
#define C(name, field, help) \
	{ name, help, offsetof(struct qmgr_counters, field) }
		C("sealpost_messages_received_total", received,
		  "Messages that entered the queue."),
		C("sealpost_recipients_delivered_total", delivered,
		  "Recipients delivered (LMTP or relay)."),
		C("sealpost_recipients_deferred_total", deferred,
		  "Recipient attempts that failed temporarily."),
		C("sealpost_recipients_bounced_total", bounced,
		  "Recipients that failed for good."),
		C("sealpost_messages_removed_total", removed,
		  "Messages done with and removed from the queue."),
		C("sealpost_messages_held_total", held,
		  "Messages put on hold by the postmaster."),
		C("sealpost_messages_deleted_total", deleted,
		  "Messages deleted by the postmaster."),
#undef C
	};
	unsigned long long folders[QUEUE_FOLDER_COUNT];
	unsigned long long sessions[QMGR_STATS_LISTENERS];
	bool used[QMGR_STATS_LISTENERS];
	size_t i;

	qmgr_stats_folders(q, folders);
	buf_append_str(out, "# HELP sealpost_queue_messages Messages in each "
		       "queue folder.\n# TYPE sealpost_queue_messages gauge\n");
	for (i = 0; i < QUEUE_CORRUPT; i++)
		buf_printf(out, "sealpost_queue_messages{queue=\"%s\"} %llu\n",
			   queue_folder_name((enum queue_folder)i), folders[i]);
	buf_printf(out, "# HELP sealpost_queue_parked Messages of the active "
		   "queue parked until their relay destination has room.\n"
		   "# TYPE sealpost_queue_parked gauge\nsealpost_queue_parked "
		   "%u\n", q->parked_count);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		const unsigned long long *v = (const void *)
			((const char *)&q->counters + counters[i].offset);

		buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
			   counters[i].name, counters[i].help,
			   counters[i].name, counters[i].name, *v);
	}
	qmgr_stats_sessions(q, sessions, used);
	buf_append_str(out, "# HELP sealpost_sessions Open sessions of each "
		       "service.\n# TYPE sealpost_sessions gauge\n");
	for (i = 0; i < QMGR_STATS_LISTENERS; i++) {
		if (used[i])
			buf_printf(out, "sealpost_sessions{service=\"%s\"} %llu\n",
				   qmgr_stats_listeners[i][1], sessions[i]);
	}
}

static void qmgr_stats_client_free(struct qmgr_stats_client *c)
{
	c->st->clients--;
	stream_free(&c->stream);
	free(c);
}

static void qmgr_stats_respond(struct qmgr_stats_client *c)
{
	struct buf body = BUF_INIT;

	if (c->found) {
		qmgr_stats_prometheus(c->st->q, &body);
		stream_printf(c->stream, "HTTP/1.0 200 OK\r\nContent-Type: "
			      "text/plain; version=0.0.4\r\n");
	} else {
		buf_append_str(&body, "not found\n");
		stream_printf(c->stream, "HTTP/1.0 404 Not Found\r\n"
			      "Content-Type: text/plain\r\n");
	}
	stream_printf(c->stream, "Content-Length: %zu\r\nConnection: close"
		      "\r\n\r\n", body.len);
	stream_write(c->stream, body.data, body.len);
	buf_free(&body);
	c->closing = true;
	stream_pause(c->stream);
	if (stream_flush(c->stream) != 0)
		qmgr_stats_client_free(c);
}

static void qmgr_stats_input(void *ctx)
{
	struct qmgr_stats_client *c = ctx;
	struct stream_line line;
	enum stream_result r;

	while (!c->closing) {
		r = stream_read_line(c->stream, QMGR_STATS_LINE_MAX, &line);
		if (r == STREAM_WAIT)
			return;
		if (r != STREAM_OK || ++c->lines > QMGR_STATS_HEADERS_MAX) {
			qmgr_stats_client_free(c);
			return;
		}
		if (c->lines == 1) {
			c->found = strcmp(line.data, "GET /metrics HTTP/1.0") == 0 ||
				strcmp(line.data, "GET /metrics HTTP/1.1") == 0;
		} else if (line.len == 0) {
			qmgr_stats_respond(c);
			return;
		}
	}
}

static void qmgr_stats_drained(void *ctx)
{
	struct qmgr_stats_client *c = ctx;

	if (c->closing)
		qmgr_stats_client_free(c);
}

static void qmgr_stats_error(void *ctx)
{
	qmgr_stats_client_free(ctx);
}

static const struct stream_callbacks qmgr_stats_cb = {
	.input = qmgr_stats_input,
	.drained = qmgr_stats_drained,
	.error = qmgr_stats_error,
};

static void qmgr_stats_accept(void *ctx, unsigned int events)
{
	struct qmgr_stats *st = ctx;
	struct stream_settings set = stream_default_settings;
	int fd;

	while ((fd = accept4(st->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct qmgr_stats_client *c;

		if (st->clients >= QMGR_STATS_CLIENTS_MAX) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->st = st;
		st->clients++;
		set.read_timeout_ms = QMGR_STATS_TIMEOUT_MS;
		set.write_timeout_ms = QMGR_STATS_TIMEOUT_MS;
		c->stream = stream_new(st->q->loop, fd, &set, &qmgr_stats_cb, c);
	}
}

/* "127.0.0.1:9187" or "[::1]:9187", loopback only: the counters are
 * for the host's own monitoring, unauthenticated. */
static int qmgr_stats_parse(const char *v, struct sockaddr_storage *ss,
			    socklen_t *len_r)
{
	const char *colon = strrchr(v, ':');
	unsigned int port = proc_net_listen_port(v);
	char host[64];
	size_t n;

	if (colon == NULL || port == 0)
		return -1;
	n = (size_t)(colon - v);
	if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, v, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':') == NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
		    (ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len_r = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*sin6);
	}
	return 0;
}

void qmgr_stats_init(struct qmgr *q)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct qmgr_stats *st;
	int fd, one = 1;

	if (q->set.stats_listen == NULL || q->set.stats_listen[0] == '\0')
		return;
	if (qmgr_stats_parse(q->set.stats_listen, &ss, &len) < 0)
		log_fatal("stats_listen %s: not a loopback address and port",
			  q->set.stats_listen);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0)
		log_fatal("stats_listen %s: %s", q->set.stats_listen,
			  strerror(errno));
	st = xcalloc(1, sizeof(*st));
	st->q = q;
	st->fd = fd;
	st->io = event_io_add(q->loop, fd, EVENT_READ, qmgr_stats_accept, st);
	q->stats = st;
	log_info("stats_listening", "address=%s", q->set.stats_listen);
}

void qmgr_stats_deinit(struct qmgr *q)
{
	struct qmgr_stats *st = q->stats;

	if (st == NULL)
		return;
	event_io_remove(&st->io);
	close(st->fd);
	free(st);
	q->stats = NULL;
}
