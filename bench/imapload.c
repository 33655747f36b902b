/*
 * imapload: IMAP command latency and throughput, many clients in one
 * process.
 *
 * Every client connects, STARTTLS, LOGIN, SELECT, then runs commands one
 * at a time and waits for each tagged reply.  Three modes:
 *
 *   mix     (default) -c clients for --seconds: each session is LOGIN,
 *           SELECT, --session-ops commands drawn from a fixed mix (FETCH,
 *           STORE, SEARCH, APPEND, EXPUNGE) by a generator seeded from
 *           --seed and the client's number, then LOGOUT and a new session.
 *           Each client sends its next command as soon as the last one is
 *           answered; with --rate R, the clients together send R commands
 *           a second on a fixed schedule instead (below).
 *   fill    APPENDs --fill N generated messages to --mailbox for every
 *           --user (MULTIAPPEND batches), creating the mailbox first.
 *   script  one client runs each --cmd once, in order (--passes times);
 *           --drop-caches drops the page cache before each command.
 *
 * Non-blocking sockets under one epoll loop; TLS by OpenSSL, certificates
 * not verified (the server is ours, on loopback).  The generated messages
 * are realistic in shape: threads (In-Reply-To, References), plain text,
 * multipart/alternative, attachments in base64.  Prints one JSON object:
 * commands per second and per command count, p50 and p99 in ms.
 *
 * Besides the commands, two waits of every session are timed apart: the
 * greeting (from connect() to the server's "* OK", where a server that
 * starts a process per connection spends its time) and the TLS set-up
 * (STARTTLS to the end of the handshake).  "all" is the commands alone;
 * "waits" is every wait a user has, greetings and set-ups included.
 */
#include "bench_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IL_MAX_USERS 64
#define IL_MAX_PIDS 8
#define IL_MAX_CMDS 32
#define IL_MAX_CLIENTS 1000
#define IL_LINE_MAX (1024 * 1024)
#define IL_FILL_BATCH 200
#define IL_PENDING_MAX 64

enum il_mode { IL_MIX, IL_FILL, IL_SCRIPT };

enum il_phase {
	IL_CONNECTING, IL_GREETING, IL_STARTTLS, IL_HANDSHAKE, IL_COMMAND,
	IL_CLOSED,
};

/* The kinds of command whose latency is kept apart. */
enum il_kind {
	K_LOGIN, K_SELECT, K_FETCH, K_STORE, K_SEARCH, K_APPEND, K_EXPUNGE,
	K_LOGOUT, K_GREETING, K_CONNECT, K_SCRIPT, K_COUNT,
};
static const char *const kind_names[K_COUNT] = {
	"login", "select", "fetch", "store", "search", "append", "expunge",
	"logout", "greeting", "starttls", "script",
};

struct il_buf {
	char *data;
	size_t len, size, off;
};

struct il_user {
	const char *name, *password;
};

struct il_client {
	unsigned int id;
	int fd;
	SSL *ssl;
	enum il_phase phase;
	struct il_buf in, out;
	size_t skip;		/* literal bytes still to pass over */
	bool mid_response;	/* after a literal, inside one response */
	char tag[16];
	unsigned int tag_seq;
	enum il_kind kind;
	double started;
	double due;		/* --rate: when the next command is sent */
	bool held;		/* --rate: a command waits for its time */
	bool logout_sent;
	unsigned int session_ops;
	uint64_t rng;
	const struct il_user *user;
	/* UIDs of messages this client APPENDed, for EXPUNGE. */
	unsigned long pending[IL_PENDING_MAX];
	unsigned int pending_count;
	unsigned long last_appenduid;
	unsigned long expunge_uid;	/* flagged, to expunge next */
	unsigned int script_pos, pass;
	unsigned int fill_done;
	uint32_t events;
};

struct il_samples {
	double *v;
	size_t n, size;
	unsigned long failures;
};

static struct il_user users[IL_MAX_USERS];
static unsigned int user_count;
static long pids[IL_MAX_PIDS];
static unsigned int pid_count;
static const char *cmds[IL_MAX_CMDS];
static unsigned int cmd_count;
static struct il_samples samples[K_COUNT];
static struct il_samples script_samples[IL_MAX_CMDS];
/* Every command of the mix, whatever its kind; and every wait of a
 * session: the commands, its greeting and its TLS set-up. */
