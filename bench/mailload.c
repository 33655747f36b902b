/*
 * mailload: the load generator of `make bench`.
 *
 * Sends N messages over SMTP or LMTP from C concurrent sessions (threads,
 * one blocking connection each, one transaction at a time), then, for
 * end-to-end runs, waits until every message shows up at the far end.  It
 * measures what the server spent: the CPU time (user + system, children
 * included) of every process tree named with --server-pid, read from /proc
 * before and after.  It prints one JSON object.
 *
 * The messages are the same for every server: their bytes depend only on
 * their number and --seed; --tag only makes the Message-ID unique, so a
 * server that drops duplicates never sees one.
 */
#include "bench_proc.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAILLOAD_MAX_PIDS 8
#define MAILLOAD_MAX_WAIT_DIRS 16
#define MAILLOAD_MAX_RCPTS 16
#define MAILLOAD_LINE_MAX 1024
#define MAILLOAD_IO_TIMEOUT_MS 60000

struct mailload_options {
	bool lmtp;
	const char *unix_path;
	const char *host;
	unsigned int port;
	unsigned int count;
	unsigned int concurrency;
	unsigned int size_min, size_max;
	unsigned int seed;
	const char *domain;
	const char *rcpts[MAILLOAD_MAX_RCPTS];
	unsigned int rcpt_count;
	const char *tag;
	long pids[MAILLOAD_MAX_PIDS];
	unsigned int pid_count;
	const char *wait_log, *wait_match;
	const char *wait_dirs[MAILLOAD_MAX_WAIT_DIRS];
	unsigned int wait_dir_count;
	unsigned int wait_timeout;
	const char *label;
};

struct mailload_conn {
	int fd;
	char in[8192];
	size_t in_len;
};

static struct mailload_options opt;
static atomic_uint next_message;
static atomic_uint failures;
static double *latencies;
static const char *first_error;
static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;

static double mailload_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void mailload_fail(const char *what)
{
	pthread_mutex_lock(&error_lock);
	if (first_error == NULL)
		first_error = strdup(what);
	pthread_mutex_unlock(&error_lock);
	atomic_fetch_add(&failures, 1);
}

static int mailload_connect(struct mailload_conn *c)
{
	c->in_len = 0;
	if (opt.unix_path != NULL) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(opt.unix_path) >= sizeof(sun.sun_path))
			return -1;
		memcpy(sun.sun_path, opt.unix_path, strlen(opt.unix_path) + 1);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return -1;
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			goto fail;
	} else {
		struct sockaddr_in sin;
		int one = 1;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)opt.port);
		if (inet_pton(AF_INET, opt.host, &sin.sin_addr) != 1)
			return -1;
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return -1;
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			goto fail;
	}
	return 0;
fail:
	close(c->fd);
	c->fd = -1;
	return -1;
}

static int mailload_write(struct mailload_conn *c, const char *data,
			  size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one reply line (without CRLF) into line; -1 on error, timeout or
 * a line longer than the buffer. */
static int mailload_read_line(struct mailload_conn *c, char *line,
			      size_t size)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->in_len);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - c->in) + 1;
			size_t text = len;

			while (text > 0 && (c->in[text - 1] == '\n' ||
					    c->in[text - 1] == '\r'))
				text--;
			if (text >= size)
				return -1;
			memcpy(line, c->in, text);
			line[text] = '\0';
			memmove(c->in, c->in + len, c->in_len - len);
			c->in_len -= len;
			return 0;
		}
		if (c->in_len == sizeof(c->in))
			return -1;
		if (poll(&pfd, 1, MAILLOAD_IO_TIMEOUT_MS) <= 0)
			return -1;
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->in_len += (size_t)n;
	}
}

/* Reads a (possibly multi-line) reply; returns its code or -1. */
static int mailload_reply(struct mailload_conn *c, char *last, size_t size)
{
	for (;;) {
		if (mailload_read_line(c, last, size) < 0 || strlen(last) < 3)
			return -1;
		if (last[3] != '-')
			return atoi(last);
	}
}

