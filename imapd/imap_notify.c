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

struct imap_notify_watch {
	struct imap_notify *n;
	int wd;
	bool pending;
	imap_notify_fn *fn;
	void *ctx;
	struct imap_notify_watch *next;
};

struct imap_notify {
	int fd;
	struct event_io *io;
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

struct imap_notify *imap_notify_new(struct event_loop *loop)
{
	struct imap_notify *n = xcalloc(1, sizeof(*n));

	n->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (n->fd < 0) {
		log_warn("inotify_failed", "reason=%s", strerror(errno));
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
	if (n->fd >= 0)
		close(n->fd);
	free(n);
	*np = NULL;
}

struct imap_notify_watch *imap_notify_add(struct imap_notify *n,
					  const char *path, imap_notify_fn *fn,
					  void *ctx)
{
	struct imap_notify_watch *w;
	int wd;

	if (n->fd < 0)
		return NULL;
	/* The same file gives the same descriptor to every session.
	 * IN_ATTRIB comes when the file is unlinked: its mailbox was
	 * deleted, which an IDLE session must hear of too. */
	wd = inotify_add_watch(n->fd, path, IN_MODIFY | IN_ATTRIB);
	if (wd < 0) {
		log_warn("inotify_failed", "path=%s reason=%s", path,
			 strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->n = n;
	w->wd = wd;
	w->fn = fn;
	w->ctx = ctx;
	w->next = n->watches;
	n->watches = w;
	return w;
}

void imap_notify_remove(struct imap_notify_watch **wp)
{
	struct imap_notify_watch *w = *wp, **pp, *o;
	bool shared = false;

	if (w == NULL)
		return;
	for (pp = &w->n->watches; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	for (o = w->n->watches; o != NULL; o = o->next)
		shared |= o->wd == w->wd;
	if (!shared)
		(void)inotify_rm_watch(w->n->fd, w->wd);
	free(w);
	*wp = NULL;
}
