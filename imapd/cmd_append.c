/* APPEND (see imap_append.h). */
#include "imapd/imap_append.h"
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_commit.h"
#include "imapd/imap_copy.h"
#include "imapd/imap_date.h"
#include "imapd/imap_flags.h"
#include "imapd/imap_acl.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_parser.h"
#include "imapd/imap_selected.h"
#include "imapd/imapd.h"
#include "log.h"
#include "mime_cache.h"
#include "mime_parse.h"
#include "mime_part.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

const char *const imap_append_tmp_prefixes[] = { "imap.", NULL };
/* The N of the next imap.PID.N. */
static unsigned int imap_append_seq;

struct imap_append_msg {
	char *path;
	uint64_t size;
};

struct imap_append {
	struct store_mailbox info;
	unsigned int rights;
	struct imap_append_msg *msgs;
	size_t count;
	int fd;			/* the file being written */
	uint64_t written;
	bool failed;		/* a write failed: answer NO at the end */
};

static void imap_append_close_fd(struct imap_append *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

void imap_append_abort(struct imap_client *c)
{
	struct imap_append *a = c->append;
	size_t i;

	if (a == NULL)
		return;
	imap_append_close_fd(a);
	for (i = 0; i < a->count; i++) {
		(void)unlink(a->msgs[i].path);
		free(a->msgs[i].path);
	}
	free(a->msgs);
	free(a);
	c->append = NULL;
}

/* Refuses the literal and answers the command now. */
static void imap_append_refuse(struct imap_client *c, const char *tag,
			       const char *text)
{
	bool disconnect = imap_parser_literal_refuse(c->parser);

	imap_append_abort(c);
	imap_client_send(c, "%s %s", tag, text);
	if (disconnect)
		imap_client_bye(c, "Too much data to discard");
}

static int imap_append_start(struct imap_client *c,
			     const struct imap_command *cmd)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	const char *arg, *error;
	size_t len;
	int ret;

	if (c->state != IMAP_STATE_AUTH && c->state != IMAP_STATE_SELECTED) {
		imap_append_refuse(c, cmd->tag, "BAD Log in first");
		return -1;
	}
	if (cmd->arg_count < 1 ||
	    !imap_arg_get_astring(&cmd->args[0], &arg, &len)) {
		imap_append_refuse(c, cmd->tag, "BAD Invalid APPEND arguments");
		return -1;
	}
	c->append = xcalloc(1, sizeof(*c->append));
	c->append->fd = -1;
	if (imap_mailbox_name_in(c, arg, name, &error) < 0 ||
	    (ret = imap_acl_lookup(c, name, &c->append->info,
				   &c->append->rights, &error)) == 0) {
		imap_append_refuse(c, cmd->tag, "NO [TRYCREATE] No such mailbox");
		return -1;
	}
	if (ret < 0) {
		log_error("append_failed", "reason=%s", error);
		imap_append_refuse(c, cmd->tag, "NO [SERVERBUG] APPEND failed");
		return -1;
	}
	if (!(c->append->rights & ACL_I)) {
		imap_append_refuse(c, cmd->tag, "NO [NOPERM] Permission denied");
		return -1;
	}
	return 0;
}

