/*
 * sealpost queue [list|flush] [--config FILE]
 *
 * The postmaster's view of the queue, asked of the queue manager over its
 * socket (it owns the spool; nothing here reads queue files behind its
 * back).  `list` prints what mailq(1) prints, in Postfix's format.
 */
#include "master/cli.h"
#include "config.h"
#include "queue_client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void cli_queue_usage(FILE *out)
{
	fprintf(out, "usage: sealpost queue [list|flush] [--config FILE]\n"
		"  list   the queue, as Postfix's mailq prints it (default)\n"
		"  flush  try every deferred message again now\n");
}

int cli_queue(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *what = "list", *error;
	struct config *cfg;
	int c, fd, ret = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': cli_queue_usage(stdout); return 0;
		default: cli_queue_usage(stderr); return CLI_EX_USAGE;
		}
	}
	if (optind < argc)
		what = argv[optind++];
	if (optind != argc ||
	    (strcmp(what, "list") != 0 && strcmp(what, "flush") != 0)) {
		cli_queue_usage(stderr);
		return CLI_EX_USAGE;
	}
	cfg = cli_load_config(config, NULL, 0);
	if (cfg == NULL)
		return 1;
	fd = queue_client_connect(cfg, &error);
	if (fd < 0 || queue_client_command(fd, strcmp(what, "list") == 0 ?
					   "LIST" : "FLUSH", stdout,
					   &error) < 0) {
		fprintf(stderr, "sealpost queue: %s\n", error);
		ret = CLI_EX_TEMPFAIL;
	}
	if (fd >= 0)
		close(fd);
	config_free(&cfg);
	return ret;
}