static struct il_samples all_samples, wait_samples;
static enum il_mode mode = IL_MIX;
static unsigned int port, corpus = 500, session_ops = 20, passes = 1;
static unsigned int fill_count, fill_small;
static const char *mailbox = "INBOX";
static unsigned long long seed = 1;
static bool drop_caches, measuring;
static double deadline;
/* --rate: the time between two commands of one client (0: no pacing). */
static double pace_interval;
static int epfd;
static SSL_CTX *ctx;
static char failure[512];
static unsigned long total_failures;

static double il_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void il_oom(void)
{
	fprintf(stderr, "imapload: out of memory\n");
	exit(1);
}

/* ---- buffers ---- */

static void il_reserve(struct il_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->size)
		return;
	size_t size = b->size ? b->size : 4096;

	while (size < b->len + more + 1)
		size *= 2;
	b->data = realloc(b->data, size);
	if (b->data == NULL)
		il_oom();
	b->size = size;
}

static void il_append(struct il_buf *b, const void *p, size_t len)
{
	il_reserve(b, len);
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void il_printf(struct il_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void il_printf(struct il_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		il_oom();
	il_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* ---- deterministic randomness (splitmix64) ---- */

static uint64_t il_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int il_below(uint64_t *s, unsigned int n)
{
	return n ? (unsigned int)(il_rand(s) % n) : 0;
}

/* ---- the corpus ---- */

static const char *const words[] = {
	"meeting", "budget", "kerberos", "lecture", "exam", "seminar",
	"library", "thesis", "schedule", "server", "network", "printer",
	"deadline", "grant", "review", "draft", "campus", "student",
	"project", "lunch", "report", "committee", "office", "travel",
	"invoice", "password", "upgrade", "backup", "results", "agenda",
	"question", "answer", "update", "release", "course", "lab",
};
#define IL_WORDS (sizeof(words) / sizeof(words[0]))
static const char *const names[] = {
	"Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra",
	"Barbara Liskov", "Donald Knuth", "Frances Allen", "Ken Thompson",
};
#define IL_NAMES (sizeof(names) / sizeof(names[0]))

static void il_words(struct il_buf *b, uint64_t *r, unsigned int n,
		     unsigned int line_words)
{
	for (unsigned int i = 0; i < n; i++) {
		il_printf(b, "%s%s", words[il_below(r, IL_WORDS)],
			  (i + 1) % line_words == 0 ? "\r\n" : " ");
	}
	il_append(b, "\r\n", 2);
}

static void il_base64_lines(struct il_buf *b, uint64_t *r, size_t bytes)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[78];

	for (size_t done = 0; done < bytes; done += 57) {
		for (unsigned int i = 0; i < 76; i++)
			line[i] = alpha[il_below(r, 64)];
		line[76] = '\r';
		line[77] = '\n';
		il_append(b, line, sizeof(line));
	}
}

/* Message number `n` of the corpus: the same bytes for the same n and
 * seed.  Five messages a thread; 40 % plain text, 30 % alternative
 * (text and HTML), 30 % with an attachment (2-40 KB, or 1-2 KB when
 * `small`). */
static void il_message(struct il_buf *b, unsigned long n, bool small)
{
	uint64_t r = seed * 1000003ULL + n;
	unsigned long thread = n / 5, in_thread = n % 5;
	unsigned int kind = il_below(&r, 10);
	const char *from = names[il_below(&r, IL_NAMES)];
	const char *w1 = words[thread % IL_WORDS];
	const char *w2 = words[(thread / IL_WORDS + 7) % IL_WORDS];

	b->len = 0;
	il_printf(b, "Return-Path: <sender%lu@example.edu>\r\n"
		  "From: %s <sender%lu@example.edu>\r\n"
		  "To: Bench User <user@sealpost.test>\r\n"
		  "Subject: %s%s %s %lu\r\n"
		  "Date: %s, %02lu Nov 2026 %02lu:%02lu:%02lu +0000\r\n"
		  "Message-ID: <m%lu.%llu@example.edu>\r\n",
		  n % 97, from, n % 97, in_thread ? "Re: " : "", w1, w2, thread,
		  (const char *[]){ "Mon", "Tue", "Wed", "Thu", "Fri" }[n % 5],
		  1 + n % 28, n % 24, n % 60, (n * 7) % 60, n, seed);
	if (in_thread > 0) {
		il_printf(b, "In-Reply-To: <m%lu.%llu@example.edu>\r\n"
			  "References:", n - 1, seed);
		for (unsigned long k = n - in_thread; k < n; k++)
			il_printf(b, " <m%lu.%llu@example.edu>", k, seed);
		il_append(b, "\r\n", 2);
	}
	il_append(b, "MIME-Version: 1.0\r\n", 19);
	if (kind < 4) {
		il_append(b, "Content-Type: text/plain; charset=utf-8\r\n\r\n", 43);
		il_words(b, &r, 40 + il_below(&r, small ? 100 : 400), 12);
		return;
	}
	il_printf(b, "Content-Type: multipart/%s; boundary=\"b%lu\"\r\n\r\n"
		  "This is a multi-part message in MIME format.\r\n"
		  "--b%lu\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		  kind < 7 ? "alternative" : "mixed", n, n);
	il_words(b, &r, 40 + il_below(&r, small ? 80 : 300), 12);
	if (kind < 7) {
		il_printf(b, "--b%lu\r\nContent-Type: text/html; "
			  "charset=utf-8\r\n\r\n<html><body><p>", n);
		il_words(b, &r, 40 + il_below(&r, small ? 80 : 300), 12);
		il_append(b, "</p></body></html>\r\n", 20);
	} else {
		size_t bytes = small ? 1024 + il_below(&r, 1024)
				     : 2048 + il_below(&r, 38 * 1024);

		il_printf(b, "--b%lu\r\nContent-Type: application/pdf; "
			  "name=\"%s-%lu.pdf\"\r\nContent-Transfer-Encoding: "
			  "base64\r\nContent-Disposition: attachment; "
			  "filename=\"%s-%lu.pdf\"\r\n\r\n", n, w1, thread,
			  w1, thread);
		il_base64_lines(b, &r, bytes);
	}
	il_printf(b, "--b%lu--\r\n", n);
}

/* ---- samples ---- */

static void il_sample(struct il_samples *s, double v)
{
	if (s->n == s->size) {
		s->size = s->size ? s->size * 2 : 1024;
		s->v = realloc(s->v, s->size * sizeof(*s->v));
		if (s->v == NULL)
			il_oom();
	}
	s->v[s->n++] = v;
}

static int il_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double il_pct(struct il_samples *s, double p)
{
	if (s->n == 0)
		return 0;
	size_t i = (size_t)(p * (double)(s->n - 1) + 0.5);

	return s->v[i] * 1000.0;
}

/* ---- the connection ---- */

static void il_events(struct il_client *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (ev == c->events)
		return;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = ev;
}

static void il_fail(struct il_client *c, const char *what)
{
	if (failure[0] == '\0')
		snprintf(failure, sizeof(failure), "client %u (%s): %.400s",
			 c->id, c->user->name, what);
	total_failures++;
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->fd = -1;
	c->phase = IL_CLOSED;
}

/* Writes what can be written now; 0, or -1 when the connection broke. */
static int il_flush(struct il_client *c)
{
	while (c->out.off < c->out.len) {
		size_t len = c->out.len - c->out.off;
		int n;

		if (c->ssl != NULL) {
			n = SSL_write(c->ssl, c->out.data + c->out.off,
				      len > INT32_MAX ? INT32_MAX : (int)len);
			if (n <= 0) {
				int e = SSL_get_error(c->ssl, n);

				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ)
					break;
				return -1;
			}
		} else {
			ssize_t s = send(c->fd, c->out.data + c->out.off, len,
					 MSG_NOSIGNAL);

			if (s < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (s <= 0)
				return -1;
			n = (int)s;
		}
		c->out.off += (size_t)n;
	}
	if (c->out.off == c->out.len)
		c->out.off = c->out.len = 0;
	il_events(c, EPOLLIN | (c->out.len ? EPOLLOUT : 0));
	return 0;
}

/*
 * Sends the command just queued in c->out.  Unpaced, its latency runs
 * from now.  Paced (--rate), each client's commands are due on a fixed
 * schedule and the latency runs from the time a command was due, not from
 * when it went out: a server that falls behind delays the commands after
 * the slow one too, and that delay is the server's to answer for (timing
 * from the actual send would hide it).  A command due later is held
 * until then by il_loop().  The TLS set-up of a new session is not paced.
 */
static void il_issue(struct il_client *c, enum il_kind kind)
{
	double now = il_now();

	c->kind = kind;
	c->started = now;
	if (pace_interval > 0 && kind != K_CONNECT) {
		c->started = c->due;
		c->due += pace_interval;
		if (c->started > now) {
			c->held = true;
			return;
		}
	}
	if (il_flush(c) < 0)
		il_fail(c, "write failed");
}

static void il_send(struct il_client *c, enum il_kind kind,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void il_send(struct il_client *c, enum il_kind kind,
		    const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	snprintf(c->tag, sizeof(c->tag), "t%u", ++c->tag_seq);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	il_printf(&c->out, "%s %s\r\n", c->tag, line);
	il_issue(c, kind);
}

static void il_start_connect(struct il_client *c)
{
	struct sockaddr_in sin;
	struct epoll_event e = { .events = EPOLLOUT, .data.ptr = c };

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	c->in.len = c->out.len = c->out.off = 0;
	c->skip = 0;
	c->mid_response = false;
	c->logout_sent = false;
	c->session_ops = 0;
	c->started = il_now();
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* An APPEND larger than the socket's send buffer goes out in
	 * pieces as it drains; Nagle's algorithm then holds the last, short
	 * piece until the server acknowledges the others, which a server
	 * delaying its ACKs does some 40 ms later.  That wait is the
	 * client's, not the server's: it set the p99 of the mixed load on
	 * both sides.  mailload turns Nagle off for the same reason. */
	if (c->fd >= 0) {
		int one = 1;

		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	}
	if (c->fd < 0 ||
	    (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	     errno != EINPROGRESS) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e) < 0) {
		il_fail(c, "connect failed");
		return;
	}
	c->events = EPOLLOUT;
	c->phase = IL_CONNECTING;
}

static void il_close(struct il_client *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
	c->phase = IL_CLOSED;
}

/* ---- what each client does next ---- */

static void il_login(struct il_client *c)
{
	il_send(c, K_LOGIN, "LOGIN \"%s\" \"%s\"", c->user->name,
		c->user->password);
}

static void il_logout(struct il_client *c)
{
	c->logout_sent = true;
	il_send(c, K_LOGOUT, "LOGOUT");
}

/* An APPEND of one generated message, with LITERAL+ (both servers
 * announce it) so it is one write. */
static void il_append_cmd(struct il_client *c, enum il_kind kind,
			  unsigned long n, unsigned int count)
{
	struct il_buf msg = { 0 };

	snprintf(c->tag, sizeof(c->tag), "t%u", ++c->tag_seq);
	il_printf(&c->out, "%s APPEND \"%s\"", c->tag, mailbox);
	for (unsigned int i = 0; i < count; i++) {
		il_message(&msg, n + i, fill_small);
		il_printf(&c->out, " (\\Seen) {%zu+}\r\n", msg.len);
		il_append(&c->out, msg.data, msg.len);
	}
	il_append(&c->out, "\r\n", 2);
	free(msg.data);
	il_issue(c, kind);
}

/* The mix, out of 100: FETCH 45 (a list view of 20 messages, the header
 * and structure of one, the whole of one), STORE 20, SEARCH 15, APPEND
 * 12, EXPUNGE 8 (a message this client appended: STORE \Deleted, then
 * UID EXPUNGE; an APPEND when it has none). */
static void il_next_mixed(struct il_client *c)
{
	unsigned int roll = il_below(&c->rng, 100), sub = il_below(&c->rng, 3);
	unsigned long uid = 1 + il_below(&c->rng, corpus);
	const char *w = words[il_below(&c->rng, IL_WORDS)];

	if (c->expunge_uid) {
		il_send(c, K_EXPUNGE, "UID EXPUNGE %lu", c->expunge_uid);
		c->expunge_uid = 0;
		return;
	}
	if (c->session_ops++ >= session_ops || il_now() >= deadline) {
		il_logout(c);
		return;
	}
	if (roll < 45) {
		if (sub == 0)
			il_send(c, K_FETCH, "UID FETCH %lu:%lu (UID FLAGS "
				"RFC822.SIZE ENVELOPE)", uid,
				uid + 19 > corpus ? corpus : uid + 19);
		else if (sub == 1)
			il_send(c, K_FETCH, "UID FETCH %lu (FLAGS "
				"INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER])",
				uid);
		else
			il_send(c, K_FETCH, "UID FETCH %lu (BODY.PEEK[])", uid);
	} else if (roll < 65) {
		il_send(c, K_STORE, "UID STORE %lu %cFLAGS (%s)", uid,
			sub == 2 ? '-' : '+', sub == 1 ? "\\Flagged" : "\\Seen");
	} else if (roll < 80) {
		if (sub == 0)
			il_send(c, K_SEARCH, "UID SEARCH UNSEEN");
		else if (sub == 1)
			il_send(c, K_SEARCH, "UID SEARCH SUBJECT %s", w);
		else
			il_send(c, K_SEARCH, "UID SEARCH FROM \"%s\"",
				names[il_below(&c->rng, IL_NAMES)]);
	} else if (roll < 92 || c->pending_count == 0) {
		il_append_cmd(c, K_APPEND, 100000 + il_rand(&c->rng) % 1000000,
			      1);
	} else {
		c->expunge_uid = c->pending[--c->pending_count];
		il_send(c, K_STORE, "UID STORE %lu +FLAGS.SILENT (\\Deleted)",
			c->expunge_uid);
	}
}

static void il_next_script(struct il_client *c)
{
	if (c->script_pos == cmd_count) {
		c->script_pos = 0;
		c->pass++;
	}
	if (c->pass == passes) {
		il_logout(c);
		return;
	}
	if (drop_caches) {
		int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

		sync();
		if (fd < 0 || write(fd, "3\n", 2) != 2) {
			il_fail(c, "cannot drop the page cache");
			if (fd >= 0)
				close(fd);
			return;
		}
		close(fd);
	}
	il_send(c, K_SCRIPT, "%s", cmds[c->script_pos++]);
}

static void il_next_fill(struct il_client *c)
{
	unsigned int batch = fill_count - c->fill_done;

	if (batch == 0) {
		il_logout(c);
		return;
	}
	if (batch > IL_FILL_BATCH)
		batch = IL_FILL_BATCH;
	il_append_cmd(c, K_APPEND, c->fill_done, batch);
	c->fill_done += batch;
}

static void il_next(struct il_client *c)
{
	if (mode == IL_MIX)
		il_next_mixed(c);
	else if (mode == IL_SCRIPT)
		il_next_script(c);
	else
		il_next_fill(c);
}

/* A tagged reply ended the command in flight. */
static void il_done(struct il_client *c, const char *line)
{
	const char *status = line + strlen(c->tag) + 1;
	bool ok = strncmp(status, "OK", 2) == 0;
	double t = il_now() - c->started;
	enum il_kind kind = c->kind;

	if (measuring || mode != IL_MIX) {
		struct il_samples *s = kind == K_SCRIPT
			? &script_samples[(c->script_pos + cmd_count - 1) % cmd_count]
			: &samples[kind];

		if (ok) {
			il_sample(s, t);
			if (kind != K_CONNECT && kind != K_SCRIPT) {
				il_sample(&all_samples, t);
				il_sample(&wait_samples, t);
			}
		} else
			s->failures++;
	}
	/* A CREATE before a fill may find the mailbox there. */
	if (!ok && !(mode == IL_FILL && c->tag_seq == 3)) {
		char what[600];

		snprintf(what, sizeof(what), "%s: %s", kind_names[kind], line);
		if (failure[0] == '\0')
			snprintf(failure, sizeof(failure), "%.500s", what);
		total_failures++;
	}
	if (kind == K_APPEND && c->last_appenduid && mode == IL_MIX &&
	    c->pending_count < IL_PENDING_MAX)
		c->pending[c->pending_count++] = c->last_appenduid;
	c->last_appenduid = 0;
	if (kind == K_LOGOUT) {
		il_close(c);
		if (mode == IL_MIX && il_now() < deadline)
			il_start_connect(c);
		return;
	}
	if (kind == K_LOGIN) {
		if (!ok) {
			il_fail(c, line);
			return;
		}
		if (mode == IL_FILL)
			il_send(c, K_SELECT, "CREATE \"%s\"", mailbox);
		else
			il_send(c, K_SELECT, "SELECT \"%s\"", mailbox);
		return;
	}
	if (kind == K_SELECT && mode == IL_FILL && c->tag_seq == 3) {
		il_send(c, K_SELECT, "SELECT \"%s\"", mailbox);
		return;
	}
	il_next(c);
}

/* One line of a response (without CRLF) from the server. */
static void il_line(struct il_client *c, char *line, size_t len)
{
	bool was_mid = c->mid_response;
	char *brace;

	/* A line ending in {N} or {N+} announces N bytes of literal. */
	c->mid_response = false;
	if (len > 2 && line[len - 1] == '}' &&
	    (brace = memrchr(line, '{', len)) != NULL) {
		c->skip = strtoul(brace + 1, NULL, 10);
		c->mid_response = true;
	}
	line[len] = '\0';
	if (was_mid)
		return;
	switch (c->phase) {
	case IL_GREETING:
		if (strncmp(line, "* OK", 4) == 0) {
			if (measuring || mode != IL_MIX) {
				double t = il_now() - c->started;

				il_sample(&samples[K_GREETING], t);
				il_sample(&wait_samples, t);
			}
			il_send(c, K_CONNECT, "STARTTLS");
			c->phase = IL_STARTTLS;
		} else if (line[0] != '*') {
			il_fail(c, line);
		}
		return;
	case IL_STARTTLS:
	case IL_COMMAND:
		break;
	default:
		return;
	}
	char *appenduid = strstr(line, "[APPENDUID ");

	if (appenduid != NULL) {
		char *sp = strchr(appenduid + 11, ' ');

		if (sp != NULL)
			c->last_appenduid = strtoul(sp + 1, NULL, 10);
	}
	if (strncmp(line, c->tag, strlen(c->tag)) != 0 ||
	    line[strlen(c->tag)] != ' ')
		return;
	if (c->phase == IL_STARTTLS) {
		if (strncmp(line + strlen(c->tag) + 1, "OK", 2) != 0) {
			il_fail(c, line);
			return;
		}
		c->phase = IL_HANDSHAKE;
		c->ssl = SSL_new(ctx);
		if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
			il_fail(c, "SSL_new failed");
			return;
		}
		SSL_set_connect_state(c->ssl);
		return;
	}
	il_done(c, line);
}

/* Passes complete lines and literals of c->in on; keeps the rest. */
static void il_parse(struct il_client *c)
{
	size_t pos = 0;

	while (pos < c->in.len && c->phase != IL_CLOSED) {
		if (c->skip > 0) {
			size_t n = c->in.len - pos < c->skip ? c->in.len - pos
							     : c->skip;

			pos += n;
			c->skip -= n;
			continue;
		}
		char *nl = memchr(c->in.data + pos, '\n', c->in.len - pos);

		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - (c->in.data + pos));
		size_t next = pos + len + 1;

		if (len > 0 && c->in.data[pos + len - 1] == '\r')
			len--;
		il_line(c, c->in.data + pos, len);
		/* LOGOUT's reply closed the connection and a new one
		 * starts with an empty buffer. */
		if (c->phase == IL_CONNECTING || c->phase == IL_CLOSED)
			return;
		pos = next;
		/* After STARTTLS's OK nothing in the clear may follow. */
		if (c->phase == IL_HANDSHAKE) {
			pos = c->in.len;
			break;
		}
	}
	memmove(c->in.data, c->in.data + pos, c->in.len - pos);
	c->in.len -= pos;
	if (c->in.len >= IL_LINE_MAX)
		il_fail(c, "response line too long");
}

static void il_handshake(struct il_client *c)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1) {
		c->phase = IL_COMMAND;
		if (measuring || mode != IL_MIX) {
			double t = il_now() - c->started;

			il_sample(&samples[K_CONNECT], t);
			il_sample(&wait_samples, t);
		}
		il_login(c);
		return;
	}
	int e = SSL_get_error(c->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		il_events(c, EPOLLIN);
	else if (e == SSL_ERROR_WANT_WRITE)
		il_events(c, EPOLLOUT);
	else
		il_fail(c, "TLS handshake failed");
}

