/*
 * sealpost user add|del|list and sealpost mailbox create|delete|rename|list:
 * the postmaster's view of the store, through the same locked libmail code
 * the daemons use (store.h), never behind their backs.
 */
#include "cli.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "privs.h"
#include "store.h"
#include "store_settings.h"
#include "mbox.h"
#include "mime_cache.h"
#include "mime_parse.h"
#include "mime_part.h"
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "message_header.h"
#include "master/master_settings.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/mman.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_special {
	const char *name;
	unsigned int flag;
};

static const struct cli_special cli_specials[] = {
	{ "drafts", STORE_SPECIAL_DRAFTS },
	{ "sent", STORE_SPECIAL_SENT },
	{ "trash", STORE_SPECIAL_TRASH },
	{ "junk", STORE_SPECIAL_JUNK },
	{ "archive", STORE_SPECIAL_ARCHIVE },
};

struct store *cli_open_store(struct config *cfg)
{
	struct master_settings ms;
	struct store_settings set;
	struct store *st;
	const char *error;

	config_fill(cfg, &master_config_table, &ms);
	/* The store belongs to mail_user: files the command creates must be
	 * the daemons' too. */
	if (geteuid() == 0 && privs_drop(ms.mail_user, &error) < 0) {
		fprintf(stderr, "sealpost: %s\n", error);
		return NULL;
	}
	config_fill(cfg, &store_config_table, &set);
	if (store_open(ms.state_dir, &set, &st, &error) < 0) {
		fprintf(stderr, "sealpost: the store in %s: %s\n", ms.state_dir,
			error);
		return NULL;
	}
	return st;
}

int cli_store_begin(const char *path, struct config **cfg_r,
		    struct store **st_r)
{
	*st_r = NULL;
	*cfg_r = cli_load_config(path, NULL, 0);
	if (*cfg_r == NULL)
		return 1;
	*st_r = cli_open_store(*cfg_r);
	if (*st_r == NULL) {
		config_free(cfg_r);
		return CLI_EX_TEMPFAIL;
	}
	return 0;
}

void cli_store_end(struct config **cfg, struct store **st)
{
	store_close(st);
	config_free(cfg);
}

/* Parses the options every store command takes; returns the index of the
 * first operand, or -1 after printing usage. */
static int cli_store_options(int argc, char **argv, const char *usage,
			     const char **config_r, bool *json_r)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config_r = optarg; break;
		case 'j': if (json_r != NULL) { *json_r = true; break; }
			  /* fall through */
		case 'h': printf("%s", usage); return -2;
		default: fprintf(stderr, "%s", usage); return -1;
		}
	}
	return optind;
}

static void cli_print_user(void *ctx, const char *user)
{
	printf("%s\n", user);
}

static const char cli_user_usage[] =
	"usage: sealpost user add USER...\n"
	"       sealpost user del USER...\n"
	"       sealpost user list\n"
	"       (each takes --config FILE)\n"
	"'add' creates the user's INBOX and the folders Drafts, Sent, Trash,\n"
	"Junk and Archive; 'del' removes the user and all their mail.  The\n"
	"user logs in with the Kerberos principal of the same name.\n";

int cli_user(int argc, char **argv)
{
	const char *path = NULL, *error, *verb;
	struct config *cfg;
	struct store *st;
	int first, i, ret = 0;

	first = cli_store_options(argc, argv, cli_user_usage, &path, NULL);
	if (first < 0)
		return first == -2 ? 0 : CLI_EX_USAGE;
	if (first >= argc) {
		fprintf(stderr, "%s", cli_user_usage);
		return CLI_EX_USAGE;
	}
	verb = argv[first++];
	if ((strcmp(verb, "add") == 0 || strcmp(verb, "del") == 0) ?
	    first >= argc : strcmp(verb, "list") != 0 || first != argc) {
		fprintf(stderr, "%s", cli_user_usage);
		return CLI_EX_USAGE;
	}
	for (i = first; i < argc && strcmp(verb, "list") != 0; i++) {
		if (store_user_name_check(argv[i], &error) < 0) {
			fprintf(stderr, "sealpost user %s: '%s': %s\n", verb,
				argv[i], error);
			return CLI_EX_USAGE;
		}
	}
	ret = cli_store_begin(path, &cfg, &st);
	if (ret != 0)
		return ret;
	if (strcmp(verb, "list") == 0) {
		if (store_user_list(st, cli_print_user, NULL, &error) < 0) {
			fprintf(stderr, "sealpost user list: %s\n", error);
			ret = 1;
		}
	}
	for (i = first; i < argc && strcmp(verb, "list") != 0; i++) {
		int r = strcmp(verb, "add") == 0 ?
			store_user_add(st, argv[i], &error) :
			store_user_del(st, argv[i], &error);

		if (r < 0) {
			fprintf(stderr, "sealpost user %s %s: %s\n", verb,
				argv[i], error);
			ret = 1;
		}
	}
	cli_store_end(&cfg, &st);
	return ret;
}

