/* Group commit of an imapd process (see imap_commit.h). */
#include "imapd/imap_commit.h"
#include "imapd/imap_client.h"
#include "imapd/imapd.h"
#include "buf.h"
#include "event.h"
#include "log.h"
#include "mbox.h"
#include "sync_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file one command handed over, as a duplicate descriptor until its
 * commit takes it. */
struct imap_commit_fd {
	int fd;
	enum sync_batch_phase phase;
	bool data_only;
	int item;		/* its number in the commit's batch */
};

/* What one session's command left to do. */
struct imap_commit_entry {
	struct imap_client *client;	/* NULL once it went away */
	struct imap_commit_fd *fds;
	size_t nfds, alloc;
	/* Expunged files to remove once durable: a folder and names. */
	int unlink_dir_fd;
	struct buf unlink_names;	/* NUL-separated */
	/* The usage counters changed unflushed (MBOX_DEFER_USAGE). */
	bool usage;
	bool announce;
	char *text;			/* the held tagged answer */
	int error;			/* an errno, once known */
	struct imap_commit_entry *next;
};

/* The line of commits, one running at a time, on a sync thread of its
 * own: what the commands that ended handed over (answers held). */
struct imap_commit_line {
	struct imap_commit *cm;
	const char *event;		/* logged when a commit is done */
	/* Held, waiting for the next commit, in the order they ended. */
	struct imap_commit_entry *waiting, **waiting_tail;
	/* In the running commit. */
	struct imap_commit_entry *running;
	struct sync_batch *batch;
	unsigned int running_count;
	uint64_t started_ms;
	struct sync_batch_loop *sync;
};

struct imap_commit {
	struct imapd *daemon;
	struct imap_client *current;
	struct imap_commit_line logs;
};

/* One per process: the mbox hook has no other way to find it. */
static struct imap_commit *imap_commit_process;

static struct imap_commit_entry *imap_commit_entry_get(struct imap_client *c)
{
	struct imap_commit_entry *e = c->commit;

	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->client = c;
		e->unlink_dir_fd = -1;
		c->commit = e;
	}
	return e;
}

static void imap_commit_entry_free(struct imap_commit_entry *e)
{
	size_t i;

	for (i = 0; i < e->nfds; i++) {
		if (e->fds[i].fd >= 0)
			close(e->fds[i].fd);
	}
	free(e->fds);
	if (e->unlink_dir_fd >= 0)
		close(e->unlink_dir_fd);
	buf_free(&e->unlink_names);
	free(e->text);
	free(e);
}

static bool imap_commit_same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
		sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool imap_commit_add(struct imap_commit_entry *e, int fd,
			    enum sync_batch_phase phase, bool data_only)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (dup_fd < 0)
		return false;
	if (e->nfds == e->alloc) {
		e->alloc = e->alloc ? e->alloc * 2 : 4;
		e->fds = xrealloc(e->fds, e->alloc * sizeof(*e->fds));
	}
	e->fds[e->nfds].fd = dup_fd;
	e->fds[e->nfds].phase = phase;
	e->fds[e->nfds].data_only = data_only;
	e->fds[e->nfds++].item = -1;
	return true;
}

/* Whether the writers may hand syncs over now: only for a command that is
 * running, on behalf of the session it runs for. */
static struct imap_client *imap_commit_deferrable(struct imap_commit *cm)
{
	struct imap_client *c = cm->current;

	if (c == NULL || c->destroyed || c->cmd == NULL)
		return NULL;
	return c;
}

static int imap_commit_hook(void *ctx, enum mbox_defer_kind kind, int fd,
			    const char *name)
{
	struct imap_commit *cm = ctx;
	struct imap_client *c = imap_commit_deferrable(cm);
	struct imap_commit_entry *e;
	const char *error;

	if (c == NULL)
		return -1;
	e = imap_commit_entry_get(c);
	switch (kind) {
	case MBOX_DEFER_LOG:
		if (imap_commit_add(e, fd, SYNC_BATCH_LOGS, true))
			return 0;
		/* The writer syncs the log itself: the counters it was
		 * promised a flush for must be durable first. */
		if (e->usage && mbox_usage_flush(&error) < 0)
			log_error("quota_update_failed", "reason=%s", error);
		return -1;
	case MBOX_DEFER_FILE:
	case MBOX_DEFER_DIR:
		/* An append's new file and folder: synced with its log, in
		 * one round (the records may reach the disk first: see
		 * mbox_set_defer_hook()). */
		return imap_commit_add(e, fd, SYNC_BATCH_LOGS,
				       kind == MBOX_DEFER_FILE) ? 0 : -1;
	case MBOX_DEFER_UNLINK:
		/* One folder per command (an EXPUNGE, the source of a
		 * MOVE); another one's files go at once. */
		if (e->unlink_dir_fd < 0)
			e->unlink_dir_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (e->unlink_dir_fd < 0 ||
		    !imap_commit_same_file(e->unlink_dir_fd, fd))
			return -1;
		buf_append(&e->unlink_names, name, strlen(name) + 1);
		return 0;
	case MBOX_DEFER_USAGE:
		e->usage = true;
		return 0;
	}
	return -1;
}

