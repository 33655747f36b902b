/* Unit tests for libmail/log.c: field quoting and context IDs. */
#include "tap.h"
#include "buf.h"
#include "log.h"

#include <string.h>

static struct buf last = BUF_INIT;

static void sink(enum log_level level, const char *line)
{
	buf_clear(&last);
	buf_append_str(&last, line);
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
	return tap_done();
}