struct cli_list_ctx {
	bool json;
	bool first;
};

static void cli_print_mailbox(void *ctx, const struct store_mailbox *mb)
{
	struct cli_list_ctx *l = ctx;
	size_t i;

	if (l->json) {
		struct buf name = BUF_INIT;
		const char *p;

		for (p = mb->name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_append_char(&name, '\\');
			buf_append_char(&name, *p);
		}
		printf("{\"name\":\"%s\",\"id\":\"%s\",\"uidvalidity\":%u,"
		       "\"special_use\":[", buf_cstr(&name), mb->id,
		       mb->uidvalidity);
		buf_free(&name);
	} else {
		printf("%s", mb->name);
	}
	l->first = true;
	for (i = 0; i < sizeof(cli_specials) / sizeof(cli_specials[0]); i++) {
		if (!(mb->special_use & cli_specials[i].flag))
			continue;
		if (l->json)
			printf("%s\"\\\\%c%s\"", l->first ? "" : ",",
			       cli_specials[i].name[0] - 32,
			       cli_specials[i].name + 1);
		else
			printf(" \\%c%s", cli_specials[i].name[0] - 32,
			       cli_specials[i].name + 1);
		l->first = false;
	}
	printf(l->json ? "]}\n" : "\n");
}

/* The envelope and body structure as IMAP would send them: from the cache
 * written at delivery, or parsed again when the cache entry is bad. */
static void cli_show_structure(struct mbox *mb, const struct mbox_record *rec,
			       const char *data, size_t size)
{
	struct buf blob = BUF_INIT, env = BUF_INIT, bs = BUF_INIT;
	struct mime_cache *cache = NULL;
	const char *error;

	if (mbox_cache_read(mb, rec, &blob, &error) == 0 && blob.len > 0 &&
	    mime_cache_read(blob.data, blob.len, rec->size, &cache, &error) == 0) {
		printf("envelope %s\nbodystructure %s\n", cache->envelope,
		       cache->bodystructure);
	} else {
		struct mime_part *root = mime_parse(data, size, NULL, NULL);
		struct message_header hdr;

		message_header_init(&hdr, NULL);
		message_header_parse(&hdr, data, size);
		imap_envelope_write(&hdr, &env);
		imap_bodystructure_write(root, true, &bs);
		printf("envelope %s\nbodystructure %s (not cached)\n",
		       buf_cstr(&env), buf_cstr(&bs));
		message_header_deinit(&hdr);
		mime_part_free(&root);
	}
	mime_cache_free(&cache);
	buf_free(&blob);
	buf_free(&env);
	buf_free(&bs);
}

