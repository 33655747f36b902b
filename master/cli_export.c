/*
 * sealpost export USER[:MAILBOX] --format mbox|maildir DEST: a mailbox of
 * the store written out as an mbox file (mboxrd) or a Maildir, read from a
 * snapshot of the mailbox (the same view IMAP's SELECT takes), so it is
 * safe while the daemons run.
 *
 * What is kept: flags (mbox: Status/X-Status; Maildir: the info letters),
 * internal dates (mbox: the "From " line, in UTC; Maildir: the files'
 * mtime), UIDs (mbox: X-UID; Maildir: ",U=" in the file name), keywords
 * (mbox only: X-Keywords).  Line endings become LF, as both formats want.
 */
#include "cli.h"
#include "cli_mailfile.h"
#include "buf.h"
#include "config.h"
#include "mbox.h"
#include "privs.h"
#include "store.h"
#include "master/master_settings.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Output is written out whenever this much is buffered. */
#define EXPORT_FLUSH_SIZE (1024 * 1024)
#define EXPORT_PROGRESS_EVERY 500

static const char cli_export_usage[] =
	"usage: sealpost export [--config FILE] --format mbox|maildir USER[:MAILBOX] DEST\n"
	"Writes MAILBOX (default INBOX) to DEST: a new mbox file (mboxrd, with\n"
	"Status, X-Status, X-Keywords and X-UID) or a Maildir (flags in the\n"
	"file names, UIDs as ,U=, internal dates as the files' times).\n"
	"'sealpost import' reads either back.\n";

static int export_write_all(int fd, const struct buf *b, const char **error_r)
{
	if (cli_mailfile_write_all(fd, b->data, b->len) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	return 0;
}

/* The address of the message's Return-Path, for the "From " line. */
static void export_sender(const char *p, size_t len, struct buf *out)
{
	size_t pos = 0;

	while (pos < len && p[pos] != '\r' && p[pos] != '\n') {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - p) : len;

		if (end - pos > 12 && strncasecmp(p + pos, "Return-Path:", 12) == 0) {
			const char *lt = memchr(p + pos, '<', end - pos);
			const char *gt = lt != NULL ?
				memchr(lt, '>', (size_t)(p + end - lt)) : NULL;
			size_t i;

			if (lt != NULL && gt != NULL && gt > lt + 1) {
				for (i = 1; lt + i < gt; i++) {
					if (lt[i] == ' ' || lt[i] == '\t')
						break;
				}
				if (lt + i == gt)
					buf_append(out, lt + 1, (size_t)(gt - lt - 1));
			}
			break;
		}
		pos = nl != NULL ? end + 1 : len;
	}
	if (out->len == 0)
		buf_append_str(out, "MAILER-DAEMON");
}

static void export_meta(const struct mbox_view *view,
			const struct mbox_record *rec, struct buf *out)
{
	unsigned int k;
	bool first = true;

	cli_mailfile_status_write(rec->flags, out);
	for (k = 0; k < view->keyword_count; k++) {
		if (!(rec->keywords & (1ULL << k)))
			continue;
		buf_printf(out, "%s%s", first ? "X-Keywords: " : " ",
			   view->keywords[k]);
		first = false;
	}
	if (!first)
		buf_append_char(out, '\n');
	buf_printf(out, "X-UID: %u\n", rec->uid);
}

/* Appends the message with LF line endings; for mbox, with the metadata
 * fields at the end of the header and mboxrd's quoting of "From " lines
 * (any line of '>'s then "From " gets one more '>'). */
static void export_lines(const char *p, size_t len, bool mbox,
			 const struct mbox_view *view,
			 const struct mbox_record *rec, struct buf *out)
{
	bool header = mbox;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - p) : len, line = end, q;

		if (line > pos && p[line - 1] == '\r')
			line--;
		if (header && line == pos) {
			export_meta(view, rec, out);
			header = false;
		}
		for (q = pos; mbox && q < line && p[q] == '>'; q++)
			;
		if (mbox && line - q >= 5 && memcmp(p + q, "From ", 5) == 0)
			buf_append_char(out, '>');
		buf_append(out, p + pos, line - pos);
		if (nl != NULL)
			buf_append_char(out, '\n');
		pos = nl != NULL ? end + 1 : len;
	}
	if (header)	/* a message with no body */
		export_meta(view, rec, out);
}

