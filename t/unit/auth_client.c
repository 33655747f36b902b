/* Unit tests for libmail/auth_client.c, blocking and event-loop modes,
 * against a scripted fake authd in a child process: verdicts, challenges,
 * a broken server, a silent one (timeout), freeing from the callback. */
#include "tap.h"
#include "auth_client.h"
#include "buf.h"
#include "event.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char sock_path[108];

/* Reads one line (without LF) from fd; -1 at EOF. */
static int fake_read_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	char c;

	while (read(fd, &c, 1) == 1) {
		if (c == '\n') {
			line[n] = '\0';
			return 0;
		}
		if (n + 1 < size)
			line[n++] = c;
	}
	return -1;
}

static void fake_say(int fd, const char *text)
{
	if (write(fd, text, strlen(text)) < 0)
		_exit(1);
}

/* One connection: the mechanism in START picks the script. */
static void fake_serve(int fd)
{
	char line[4096];

	if (fake_read_line(fd, line, sizeof(line)) < 0 ||
	    strcmp(line, "HELLO\t1") != 0)
		return;
	fake_say(fd, "WELCOME\t1\t64\tGSSAPI PLAIN LOGIN\n");
	if (fake_read_line(fd, line, sizeof(line)) < 0)
		return;
	if (strncmp(line, "START\tPLAIN\timap\ttls\t127.0.0.1\tS1\t", 34) == 0) {
		fake_say(fd, "OK\tbob\tadmin\n");
	} else if (strncmp(line, "START\tLOGIN\t", 12) == 0) {
		fake_say(fd, "CONTINUE\tVXNlcm5hbWU6\n");
		if (fake_read_line(fd, line, sizeof(line)) == 0 &&
		    strcmp(line, "RESPONSE\tYWxpY2U=") == 0)
			fake_say(fd, "FAIL\tauth\n");
	} else if (strncmp(line, "START\tGSSAPI\t", 13) == 0) {
		fake_say(fd, "CONTINUE\t=\tjunk\n");
	} else if (strncmp(line, "START\tPLAIN\tsmtp\t", 17) == 0) {
		/* silent: the client must time out */
		(void)fake_read_line(fd, line, sizeof(line));
	}
}

static pid_t fake_start(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	snprintf(sock_path, sizeof(sock_path), "/tmp/sealpost-authc-%d",
		 (int)getpid());
	unlink(sock_path);
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 16) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		for (;;) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				_exit(0);
			if (fork() == 0) {
				fake_serve(fd);
				_exit(0);
			}
			close(fd);
		}
	}
	close(lfd);
	return pid;
}

static struct auth_client_request request(const char *mech,
					  const char *service)
{
	struct auth_client_request r = {
		.mech = mech, .service = service, .secured = true,
		.client_addr = "127.0.0.1", .session = "S1",
	};

	if (strcmp(mech, "PLAIN") == 0) {
		r.initial_response = "\0alice\0pw";
		r.initial_response_len = 9;
	}
	return r;
}

static void test_blocking(void)
{
	struct auth_client *c;
	struct auth_client_request req;
	struct auth_client_reply reply;
	const char *err;

	ok(auth_client_connect(sock_path, 5, 64, &c, &err) == 0, "connect");
	is_str(auth_client_mechs(c), "GSSAPI PLAIN LOGIN", "mechs from WELCOME");
	ok(auth_client_has_mech(c, "LOGIN") && !auth_client_has_mech(c, "LOG"),
	   "has_mech matches whole names");
	req = request("PLAIN", "imap");
	ok(auth_client_start(c, &req, &reply, &err) == 0 &&
	   reply.status == AUTH_CLIENT_OK, "PLAIN: OK");
	is_str(reply.user, "bob", "user");
	is_str(reply.authn_user, "admin", "authn_user");
	auth_client_free(&c);
	ok(c == NULL, "free clears the pointer");

	ok(auth_client_connect(sock_path, 5, 64, &c, &err) == 0, "connect");
	req = request("LOGIN", "imap");
	ok(auth_client_start(c, &req, &reply, &err) == 0 &&
	   reply.status == AUTH_CLIENT_CONTINUE &&
	   reply.challenge_len == 9 &&
	   memcmp(reply.challenge, "Username:", 9) == 0, "LOGIN: challenge");
	ok(auth_client_respond(c, "alice", 5, &reply, &err) == 0 &&
	   reply.status == AUTH_CLIENT_FAIL && reply.fail == AUTH_FAIL_AUTH,
	   "LOGIN: FAIL auth");
	ok(auth_client_respond(c, "x", 1, &reply, &err) < 0,
	   "no response after the verdict");
	auth_client_free(&c);

	ok(auth_client_connect(sock_path, 5, 64, &c, &err) == 0, "connect");
	req = request("GSSAPI", "imap");
	ok(auth_client_start(c, &req, &reply, &err) < 0,
	   "a reply with a leftover field is an error");
	auth_client_free(&c);

	ok(auth_client_connect(sock_path, 5, 64, &c, &err) == 0, "connect");
	req = request("bad mech", "imap");
	ok(auth_client_start(c, &req, &reply, &err) < 0,
	   "a mechanism name the protocol cannot carry is refused");
	auth_client_free(&c);

	ok(auth_client_connect(sock_path, 1, 64, &c, &err) == 0, "connect");
	req = request("PLAIN", "smtp");
	ok(auth_client_start(c, &req, &reply, &err) < 0 &&
	   strstr(err, "timed out") != NULL, "silent server: timeout");
	auth_client_free(&c);

	ok(auth_client_connect("/nonexistent/auth.sock", 5, 64, &c, &err) < 0,
	   "no socket: error");
}

