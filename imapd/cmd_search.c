/* SEARCH and UID SEARCH (RFC 9051 section 6.4.4), with ESEARCH (RFC 4731)
 * and SEARCHRES (RFC 5182). */
#include "imapd/cmd_search.h"
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_copy.h"
#include "imapd/imap_message.h"
#include "imapd/imap_search_eval.h"
#include "imapd/imap_search_parse.h"
#include "imapd/imap_selected.h"
#include "imapd/imapd.h"

#include "event.h"
#include "mbox_cache_window.h"

#include <stdlib.h>
#include <time.h>

void cmd_search_esearch(struct imap_client *c, const struct imap_command *cmd,
			unsigned int returns, const uint32_t *res, size_t n,
			uint64_t modseq)
{
	struct buf line = BUF_INIT;

	buf_printf(&line, "* ESEARCH (TAG \"%s\")", cmd->tag);
	if (cmd->uid)
		buf_append_str(&line, " UID");
	if ((returns & IMAP_SEARCH_RETURN_MIN) && n > 0)
		buf_printf(&line, " MIN %u", res[0]);
	if ((returns & IMAP_SEARCH_RETURN_MAX) && n > 0)
		buf_printf(&line, " MAX %u", res[n - 1]);
	if (returns & IMAP_SEARCH_RETURN_COUNT)
		buf_printf(&line, " COUNT %zu", n);
	if ((returns & IMAP_SEARCH_RETURN_ALL) && n > 0) {
		buf_append_str(&line, " ALL ");
		imap_copy_uidset(res, n, &line);
	}
	if (modseq > 0)
		buf_printf(&line, " MODSEQ %llu", (unsigned long long)modseq);
	imap_client_send(c, "%s", buf_cstr(&line));
	buf_free(&line);
}

/* RFC 5182: "$" refers to messages, so the result is kept as UIDs.  With
 * MIN or MAX only those are kept (section 2.4), with ALL or COUNT the
 * whole result. */
void cmd_search_save(struct imap_selected *sel, const struct imap_command *cmd,
		     unsigned int returns, const uint32_t *res, size_t n)
{
	bool only_ends = (returns & (IMAP_SEARCH_RETURN_MIN |
				     IMAP_SEARCH_RETURN_MAX)) != 0 &&
		(returns & (IMAP_SEARCH_RETURN_ALL |
			    IMAP_SEARCH_RETURN_COUNT)) == 0;
	size_t i;

	free(sel->saved);
	sel->saved = xcalloc(n + 1, sizeof(*sel->saved));
	sel->saved_count = 0;
	for (i = 0; i < n; i++) {
		if (only_ends &&
		    !(i == 0 && (returns & IMAP_SEARCH_RETURN_MIN)) &&
		    !(i == n - 1 && (returns & IMAP_SEARCH_RETURN_MAX)))
			continue;
		sel->saved[sel->saved_count++] = cmd->uid ? res[i] :
			sel->msgs[res[i] - 1].uid;
	}
}

/* A SEARCH running over the messages of the selection, a slice at a time
 * (man imapd.8, "Searching").  The session's own view (sequence numbers,
 * flags, expunges) changes only when the session syncs, which no command
 * does while a SEARCH runs, so every slice sees the same mailbox. */
struct search_ctx {
	struct imap_search *search;
	uint32_t *res;
	size_t n;		/* matches so far */
	size_t next;		/* the next message to look at */
	uint64_t modseq;
	bool want_modseq;
	struct event_timer *timer;
	struct mbox_cache_window window;
	/* Files read ahead (see search_read_ahead()). */
	bool reads_files;
	bool reading_ahead;
	unsigned int slow;	/* slow messages, less the fast ones since */
	size_t ahead;		/* messages below this were asked for */
};

/* Messages looked at between two looks at the clock. */
#define SEARCH_CLOCK_EVERY 16
/* Message files asked for ahead of the one being read, when reading from
 * the disk: enough to keep a disk's queue busy, few enough that the pages
 * are still cached when their turn comes.  A constant: 512 was no faster
 * than 32 on a BODY search of 100,000 files on a virtio disk, where each
 * file's read is a request of its own (files are not merged across
 * posix_fadvise() calls) and submitting them, not the queue's depth,
 * bounds the search. */
#define SEARCH_READ_AHEAD 32
/* A message that took this long (microseconds) was read from the disk;
 * reading ahead starts after a few more slow messages than fast ones (one
 * slow message alone may have been a busy CPU's doing). */
#define SEARCH_SLOW_MESSAGE_US 500
#define SEARCH_SLOW_MESSAGES 4

static void search_ctx_free(struct imap_client *c)
{
	struct search_ctx *s = c->cmd_ctx;

	if (s == NULL)
		return;
	event_timer_remove(&s->timer);
	mbox_cache_window_free(&s->window);
	free(s->res);
	imap_search_free(&s->search);
	free(s);
	c->cmd_ctx = NULL;
}

static uint64_t search_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A BODY search of a mailbox that is not in the page cache waits for the
 * disk one file at a time; asking the kernel for the next files keeps
 * several reads in flight.  It starts only once a message was slow to
 * read, so a search of a cached mailbox pays nothing for it. */
static void search_read_ahead(struct search_ctx *s,
			      const struct imap_selected *sel)
{
	size_t end = s->next + SEARCH_READ_AHEAD;

	if (end > sel->count)
		end = sel->count;
	if (s->ahead <= s->next)
		s->ahead = s->next + 1;
	for (; s->ahead < end; s->ahead++) {
		if (!(sel->state[s->ahead] & IMAP_MSG_EXPUNGED))
			imap_message_prefetch(sel->mbox,
					      sel->msgs[s->ahead].uid);
	}
}

