/*
 * sealpost stats [--json] [--log FILE] [--config FILE]
 *
 * The queue by folder and the sessions open per service, from the queue
 * manager (STATS on its socket), and what the log says of the last hour
 * and day: messages accepted, recipients delivered, deferred and
 * bounced, and the most frequent deferral reasons.
 */
#include "master/cli.h"
#include "buf.h"
#include "cli_log.h"
#include "config.h"
#include "json.h"
#include "queue_client.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLI_STATS_REASONS_MAX 1000
#define CLI_STATS_TOP 5

enum { STAT_ACCEPTED, STAT_DELIVERED, STAT_DEFERRED, STAT_BOUNCED, STAT_N };
static const char *const cli_stats_names[STAT_N] = {
	"accepted", "delivered", "deferred", "bounced",
};

struct cli_stats_reason {
	char *text;
	unsigned long long count;
};

struct cli_stats {
	time_t now;
	unsigned long long hour[STAT_N], day[STAT_N];
	struct cli_stats_reason reasons[CLI_STATS_REASONS_MAX];
	size_t reason_count;
};

static void cli_stats_reason(struct cli_stats *s, const char *reason)
{
	size_t i;

	for (i = 0; i < s->reason_count; i++) {
		if (strcmp(s->reasons[i].text, reason) == 0) {
			s->reasons[i].count++;
			return;
		}
	}
	/* Bounded: a flood of distinct reasons counts in the totals only. */
	if (s->reason_count < CLI_STATS_REASONS_MAX) {
		s->reasons[s->reason_count].text = xstrdup(reason);
		s->reasons[s->reason_count++].count = 1;
	}
}

static void cli_stats_line(void *ctx, const struct log_line *l)
{
	struct cli_stats *s = ctx;
	const char *e = l->event;
	int kind;

	if (l->time == 0 || l->time > s->now + 60 || s->now - l->time > 86400)
		return;
	if (strcmp(e, "smtp_queued") == 0 || strcmp(e, "pickup") == 0)
		kind = STAT_ACCEPTED;
	else if (log_line_get(l, "relay") == NULL)
		return;		/* lmtpd's own "delivered" lines */
	else if (strcmp(e, "delivered") == 0)
		kind = STAT_DELIVERED;
	else if (strcmp(e, "deferred") == 0)
		kind = STAT_DEFERRED;
	else if (strcmp(e, "bounced") == 0)
		kind = STAT_BOUNCED;
	else
		return;
	s->day[kind]++;
	if (s->now - l->time <= 3600)
		s->hour[kind]++;
	if (kind == STAT_DEFERRED)
		cli_stats_reason(s, log_line_get(l, "reason") != NULL ?
				 log_line_get(l, "reason") : "");
}

static int cli_stats_cmp(const void *a, const void *b)
{
	const struct cli_stats_reason *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 :
		strcmp(x->text, y->text);
}

static void cli_stats_text(const struct cli_stats *s, const char *qmgr)
{
	const char *p = qmgr;
	size_t i;

	printf("queue:");
	for (p = strstr(qmgr, "queue."); p != NULL; p = strstr(p, "\nqueue.")) {
		p += p[0] == '\n' ? 7 : 6;
		printf("  %.*s", (int)strcspn(p, "\n"), p);
	}
	printf("\n\n%-12s %10s %10s\n", "", "last hour", "last day");
	for (i = 0; i < STAT_N; i++)
		printf("%-12s %10llu %10llu\n", cli_stats_names[i], s->hour[i],
		       s->day[i]);
	printf("\ntop deferral reasons (last day):\n");
	for (i = 0; i < s->reason_count && i < CLI_STATS_TOP; i++)
		printf("%8llu  %s\n", s->reasons[i].count, s->reasons[i].text);
	if (s->reason_count == 0)
		printf("    none\n");
	printf("\nsessions:");
	for (p = strstr(qmgr, "sessions."); p != NULL;
	     p = strstr(p, "\nsessions.")) {
		p += p[0] == '\n' ? 10 : 9;
		printf("  %.*s", (int)strcspn(p, "\n"), p);
	}
	printf("\n");
}