static int mailload_command(struct mailload_conn *c, const char *cmd,
			    int want, char *last, size_t size)
{
	if (mailload_write(c, cmd, strlen(cmd)) < 0)
		return -1;
	return mailload_reply(c, last, size) == want ? 0 : -1;
}

/* A deterministic generator, so each message's bytes depend only on
 * its number. */
static uint64_t mailload_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* Builds message `seq` with its dot-stuffing already applied (no line
 * starts with a dot) and the final ".\r\n". */
static size_t mailload_message(unsigned int seq, const char *rcpt,
			       char *out, size_t size)
{
	static const char words[][8] = {
		"campus", "mail", "queue", "store", "index", "kerberos",
		"ticket", "lecture", "notes", "library", "the", "a", "of",
		"and", "seminar", "room", "exam", "week", "friday", "report",
	};
	uint64_t state = ((uint64_t)opt.seed << 32 | seq) * 2654435761u + 1;
	unsigned int target = opt.size_min;
	size_t len;
	int n;

	if (opt.size_max > opt.size_min)
		target += (unsigned int)(mailload_rand(&state) %
					 (opt.size_max - opt.size_min + 1));
	n = snprintf(out, size,
		     "From: Bench Sender <sender@bench.test>\r\n"
		     "To: <%s@%s>\r\n"
		     "Subject: bench message %u\r\n"
		     "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
		     "Message-ID: <%s.%u@bench.test>\r\n"
		     "MIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=us-ascii\r\n"
		     "\r\n", rcpt, opt.domain, seq, opt.tag, seq);
	if (n < 0 || (size_t)n >= size)
		return 0;
	len = (size_t)n;
	while (len < target && len + 100 < size) {
		size_t line_start = len;

		while (len - line_start < 70) {
			const char *w = words[mailload_rand(&state) %
					      (sizeof(words) / sizeof(words[0]))];
			size_t wl = strlen(w);

			memcpy(out + len, w, wl);
			len += wl;
			out[len++] = ' ';
		}
		out[len - 1] = '\r';
		out[len++] = '\n';
	}
	memcpy(out + len, ".\r\n", 3);
	return len + 3;
}

static int mailload_session_open(struct mailload_conn *c, char *line,
				 size_t size)
{
	if (mailload_connect(c) < 0) {
		mailload_fail("connect failed");
		return -1;
	}
	if (mailload_reply(c, line, size) != 220 ||
	    mailload_command(c, opt.lmtp ? "LHLO bench.test\r\n" :
			     "EHLO bench.test\r\n", 250, line, size) < 0) {
		mailload_fail(line);
		close(c->fd);
		return -1;
	}
	return 0;
}

static int mailload_send_one(struct mailload_conn *c, unsigned int seq,
			     char *msg, size_t msg_size)
{
	const char *rcpt = opt.rcpts[seq % opt.rcpt_count];
	char cmd[512], line[MAILLOAD_LINE_MAX];
	size_t len = mailload_message(seq, rcpt, msg, msg_size);

	if (len == 0)
		return -1;
	if (mailload_command(c, "MAIL FROM:<sender@bench.test>\r\n", 250,
			     line, sizeof(line)) < 0)
		goto fail;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s@%s>\r\n", rcpt, opt.domain);
	if (mailload_command(c, cmd, 250, line, sizeof(line)) < 0 ||
	    mailload_command(c, "DATA\r\n", 354, line, sizeof(line)) < 0 ||
	    mailload_write(c, msg, len) < 0 ||
	    mailload_reply(c, line, sizeof(line)) != 250)
		goto fail;
	return 0;
fail:
	mailload_fail(line);
	return -1;
}

static void *mailload_worker(void *arg)
{
	struct mailload_conn c = { .fd = -1 };
	char line[MAILLOAD_LINE_MAX] = "";
	size_t msg_size = (size_t)opt.size_max + 4096;
	char *msg = malloc(msg_size);

	(void)arg;
	if (msg == NULL || mailload_session_open(&c, line, sizeof(line)) < 0) {
		free(msg);
		return NULL;
	}
	for (;;) {
		unsigned int seq = atomic_fetch_add(&next_message, 1);
		double start;

		if (seq >= opt.count)
			break;
		start = mailload_now();
		if (mailload_send_one(&c, seq, msg, msg_size) < 0) {
			/* A broken session is not retried: the run reports
			 * failures, and they make it invalid. */
			break;
		}
		latencies[seq] = mailload_now() - start;
	}
	(void)mailload_command(&c, "QUIT\r\n", 221, line, sizeof(line));
	close(c.fd);
	free(msg);
	return NULL;
}

