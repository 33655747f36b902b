/*
 * imapidle: what an idle IMAP session costs a server in memory.
 *
 * Opens N sessions to an IMAP port, each STARTTLS, LOGIN, SELECT INBOX,
 * IDLE (as a mail client that waits for new mail does), one after another,
 * round-robin over the given users.  With all of them idle it reads the
 * private memory of the server's process trees (--server-pid) and compares
 * it with the figure from before the first connection.  Then it ends every
 * session (DONE, LOGOUT) and prints one JSON object.
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
#include <time.h>
#include <unistd.h>

#define IMAPIDLE_MAX_PIDS 8
#define IMAPIDLE_MAX_USERS 64
#define IMAPIDLE_LINE_MAX 8192
#define IMAPIDLE_TIMEOUT_MS 30000

struct imapidle_user {
	const char *name, *password;
};

struct imapidle_session {
	int fd;
	SSL *ssl;
	char in[IMAPIDLE_LINE_MAX];
	size_t in_len;
};

static struct imapidle_user users[IMAPIDLE_MAX_USERS];
static unsigned int user_count;
static long pids[IMAPIDLE_MAX_PIDS];
static unsigned int pid_count;
static char failure[512];

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
			 unsigned int port, const struct imapidle_user *u)
{
	struct sockaddr_in sin;
	char line[IMAPIDLE_LINE_MAX], login[512];

	memset(s, 0, sizeof(*s));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
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

static void imapidle_usage(void)
{
	fprintf(stderr, "usage: imapidle --port N -c SESSIONS "
		"--user NAME:PASSWORD... [--server-pid PID]... [--label T]\n");
	exit(2);
}

static double imapidle_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "server-pid", required_argument, NULL, 'k' },
		{ "label", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct imapidle_session *sessions;
	unsigned long long before_kib, idle_kib;
	unsigned int port = 0, count = 10, before_procs, idle_procs, i, open = 0;
	const char *label = "";
	double t0, t_open;
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
		default: imapidle_usage();
		}
	}
	if (optind != argc || port == 0 || user_count == 0 || count == 0 ||
	    count > 10000)
		imapidle_usage();
	ctx = SSL_CTX_new(TLS_client_method());
	sessions = calloc(count, sizeof(*sessions));
	if (ctx == NULL || sessions == NULL)
		return 1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* One session per user first, closed again: servers that start
	 * processes or open databases on first use have done so before the
	 * figure to compare with is taken. */
	for (i = 0; i < user_count; i++) {
		struct imapidle_session warm;

		if (imapidle_open(&warm, ctx, port, &users[i]) < 0) {
			fprintf(stderr, "imapidle: warm-up as %s: %s\n",
				users[i].name, failure);
			return 1;
		}
		imapidle_close(&warm);
	}
	poll(NULL, 0, 1000);
	if (bench_proc_private_kib(pids, pid_count, &before_kib,
				   &before_procs) < 0) {
		fprintf(stderr, "imapidle: a --server-pid is not running\n");
		return 1;
	}
	t0 = imapidle_now();
	for (i = 0; i < count; i++) {
		if (imapidle_open(&sessions[i], ctx, port,
				  &users[i % user_count]) < 0) {
			if (failure[0] == '\0')
				snprintf(failure, sizeof(failure),
					 "session %u did not reach IDLE", i + 1);
			imapidle_close(&sessions[i]);
			break;
		}
		open++;
	}
	t_open = imapidle_now() - t0;
	/* Let the servers settle (a login process that hands over and exits,
	 * buffers freed after the handshake) before reading their memory. */
	poll(NULL, 0, 1000);
	if (bench_proc_private_kib(pids, pid_count, &idle_kib, &idle_procs) < 0)
		idle_kib = before_kib;
	for (i = 0; i < open; i++)
		imapidle_close(&sessions[i]);
	printf("{\"label\":\"%s\",\"sessions\":%u,\"idle\":%u,"
	       "\"open_seconds\":%.3f,\"private_kib_before\":%llu,"
	       "\"private_kib_idle\":%llu,\"processes_before\":%u,"
	       "\"processes_idle\":%u,\"kib_per_session\":%.1f,"
	       "\"failures\":%u,\"first_error\":\"",
	       label, count, open, t_open, before_kib, idle_kib, before_procs,
	       idle_procs, open > 0 ?
	       ((double)idle_kib - (double)before_kib) / open : 0.0,
	       count - open);
	for (const char *p = failure; *p; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		if ((unsigned char)*p >= 0x20)
			putchar(*p);
	}
	printf("\"}\n");
	free(sessions);
	SSL_CTX_free(ctx);
	return open == count ? 0 : 1;
}