static void imap_commit_unlink(struct imap_commit_entry *e)
{
	size_t pos = 0;

	while (pos < e->unlink_names.len) {
		const char *name = e->unlink_names.data + pos;

		(void)unlinkat(e->unlink_dir_fd, name, 0);
		pos += strlen(name) + 1;
	}
}

static void imap_commit_start(struct imap_commit_line *l);

/* Leader and followers: a command that finds no commit running starts one
 * at once, alone; those that end while it runs (the rest of its round,
 * and more while the disk works) wait and go together in the next, which
 * starts as soon as it is done.  Waiting for the end of the round instead
 * would cost every commit a whole round of the loop, which under load is
 * longer than the syncs. */
static void imap_commit_queue(struct imap_commit_line *l,
			      struct imap_commit_entry *e)
{
	e->next = NULL;
	*l->waiting_tail = e;
	l->waiting_tail = &e->next;
	if (l->batch == NULL)
		imap_commit_start(l);
}

bool imap_commit_hold(struct imap_client *c, bool announce, const char *text)
{
	struct imap_commit *cm = imap_commit_process;
	struct imap_commit_entry *e = c->commit;

	if (e == NULL)
		return false;
	if (e->nfds == 0) {
		/* Files to remove, with nothing to make durable first (the
		 * log had nothing to say). */
		imap_commit_unlink(e);
		c->commit = NULL;
		imap_commit_entry_free(e);
		return false;
	}
	c->commit = NULL;
	e->announce = announce;
	e->text = xstrdup(text);
	imap_commit_queue(&cm->logs, e);
	return true;
}

static void imap_commit_line_forget(struct imap_commit_line *l,
				    struct imap_client *c)
{
	struct imap_commit_entry *e;

	for (e = l->waiting; e != NULL; e = e->next) {
		if (e->client == c)
			e->client = NULL;
	}
	for (e = l->running; e != NULL; e = e->next) {
		if (e->client == c)
			e->client = NULL;
	}
}

void imap_commit_forget(struct imap_client *c)
{
	struct imap_commit *cm = imap_commit_process;
	struct imap_commit_entry *e;

	if (cm == NULL)
		return;
	if (c->commit != NULL) {
		/* Ended without an answer: still made durable. */
		e = c->commit;
		c->commit = NULL;
		e->client = NULL;
		if (e->nfds > 0)
			imap_commit_queue(&cm->logs, e);
		else
			imap_commit_entry_free(e);
	}
	imap_commit_line_forget(&cm->logs, c);
	if (cm->current == c)
		cm->current = NULL;
}

/* The usage counters of the commit's appends and expunges, written
 * unflushed, made durable before any of its logs: one flush for all of
 * them, here on the loop (the database is not for other threads), where
 * each command used to flush its own. */
static void imap_commit_usage_flush(struct imap_commit_line *l)
{
	struct imap_commit_entry *e;
	const char *error;
	bool need = false;

	for (e = l->running; e != NULL && !need; e = e->next)
		need = e->usage;
	if (!need || mbox_usage_flush(&error) == 0)
		return;
	log_error("quota_update_failed", "reason=%s", error);
	for (e = l->running; e != NULL; e = e->next) {
		if (e->usage && e->error == 0)
			e->error = EIO;
	}
}

/* Hands the waiting entries, up to the limit, to a new commit. */
static void imap_commit_start(struct imap_commit_line *l)
{
	struct imap_commit_entry *e, **tail = &l->running;
	unsigned int max = l->cm->daemon->set.imap_commit_max_commands;
	size_t i;

	if (l->batch != NULL || l->waiting == NULL)
		return;
	l->batch = sync_batch_new();
	l->running_count = 0;
	while (l->waiting != NULL && l->running_count < max) {
		e = l->waiting;
		l->waiting = e->next;
		e->next = NULL;
		*tail = e;
		tail = &e->next;
		l->running_count++;
		for (i = 0; i < e->nfds; i++) {
			e->fds[i].item = sync_batch_add(l->batch, e->fds[i].fd,
							e->fds[i].phase,
							e->fds[i].data_only);
			if (e->fds[i].item < 0 && e->error == 0)
				e->error = errno;
			/* The batch holds its own duplicate. */
			close(e->fds[i].fd);
			e->fds[i].fd = -1;
		}
	}
	if (l->waiting == NULL)
		l->waiting_tail = &l->waiting;
	l->started_ms = event_loop_now_ms(l->cm->daemon->loop);
	imap_commit_usage_flush(l);
	/* No thread: synced here, and finished from the loop as if it
	 * had run. */
	if (sync_batch_loop_start(l->sync, l->batch) < 0)
		log_warn("commit_thread_failed", "reason=%s", strerror(errno));
}