struct export {
	struct mbox *mb;
	struct mbox_view view;
	int out_fd;		/* the mbox file, or the Maildir */
	bool maildir;
	struct buf out;
	struct cli_progress progress;
};

static int export_mbox_one(struct export *ex, const struct mbox_record *rec,
			   const char *p, size_t len, const char **error_r)
{
	struct buf sender = BUF_INIT;

	export_sender(p, len, &sender);
	buf_printf(&ex->out, "From %s ", buf_cstr(&sender));
	cli_mailfile_asctime(rec->internal_date, &ex->out);
	buf_append_char(&ex->out, '\n');
	export_lines(p, len, true, &ex->view, rec, &ex->out);
	if (len > 0 && p[len - 1] != '\n')
		buf_append_char(&ex->out, '\n');
	buf_append_char(&ex->out, '\n');
	buf_free(&sender);
	if (ex->out.len < EXPORT_FLUSH_SIZE)
		return 0;
	if (export_write_all(ex->out_fd, &ex->out, error_r) < 0)
		return -1;
	buf_clear(&ex->out);
	return 0;
}

/* Maildir's delivery protocol: written in tmp/, then renamed into cur/. */
static int export_maildir_one(struct export *ex, const struct mbox_record *rec,
			      const char *p, size_t len, const char **error_r)
{
	struct buf name = BUF_INIT, tmp = BUF_INIT, cur = BUF_INIT;
	struct timespec times[2];
	int fd, ret = -1;

	buf_printf(&name, "%lld.V%xU%x.sealpost,U=%u:2,",
		   (long long)rec->internal_date, ex->view.uidvalidity,
		   rec->uid, rec->uid);
	cli_mailfile_maildir_letters(rec->flags, &name);
	buf_printf(&tmp, "tmp/%s", buf_cstr(&name));
	buf_printf(&cur, "cur/%s", buf_cstr(&name));
	buf_clear(&ex->out);
	export_lines(p, len, false, &ex->view, rec, &ex->out);
	fd = openat(ex->out_fd, buf_cstr(&tmp),
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = strerror(errno);
		goto out;
	}
	times[0].tv_sec = times[1].tv_sec = (time_t)rec->internal_date;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	if (export_write_all(fd, &ex->out, error_r) < 0)
		;
	else if (futimens(fd, times) < 0 ||
		 renameat(ex->out_fd, buf_cstr(&tmp), ex->out_fd,
			  buf_cstr(&cur)) < 0)
		*error_r = strerror(errno);
	else
		ret = 0;
	if (ret < 0)
		(void)unlinkat(ex->out_fd, buf_cstr(&tmp), 0);
	close(fd);
out:
	buf_free(&name);
	buf_free(&tmp);
	buf_free(&cur);
	return ret;
}

static int export_message(struct export *ex, const struct mbox_record *rec,
			  const char **error_r)
{
	void *map = MAP_FAILED;
	int fd, ret;

	fd = mbox_message_open(ex->mb, rec->uid);
	if (fd < 0)
		return 0;	/* expunged since the snapshot */
	if (rec->size > 0)
		map = mmap(NULL, rec->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (rec->size > 0 && map == MAP_FAILED) {
		*error_r = strerror(errno);
		return -1;
	}
	ret = ex->maildir ?
		export_maildir_one(ex, rec, map != MAP_FAILED ? map : "",
				   rec->size, error_r) :
		export_mbox_one(ex, rec, map != MAP_FAILED ? map : "",
				rec->size, error_r);
	if (map != MAP_FAILED)
		munmap(map, rec->size);
	return ret;
}

/* Creates DEST while still root, when run as root: the postmaster names a
 * place mail_user may not reach.  A Maildir's folders are then given to
 * mail_user, who writes the files. */
static int export_dest_open(struct export *ex, struct config *cfg,
			    const char *dest, const char **error_r)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	struct master_settings ms;
	uid_t uid;
	gid_t gid;
	size_t i;

	if (!ex->maildir) {
		ex->out_fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				  0600);
		if (ex->out_fd < 0)
			*error_r = strerror(errno);
		return ex->out_fd < 0 ? -1 : 0;
	}
	if (mkdir(dest, 0700) < 0 && errno != EEXIST) {
		*error_r = strerror(errno);
		return -1;
	}
	ex->out_fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ex->out_fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	config_fill(cfg, &master_config_table, &ms);
	if (geteuid() == 0 &&
	    privs_lookup(ms.mail_user, &uid, &gid, error_r) < 0)
		return -1;
	if (geteuid() == 0 && fchown(ex->out_fd, uid, gid) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if ((mkdirat(ex->out_fd, subs[i], 0700) < 0 && errno != EEXIST) ||
		    (geteuid() == 0 &&
		     fchownat(ex->out_fd, subs[i], uid, gid, 0) < 0)) {
			*error_r = strerror(errno);
			return -1;
		}
	}
	return 0;
}