struct async_state {
	struct event_loop *loop;
	struct auth_client *client;
	int calls;
	int continues;
	enum auth_client_status last;
	char user[64];
	const char *error;
	bool free_in_callback;
};

static void async_cb(void *ctx, const struct auth_client_reply *reply,
		     const char *error)
{
	struct async_state *st = ctx;

	st->calls++;
	st->error = error;
	if (reply == NULL) {
		event_loop_stop(st->loop);
		return;
	}
	st->last = reply->status;
	if (reply->status == AUTH_CLIENT_CONTINUE) {
		st->continues++;
		auth_client_continue(st->client, "alice", 5);
		return;
	}
	if (reply->status == AUTH_CLIENT_OK)
		snprintf(st->user, sizeof(st->user), "%s", reply->user);
	if (st->free_in_callback)
		auth_client_free(&st->client);
	event_loop_stop(st->loop);
}

static void async_run(struct async_state *st, const char *mech,
		      const char *service, unsigned int timeout)
{
	struct auth_client_request req = request(mech, service);
	const char *err;

	st->loop = event_loop_new();
	if (auth_client_begin(st->loop, sock_path, timeout, 64, &req,
			      async_cb, st, &st->client, &err) < 0) {
		st->error = err;
	} else {
		event_loop_run(st->loop);
		auth_client_free(&st->client);
	}
	event_loop_free(&st->loop);
}

static void test_async(void)
{
	struct async_state st;
	struct auth_client_request req = request("bad mech", "imap");
	struct event_loop *loop;
	struct auth_client *c;
	const char *err;

	memset(&st, 0, sizeof(st));
	async_run(&st, "PLAIN", "imap", 5);
	ok(st.calls == 1 && st.last == AUTH_CLIENT_OK && st.error == NULL,
	   "async PLAIN: one call, OK");
	is_str(st.user, "bob", "async: user");

	memset(&st, 0, sizeof(st));
	st.free_in_callback = true;
	async_run(&st, "LOGIN", "imap", 5);
	ok(st.continues == 1 && st.last == AUTH_CLIENT_FAIL,
	   "async LOGIN: challenge answered, then FAIL");
	ok(st.client == NULL, "freed from inside the callback");

	memset(&st, 0, sizeof(st));
	async_run(&st, "GSSAPI", "imap", 5);
	ok(st.calls == 1 && st.error != NULL, "async: bad reply is an error");

	memset(&st, 0, sizeof(st));
	async_run(&st, "PLAIN", "smtp", 1);
	ok(st.calls == 1 && st.error != NULL &&
	   strstr(st.error, "timed out") != NULL, "async: timeout");

	loop = event_loop_new();
	ok(auth_client_begin(loop, sock_path, 5, 64, &req, async_cb, &st, &c,
			     &err) < 0, "async: bad request refused at begin");
	event_loop_free(&loop);
}

int main(void)
{
	pid_t server;

	signal(SIGPIPE, SIG_IGN);
	server = fake_start();
	test_blocking();
	test_async();
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	unlink(sock_path);
	return tap_done();
}
