/*
 * imapidle: what an idle IMAP session costs a server in memory.
 *
 * Opens N sessions to an IMAP port, each STARTTLS, LOGIN, SELECT INBOX,
 * IDLE (as a mail client that waits for new mail does), one after another,
 * round-robin over the given users and over --sources loopback source
 * addresses (127.0.0.1, .2, ...: one address has only some 28,000
 * ephemeral ports).  With all of them idle it reads the private and the
 * resident memory of the server's process trees (--server-pid) and
 * compares them with the figures from before the first connection.
 *
 * With --lmtp it then delivers --probes messages to each user through that
 * LMTP socket, one after another, and times how long each idle session of
 * that user takes to see the new message (`* N EXISTS`), from the moment
 * the message's final dot is sent.  Then it ends every session (DONE,
 * LOGOUT) and prints one JSON object.
 *
 * Certificates are not verified: the server is on loopback and ours.
 */
#include "bench_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define IMAPIDLE_MAX_PIDS 8
#define IMAPIDLE_MAX_USERS 64
#define IMAPIDLE_LINE_MAX 8192
#define IMAPIDLE_TIMEOUT_MS 30000
/* Longer than the 30 s a server may take when it polls the mailbox
 * instead of being told of changes (Dovecot without inotify). */
#define IMAPIDLE_NOTIFY_TIMEOUT_S 65

struct imapidle_user {
	const char *name, *password;
};

struct imapidle_session {
	int fd;
	unsigned int user;
	bool notified;
	SSL *ssl;
	char in[IMAPIDLE_LINE_MAX];
	size_t in_len;
};

static struct imapidle_user users[IMAPIDLE_MAX_USERS];
static unsigned int user_count;
static long pids[IMAPIDLE_MAX_PIDS];
static unsigned int pid_count;
static char failure[512];
static unsigned int sources = 1;

