#include "imapd/imap_notify.h"
#include "buf.h"
#include "event.h"
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* How often a watch the kernel refused is looked at instead. */
#define IMAP_NOTIFY_POLL_MS 1000

struct imap_notify_watch {
	struct imap_notify *n;
	int wd;			/* -1: polled (the kernel refused a watch) */
	bool pending;
	imap_notify_fn *fn;
	void *ctx;
	struct imap_notify_watch *next;
};

struct imap_notify {
	int fd;
	struct event_loop *loop;
	struct event_io *io;
	struct event_timer *poll_timer;	/* while any watch is polled */
	bool warned;
	struct imap_notify_watch *watches;
};

/* Marks every watch of a descriptor, then calls them one at a time from
 * the head of the list: a callback may remove any watch, its own too. */
static void imap_notify_fire(struct imap_notify *n)
{
	struct imap_notify_watch *w;

	for (;;) {
		for (w = n->watches; w != NULL && !w->pending; w = w->next)
			;
		if (w == NULL)
			return;
		w->pending = false;
		w->fn(w->ctx);
	}
}

static void imap_notify_on_read(void *ctx, unsigned int events)
{
	struct imap_notify *n = ctx;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	while ((len = read(n->fd, buf, sizeof(buf))) > 0) {
		ssize_t pos = 0;

		while (pos + (ssize_t)sizeof(struct inotify_event) <= len) {
			const struct inotify_event *ev = (const void *)(buf + pos);
			struct imap_notify_watch *w;

			for (w = n->watches; w != NULL; w = w->next) {
				if (w->wd == ev->wd)
					w->pending = true;
			}
			pos += (ssize_t)sizeof(*ev) + ev->len;
		}
	}
	imap_notify_fire(n);
}

/* Every polled watch is called once a second: the callback reads the
 * change log's tail, which costs a stat when nothing changed. */
static void imap_notify_on_poll(void *ctx)
{
	struct imap_notify *n = ctx;
	struct imap_notify_watch *w;
	bool any = false;

	for (w = n->watches; w != NULL; w = w->next) {
		if (w->wd < 0) {
			w->pending = true;
			any = true;
		}
	}
	if (!any)
		event_timer_stop(n->poll_timer);
	imap_notify_fire(n);
}

struct imap_notify *imap_notify_new(struct event_loop *loop, bool poll)
{
	struct imap_notify *n = xcalloc(1, sizeof(*n));

	n->loop = loop;
	if (poll) {
		n->fd = -1;
		n->warned = true;	/* asked for: nothing to warn of */
		return n;
	}
	n->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (n->fd < 0) {
		log_warn("inotify_failed", "reason=%s fallback=poll",
			 strerror(errno));
		n->warned = true;
		return n;
	}
	n->io = event_io_add(loop, n->fd, EVENT_READ, imap_notify_on_read, n);
	return n;
}

void imap_notify_free(struct imap_notify **np)
{
	struct imap_notify *n = *np;

	if (n == NULL)
		return;
	while (n->watches != NULL) {
		struct imap_notify_watch *w = n->watches;

		imap_notify_remove(&w);
	}
	event_io_remove(&n->io);
	event_timer_remove(&n->poll_timer);
	if (n->fd >= 0)
		close(n->fd);
	free(n);
	*np = NULL;
}

/* A watch of `path` on the process's descriptor, or -1 with the file
 * polled instead when the kernel refuses one. */
static int imap_notify_watch_path(struct imap_notify *n, const char *path)
{
	int wd = -1;

	/* The same file gives the same descriptor to every session.
	 * IN_ATTRIB comes when the file is unlinked: its mailbox was
	 * deleted, or the log replaced, which an IDLE session must hear of
	 * too.  When the kernel refuses (its per-user limits), the watch is
	 * polled: a change then reaches IDLE within a second instead of at
	 * once. */
	if (n->fd >= 0)
		wd = inotify_add_watch(n->fd, path, IN_MODIFY | IN_ATTRIB);
	if (wd < 0) {
		if (!n->warned)
			log_warn("inotify_failed", "path=%s reason=%s "
				 "fallback=poll", path,
				 n->fd < 0 ? "no inotify" : strerror(errno));
		n->warned = true;
		if (n->poll_timer == NULL)
			n->poll_timer = event_timer_add(n->loop,
							IMAP_NOTIFY_POLL_MS, 1,
							imap_notify_on_poll, n);
		else
			event_timer_reset(n->poll_timer);
	}
	return wd;
}

/* Drops the kernel's watch `wd` unless another watch of the list shares
 * it. */
static void imap_notify_unwatch(struct imap_notify *n,
				const struct imap_notify_watch *except, int wd)
{
	const struct imap_notify_watch *o;

	if (wd < 0)
		return;
	for (o = n->watches; o != NULL; o = o->next) {
		if (o != except && o->wd == wd)
			return;
	}
	(void)inotify_rm_watch(n->fd, wd);
}

struct imap_notify_watch *imap_notify_add(struct imap_notify *n,
					  const char *path, imap_notify_fn *fn,
					  void *ctx)
{
	struct imap_notify_watch *w;

	w = xcalloc(1, sizeof(*w));
	w->n = n;
	w->wd = imap_notify_watch_path(n, path);
	w->fn = fn;
	w->ctx = ctx;
	w->next = n->watches;
	n->watches = w;
	return w;
}

void imap_notify_rewatch(struct imap_notify_watch *w, const char *path)
{
	int old;

	if (w == NULL || w->wd < 0)
		return;		/* polled, by path */
	/* A mailbox deleted meanwhile has no log any more: the session
	 * finds that out by itself, and the old watch is as good as any. */
	if (access(path, F_OK) < 0)
		return;
	old = w->wd;
	w->wd = imap_notify_watch_path(w->n, path);
	if (w->wd != old)
		imap_notify_unwatch(w->n, w, old);
}

void imap_notify_remove(struct imap_notify_watch **wp)
{
	struct imap_notify_watch *w = *wp, **pp;

	if (w == NULL)
		return;
	for (pp = &w->n->watches; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	imap_notify_unwatch(w->n, NULL, w->wd);
	free(w);
	*wp = NULL;
}
