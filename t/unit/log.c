/* Unit tests for libmail/log.c: field quoting, context IDs, and the PID
 * each line names (asked once per process, again after fork()). */
#include "tap.h"
#include "buf.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct buf last = BUF_INIT;

static void sink(enum log_level level, const char *line)
{
	buf_clear(&last);
	buf_append_str(&last, line);
}

/* Lines written to stderr (a pipe here) by this process and by a child of
 * fork(): each names its own writer. */
static void log_pid_lines(void)
{
	int fds[2], saved = dup(STDERR_FILENO), status;
	char text[1024], want[64];
	ssize_t n, got = 0;
	pid_t child;

	log_set_sink(NULL);
	if (pipe(fds) < 0 || dup2(fds[1], STDERR_FILENO) < 0)
		return;
	close(fds[1]);
	log_info("parent_line", NULL);
	child = fork();
	if (child == 0) {
		log_info("child_line", NULL);
		_exit(0);
	}
	waitpid(child, &status, 0);
	log_info("parent_again", NULL);
	dup2(saved, STDERR_FILENO);
	close(saved);
	while ((n = read(fds[0], text + got, sizeof(text) - 1 - (size_t)got)) > 0)
		got += n;
	close(fds[0]);
	text[got < 0 ? 0 : got] = '\0';
	snprintf(want, sizeof(want), "test[%ld]: parent_line", (long)getpid());
	ok(strstr(text, want) != NULL, "a line names its process");
	snprintf(want, sizeof(want), "test[%ld]: child_line", (long)child);
	ok(strstr(text, want) != NULL, "a child of fork() names itself");
	snprintf(want, sizeof(want), "test[%ld]: parent_again", (long)getpid());
	ok(strstr(text, want) != NULL, "the parent still names itself");
}

int main(void)
{
	struct log_ctx ctx;
	char id[LOG_ID_SIZE], id2[LOG_ID_SIZE];

	log_open("test", LOG_TARGET_STDERR, LOG_LEVEL_INFO);
	log_set_sink(sink);

	log_info("auth_ok", "user=%s mech=%s", "alice", "GSSAPI");
	is_str(buf_cstr(&last), "auth_ok user=alice mech=GSSAPI",
	       "plain values are not quoted");

	log_info("cmd", "line=%s", "a b\"c\\d");
	is_str(buf_cstr(&last), "cmd line=\"a b\\\"c\\\\d\"",
	       "spaces, quotes and backslashes are quoted");

	log_info("cmd", "line=%s", "x\r\nfake_event user=root");
	is_str(buf_cstr(&last), "cmd line=\"x\\x0d\\x0afake_event user=root\"",
	       "CR LF cannot start a forged line");

	log_info("cmd", "line=%s", "");
	is_str(buf_cstr(&last), "cmd line=\"\"", "empty value is quoted");

	log_info("sizes", "size=%zu count=%d big=%lld u=%u", (size_t)7, -3,
		 1234567890123LL, 9u);
	is_str(buf_cstr(&last), "sizes size=7 count=-3 big=1234567890123 u=9",
	       "numbers format");

	log_info("cut", "name=%.*s", 3, "abcdef");
	is_str(buf_cstr(&last), "cut name=abc", "precision on %s");

	buf_clear(&last);
	log_debug("hidden", "x=%d", 1);
	is_str(buf_cstr(&last), "", "below the minimum level is dropped");

	log_new_session_id(id);
	log_new_session_id(id2);
	is_int(strlen(id), 12, "session id has 12 characters");
	ok(strcmp(id, id2) != 0, "session ids differ");

	memset(&ctx, 0, sizeof(ctx));
	memcpy(ctx.session, "S1", 3);
	memcpy(ctx.queue_id, "Q1", 3);
	log_set_ctx(&ctx);
	log_info("queued", "size=%d", 10);
	is_str(buf_cstr(&last), "queued size=10 session=S1 qid=Q1",
	       "context IDs appended to every line");
	log_set_ctx(NULL);
	log_info("queued", NULL);
	is_str(buf_cstr(&last), "queued", "no context, no IDs");

	buf_free(&last);
	log_pid_lines();
	return tap_done();
}