void imap_append_literal(struct imap_client *c)
{
	const struct imap_command *cmd = imap_parser_command(c->parser);
	struct imap_append *a;
	struct buf path = BUF_INIT;
	unsigned int tries = 0;
	int fd;

	if (strcmp(cmd->name, "APPEND") != 0) {
		imap_append_refuse(c, cmd->tag, "BAD Unknown command");
		return;
	}
	if (c->append == NULL && imap_append_start(c, cmd) < 0)
		return;
	a = c->append;
	/* A name taken can only be a leftover that came after our start:
	 * the next one. */
	do {
		buf_clear(&path);
		buf_printf(&path, "%s/imap.%ld.%u",
			   store_tmp_dir(c->daemon->store), (long)getpid(),
			   imap_append_seq++);
		fd = open(buf_cstr(&path),
			  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} while (fd < 0 && errno == EEXIST && ++tries < 100);
	if (fd < 0) {
		log_error("append_failed", "path=%s reason=%s", buf_cstr(&path),
			  strerror(errno));
		buf_free(&path);
		imap_append_refuse(c, cmd->tag, "NO [SERVERBUG] APPEND failed");
		return;
	}
	a->msgs = xrealloc(a->msgs, (a->count + 1) * sizeof(*a->msgs));
	a->msgs[a->count].path = buf_steal(&path);
	a->msgs[a->count].size = 0;
	a->count++;
	a->fd = fd;
	a->written = 0;
	imap_parser_literal_stream(c->parser);
}

void imap_append_data(struct imap_client *c, const void *data, size_t size)
{
	struct imap_append *a = c->append;
	const char *p = data;

	if (a == NULL || a->fd < 0)
		return;
	while (size > 0 && !a->failed) {
		ssize_t n = write(a->fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("append_failed", "reason=%s", strerror(errno));
			a->failed = true;
			break;
		}
		p += n;
		size -= (size_t)n;
		a->written += (uint64_t)n;
	}
}

void imap_append_literal_end(struct imap_client *c)
{
	struct imap_append *a = c->append;

	if (a == NULL)
		return;
	a->msgs[a->count - 1].size = a->written;
	imap_append_close_fd(a);
}

/* The cached structure of the message in `path`, written at delivery so
 * FETCH never parses it again. */
static void imap_append_cache(const char *path, uint64_t size, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct mime_part *root;
	void *data = NULL;

	buf_clear(out);
	if (fd < 0)
		return;
	if (size > 0)
		data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return;
	root = mime_parse(data != NULL ? data : "", size, NULL, NULL);
	mime_cache_write(root, data != NULL ? data : "", size, out);
	mime_part_free(&root);
	if (data != NULL)
		munmap(data, size);
}

/* Without group commit: one message is fsync'ed; a MULTIAPPEND batch is
 * flushed with one syncfs() of the store's filesystem, which costs one
 * flush instead of one per message.  (With group commit the commit of
 * the command syncs them with the mailbox's log, see cmd_append().) */
static int imap_append_sync(struct imap_client *c)
{
	struct imap_append *a = c->append;
	int fd, ret = 0;

	if (a->count == 1) {
		fd = open(a->msgs[0].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			ret = -1;
	} else {
		fd = open(store_tmp_dir(c->daemon->store),
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) < 0)
			ret = -1;
	}
	if (ret < 0)
		log_error("append_failed", "reason=%s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

static int16_t imap_append_local_tz(time_t now)
{
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	return (int16_t)(tm.tm_gmtoff / 60);
}

/* One message's optional flag list and date, then its literal.  Parsed
 * flags stay in `flags_r` for the caller to deinit. */
static int imap_append_parse_msg(const struct imap_arg **argp,
				 struct imap_flags *flags_r,
				 struct mbox_new_message *msg,
				 const char **error_r)
{
	const struct imap_arg *arg = *argp, *list;
	const char *date;
	size_t count, len;
	time_t t = time(NULL);
	int tz = imap_append_local_tz(t);

	memset(flags_r, 0, sizeof(*flags_r));
	if (imap_arg_get_list(arg, &list, &count)) {
		if (imap_flags_parse(list, MBOX_MAX_KEYWORDS, flags_r,
				     error_r) < 0)
			return -1;
		arg++;
	}
	if (imap_arg_get_string(arg, &date, &len) &&
	    arg->type == IMAP_ARG_QUOTED) {
		if (imap_datetime_parse(date, &t, &tz) < 0) {
			*error_r = "Invalid date-time";
			return -1;
		}
		arg++;
	}
	msg->internal_date = (int64_t)t;
	msg->tz_minutes = (int16_t)tz;
	msg->flags = imap_flags_to_mbox(flags_r->system);
	/* RFC 6855 section 4: with UTF8=ACCEPT, "UTF8 (~{n}...)" carries
	 * a message with UTF-8 headers, stored like any other. */
	if (imap_arg_atom_equals(arg, "UTF8") &&
	    imap_arg_get_list(arg + 1, &list, &count) && count == 1 &&
	    list[0].type == IMAP_ARG_LITERAL_STREAMED &&
	    (list[0].flags & IMAP_ARG_LITERAL8)) {
		*argp = arg + 2;
		return 0;
	}
	if (arg->type != IMAP_ARG_LITERAL_STREAMED) {
		*error_r = "Expected a message literal";
		return -1;
	}
	*argp = arg + 1;
	return 0;
}

/* The arguments are right and every message was written; else answers
 * and returns -1. */
static int imap_append_check(struct imap_client *c,
			     const struct imap_command *cmd)
{
	struct imap_append *a = c->append;
	const struct imap_arg *arg = cmd->args + 1;
	const char *error = NULL;
	size_t i;

	for (i = 0; i < a->count; i++) {
		struct mbox_new_message msg;
		struct imap_flags flags;
		int ret;

		memset(&msg, 0, sizeof(msg));
		ret = imap_append_parse_msg(&arg, &flags, &msg, &error);
		imap_flags_deinit(&flags);
		if (ret < 0) {
			imap_client_done_plain(c, "BAD %s", error);
			return -1;
		}
	}
	if (arg->type != IMAP_ARG_EOL) {
		imap_client_done_plain(c, "BAD Invalid APPEND arguments");
		return -1;
	}
	if (a->failed) {
		imap_client_fail(c, "APPEND", "writing the message failed");
		return -1;
	}
	return 0;
}

/* Stores the messages in the mailbox and answers: their data durable
 * already (imap_append_sync()), or, with group commit, made durable with
 * the mailbox's log by the commit that holds the answer. */
static void imap_append_commit(struct imap_client *c,
			       const struct imap_command *cmd)
{
	struct imap_append *a = c->append;
	const struct imap_arg *arg;
	struct imap_flags *flags = xcalloc(a->count, sizeof(*flags));
	struct buf *caches = xcalloc(a->count, sizeof(*caches));
	struct mbox_append_result *results = xcalloc(a->count, sizeof(*results));
	uint32_t *uids = xcalloc(a->count, sizeof(*uids));
	const char ***keywords = xcalloc(a->count, sizeof(*keywords));
	struct mbox_append *batch = NULL;
	struct mbox *box = NULL;
	struct buf uidset = BUF_INIT;
	const char *error = NULL;
	char *dir;
	size_t i, k;

	dir = store_mailbox_dir(c->daemon->store, a->info.owner, a->info.id);
	if (mbox_open(dir, &box, &error) < 0) {
		free(dir);
		imap_client_fail(c, "APPEND", error);
		goto out;
	}
	free(dir);
	batch = mbox_append_begin(box);
	arg = cmd->args + 1;
	for (i = 0; i < a->count; i++) {
		struct mbox_new_message msg;

		memset(&msg, 0, sizeof(msg));
		/* Checked by imap_append_check(). */
		(void)imap_append_parse_msg(&arg, &flags[i], &msg, &error);
		/* RFC 4314 section 4: flags the user has no right to are
		 * dropped, the message is still stored. */
		msg.flags = imap_acl_flags_allowed(a->rights, msg.flags);
		keywords[i] = xcalloc(flags[i].keyword_count + 1,
				      sizeof(*keywords[i]));
		for (k = 0; (a->rights & ACL_W) &&
		     k < flags[i].keyword_count; k++)
			keywords[i][k] = flags[i].keywords[k];
		imap_append_cache(a->msgs[i].path, a->msgs[i].size, &caches[i]);
		msg.path = a->msgs[i].path;
		msg.size = a->msgs[i].size;
		msg.keywords = keywords[i];
		msg.cache = caches[i].data;
		msg.cache_size = caches[i].len;
		msg.durable = !mbox_defer_hook_set();
		msg.fields_size = mime_cache_fields_size(caches[i].data,
							 caches[i].len,
							 a->msgs[i].size);
		mbox_append_add(batch, &msg);
	}
	if (mbox_append_commit(&batch, results, &error) < 0) {
		if (mbox_over_quota(box))
			imap_client_done(c, "NO [OVERQUOTA] Quota exceeded");
		else if (error != NULL && strstr(error, "keyword") != NULL)
			imap_client_done(c, "NO [LIMIT] Too many keywords in "
					 "this mailbox");
		else
			imap_client_fail(c, "APPEND", error);
		goto out;
	}
	for (i = 0; i < a->count; i++)
		uids[i] = results[i].uid;
	imap_copy_uidset(uids, a->count, &uidset);
	log_info("append", "mailbox=%s uid=%s count=%zu", a->info.name,
		 buf_cstr(&uidset), a->count);
	/* RFC 4315 section 3: APPENDUID. */
	imap_client_done(c, "OK [APPENDUID %u %s] APPEND completed",
			 a->info.uidvalidity, buf_cstr(&uidset));
out:
	mbox_append_abort(&batch);
	mbox_close(&box);
	for (i = 0; i < a->count; i++) {
		imap_flags_deinit(&flags[i]);
		buf_free(&caches[i]);
		free(keywords[i]);
	}
	free(flags);
	free(caches);
	free(results);
	free(uids);
	free(keywords);
	buf_free(&uidset);
	imap_append_abort(c);
}

void cmd_append(struct imap_client *c, const struct imap_command *cmd)
{
	if (c->append == NULL || c->append->count == 0) {
		/* No literal came: the arguments are wrong. */
		imap_append_abort(c);
		imap_client_done_plain(c, "BAD Invalid APPEND arguments");
		return;
	}
	if (imap_append_check(c, cmd) < 0) {
		imap_append_abort(c);
		return;
	}
	/* Without group commit the messages are made durable before the
	 * mailbox's log says they exist; with it, the commit syncs them
	 * with the log, in one round, before the answer (mbox.h,
	 * mbox_set_defer_hook()). */
	if (!mbox_defer_hook_set() && imap_append_sync(c) < 0) {
		imap_append_abort(c);
		imap_client_fail(c, "APPEND", "syncing the message failed");
		return;
	}
	imap_append_commit(c, cmd);
}