static int imapidle_write(struct imapidle_session *s, const char *text)
{
	size_t len = strlen(text);

	if (s->ssl != NULL)
		return SSL_write(s->ssl, text, (int)len) == (int)len ? 0 : -1;
	while (len > 0) {
		ssize_t n = send(s->fd, text, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

static int imapidle_fill(struct imapidle_session *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	size_t room = sizeof(s->in) - s->in_len;
	int n;

	if (room == 0)
		return -1;
	if (s->ssl == NULL || SSL_pending(s->ssl) == 0) {
		if (poll(&pfd, 1, IMAPIDLE_TIMEOUT_MS) <= 0)
			return -1;
	}
	if (s->ssl != NULL)
		n = SSL_read(s->ssl, s->in + s->in_len, (int)room);
	else
		n = (int)recv(s->fd, s->in + s->in_len, room, 0);
	if (n <= 0)
		return -1;
	s->in_len += (size_t)n;
	return 0;
}

/* Reads lines until one starts with `prefix`; that line goes to `line`. */
static int imapidle_expect(struct imapidle_session *s, const char *prefix,
			   char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(s->in, '\n', s->in_len);

		if (nl == NULL) {
			if (imapidle_fill(s) < 0)
				return -1;
			continue;
		}
		size_t len = (size_t)(nl - s->in) + 1;
		size_t text = len > 1 && s->in[len - 2] == '\r' ? len - 2 : len - 1;

		if (text >= size)
			text = size - 1;
		memcpy(line, s->in, text);
		line[text] = '\0';
		memmove(s->in, s->in + len, s->in_len - len);
		s->in_len -= len;
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			return 0;
	}
}

static int imapidle_command(struct imapidle_session *s, const char *tag,
			    const char *cmd)
{
	char line[IMAPIDLE_LINE_MAX], want[64];

	snprintf(want, sizeof(want), "%s ", tag);
	if (imapidle_write(s, cmd) < 0 ||
	    imapidle_expect(s, want, line, sizeof(line)) < 0)
		return -1;
	if (strncmp(line + strlen(want), "OK", 2) != 0) {
		snprintf(failure, sizeof(failure), "%.200s", line);
		return -1;
	}
	return 0;
}

static int imapidle_open(struct imapidle_session *s, SSL_CTX *ctx,
			 unsigned int port, const struct imapidle_user *u,
			 unsigned int source)
{
	struct sockaddr_in sin;
	char line[IMAPIDLE_LINE_MAX], login[512];

	struct sockaddr_in src;

	memset(s, 0, sizeof(*s));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f000001u + source % sources);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(s->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    imapidle_expect(s, "* OK", line, sizeof(line)) < 0 ||
	    imapidle_command(s, "a", "a STARTTLS\r\n") < 0)
		return -1;
	/* Whatever the server sent before the handshake is discarded. */
	s->in_len = 0;
	s->ssl = SSL_new(ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1 ||
	    SSL_connect(s->ssl) != 1) {
		snprintf(failure, sizeof(failure), "TLS handshake failed");
		return -1;
	}
	snprintf(login, sizeof(login), "b LOGIN \"%s\" \"%s\"\r\n", u->name,
		 u->password);
	if (imapidle_command(s, "b", login) < 0 ||
	    imapidle_command(s, "c", "c SELECT INBOX\r\n") < 0 ||
	    imapidle_write(s, "d IDLE\r\n") < 0 ||
	    imapidle_expect(s, "+", line, sizeof(line)) < 0)
		return -1;
	return 0;
}

static void imapidle_close(struct imapidle_session *s)
{
	if (s->ssl != NULL) {
		char line[IMAPIDLE_LINE_MAX];

		if (imapidle_write(s, "DONE\r\n") == 0 &&
		    imapidle_expect(s, "d ", line, sizeof(line)) == 0)
			(void)imapidle_command(s, "e", "e LOGOUT\r\n");
		SSL_free(s->ssl);
	}
	if (s->fd >= 0)
		close(s->fd);
}

/* ---- delivery probes ---- */

static double imapidle_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int imapidle_lmtp_reply(FILE *f, char *line, size_t size)
{
	/* The last line of a reply has a space after the code. */
	do {
		if (fgets(line, (int)size, f) == NULL)
			return -1;
	} while (strlen(line) > 3 && line[3] == '-');
	return line[0] == '2' || line[0] == '3' ? 0 : -1;
}

/* One LMTP transaction to `rcpt`; *dot_r is when the final dot went. */
static int imapidle_deliver(FILE *f, const char *rcpt, const char *domain,
			    unsigned int n, double *dot_r)
{
	char line[1024];

	fprintf(f, "MAIL FROM:<probe@example.edu>\r\n");
	fflush(f);
	if (imapidle_lmtp_reply(f, line, sizeof(line)) < 0)
		goto fail;
	fprintf(f, "RCPT TO:<%s@%s>\r\n", rcpt, domain);
	fflush(f);
	if (imapidle_lmtp_reply(f, line, sizeof(line)) < 0)
		goto fail;
	fprintf(f, "DATA\r\n");
	fflush(f);
	if (imapidle_lmtp_reply(f, line, sizeof(line)) < 0)
		goto fail;
	fprintf(f, "From: <probe@example.edu>\r\nTo: <%s@%s>\r\n"
		"Subject: probe %u\r\nMessage-ID: <probe%u.%ld@example.edu>\r\n"
		"\r\nA new message for the idle sessions.\r\n", rcpt, domain,
		n, n, (long)getpid());
	fflush(f);
	*dot_r = imapidle_now();
	fprintf(f, ".\r\n");
	fflush(f);
	if (imapidle_lmtp_reply(f, line, sizeof(line)) < 0)
		goto fail;
	return 0;
fail:
	snprintf(failure, sizeof(failure), "LMTP: %.200s", line);
	return -1;
}

/* Reads what an idle session has; marks it when `* N EXISTS` came. */
static int imapidle_drain(struct imapidle_session *s)
{
	char line[IMAPIDLE_LINE_MAX];

	if (imapidle_fill(s) < 0)
		return -1;
	for (;;) {
		char *nl = memchr(s->in, '\n', s->in_len);

		if (nl == NULL)
			return 0;
		size_t len = (size_t)(nl - s->in) + 1;
		size_t text = len - 1 < sizeof(line) - 1 ? len - 1 : sizeof(line) - 1;

		memcpy(line, s->in, text);
		line[text] = '\0';
		memmove(s->in, s->in + len, s->in_len - len);
		s->in_len -= len;
		if (line[0] == '*' && strstr(line, " EXISTS") != NULL)
			s->notified = true;
	}
}

static int imapidle_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Delivers `probes` messages to each user and collects, per idle session,
 * the time from the final dot to its EXISTS.  Returns the count. */
static size_t imapidle_probe(struct imapidle_session *sessions,
			     unsigned int open, const char *lmtp,
			     const char *domain, unsigned int probes,
			     double *delays)
{
	struct sockaddr_un sun;
	struct pollfd *pfd = calloc(open, sizeof(*pfd));
	char line[1024];
	size_t got = 0;
	FILE *f = NULL;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", lmtp);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (pfd == NULL || fd < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    (f = fdopen(fd, "r+")) == NULL ||
	    imapidle_lmtp_reply(f, line, sizeof(line)) < 0) {
		snprintf(failure, sizeof(failure), "cannot connect to %s", lmtp);
		goto out;
	}
	fprintf(f, "LHLO bench.test\r\n");
	fflush(f);
	if (imapidle_lmtp_reply(f, line, sizeof(line)) < 0)
		goto out;
	for (unsigned int p = 0; p < probes; p++) {
		for (unsigned int u = 0; u < user_count; u++) {
			unsigned int waiting = 0;
			double dot, deadline;

			for (unsigned int i = 0; i < open; i++) {
				sessions[i].notified = sessions[i].user != u;
				waiting += sessions[i].user == u;
			}
			if (imapidle_deliver(f, users[u].name, domain,
					     p * user_count + u, &dot) < 0)
				goto out;
			deadline = dot + IMAPIDLE_NOTIFY_TIMEOUT_S;
			while (waiting > 0 && imapidle_now() < deadline) {
				for (unsigned int i = 0; i < open; i++) {
					pfd[i].fd = sessions[i].notified ? -1
						: sessions[i].fd;
					pfd[i].events = POLLIN;
					pfd[i].revents = 0;
					/* Decrypted bytes already read. */
					if (!sessions[i].notified &&
					    SSL_pending(sessions[i].ssl) > 0)
						pfd[i].revents = POLLIN;
				}
				if (poll(pfd, open, 100) < 0)
					break;
				for (unsigned int i = 0; i < open; i++) {
					if (sessions[i].notified ||
					    !(pfd[i].revents & (POLLIN | POLLHUP)))
						continue;
					if (imapidle_drain(&sessions[i]) < 0) {
						snprintf(failure, sizeof(failure),
							 "session %u broke", i + 1);
						goto out;
					}
					if (sessions[i].notified) {
						delays[got++] = imapidle_now() - dot;
						waiting--;
					}
				}
			}
			if (waiting > 0) {
				snprintf(failure, sizeof(failure), "%u sessions "
					 "saw no EXISTS within %d s", waiting,
					 IMAPIDLE_NOTIFY_TIMEOUT_S);
				goto out;
			}
		}
	}
out:
	if (f != NULL) {
		fprintf(f, "QUIT\r\n");
		fclose(f);
	} else if (fd >= 0) {
		close(fd);
	}
	free(pfd);
	return got;
}

