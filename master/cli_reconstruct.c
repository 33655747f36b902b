/*
 * sealpost reconstruct [--check] [USER | USER/MAILBOX]...
 *
 * Rebuilds mailboxes from their message files (mbox_reconstruct()) and
 * checks that the mailbox list and the folders agree: a listed mailbox
 * whose folder is gone gets an empty one, a folder no mailbox names is
 * reported (and removed when it is the remains of a delete).  Reports
 * what it changed; --check changes nothing and exits 1 when anything
 * would be repaired.  Then recounts each user's quota usage from the
 * indexes, which repairs counters a crash left too high (see store.h).
 */
#include "cli.h"
#include "buf.h"
#include "config.h"
#include "mbox.h"
#include "mime_cache.h"
#include "mime_parse.h"
#include "mime_part.h"
#include "quota.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct recon_run {
	struct store *st;
	bool check_only;
	unsigned int mailboxes;
	unsigned int repaired;
	unsigned int failed;
	const char *only_mailbox;	/* NULL: every mailbox of the user */
	const char *user;
	struct buf names;		/* NUL-separated names and IDs */
};

static void recon_cache_build(const char *data, size_t size, struct buf *out)
{
	struct mime_part *root = mime_parse(data, size, NULL, NULL);

	mime_cache_write(root, data, size, out);
	mime_part_free(&root);
}

static bool recon_cache_check(const void *data, size_t len, uint64_t size,
			      size_t *fields_size_r)
{
	struct mime_cache *cache = NULL;
	const char *error;
	/* An older record reads, but is rewritten: that is the upgrade. */
	bool ok = mime_cache_is_current(data, len) &&
		mime_cache_read(data, len, (size_t)size, &cache, &error) == 0;

	mime_cache_free(&cache);
	*fields_size_r = ok ? mime_cache_fields_size(data, len, (size_t)size) :
		0;
	return ok;
}

static void recon_collect(void *ctx, const struct store_mailbox *mb)
{
	struct recon_run *run = ctx;

	if (run->only_mailbox != NULL && strcmp(run->only_mailbox, mb->name) != 0)
		return;
	buf_append(&run->names, mb->name, strlen(mb->name) + 1);
	buf_append(&run->names, mb->id, strlen(mb->id) + 1);
	buf_append(&run->names, &mb->uidvalidity, sizeof(mb->uidvalidity));
}

static void recon_print(struct recon_run *run, const char *name,
			const struct mbox_reconstruct_report *r, bool missing)
{
	struct buf what = BUF_INIT;

	if (missing)
		buf_printf(&what, ", folder missing (recreated empty)");
	if (r->added)
		buf_printf(&what, ", %u added", r->added);
	if (r->removed)
		buf_printf(&what, ", %u removed", r->removed);
	if (r->leftovers)
		buf_printf(&what, ", %u expunged files deleted", r->leftovers);
	if (r->resized)
		buf_printf(&what, ", %u sizes fixed", r->resized);
	if (r->recached)
		buf_printf(&what, ", %u cache entries rebuilt", r->recached);
	if (r->refielded)
		buf_printf(&what, ", %u header field entries written",
			   r->refielded);
	if (r->header_fixed)
		buf_printf(&what, ", index rebuilt");
	if (what.len == 0) {
		printf("%s/%s: ok\n", run->user, name);
	} else {
		printf("%s/%s: %s: %s\n", run->user, name,
		       run->check_only ? "needs repair" : "repaired",
		       buf_cstr(&what) + 2);
		run->repaired++;
	}
	buf_free(&what);
}

static void recon_mailbox(struct recon_run *run, const char *name,
			  const char *id, uint32_t uidvalidity)
{
	struct mbox_reconstruct_report r;
	char *dir = store_mailbox_dir(run->st, run->user, id);
	const char *error;
	struct stat st;
	bool missing = false;

	run->mailboxes++;
	memset(&r, 0, sizeof(r));
	if (stat(dir, &st) < 0 && errno == ENOENT) {
		missing = true;
		if (!run->check_only &&
		    mbox_create(dir, uidvalidity, &error) < 0) {
			fprintf(stderr, "%s/%s: %s\n", run->user, name, error);
			run->failed++;
		}
	} else if (mbox_reconstruct(dir, uidvalidity, recon_cache_build,
				    recon_cache_check, run->check_only, &r,
				    &error) < 0) {
		fprintf(stderr, "%s/%s: %s\n", run->user, name, error);
		run->failed++;
		free(dir);
		return;
	}
	recon_print(run, name, &r, missing);
	free(dir);
}

/* Folders in the user's directory that no mailbox names. */
static void recon_orphans(struct recon_run *run)
{
	struct buf userdir = BUF_INIT;
	DIR *d;
	struct dirent *de;

	buf_printf(&userdir, "%s/%s", store_root(run->st), run->user);
	d = opendir(buf_cstr(&userdir));
	while (d != NULL && (de = readdir(d)) != NULL) {
		const char *p = run->names.data, *end = p + run->names.len;
		bool known = false;

		if (de->d_name[0] == '.')
			continue;
		while (p != NULL && p < end) {
			const char *id = p + strlen(p) + 1;

			known |= strcmp(id, de->d_name) == 0;
			p = id + strlen(id) + 1 + sizeof(uint32_t);
		}
		if (known)
			continue;
		if (strstr(de->d_name, ".deleted") != NULL) {
			struct buf path = BUF_INIT;

			printf("%s: %s the remains of a deleted mailbox (%s)\n",
			       run->user, run->check_only ? "would remove" :
			       "removed", de->d_name);
			buf_printf(&path, "%s/%s", buf_cstr(&userdir), de->d_name);
			if (!run->check_only)
				store_discard_dir(buf_cstr(&path));
			buf_free(&path);
			run->repaired++;
		} else {
			printf("%s: folder %s belongs to no mailbox; left alone\n",
			       run->user, de->d_name);
		}
	}
	if (d != NULL)
		closedir(d);
	buf_free(&userdir);
}