static void il_readable(struct il_client *c)
{
	for (;;) {
		int n;

		il_reserve(&c->in, 65536);
		if (c->ssl != NULL) {
			n = SSL_read(c->ssl, c->in.data + c->in.len, 65536);
			if (n <= 0) {
				int e = SSL_get_error(c->ssl, n);

				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					break;
				il_fail(c, "connection closed");
				return;
			}
		} else {
			ssize_t s = recv(c->fd, c->in.data + c->in.len, 65536, 0);

			if (s < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (s <= 0) {
				il_fail(c, "connection closed");
				return;
			}
			n = (int)s;
		}
		c->in.len += (size_t)n;
		il_parse(c);
		if (c->phase == IL_CLOSED || c->phase == IL_HANDSHAKE ||
		    c->phase == IL_CONNECTING)
			return;
	}
}

static void il_event(struct il_client *c, uint32_t ev)
{
	if (c->phase == IL_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err != 0) {
			il_fail(c, "connect failed");
			return;
		}
		c->phase = IL_GREETING;
		il_events(c, EPOLLIN);
		return;
	}
	if (c->phase == IL_HANDSHAKE) {
		il_handshake(c);
		if (c->phase != IL_COMMAND)
			return;
	}
	if ((ev & EPOLLOUT) && il_flush(c) < 0) {
		il_fail(c, "write failed");
		return;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		il_readable(c);
		/* STARTTLS's OK came: the handshake starts now. */
		if (c->phase == IL_HANDSHAKE)
			il_handshake(c);
	}
}