/* "queue.deferred 3" lines as a JSON object of `prefix`. */
static void cli_stats_json_group(struct buf *out, const char *qmgr,
				 const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = qmgr;
	bool first = true;

	buf_append_char(out, '{');
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		const char *sp = memchr(p, ' ', len);

		if (strncmp(p, prefix, n) == 0 && sp != NULL) {
			char *key = xstrndup(p + n, (size_t)(sp - p) - n);

			if (!first)
				buf_append_char(out, ',');
			first = false;
			json_append_string(out, key);
			buf_printf(out, ":%llu", strtoull(sp + 1, NULL, 10));
			free(key);
		}
		p += len + (p[len] == '\n');
	}
	buf_append_char(out, '}');
}

static void cli_stats_json(const struct cli_stats *s, const char *qmgr)
{
	struct buf out = BUF_INIT;
	size_t i;

	buf_append_str(&out, "{\"queue\":");
	cli_stats_json_group(&out, qmgr, "queue.");
	buf_append_str(&out, ",\"sessions\":");
	cli_stats_json_group(&out, qmgr, "sessions.");
	buf_append_str(&out, ",\"since_qmgr_start\":");
	cli_stats_json_group(&out, qmgr, "total.");
	buf_append_str(&out, ",\"last_hour\":{");
	for (i = 0; i < STAT_N; i++)
		buf_printf(&out, "%s\"%s\":%llu", i > 0 ? "," : "",
			   cli_stats_names[i], s->hour[i]);
	buf_append_str(&out, "},\"last_day\":{");
	for (i = 0; i < STAT_N; i++)
		buf_printf(&out, "%s\"%s\":%llu", i > 0 ? "," : "",
			   cli_stats_names[i], s->day[i]);
	buf_append_str(&out, "},\"top_deferral_reasons\":[");
	for (i = 0; i < s->reason_count && i < CLI_STATS_TOP; i++) {
		buf_append_str(&out, i > 0 ? ",{" : "{");
		json_append_member(&out, "reason", s->reasons[i].text, 1);
		buf_printf(&out, ",\"count\":%llu}", s->reasons[i].count);
	}
	buf_append_str(&out, "]}\n");
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
}

int cli_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *logpath = NULL, *error;
	struct cli_stats *s;
	struct buf qmgr = BUF_INIT;
	struct config *cfg;
	bool json = false;
	int c, fd, ret = 0;
	size_t i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'l': logpath = optarg; break;
		case 'j': json = true; break;
		case 'h':
			printf("usage: sealpost stats [--json] [--log FILE] "
			       "[--config FILE]\n");
			return 0;
		default:
			return CLI_EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: sealpost stats [--json] [--log FILE] "
			"[--config FILE]\n");
		return CLI_EX_USAGE;
	}
	cfg = cli_load_config(config, NULL, 0);
	if (cfg == NULL)
		return 1;
	fd = queue_client_connect(cfg, &error);
	if (fd < 0 || queue_client_request(fd, "STATS", &qmgr, &error) < 0) {
		fprintf(stderr, "sealpost stats: %s\n", error);
		if (fd >= 0)
			close(fd);
		buf_free(&qmgr);
		config_free(&cfg);
		return CLI_EX_TEMPFAIL;
	}
	close(fd);
	s = xcalloc(1, sizeof(*s));
	s->now = time(NULL);
	if (cli_log_each(cfg, logpath, cli_stats_line, s) < 0)
		ret = 1;
	qsort(s->reasons, s->reason_count, sizeof(s->reasons[0]),
	      cli_stats_cmp);
	if (json)
		cli_stats_json(s, buf_cstr(&qmgr));
	else
		cli_stats_text(s, buf_cstr(&qmgr));
	for (i = 0; i < s->reason_count; i++)
		free(s->reasons[i].text);
	free(s);
	buf_free(&qmgr);
	config_free(&cfg);
	return ret;
}