/* How many delivered messages the far end shows now. */
static long mailload_delivered(off_t *log_offset, long *log_count)
{
	long total = 0;
	unsigned int i;

	for (i = 0; i < opt.wait_dir_count; i++) {
		long n = bench_count_files(opt.wait_dirs[i]);

		if (n < 0)
			return -1;
		total += n;
	}
	if (opt.wait_log != NULL) {
		long n = bench_count_log(opt.wait_log, opt.wait_match,
					 log_offset);

		if (n < 0)
			return -1;
		*log_count += n;
		total += *log_count;
	}
	return total;
}

static int mailload_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void mailload_usage(void)
{
	fprintf(stderr,
		"usage: mailload --proto smtp|lmtp (--unix PATH | --port N)\n"
		"         [-n COUNT] [-c SESSIONS] [--size MIN[-MAX]] [--seed N]\n"
		"         [--domain D] --rcpt USER [--rcpt USER]... [--tag T]\n"
		"         [--server-pid PID]... [--label TEXT]\n"
		"         [--wait-dir DIR]... [--wait-log FILE --wait-match TEXT]\n"
		"         [--wait-timeout SECONDS]\n");
	exit(2);
}

static void mailload_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "unix", required_argument, NULL, 'u' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "domain", required_argument, NULL, 'd' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "tag", required_argument, NULL, 't' },
		{ "server-pid", required_argument, NULL, 'k' },
		{ "wait-dir", required_argument, NULL, 'w' },
		{ "wait-log", required_argument, NULL, 'l' },
		{ "wait-match", required_argument, NULL, 'm' },
		{ "wait-timeout", required_argument, NULL, 'T' },
		{ "label", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int ch;

	opt.host = "127.0.0.1";
	opt.count = 100;
	opt.concurrency = 1;
	opt.size_min = opt.size_max = 5120;
	opt.seed = 1;
	opt.domain = "sealpost.test";
	opt.tag = "bench";
	opt.wait_timeout = 300;
	opt.label = "";
	while ((ch = getopt_long(argc, argv, "n:c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			if (strcmp(optarg, "lmtp") == 0)
				opt.lmtp = true;
			else if (strcmp(optarg, "smtp") != 0)
				mailload_usage();
			break;
		case 'u': opt.unix_path = optarg; break;
		case 'H': opt.host = optarg; break;
		case 'p': opt.port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'n': opt.count = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': opt.concurrency = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 's':
			opt.size_min = (unsigned int)strtoul(optarg, &end, 10);
			opt.size_max = *end == '-' ?
				(unsigned int)strtoul(end + 1, NULL, 10) :
				opt.size_min;
			break;
		case 'S': opt.seed = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'd': opt.domain = optarg; break;
		case 'r':
			if (opt.rcpt_count == MAILLOAD_MAX_RCPTS)
				mailload_usage();
			opt.rcpts[opt.rcpt_count++] = optarg;
			break;
		case 't': opt.tag = optarg; break;
		case 'k':
			if (opt.pid_count == MAILLOAD_MAX_PIDS)
				mailload_usage();
			opt.pids[opt.pid_count++] = strtol(optarg, NULL, 10);
			break;
		case 'w':
			if (opt.wait_dir_count == MAILLOAD_MAX_WAIT_DIRS)
				mailload_usage();
			opt.wait_dirs[opt.wait_dir_count++] = optarg;
			break;
		case 'l': opt.wait_log = optarg; break;
		case 'm': opt.wait_match = optarg; break;
		case 'T': opt.wait_timeout = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'L': opt.label = optarg; break;
		default: mailload_usage();
		}
	}
	if (optind != argc || opt.rcpt_count == 0 || opt.count == 0 ||
	    opt.concurrency == 0 || opt.concurrency > 1000 ||
	    (opt.unix_path == NULL && opt.port == 0) ||
	    opt.size_max < opt.size_min || opt.size_max > (64u << 20) ||
	    (opt.wait_log != NULL) != (opt.wait_match != NULL))
		mailload_usage();
}

int main(int argc, char **argv)
{
	pthread_t *threads;
	double cpu_before, cpu_after, t0, t_sent, t_done, send_s, total_s;
	long base = 0, now = 0, log_count = 0;
	off_t log_offset = -1;
	bool waiting, timed_out = false;
	unsigned int i, ok;
	double p50 = 0, p99 = 0, *sorted;

	mailload_parse(argc, argv);
	latencies = calloc(opt.count, sizeof(*latencies));
	threads = calloc(opt.concurrency, sizeof(*threads));
	if (latencies == NULL || threads == NULL)
		return 1;
	waiting = opt.wait_dir_count > 0 || opt.wait_log != NULL;
	/* The log is counted from its current end. */
	if (waiting && (base = mailload_delivered(&log_offset, &log_count)) < 0) {
		fprintf(stderr, "mailload: cannot read what to wait on\n");
		return 1;
	}
	if (bench_proc_cpu(opt.pids, opt.pid_count, &cpu_before) < 0) {
		fprintf(stderr, "mailload: a --server-pid is not running\n");
		return 1;
	}
	t0 = mailload_now();
	for (i = 0; i < opt.concurrency; i++) {
		if (pthread_create(&threads[i], NULL, mailload_worker, NULL) != 0)
			return 1;
	}
	for (i = 0; i < opt.concurrency; i++)
		pthread_join(threads[i], NULL);
	t_sent = mailload_now();
	/* Polling is the measurement here, not synchronisation: the run ends
	 * at the first look that finds every message delivered. */
	while (waiting) {
		now = mailload_delivered(&log_offset, &log_count);
		if (now < 0 || now - base >= (long)opt.count)
			break;
		if (mailload_now() - t0 > opt.wait_timeout) {
			timed_out = true;
			break;
		}
		poll(NULL, 0, 5);
	}
	t_done = mailload_now();
	if (bench_proc_cpu(opt.pids, opt.pid_count, &cpu_after) < 0)
		cpu_after = cpu_before;

	sorted = malloc(opt.count * sizeof(*sorted));
	ok = 0;
	for (i = 0; sorted != NULL && i < opt.count; i++) {
		if (latencies[i] > 0)
			sorted[ok++] = latencies[i];
	}
	if (ok > 0) {
		qsort(sorted, ok, sizeof(*sorted), mailload_cmp);
		p50 = sorted[ok / 2];
		p99 = sorted[(size_t)((double)(ok - 1) * 0.99)];
	}
	send_s = t_sent - t0;
	total_s = t_done - t0;
	printf("{\"label\":\"%s\",\"proto\":\"%s\",\"messages\":%u,"
	       "\"accepted\":%u,\"sessions\":%u,\"size_min\":%u,"
	       "\"size_max\":%u,\"send_seconds\":%.4f,\"seconds\":%.4f,"
	       "\"msgs_per_s\":%.2f,\"server_cpu_seconds\":%.4f,"
	       "\"cpu_ms_per_msg\":%.4f,\"latency_ms_p50\":%.3f,"
	       "\"latency_ms_p99\":%.3f,\"delivered\":%ld,\"failures\":%u,"
	       "\"timed_out\":%s,\"first_error\":\"",
	       opt.label, opt.lmtp ? "lmtp" : "smtp", opt.count, ok,
	       opt.concurrency, opt.size_min, opt.size_max, send_s, total_s,
	       (double)ok / total_s, cpu_after - cpu_before,
	       ok > 0 ? (cpu_after - cpu_before) * 1000.0 / ok : 0.0,
	       p50 * 1000.0, p99 * 1000.0, waiting ? now - base : (long)ok,
	       atomic_load(&failures), timed_out ? "true" : "false");
	for (const char *p = first_error != NULL ? first_error : ""; *p; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		if ((unsigned char)*p >= 0x20)
			putchar(*p);
	}
	printf("\"}\n");
	free(sorted);
	return atomic_load(&failures) > 0 || timed_out ||
		ok != opt.count ? 1 : 0;
}