static void cli_show_message(struct mbox *mb, const struct mbox_view *view,
			     const struct mbox_record *rec)
{
	static const char *const names[] = {
		"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft",
	};
	struct buf flags = BUF_INIT;
	char date[64];
	struct tm tm;
	time_t t = (time_t)rec->internal_date;
	void *map = MAP_FAILED;
	unsigned int i;
	int fd;

	for (i = 0; i < 5; i++) {
		if (rec->flags & (1u << i))
			buf_printf(&flags, "%s%s", flags.len ? " " : "", names[i]);
	}
	for (i = 0; i < view->keyword_count; i++) {
		if (rec->keywords & (1ULL << i))
			buf_printf(&flags, "%s%s", flags.len ? " " : "",
				   view->keywords[i]);
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%d-%b-%Y %H:%M:%S +0000", &tm);
	printf("uid %u size %llu modseq %llu flags (%s) internaldate %s\n",
	       rec->uid, (unsigned long long)rec->size,
	       (unsigned long long)rec->modseq, buf_cstr(&flags), date);
	fd = mbox_message_open(mb, rec->uid);
	if (fd >= 0 && rec->size > 0)
		map = mmap(NULL, rec->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fd >= 0)
		close(fd);
	if (map == MAP_FAILED) {
		printf("(message file missing: run sealpost reconstruct)\n\n");
	} else {
		cli_show_structure(mb, rec, map, rec->size);
		printf("\n");
		fwrite(map, 1, rec->size, stdout);
		printf("\n.\n");
		munmap(map, rec->size);
	}
	buf_free(&flags);
}

static int cli_mailbox_show(struct store *st, const char *user,
			    const char *name, const char **error_r)
{
	struct mbox *mb = NULL;
	struct mbox_view view;
	size_t i;
	int ret;

	ret = store_mailbox_open(st, user, name, &mb, error_r);
	if (ret == 0)
		*error_r = "no such mailbox";
	if (ret <= 0)
		return -1;
	if (mbox_view_load(mb, &view, error_r) < 0 ||
	    mbox_sync(mb, &view, NULL, NULL, error_r) < 0) {
		mbox_close(&mb);
		return -1;
	}
	printf("uidvalidity %u uidnext %u highestmodseq %llu messages %zu\n\n",
	       view.uidvalidity, view.uidnext,
	       (unsigned long long)view.highestmodseq, view.count);
	for (i = 0; i < view.count; i++)
		cli_show_message(mb, &view, &view.records[i]);
	mbox_view_free(&view);
	mbox_close(&mb);
	return 0;
}

static const char cli_mailbox_usage[] =
	"usage: sealpost mailbox create USER NAME [--special-use drafts|sent|trash|junk|archive]\n"
	"       sealpost mailbox delete USER NAME\n"
	"       sealpost mailbox rename USER OLD NEW\n"
	"       sealpost mailbox list [--json] USER\n"
	"       sealpost mailbox show USER NAME\n"
	"       (each takes --config FILE)\n"
	"Names use '/' between levels; INBOX is case-insensitive.  'rename'\n"
	"moves the mailbox's children with it.  USER 'Shared' names the shared\n"
	"namespace (the bulletin boards, Shared/NAME over IMAP).\n";

int cli_mailbox(int argc, char **argv)
{
	const char *path = NULL, *error = "", *verb, *special = NULL;
	struct cli_list_ctx l = { false, true };
	struct config *cfg;
	struct store *st;
	unsigned int use = 0;
	int first, ret = 0, nargs, i, user_exists;
	bool exists;

	/* --special-use is only for create; peel it off first. */
	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--special-use") == 0) {
			special = argv[i + 1];
			memmove(&argv[i], &argv[i + 2],
				(size_t)(argc - i - 1) * sizeof(*argv));
			argc -= 2;
			break;
		}
	}
	first = cli_store_options(argc, argv, cli_mailbox_usage, &path, &l.json);
	if (first < 0)
		return first == -2 ? 0 : CLI_EX_USAGE;
	if (first >= argc) {
		fprintf(stderr, "%s", cli_mailbox_usage);
		return CLI_EX_USAGE;
	}
	verb = argv[first++];
	nargs = argc - first;
	if (!((strcmp(verb, "create") == 0 && nargs == 2) ||
	      (strcmp(verb, "delete") == 0 && nargs == 2) ||
	      (strcmp(verb, "rename") == 0 && nargs == 3) ||
	      (strcmp(verb, "list") == 0 && nargs == 1) ||
	      (strcmp(verb, "show") == 0 && nargs == 2)) ||
	    (special != NULL && strcmp(verb, "create") != 0)) {
		fprintf(stderr, "%s", cli_mailbox_usage);
		return CLI_EX_USAGE;
	}
	for (i = 0; special != NULL &&
	     i < (int)(sizeof(cli_specials) / sizeof(cli_specials[0])); i++) {
		if (strcasecmp(special, cli_specials[i].name) == 0)
			use = cli_specials[i].flag;
	}
	if (special != NULL && use == 0) {
		fprintf(stderr, "sealpost mailbox create: unknown special use "
			"'%s'\n", special);
		return CLI_EX_USAGE;
	}
	ret = cli_store_begin(path, &cfg, &st);
	if (ret != 0)
		return ret;
	/* "Shared" (never a user name: those are lower case) names the
	 * shared namespace, the campus bulletin boards. */
	if (strcmp(argv[first], CLI_SHARED) == 0) {
		argv[first] = (char *)STORE_SHARED_OWNER;
		user_exists = 1;
	} else {
		user_exists = store_user_exists(st, argv[first], &error);
	}
	if (user_exists <= 0) {
		if (user_exists == 0)
			fprintf(stderr, "sealpost mailbox %s: no user '%s'\n", verb,
				argv[first]);
		else
			fprintf(stderr, "sealpost mailbox %s: %s\n", verb, error);
		ret = 1;
	} else if (strcmp(verb, "create") == 0) {
		if (store_mailbox_create(st, argv[first], argv[first + 1], use,
					 &exists, &error) < 0)
			ret = 1;
	} else if (strcmp(verb, "delete") == 0) {
		if (store_mailbox_delete(st, argv[first], argv[first + 1],
					 &error) < 0)
			ret = 1;
	} else if (strcmp(verb, "rename") == 0) {
		if (store_mailbox_rename(st, argv[first], argv[first + 1],
					 argv[first + 2], &error) < 0)
			ret = 1;
	} else if (strcmp(verb, "show") == 0) {
		if (cli_mailbox_show(st, argv[first], argv[first + 1],
				     &error) < 0)
			ret = 1;
	} else if (store_mailbox_list(st, argv[first], cli_print_mailbox, &l,
				      &error) < 0) {
		ret = 1;
	}
	if (ret != 0 && user_exists > 0)
		fprintf(stderr, "sealpost mailbox %s: %s\n", verb, error);
	cli_store_end(&cfg, &st);
	return ret;
}