static void search_finish(struct imap_client *c, const struct imap_command *cmd)
{
	struct search_ctx *s = c->cmd_ctx;
	struct imap_selected *sel = c->sel;
	unsigned int returns;
	size_t i;

	returns = s->search->has_return ? s->search->returns :
		IMAP_SEARCH_RETURN_ALL;
	if (returns & IMAP_SEARCH_RETURN_SAVE)
		cmd_search_save(sel, cmd, returns, s->res, s->n);
	if (s->search->has_return || (c->enabled & IMAP_ENABLED_IMAP4REV2)) {
		/* RFC 5182 section 2.4: SAVE alone gives no ESEARCH. */
		if (returns != IMAP_SEARCH_RETURN_SAVE)
			cmd_search_esearch(c, cmd, returns, s->res, s->n,
					   s->modseq);
	} else {
		struct buf line = BUF_INIT;

		buf_append_str(&line, "* SEARCH");
		for (i = 0; i < s->n; i++)
			buf_printf(&line, " %u", s->res[i]);
		if (s->modseq > 0)
			buf_printf(&line, " (MODSEQ %llu)",
				   (unsigned long long)s->modseq);
		buf_append_str(&line, "\r\n");
		imap_client_write(c, line.data, line.len);
		buf_free(&line);
	}
	imap_client_done(c, "OK SEARCH completed");
}

/* Looks at messages for one slice; the timer brings it back for the next
 * once the loop has served the other sessions. */
static void search_run(struct imap_client *c)
{
	struct search_ctx *s = c->cmd_ctx;
	struct imap_selected *sel = c->sel;
	const struct imap_command *cmd = c->cmd;
	uint64_t slice = (uint64_t)c->daemon->set.imap_search_slice_ms * 1000;
	uint64_t start = search_now_us(), t0 = 0;
	size_t done = 0;
	bool match;

	while (s->next < sel->count) {
		size_t i = s->next;

		if (s->reading_ahead)
			search_read_ahead(s, sel);
		if (s->reads_files && !s->reading_ahead)
			t0 = search_now_us();
		s->next++;
		match = imap_search_eval(sel, s->search, i, &s->window);
		if (s->reads_files && !s->reading_ahead) {
			if (search_now_us() - t0 >= SEARCH_SLOW_MESSAGE_US)
				s->reading_ahead =
					++s->slow >= SEARCH_SLOW_MESSAGES;
			else if (s->slow > 0)
				s->slow--;
		}
		if (match) {
			s->res[s->n++] = cmd->uid ? sel->msgs[i].uid :
				(uint32_t)i + 1;
			/* The highest mod-sequence of the matches (3.1.5). */
			if (s->want_modseq && sel->msgs[i].modseq > s->modseq)
				s->modseq = sel->msgs[i].modseq;
		}
		done++;
		if (s->next < sel->count &&
		    (slice == 0 || (done % SEARCH_CLOCK_EVERY == 0 &&
				    search_now_us() - start >= slice))) {
			event_timer_reset(s->timer);
			return;
		}
	}
	search_finish(c, cmd);
}

static void search_on_timer(void *ctx)
{
	struct imap_client *c = ctx;

	imap_client_ref(c);
	if (!c->closing && c->cmd_ctx != NULL)
		search_run(c);
	imap_client_unref(c);
}

void cmd_search(struct imap_client *c, const struct imap_command *cmd)
{
	struct imap_selected *sel = c->sel;
	struct imap_search *search = NULL;
	struct imap_search_limits limits = imap_search_default_limits;
	enum imap_search_parse_result r;
	struct search_ctx *s;
	const char *error;
	unsigned int returns;

	limits.max_depth = c->daemon->set.imap_max_list_depth;
	r = imap_search_parse(cmd->args, 0, &limits, &search, &error);
	/* RFC 6855 section 3: after ENABLE UTF8=ACCEPT a charset
	 * specification conflicts with the session's own. */
	if ((c->enabled & IMAP_ENABLED_UTF8) != 0 &&
	    (r == IMAP_SEARCH_PARSE_BADCHARSET ||
	     (r == IMAP_SEARCH_PARSE_OK && search->charset != NULL))) {
		imap_search_free(&search);
		imap_client_done_plain(c, "BAD No CHARSET after ENABLE "
				       "UTF8=ACCEPT");
		return;
	}
	if (r == IMAP_SEARCH_PARSE_BADCHARSET) {
		const struct imap_arg *list;

		/* RFC 5182 section 2.1: a SAVE answered NO empties "$". */
		if (imap_arg_atom_equals(cmd->args, "RETURN") &&
		    imap_arg_get_list(&cmd->args[1], &list, NULL) &&
		    imap_search_parse_return(list, &returns, &error) == 0 &&
		    (returns & IMAP_SEARCH_RETURN_SAVE) != 0)
			cmd_search_save(sel, cmd, returns, NULL, 0);
		imap_client_done(c, "NO [%s] Unsupported charset",
				 IMAP_SEARCH_BADCHARSET_CODE);
		return;
	}
	if (r != IMAP_SEARCH_PARSE_OK) {
		imap_client_done_plain(c, "BAD %s", error);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->search = search;
	s->want_modseq = imap_search_has_key(&search->root,
					     IMAP_SEARCH_MODSEQ);
	s->reads_files = imap_search_reads_files(search);
	if (s->want_modseq)
		imap_condstore_enable(c);
	s->res = xcalloc(sel->count + 1, sizeof(*s->res));
	s->timer = event_timer_add(c->daemon->loop, 0, 0, search_on_timer, c);
	event_timer_stop(s->timer);
	c->cmd_ctx = s;
	c->cmd_ctx_free = search_ctx_free;
	search_run(c);
}
