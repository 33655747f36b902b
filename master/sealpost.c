/*
 * sealpost: the command postmasters type.  It dispatches to one function per
 * subcommand; the subcommands that work on data owned by a daemon ask that
 * daemon, the rest go through the same libmail code the daemons use.
 */
#include "cli.h"
#include "buf.h"
#include "config.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SEALPOST_SYSCONFDIR
#define SEALPOST_SYSCONFDIR "/etc/sealpost"
#endif

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct cli_command cli_commands[] = {
	{ "master", cli_master, "run the master: bind, start and watch every daemon" },
	{ "dev", cli_dev, "run a complete throwaway post office in a folder" },
	{ "user", cli_user, "add, delete and list users" },
	{ "mailbox", cli_mailbox, "create, delete, rename and list mailboxes" },
	{ "acl", cli_acl, "show and change mailbox access control lists" },
	{ "queue", cli_queue, "list the mail queue (as mailq) or flush it" },
	{ "trace", cli_trace, "follow a message through the log and the queue" },
	{ "stats", cli_stats, "queue sizes, delivery counts and sessions" },
	{ "reconstruct", cli_reconstruct, "rebuild mailbox indexes from the message files" },
	{ "quota", cli_quota, "show and set users' quota limits and usage" },
	{ "config", cli_config, "check the config file, print defaults or changes" },
	{ "auth", cli_auth, "test a login against the running auth service" },
	{ "spf", cli_spf, "check a client address against a sender's SPF record" },
	{ "dmarc", cli_dmarc, "evaluate a From domain's DMARC policy" },
	{ "import", cli_import, "add an mbox file or a Maildir to a mailbox" },
	{ "export", cli_export, "write a mailbox out as an mbox file or a Maildir" },
	{ "setup", cli_setup, "prepare the state folders and check the keytab" },
	{ "dkim", cli_dkim, "make DKIM keys, verify DKIM signatures" },
};

/* A command line the dispatcher cannot make sense of (no command, an
 * unknown one): the usual status of a usage error.  A command's own usage
 * errors are CLI_EX_USAGE. */
#define CLI_EX_NO_COMMAND 2

static void cli_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: sealpost COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++)
		fprintf(out, "  %-12s %s\n", cli_commands[i].name,
			cli_commands[i].summary);
	fprintf(out, "\n'sealpost COMMAND --help' describes one command; "
		"see sealpost(8).\n");
}

struct config *cli_load_config(const char *path, char **sets, int nsets)
{
	struct config *cfg;
	const char *error;
	int i;

	if (path == NULL)
		path = getenv("SEALPOST_CONFIG");
	if (path == NULL)
		path = SEALPOST_SYSCONFDIR "/sealpost.conf";
	if (config_load(path, config_all_tables, &cfg, &error) < 0) {
		fprintf(stderr, "sealpost: %s\n", error);
		return NULL;
	}
	for (i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');
		char *key;

		if (eq == NULL) {
			fprintf(stderr, "sealpost: --set %s: expected KEY=VALUE\n",
				sets[i]);
			config_free(&cfg);
			return NULL;
		}
		key = xstrndup(sets[i], (size_t)(eq - sets[i]));
		if (config_set(cfg, key, eq + 1, &error) < 0) {
			fprintf(stderr, "sealpost: --set: %s\n", error);
			free(key);
			config_free(&cfg);
			return NULL;
		}
		free(key);
	}
	return cfg;
}

int main(int argc, char **argv)
{
	size_t i;

	log_open("sealpost", LOG_TARGET_STDERR, LOG_LEVEL_WARN);
	if (argc < 2) {
		cli_usage(stderr);
		return CLI_EX_NO_COMMAND;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		cli_usage(stdout);
		return 0;
	}
	/* "sealpost help COMMAND" is "sealpost COMMAND --help". */
	if (strcmp(argv[1], "help") == 0 && argc == 3) {
		static char help_opt[] = "--help";
		static char *help_argv[4];

		help_argv[0] = argv[0];
		help_argv[1] = argv[2];
		help_argv[2] = help_opt;
		argv = help_argv;
		argc = 3;
	}
	for (i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++) {
		if (strcmp(argv[1], cli_commands[i].name) == 0)
			return cli_commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "sealpost: unknown command '%s'\n", argv[1]);
	cli_usage(stderr);
	return CLI_EX_NO_COMMAND;
}
