/*
 * sealpost quota get USER... and sealpost quota set USER RESOURCE=VALUE...:
 * a user's quota usage and limits, through the store (store.h) like the
 * IMAP GETQUOTA and SETQUOTA commands.
 */
#include "cli.h"
#include "config.h"
#include "quota.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char cli_quota_usage[] =
	"usage: sealpost quota get USER...\n"
	"       sealpost quota set USER RESOURCE=VALUE...\n"
	"       (each takes --config FILE)\n"
	"RESOURCE is storage (a limit in KiB) or messages; VALUE is a number,\n"
	"'none' (no limit) or 'default' (quota_default_storage or\n"
	"quota_default_messages).  Resources not named keep their limit.\n";

static const char *cli_quota_source(enum quota_setting set)
{
	switch (set) {
	case QUOTA_LIMIT: return "user";
	case QUOTA_NONE: return "user";
	default: return "default";
	}
}

static void cli_quota_print(const char *user, const struct quota_record *q,
			    const struct quota_limits *lim)
{
	printf("%s storage %llu KiB", user,
	       (unsigned long long)quota_kb(q->bytes));
	if (lim->has_storage)
		printf(" of %llu KiB", (unsigned long long)lim->storage_kb);
	else
		printf(" of unlimited");
	printf(" (%s)\n", cli_quota_source(q->storage_set));
	printf("%s messages %llu", user, (unsigned long long)q->messages);
	if (lim->has_messages)
		printf(" of %llu", (unsigned long long)lim->messages);
	else
		printf(" of unlimited");
	printf(" (%s)\n", cli_quota_source(q->messages_set));
}

int cli_quota(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct quota_record q, limits;
	struct quota_limits lim;
	const char *path = NULL, *verb, *error;
	struct config *cfg;
	struct store *st;
	int c, i, first, ret = 0, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': printf("%s", cli_quota_usage); return 0;
		default: fprintf(stderr, "%s", cli_quota_usage);
			return CLI_EX_USAGE;
		}
	}
	first = optind;
	if (argc - first < 2 ||
	    (strcmp(argv[first], "get") != 0 &&
	     strcmp(argv[first], "set") != 0) ||
	    (strcmp(argv[first], "set") == 0 && argc - first < 3)) {
		fprintf(stderr, "%s", cli_quota_usage);
		return CLI_EX_USAGE;
	}
	verb = argv[first++];
	for (i = first; i < argc; i++) {
		if ((i == first || strcmp(verb, "get") == 0) &&
		    store_user_name_check(argv[i], &error) < 0) {
			fprintf(stderr, "sealpost quota %s: '%s': %s\n", verb,
				argv[i], error);
			return CLI_EX_USAGE;
		}
	}
	ret = cli_store_begin(path, &cfg, &st);
	if (ret != 0)
		return ret;
	if (strcmp(verb, "set") == 0) {
		/* Start from the current limits: only those named change. */
		r = store_quota_get(st, argv[first], &limits, &lim, &error);
		for (i = first + 1; r > 0 && i < argc; i++) {
			if (quota_parse_setting(argv[i], &limits, &error) < 0) {
				fprintf(stderr, "sealpost quota set: '%s': %s\n",
					argv[i], error);
				ret = CLI_EX_USAGE;
				break;
			}
		}
		if (r > 0 && ret == 0)
			r = store_quota_set(st, argv[first], &limits, &error);
		if (ret == 0 && r < 0) {
			fprintf(stderr, "sealpost quota set: %s\n", error);
			ret = 1;
		} else if (ret == 0 && r == 0) {
			fprintf(stderr, "sealpost quota set: no user '%s'\n",
				argv[first]);
			ret = 1;
		}
		argc = first + 1;	/* then print the user's quota */
	}
	for (i = first; ret == 0 && i < argc; i++) {
		r = store_quota_get(st, argv[i], &q, &lim, &error);
		if (r > 0) {
			cli_quota_print(argv[i], &q, &lim);
		} else {
			fprintf(stderr, "sealpost quota %s: %s\n", verb,
				r < 0 ? error : "no such user");
			ret = 1;
		}
	}
	cli_store_end(&cfg, &st);
	return ret;
}