static int export_run(struct export *ex, struct store *st, const char *user,
		      const char *mailbox, const char **error_r)
{
	size_t i;
	int ret;

	ret = store_mailbox_open(st, user, mailbox, &ex->mb, error_r);
	if (ret == 0)
		*error_r = "no such mailbox";
	if (ret <= 0)
		return -1;
	if (mbox_view_load(ex->mb, &ex->view, error_r) < 0 ||
	    mbox_sync(ex->mb, &ex->view, NULL, NULL, error_r) < 0)
		return -1;
	cli_progress_init(&ex->progress, "export", ex->view.count, false);
	for (i = 0; i < ex->view.count; i++) {
		if (export_message(ex, &ex->view.records[i], error_r) < 0)
			return -1;
		if ((i + 1) % EXPORT_PROGRESS_EVERY == 0)
			cli_progress_step(&ex->progress, i + 1, 0);
	}
	if (!ex->maildir && export_write_all(ex->out_fd, &ex->out, error_r) < 0)
		return -1;
	if (fsync(ex->out_fd) < 0 && !ex->maildir) {
		*error_r = strerror(errno);
		return -1;
	}
	/* The Maildir's files: one syncfs rather than one fsync each. */
	if (ex->maildir && syncfs(ex->out_fd) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	cli_progress_end(&ex->progress, ex->view.count, 0);
	return 0;
}

int cli_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char user[CLI_MAILFILE_USER_MAX + 1];
	const char *path = NULL, *format = NULL, *mailbox, *error = "";
	struct export ex;
	struct config *cfg;
	struct store *st;
	int c, ret = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:f:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': format = optarg; break;
		case 'h': printf("%s", cli_export_usage); return 0;
		default: fprintf(stderr, "%s", cli_export_usage); return CLI_EX_USAGE;
		}
	}
	if (argc - optind != 2 || format == NULL ||
	    (strcmp(format, "mbox") != 0 && strcmp(format, "maildir") != 0) ||
	    cli_mailfile_target(argv[optind], user, &mailbox) < 0 ||
	    store_user_name_check(user, &error) < 0) {
		fprintf(stderr, "%s", cli_export_usage);
		return CLI_EX_USAGE;
	}
	cfg = cli_load_config(path, NULL, 0);
	if (cfg == NULL)
		return 1;
	memset(&ex, 0, sizeof(ex));
	ex.out_fd = -1;
	ex.maildir = strcmp(format, "maildir") == 0;
	if (export_dest_open(&ex, cfg, argv[optind + 1], &error) < 0) {
		fprintf(stderr, "sealpost export: %s: %s\n", argv[optind + 1],
			error);
	} else if ((st = cli_open_store(cfg)) != NULL) {
		ret = export_run(&ex, st, user, mailbox, &error);
		if (ret < 0)
			fprintf(stderr, "sealpost export: %s:%s: %s\n", user,
				mailbox, error);
		mbox_view_free(&ex.view);
		mbox_close(&ex.mb);
		store_close(&st);
	}
	if (ex.out_fd >= 0)
		close(ex.out_fd);
	buf_free(&ex.out);
	config_free(&cfg);
	return ret < 0 ? 1 : 0;
}