static unsigned int il_open_clients(struct il_client *clients,
				    unsigned int count)
{
	unsigned int open = 0;

	for (unsigned int i = 0; i < count; i++)
		open += clients[i].phase != IL_CLOSED;
	return open;
}

/* Sends the held commands that are due; returns the milliseconds until
 * the next one is (at most `longest`). */
static int il_release(struct il_client *clients, unsigned int count,
		      int longest)
{
	double now = il_now();
	int wait = longest;

	for (unsigned int i = 0; i < count; i++) {
		struct il_client *c = &clients[i];

		if (!c->held)
			continue;
		if (c->started <= now) {
			c->held = false;
			if (il_flush(c) < 0)
				il_fail(c, "write failed");
		} else if ((c->started - now) * 1000 < wait) {
			wait = (int)((c->started - now) * 1000) + 1;
		}
	}
	return wait;
}

/* Runs the loop until every client has closed or `until` has passed. */
static void il_loop(struct il_client *clients, unsigned int count,
		    double until)
{
	struct epoll_event ev[64];

	while (il_open_clients(clients, count) > 0 && il_now() < until) {
		int wait = pace_interval > 0
			? il_release(clients, count, 100) : 100;
		int n = epoll_wait(epfd, ev, 64, wait);

		for (int i = 0; i < n; i++)
			il_event(ev[i].data.ptr, ev[i].events);
	}
}

