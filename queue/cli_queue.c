/*
 * sealpost queue [list [--json] | show ID | hold ID...|ALL |
 *                 release ID...|ALL | requeue ID...|ALL |
 *                 delete ID...|ALL|--from ADDR|--to ADDR | flush]
 *                [--config FILE]
 *
 * The postmaster's view of the queue and the actions on it, all asked of
 * the queue manager over its socket: it owns the spool, so nothing here
 * reads or changes queue files behind its back, and an action can never
 * race a delivery (see queue/qmgr_admin.c).
 */
#include "master/cli.h"
#include "buf.h"
#include "config.h"
#include "queue_client.h"
#include "xtext.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Queue IDs sent in one request (the socket takes lines of 60 KiB). */
#define CLI_QUEUE_BATCH 1000

static void cli_queue_usage(FILE *out)
{
	fprintf(out, "usage: sealpost queue [COMMAND] [--config FILE]\n"
		"  list [--json]           the queue, as Postfix's mailq prints "
		"it (default)\n"
		"  show ID                 envelope, recipients, attempts, "
		"then the message\n"
		"  hold ID...|ALL          keep messages from delivery\n"
		"  release ID...|ALL       let held messages go, now\n"
		"  requeue ID...|ALL       try deferred messages again now\n"
		"  delete ID...|ALL        remove messages without a bounce\n"
		"  delete --from ADDR | --to ADDR\n"
		"  flush                   try every deferred message again now\n");
}

/* One request; prints what the queue manager said.  Answers of the form
 * "OK ID text" / "ERR ID text" go to stdout / stderr without the word;
 * any ERR makes the status 1. */
static int cli_queue_request(struct config *cfg, const char *command,
			     bool lines)
{
	struct buf answer = BUF_INIT;
	const char *error, *p;
	int fd, ret = 0;

	fd = queue_client_connect(cfg, &error);
	if (fd < 0 || queue_client_request(fd, command, &answer, &error) < 0) {
		fprintf(stderr, "sealpost queue: %s\n", error);
		if (fd >= 0)
			close(fd);
		buf_free(&answer);
		return CLI_EX_TEMPFAIL;
	}
	close(fd);
	p = buf_cstr(&answer);
	if (!lines && strncmp(p, "ERR ", 4) != 0) {
		fwrite(answer.data, 1, answer.len, stdout);
		buf_free(&answer);
		return 0;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");

		bool err = strncmp(p, "ERR ", 4) == 0;

		if (err || strncmp(p, "OK ", 3) == 0) {
			/* "OK|ERR ID text" -> "ID: text" */
			const char *id = p + (err ? 4 : 3);
			size_t idlen = strcspn(id, " \n");
			const char *text = id + idlen + (id[idlen] == ' ');
			int tlen = (int)(p + n - text);

			if (err)
				fprintf(stderr, "sealpost queue: %.*s: %.*s\n",
					(int)idlen, id, tlen, text);
			else
				printf("%.*s: %.*s\n", (int)idlen, id, tlen,
				       text);
			ret = err ? 1 : ret;
		} else if (n > 0) {
			printf("%.*s\n", (int)n, p);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	buf_free(&answer);
	return ret;
}

/* hold, release, requeue, delete: IDs in batches, or ALL, or (delete)
 * --from/--to. */
static int cli_queue_action(struct config *cfg, const char *verb,
			    int argc, char **argv)
{
	struct buf cmd = BUF_INIT;
	int i, n = 0, ret = 0, r;

	if (argc == 2 && (strcmp(argv[0], "--from") == 0 ||
			  strcmp(argv[0], "--to") == 0) &&
	    strcmp(verb, "DELETE") == 0) {
		buf_printf(&cmd, "DELETE %s ", argv[0][2] == 'f' ? "FROM" : "TO");
		xtext_encode(&cmd, argv[1], strlen(argv[1]));
		ret = cli_queue_request(cfg, buf_cstr(&cmd), true);
		buf_free(&cmd);
		return ret;
	}
	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '-' || strchr(argv[i], ' ') != NULL ||
		    (strcmp(argv[i], "ALL") == 0 && argc != 1)) {
			buf_free(&cmd);
			cli_queue_usage(stderr);
			return CLI_EX_USAGE;
		}
	}
	for (i = 0; i < argc; i++) {
		if (n == 0)
			buf_append_str(&cmd, verb);
		buf_printf(&cmd, " %s", argv[i]);
		if (++n == CLI_QUEUE_BATCH || i == argc - 1) {
			r = cli_queue_request(cfg, buf_cstr(&cmd), true);
			if (r > ret)
				ret = r;
			buf_clear(&cmd);
			n = 0;
		}
	}
	buf_free(&cmd);
	return ret;
}

int cli_queue(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const verbs[][2] = {
		{ "hold", "HOLD" }, { "release", "RELEASE" },
		{ "requeue", "REQUEUE" }, { "delete", "DELETE" },
	};
	const char *config = NULL, *what = "list";
	struct buf cmd = BUF_INIT;
	struct config *cfg;
	bool json = false;
	int c, ret = CLI_EX_USAGE;
	size_t i;

	/* "+": options stop at the subcommand, so that `delete --from`
	 * reaches it. */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case 'h': cli_queue_usage(stdout); return 0;
		default: cli_queue_usage(stderr); return CLI_EX_USAGE;
		}
	}
	if (optind < argc)
		what = argv[optind++];
	/* Options after the subcommand (list --json, --config). */
	while (optind < argc && argv[optind][0] == '-' &&
	       strcmp(argv[optind], "--from") != 0 &&
	       strcmp(argv[optind], "--to") != 0) {
		if (strcmp(argv[optind], "--json") == 0) {
			json = true;
			optind++;
		} else if (strcmp(argv[optind], "--config") == 0 &&
			   optind + 1 < argc) {
			config = argv[optind + 1];
			optind += 2;
		} else {
			cli_queue_usage(stderr);
			return CLI_EX_USAGE;
		}
	}
	cfg = cli_load_config(config, NULL, 0);
	if (cfg == NULL)
		return 1;
	if (strcmp(what, "list") == 0 && optind == argc) {
		ret = cli_queue_request(cfg, json ? "LIST JSON" : "LIST", false);
	} else if (strcmp(what, "flush") == 0 && optind == argc) {
		ret = cli_queue_request(cfg, "FLUSH", false);
		if (ret == 0)
			printf("flushed: every deferred message is being tried "
			       "again\n");
	} else if (strcmp(what, "show") == 0 && optind + 1 == argc &&
		   strchr(argv[optind], ' ') == NULL) {
		buf_printf(&cmd, "SHOW %s", argv[optind]);
		ret = cli_queue_request(cfg, buf_cstr(&cmd), false);
	} else {
		for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
			if (strcmp(what, verbs[i][0]) == 0 && optind < argc)
				ret = cli_queue_action(cfg, verbs[i][1],
						       argc - optind,
						       argv + optind);
		}
		if (ret == CLI_EX_USAGE)
			cli_queue_usage(stderr);
	}
	buf_free(&cmd);
	config_free(&cfg);
	return ret;
}