/* The held answer of a session whose commit is over. */
static void imap_commit_answer(struct imap_commit_entry *e)
{
	struct imap_client *c = e->client;

	if (c == NULL)
		return;
	imap_client_ref(c);
	if (e->error != 0 && strncmp(e->text, "OK", 2) == 0) {
		struct buf text = BUF_INIT;

		log_error("commit_failed", "reason=%s", strerror(e->error));
		buf_printf(&text, "NO [UNAVAILABLE] The change could not be "
			   "saved to disk (%s) and may be lost",
			   strerror(e->error));
		imap_client_finish(c, e->announce, buf_cstr(&text));
		buf_free(&text);
	} else {
		imap_client_finish(c, e->announce, e->text);
	}
	imap_client_unref(c);
}

static void imap_commit_on_done(void *ctx, struct sync_batch *b, int ret)
{
	struct imap_commit_line *l = ctx;
	struct imap_commit *cm = l->cm;
	struct imap_commit_entry *e, *list;
	unsigned int failed = 0;
	size_t i;

	for (e = l->running; e != NULL; e = e->next) {
		for (i = 0; i < e->nfds && e->error == 0; i++)
			e->error = sync_batch_error(l->batch, e->fds[i].item);
		if (e->error != 0)
			failed++;
		else
			imap_commit_unlink(e);
	}
	/* Before any answer goes out: a test can tell the order. */
	log_info(l->event, "commands=%u files=%zu failed=%u "
		 "delay_ms=%llu status=%s", l->running_count,
		 sync_batch_count(l->batch), failed,
		 (unsigned long long)(event_loop_now_ms(cm->daemon->loop) -
				      l->started_ms),
		 ret == 0 ? "ok" : "failed");
	sync_batch_free(&l->batch);
	list = l->running;
	l->running = NULL;
	/* Those that waited meanwhile go to the disk at once. */
	imap_commit_start(&cm->logs);
	while (list != NULL) {
		e = list;
		list = e->next;
		imap_commit_answer(e);
		imap_commit_entry_free(e);
	}
}

static int imap_commit_line_init(struct imap_commit *cm,
				 struct imap_commit_line *l, const char *event)
{
	l->cm = cm;
	l->event = event;
	l->waiting_tail = &l->waiting;
	l->sync = sync_batch_loop_new(cm->daemon->loop, imap_commit_on_done,
				      l);
	return l->sync != NULL ? 0 : -1;
}

/* Waits for the running commit and the ones after it until nothing is
 * left; nobody is answered (the sessions are gone). */
static void imap_commit_line_drain(struct imap_commit_line *l)
{
	struct imap_commit_entry *e;

	while (l->batch != NULL || l->waiting != NULL) {
		if (l->batch == NULL)
			imap_commit_start(l);
		sync_batch_loop_drain(l->sync);
	}
	while ((e = l->waiting) != NULL) {
		l->waiting = e->next;
		imap_commit_entry_free(e);
	}
}

struct imap_commit *imap_commit_new(struct imapd *d)
{
	struct imap_commit *cm;

	if (!d->set.imap_group_commit)
		return NULL;
	cm = xcalloc(1, sizeof(*cm));
	cm->daemon = d;
	if (imap_commit_line_init(cm, &cm->logs, "group_commit") < 0) {
		log_error("commit_setup_failed", "reason=%s", strerror(errno));
		free(cm);
		return NULL;
	}
	imap_commit_process = cm;
	mbox_set_defer_hook(imap_commit_hook, cm);
	return cm;
}

void imap_commit_free(struct imap_commit **cmp)
{
	struct imap_commit *cm = *cmp;

	if (cm == NULL)
		return;
	mbox_set_defer_hook(NULL, NULL);
	/* Sessions are gone by now; what is left is still made durable. */
	imap_commit_line_drain(&cm->logs);
	sync_batch_loop_free(&cm->logs.sync);
	imap_commit_process = NULL;
	free(cm);
	*cmp = NULL;
}

void imap_commit_set_current(struct imap_commit *cm, struct imap_client *c)
{
	if (cm != NULL)
		cm->current = c;
}

struct imap_client *imap_commit_current(const struct imap_commit *cm)
{
	return cm != NULL ? cm->current : NULL;
}