/* ---- output ---- */

static void il_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

static void il_json_samples(const char *name, struct il_samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), il_cmp);
	printf("\"%s\":{\"count\":%zu,\"failures\":%lu,\"p50_ms\":%.3f,"
	       "\"p99_ms\":%.3f,\"max_ms\":%.3f}", name, s->n, s->failures,
	       il_pct(s, 0.5), il_pct(s, 0.99), il_pct(s, 1.0));
}

static void il_usage(void)
{
	fprintf(stderr, "usage: imapload --port N --user NAME:PASSWORD... "
		"[--mailbox M] [--seed S] [--label T] [--server-pid PID]...\n"
		"  mix:    [-c CLIENTS] [--seconds S] [--corpus N] "
		"[--session-ops N] [--rate COMMANDS_PER_S]\n"
		"  fill:   --fill N [--small]\n"
		"  script: --cmd COMMAND... [--passes N] [--drop-caches]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "mailbox", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "label", required_argument, NULL, 'L' },
		{ "server-pid", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "corpus", required_argument, NULL, 'C' },
		{ "session-ops", required_argument, NULL, 'o' },
		{ "fill", required_argument, NULL, 'f' },
		{ "small", no_argument, NULL, 'z' },
		{ "cmd", required_argument, NULL, 'x' },
		{ "passes", required_argument, NULL, 'P' },
		{ "drop-caches", no_argument, NULL, 'D' },
		{ "rate", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct il_client *clients;
	unsigned int count = 10, i;
	double seconds = 10, rate = 0, t0, elapsed, cpu0 = 0, cpu1 = 0;
	const char *label = "";
	char *colon;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': count = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'u':
			colon = strchr(optarg, ':');
			if (colon == NULL || user_count == IL_MAX_USERS)
				il_usage();
			*colon = '\0';
			users[user_count].name = optarg;
			users[user_count++].password = colon + 1;
			break;
		case 'm': mailbox = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'L': label = optarg; break;
		case 'k':
			if (pid_count == IL_MAX_PIDS)
				il_usage();
			pids[pid_count++] = strtol(optarg, NULL, 10);
			break;
		case 'S': seconds = strtod(optarg, NULL); break;
		case 'C': corpus = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'o': session_ops = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'f':
			mode = IL_FILL;
			fill_count = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'z': fill_small = 1; break;
		case 'x':
			if (cmd_count == IL_MAX_CMDS)
				il_usage();
			mode = IL_SCRIPT;
			cmds[cmd_count++] = optarg;
			break;
		case 'P': passes = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'D': drop_caches = true; break;
		case 'R': rate = strtod(optarg, NULL); break;
		default: il_usage();
		}
	}
	if (optind != argc || port == 0 || user_count == 0 || count == 0 ||
	    count > IL_MAX_CLIENTS || corpus == 0 || passes == 0 ||
	    rate < 0 || (rate > 0 && mode != IL_MIX))
		il_usage();
	if (mode == IL_FILL)
		count = user_count;
	else if (mode == IL_SCRIPT)
		count = 1;
	ctx = SSL_CTX_new(TLS_client_method());
	clients = calloc(count, sizeof(*clients));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx == NULL || clients == NULL || epfd < 0)
		return 1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	for (i = 0; i < count; i++) {
		clients[i].id = i;
		clients[i].user = &users[i % user_count];
		clients[i].rng = seed * 7919ULL + i;
		clients[i].fd = -1;
	}
	if (pid_count > 0 && bench_proc_cpu(pids, pid_count, &cpu0) < 0) {
		fprintf(stderr, "imapload: a --server-pid is not running\n");
		return 1;
	}
	t0 = il_now();
	/* Every client connects at once, at the start (a burst of TLS
	 * set-ups that each side takes in its own way: in the greeting and
	 * STARTTLS rows); paced, their commands are then spread out. */
	deadline = t0 + seconds;
	if (rate > 0) {
		/* Client i's first command is due i/R after the start, so
		 * the clients' schedules interleave evenly. */
		pace_interval = count / rate;
		for (i = 0; i < count; i++)
			clients[i].due = t0 + i / rate;
	}
	measuring = true;
	for (i = 0; i < count; i++)
		il_start_connect(&clients[i]);
	il_loop(clients, count, mode == IL_MIX ? deadline : t0 + 86400);
	elapsed = il_now() - t0;
	measuring = false;
	if (pid_count > 0)
		bench_proc_cpu(pids, pid_count, &cpu1);
	/* In the mix, sessions still open log out (not counted). */
	if (mode == IL_MIX) {
		for (i = 0; i < count; i++)
			if (clients[i].phase != IL_CLOSED)
				il_close(&clients[i]);
	}
	unsigned long commands = 0;

	for (i = 0; i < K_COUNT; i++)
		if (i != K_GREETING && i != K_CONNECT && i != K_SCRIPT)
			commands += samples[i].n;
	printf("{\"label\":");
	il_json_string(label);
	printf(",\"mode\":\"%s\",\"clients\":%u,\"rate\":%.1f,\"seconds\":%.3f,"
	       "\"commands\":%lu,\"ops_per_s\":%.1f,\"server_cpu_s\":%.2f,"
	       "\"failures\":%lu,\"first_error\":",
	       mode == IL_MIX ? "mix" : mode == IL_FILL ? "fill" : "script",
	       count, rate, elapsed, commands, (double)commands / elapsed,
	       cpu1 - cpu0, total_failures);
	il_json_string(failure);
	printf(",\"commands_by_kind\":{");
	for (i = 0; i < K_COUNT; i++) {
		if (i)
			putchar(',');
		il_json_samples(kind_names[i], &samples[i]);
	}
	putchar(',');
	il_json_samples("all", &all_samples);
	putchar(',');
	il_json_samples("waits", &wait_samples);
	printf("},\"script\":[");
	for (i = 0; i < cmd_count; i++) {
		if (i)
			putchar(',');
		printf("{\"command\":");
		il_json_string(cmds[i]);
		putchar(',');
		il_json_samples("time", &script_samples[i]);
		putchar('}');
	}
	printf("]}\n");
	return total_failures == 0 ? 0 : 1;
}
