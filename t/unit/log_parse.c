/* Unit tests for libmail/log_parse.c (reading log lines back, as trace and
 * stats do) and libmail/json.c (the strings they write): every line log.c
 * can write reads back to the same fields, and lines that are not ours
 * are refused. */
#include "tap.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "log_parse.h"

#include <string.h>

static const struct {
	const char *line;
	int ok;
	time_t time;
	const char *program, *event, *key, *value;
} cases[] = {
	{ "2026-11-28T17:15:11.042Z qmgr[812]: delivered to=a@b relay=lmtp "
	  "reason=\"250 2.0.0 Ok: delivered to INBOX as uid 7\" qid=1K1B9KS9RAJ51AP",
	  1, 1795886111, "qmgr", "delivered", "reason",
	  "250 2.0.0 Ok: delivered to INBOX as uid 7" },
	{ "2026-11-28T17:15:11.042Z qmgr[812]: delivered to=a@b qid=X",
	  1, 1795886111, "qmgr", "delivered", "qid", "X" },
	{ "2026-11-28T18:15:11+01:00 host smtpd[9]: smtp_connect client=1.2.3.4",
	  1, 1795886111, "smtpd", "smtp_connect", "client", "1.2.3.4" },
	{ "2026-11-28T17:15:11.000Z smtpd[9]: smtp_mail from=\"\" size=0",
	  1, 1795886111, "smtpd", "smtp_mail", "from", "" },
	{ "2026-11-28T17:15:11.000Z smtpd[9]: x reason=\"a \\\"q\\\" \\\\ \\x0d\"",
	  1, 1795886111, "smtpd", "x", "reason", "a \"q\" \\ \r" },
	{ "2026-11-28T17:15:11.000Z master[1]: started", 1, 1795886111,
	  "master", "started", NULL, NULL },
	{ "not a log line", 0, 0, NULL, NULL, NULL, NULL },
	{ "2026-11-28T17:15:11.000Z qmgr[1]: ev novalue", 0, 0, NULL, NULL,
	  NULL, NULL },
	{ "2026-11-28T17:15:11.000Z qmgr[1]: ev k=\"unterminated", 0, 0, NULL,
	  NULL, NULL, NULL },
	{ "2026-11-28T17:15:11.000Z qmgr[1]: ", 0, 0, NULL, NULL, NULL, NULL },
	{ "2026-11-28T17:15:11.000Z qmgr[x]: ev", 0, 0, NULL, NULL, NULL, NULL },
};

static char sunk[4096];

static void sink(enum log_level level, const char *line)
{
	(void)level;
	snprintf(sunk, sizeof(sunk), "2026-11-28T17:15:11.000Z t[1]: %s", line);
}

int main(void)
{
	struct log_line l;
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = log_parse_line(cases[i].line, &l);

		ok((r == 0) == cases[i].ok, cases[i].line);
		if (r < 0 || !cases[i].ok)
			continue;
		is_int((long long)l.time, (long long)cases[i].time, "time");
		is_str(l.program, cases[i].program, "program");
		is_str(l.event, cases[i].event, "event");
		if (cases[i].key != NULL)
			is_str(log_line_get(&l, cases[i].key) != NULL ?
			       log_line_get(&l, cases[i].key) : "(none)",
			       cases[i].value, cases[i].key);
		ok(log_line_get(&l, "nosuchkey") == NULL, "absent key");
		log_line_free(&l);
	}

	/* Round trip: whatever log.c writes reads back the same. */
	log_set_sink(sink);
	log_info("ev", "reason=%s to=%s", "tab\there \"and\" = \\ end", "");
	ok(log_parse_line(sunk, &l) == 0, "log.c's line parses");
	is_str(log_line_get(&l, "reason") ? log_line_get(&l, "reason") : "",
	       "tab\there \"and\" = \\ end", "quoted value round trip");
	is_str(log_line_get(&l, "to") ? log_line_get(&l, "to") : "x", "",
	       "empty value round trip");
	log_line_free(&l);

	json_append_string(&b, "a\"b\\c\nd\x01\xc3\xa9");
	is_str(buf_cstr(&b), "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\"", "json string");
	buf_clear(&b);
	json_append_member(&b, "k", NULL, 1);
	json_append_member(&b, "v", "x", 0);
	is_str(buf_cstr(&b), "\"k\":null,\"v\":\"x\"", "json members");
	buf_free(&b);
	return tap_done();
}