static void imapidle_usage(void)
{
	fprintf(stderr, "usage: imapidle --port N -c SESSIONS "
		"--user NAME:PASSWORD... [--server-pid PID]... [--label T]\n"
		"       [--sources N] [--lmtp SOCKET --domain D [--probes N]]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "server-pid", required_argument, NULL, 'k' },
		{ "label", required_argument, NULL, 'L' },
		{ "sources", required_argument, NULL, 's' },
		{ "lmtp", required_argument, NULL, 'l' },
		{ "domain", required_argument, NULL, 'd' },
		{ "probes", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct imapidle_session *sessions;
	struct bench_memory before, idle;
	unsigned int port = 0, count = 10, i, open = 0, probes = 3;
	const char *label = "", *lmtp = NULL, *domain = "sealpost.test";
	double t0, t_open, *delays = NULL;
	size_t delay_count = 0;
	SSL_CTX *ctx;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		char *colon;

		switch (ch) {
		case 'p': port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': count = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'u':
			colon = strchr(optarg, ':');
			if (colon == NULL || user_count == IMAPIDLE_MAX_USERS)
				imapidle_usage();
			*colon = '\0';
			users[user_count].name = optarg;
			users[user_count++].password = colon + 1;
			break;
		case 'k':
			if (pid_count == IMAPIDLE_MAX_PIDS)
				imapidle_usage();
			pids[pid_count++] = strtol(optarg, NULL, 10);
			break;
		case 'L': label = optarg; break;
		case 's': sources = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'l': lmtp = optarg; break;
		case 'd': domain = optarg; break;
		case 'n': probes = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: imapidle_usage();
		}
	}
	if (optind != argc || port == 0 || user_count == 0 || count == 0 ||
	    count > 100000 || sources == 0 || sources > 250)
		imapidle_usage();
	ctx = SSL_CTX_new(TLS_client_method());
	sessions = calloc(count, sizeof(*sessions));
	delays = calloc((size_t)count * probes + 1, sizeof(*delays));
	if (ctx == NULL || sessions == NULL || delays == NULL)
		return 1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* One session per user first, closed again: servers that start
	 * processes or open databases on first use have done so before the
	 * figure to compare with is taken. */
	for (i = 0; i < user_count; i++) {
		struct imapidle_session warm;

		if (imapidle_open(&warm, ctx, port, &users[i], 0) < 0) {
			fprintf(stderr, "imapidle: warm-up as %s: %s\n",
				users[i].name, failure);
			return 1;
		}
		imapidle_close(&warm);
	}
	poll(NULL, 0, 1000);
	if (bench_proc_memory_kib(pids, pid_count, &before) < 0) {
		fprintf(stderr, "imapidle: a --server-pid is not running\n");
		return 1;
	}
	t0 = imapidle_now();
	for (i = 0; i < count; i++) {
		if (imapidle_open(&sessions[i], ctx, port,
				  &users[i % user_count], i) < 0) {
			if (failure[0] == '\0')
				snprintf(failure, sizeof(failure),
					 "session %u did not reach IDLE: %s",
					 i + 1, strerror(errno));
			imapidle_close(&sessions[i]);
			break;
		}
		sessions[i].user = i % user_count;
		open++;
	}
	t_open = imapidle_now() - t0;
	/* Let the servers settle (a login process that hands over and exits,
	 * buffers freed after the handshake) before reading their memory. */
	poll(NULL, 0, 2000);
	if (bench_proc_memory_kib(pids, pid_count, &idle) < 0)
		idle = before;
	if (lmtp != NULL && open == count) {
		delay_count = imapidle_probe(sessions, open, lmtp, domain,
					     probes, delays);
		qsort(delays, delay_count, sizeof(*delays), imapidle_cmp);
	}
	for (i = 0; i < open; i++)
		imapidle_close(&sessions[i]);
	printf("{\"label\":\"%s\",\"sessions\":%u,\"idle\":%u,"
	       "\"open_seconds\":%.3f,\"private_kib_before\":%llu,"
	       "\"private_kib_idle\":%llu,\"rss_kib_before\":%llu,"
	       "\"rss_kib_idle\":%llu,\"processes_before\":%u,"
	       "\"processes_idle\":%u,\"kib_per_session\":%.2f,"
	       "\"rss_kib_per_session\":%.2f,\"notifications\":%zu,"
	       "\"notify_p50_ms\":%.2f,\"notify_p99_ms\":%.2f,"
	       "\"notify_max_ms\":%.2f,"
	       "\"failures\":%u,\"first_error\":\"",
	       label, count, open, t_open, before.private_kib,
	       idle.private_kib, before.rss_kib, idle.rss_kib,
	       before.processes, idle.processes, open > 0 ?
	       ((double)idle.private_kib - (double)before.private_kib) / open
	       : 0.0, open > 0 ?
	       ((double)idle.rss_kib - (double)before.rss_kib) / open : 0.0,
	       delay_count,
	       delay_count ? 1000 * delays[(delay_count - 1) / 2] : 0.0,
	       delay_count ? 1000 * delays[(size_t)(0.99 * (double)(delay_count - 1) + 0.5)] : 0.0,
	       delay_count ? 1000 * delays[delay_count - 1] : 0.0,
	       count - open);
	for (const char *p = failure; *p; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		if ((unsigned char)*p >= 0x20)
			putchar(*p);
	}
	printf("\"}\n");
	free(sessions);
	free(delays);
	SSL_CTX_free(ctx);
	return open == count && (lmtp == NULL ||
		delay_count == (size_t)open * probes) ? 0 : 1;
}