static void recon_user(struct recon_run *run, const char *user,
		       const char *mailbox)
{
	const char *error, *p, *end;

	run->user = user;
	run->only_mailbox = mailbox;
	buf_clear(&run->names);
	if (store_mailbox_list(run->st, user, recon_collect, run, &error) < 0) {
		fprintf(stderr, "%s: %s\n", user, error);
		run->failed++;
		return;
	}
	if (mailbox != NULL && run->names.len == 0) {
		fprintf(stderr, "%s/%s: no such mailbox\n", user, mailbox);
		run->failed++;
		return;
	}
	p = run->names.data;
	end = p + run->names.len;
	while (p != NULL && p < end) {
		const char *id = p + strlen(p) + 1;
		uint32_t uv;

		memcpy(&uv, id + strlen(id) + 1, sizeof(uv));
		recon_mailbox(run, p, id, uv);
		p = id + strlen(id) + 1 + sizeof(uv);
	}
	if (mailbox == NULL)
		recon_orphans(run);
}

/* The quota counters: recounted from the (now repaired) indexes. */
static void recon_quota(struct recon_run *run, const char *user)
{
	struct quota_record old, now;
	struct quota_limits lim;
	const char *error;
	int ret;

	if (run->check_only) {
		ret = store_quota_get(run->st, user, &old, &lim, &error);
		now = old;
		if (ret > 0)
			ret = store_user_usage(run->st, user, &now.bytes,
					       &now.messages, &error);
	} else {
		ret = store_quota_recount(run->st, user, &old, &now, &error);
	}
	if (ret < 0) {
		fprintf(stderr, "%s: quota: %s\n", user, error);
		run->failed++;
		return;
	}
	if (old.bytes == now.bytes && old.messages == now.messages) {
		printf("%s: quota: ok\n", user);
		return;
	}
	printf("%s: quota: %s: %llu messages, %llu bytes (counted %llu, "
	       "%llu)\n", user, run->check_only ? "needs repair" : "repaired",
	       (unsigned long long)now.messages,
	       (unsigned long long)now.bytes,
	       (unsigned long long)old.messages,
	       (unsigned long long)old.bytes);
	run->repaired++;
}

static void recon_collect_user(void *ctx, const char *user)
{
	struct buf *users = ctx;

	buf_append(users, user, strlen(user) + 1);
}

int cli_reconstruct(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct recon_run run;
	struct buf users = BUF_INIT;
	const char *path = NULL, *error;
	struct config *cfg;
	int c, i, ret;

	memset(&run, 0, sizeof(run));
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': run.check_only = true; break;
		case 'h':
			printf("usage: sealpost reconstruct [--config FILE] "
			       "[--check] [USER | USER/MAILBOX]...\n"
			       "Rebuilds indexes and caches from the message "
			       "files and reports what it changed.\n");
			return 0;
		default:
			return CLI_EX_USAGE;
		}
	}
	ret = cli_store_begin(path, &cfg, &run.st);
	if (ret != 0)
		return ret;
	if (optind == argc &&
	    store_user_list(run.st, recon_collect_user, &users, &error) < 0) {
		fprintf(stderr, "sealpost reconstruct: %s\n", error);
		run.failed++;
	}
	/* The shared mailboxes (boards) are reconstructed with the users;
	 * "Shared" names them on the command line. */
	if (optind == argc)
		buf_append(&users, STORE_SHARED_OWNER,
			   strlen(STORE_SHARED_OWNER) + 1);
	for (i = optind; i < argc; i++) {
		if (strncmp(argv[i], CLI_SHARED, strlen(CLI_SHARED)) == 0 &&
		    (argv[i][strlen(CLI_SHARED)] == '\0' ||
		     argv[i][strlen(CLI_SHARED)] == '/')) {
			buf_append_str(&users, STORE_SHARED_OWNER);
			buf_append(&users, argv[i] + strlen(CLI_SHARED),
				   strlen(argv[i] + strlen(CLI_SHARED)) + 1);
		} else {
			buf_append(&users, argv[i], strlen(argv[i]) + 1);
		}
	}
	for (const char *u = users.data; u != NULL && u < users.data + users.len;
	     u += strlen(u) + 1) {
		char *user = xstrdup(u), *slash = strchr(user, '/');

		if (slash != NULL)
			*slash++ = '\0';
		if (!store_owner_is_shared(user) &&
		    store_user_exists(run.st, user, &error) != 1) {
			fprintf(stderr, "sealpost reconstruct: no user '%s'\n",
				user);
			run.failed++;
		} else {
			recon_user(&run, user, slash);
			recon_quota(&run, user);
		}
		free(user);
	}
	printf("%u mailboxes, %u %s\n", run.mailboxes, run.repaired,
	       run.check_only ? "need repair" : "repaired");
	buf_free(&users);
	buf_free(&run.names);
	cli_store_end(&cfg, &run.st);
	if (run.failed > 0)
		return 1;
	return run.check_only && run.repaired > 0 ? 1 : 0;
}
