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
#include "file_batch.h"
#include "file_prefetch.h"
#include "file_readers.h"
#include "log.h"
#include "mbox_cache_window.h"

#include <stdint.h>
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

/* A cached mailbox's files are read this many at a time, each up to
 * SEARCH_BATCH_MAX_SIZE bytes (a bigger one is read alone). */
#define SEARCH_BATCH_FILES 32
#define SEARCH_BATCH_MAX_SIZE (32 * 1024)
/* ...once the files of this many messages in a row were needed. */
#define SEARCH_BATCH_AFTER 8

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
	/* Read ahead by helper threads (imap_search_read_threads), or,
	 * with none or where they cannot be had, from this thread. */
	struct file_readers *readers;
	struct file_prefetch *prefetch;
	const char *read_ahead_method;	/* for the log; NULL: never began */
	size_t prefetched;	/* files asked for */
	size_t kept;		/* ...whose bytes served their turn */
	unsigned int warm_batches;	/* read at once, in a row (this
					 * thread's read-ahead) */
	/* Files of a cached mailbox read many at a time (see
	 * search_batch_read()): messages batch_first.. batch_first +
	 * batch_n - 1. */
	struct imap_search_files files;
	const struct imap_selected *sel;
	bool sampling;		/* one message in SEARCH_COLD_SAMPLE asks the
				 * page cache (search_run()'s `watch`) */
	struct file_batch *batch;
	bool batch_refused;
	size_t batch_first, batch_n;
	size_t last_ask;	/* the last message whose file a key needed */
	unsigned int asks_in_row;	/* ...and how many before it in a row */
	char batch_names[SEARCH_BATCH_FILES][MBOX_MESSAGE_NAME_SIZE];
};

/* Messages looked at between two looks at the clock. */
#define SEARCH_CLOCK_EVERY 16
/* A message whose file was not in the page cache was read from the disk
 * (one message in SEARCH_COLD_SAMPLE is asked); where the kernel cannot
 * tell (no RWF_NOWAIT), one that took this long (microseconds).  Reading ahead starts after a few more slow messages
 * than fast ones (one alone may have been a file evicted by chance, or a
 * busy CPU's doing). */
#define SEARCH_SLOW_MESSAGE_US 500
#define SEARCH_SLOW_MESSAGES 4
/* Where the kernel tells, one message in this many is asked whether its
 * file was cached: the asking read costs a little more than a plain one,
 * and a cold mailbox is found all the same after a few dozen messages. */
#define SEARCH_COLD_SAMPLE 8
/* Reading ahead stops after this many batches in a row were read as soon
 * as they were submitted (they were in the page cache: the cold part of a
 * mailbox is behind), and starts again as above. */
#define SEARCH_WARM_BATCHES 2

static void search_ctx_free(struct imap_client *c)
{
	struct search_ctx *s = c->cmd_ctx;

	if (s == NULL)
		return;
	event_timer_remove(&s->timer);
	file_readers_free(&s->readers);
	file_prefetch_free(&s->prefetch);
	file_batch_free(&s->batch);
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

/* Asks for message i's file ahead; false if it is gone (its turn will
 * say so).  Its bytes are kept for its turn (search_batch_read()); one
 * byte more than the index says is asked for, to see that the size is
 * right; of a bigger file than is kept, the page cache is all it gets. */
static bool search_ask_ahead(struct search_ctx *s,
			     const struct imap_selected *sel, size_t i)
{
	size_t len = (size_t)sel->msgs[i].size + 1;
	int fd;

	if (s->readers != NULL) {
		char name[MBOX_MESSAGE_NAME_SIZE];

		mbox_message_name(sel->msgs[i].uid, name);
		file_readers_add(s->readers, name, len, i);
		return true;
	}
	fd = mbox_message_open(sel->mbox, sel->msgs[i].uid);
	if (fd < 0)
		return false;
	file_prefetch_add_kept(s->prefetch, fd, len, i);
	return true;
}

/* Submits what search_ask_ahead() asked for.  Reading ahead stops after
 * SEARCH_WARM_BATCHES batches' worth of files in a row were found cached:
 * on helper threads, as they tell (file_readers_cached_run(); they go
 * then); from this thread, when a batch's reads were all done inside the
 * call that submitted them (posix_fadvise() cannot tell, so it reads
 * ahead to the end). */
static void search_submit_ahead(struct search_ctx *s, unsigned int batch)
{
	bool warm;

	if (s->readers != NULL) {
		file_readers_submit(s->readers);
		warm = file_readers_cached_run(s->readers) >=
			SEARCH_WARM_BATCHES * batch;
		if (warm)
			file_readers_free(&s->readers);
	} else {
		file_prefetch_submit(s->prefetch);
		if (file_prefetch_uses_uring(s->prefetch) &&
		    file_prefetch_in_flight(s->prefetch) == 0)
			s->warm_batches++;
		else
			s->warm_batches = 0;
		warm = s->warm_batches >= SEARCH_WARM_BATCHES;
	}
	if (warm) {
		s->reading_ahead = false;
		s->slow = 0;
		s->warm_batches = 0;
	}
}

/* A BODY search of a mailbox that is not in the page cache waits for the
 * disk one file at a time; reading the next files ahead (`depth` of them,
 * imap_search_read_ahead) keeps many reads in flight.  It starts only
 * once messages were slow to read, so a search of a cached mailbox pays
 * nothing for it.  Files are asked for a quarter of the depth at a time:
 * reads submitted together reach the disk merged into few requests (the
 * files of a mailbox written in order lie mostly in order), one at a time
 * each is a request of its own, and on a virtual disk every request costs
 * the CPU more than the disk.  Helper threads (imap_search_read_threads),
 * where they can be had, open the files and read them, in batches of
 * their own, while this thread searches (search_read_ahead_begin()). */
static void search_read_ahead(struct search_ctx *s,
			      const struct imap_selected *sel,
			      unsigned int depth)
{
	size_t end = s->next + depth, want;
	unsigned int batch = depth / 4 > 0 ? depth / 4 : 1, room;

	if (end > sel->count)
		end = sel->count;
	if (s->ahead <= s->next)
		s->ahead = s->next + 1;
	if (s->ahead >= end)
		return;
	want = end - s->ahead;
	if (want < batch && end < sel->count)
		return;
	room = s->readers != NULL ? file_readers_room(s->readers) :
		file_prefetch_room(s->prefetch);
	if (room < batch && room < want)
		return;
	for (; s->ahead < end && room > 0; s->ahead++) {
		if ((sel->state[s->ahead] & IMAP_MSG_EXPUNGED) ||
		    !search_ask_ahead(s, sel, s->ahead))
			continue;
		s->prefetched++;
		room--;
	}
	search_submit_ahead(s, batch);
}

/* The bytes of message i when a batch or a kept read ahead
 * (file_prefetch_take()) read them.  While the mailbox's
 * files are in the page cache (no read-ahead running) and the search
 * needs the file of message after message (SEARCH_BATCH_AFTER of them in
 * a row: a search that needs few files, say `UID 5 BODY x`, reads no
 * others), the files of the next SEARCH_BATCH_FILES messages are opened,
 * read and closed through one system call (file_batch.h), where each
 * would take three: on a machine that traps every system call, that was
 * most of a cached BODY search.  Left out of a batch, and read as
 * before: expunged messages, files above SEARCH_BATCH_MAX_SIZE, and,
 * while `sampling`, the messages asked whether their file was cached
 * (one in SEARCH_COLD_SAMPLE), so that a mailbox that turns out cold is
 * still found.  NULL: read it alone. */
static const char *search_batch_read(void *ctx, size_t i)
{
	struct search_ctx *s = ctx;
	const struct imap_selected *sel = s->sel;
	const char *names[SEARCH_BATCH_FILES];
	size_t sizes[SEARCH_BATCH_FILES], k, n;

	s->asks_in_row = s->asks_in_row > 0 && i == s->last_ask + 1 ?
		s->asks_in_row + 1 : 1;
	s->last_ask = i;
	if (i >= s->batch_first && i < s->batch_first + s->batch_n)
		return file_batch_data(s->batch,
				       (unsigned int)(i - s->batch_first));
	if (s->readers != NULL || s->prefetch != NULL) {
		size_t len;
		const char *data = s->readers != NULL ?
			file_readers_take(s->readers, i, &len) :
			file_prefetch_take(s->prefetch, i, &len);

		if (data != NULL && len == (size_t)sel->msgs[i].size) {
			s->kept++;
			return data;
		}
	}
	if (s->reading_ahead || s->batch_refused ||
	    s->asks_in_row <= SEARCH_BATCH_AFTER)
		return NULL;
	if (s->batch == NULL &&
	    (s->batch = file_batch_new(SEARCH_BATCH_FILES,
				       SEARCH_BATCH_MAX_SIZE)) == NULL) {
		s->batch_refused = true;
		return NULL;
	}
	n = sel->count - i < SEARCH_BATCH_FILES ? sel->count - i :
		SEARCH_BATCH_FILES;
	for (k = 0; k < n; k++) {
		size_t j = i + k;

		mbox_message_name(sel->msgs[j].uid, s->batch_names[k]);
		names[k] = s->batch_names[k];
		sizes[k] = (sel->state[j] & IMAP_MSG_EXPUNGED) ||
			(s->sampling && j % SEARCH_COLD_SAMPLE == 0) ?
			SIZE_MAX : (size_t)sel->msgs[j].size;
	}
	file_batch_read(s->batch, mbox_dir_fd(sel->mbox), names, sizes,
			(unsigned int)n);
	s->batch_first = i;
	s->batch_n = n;
	return file_batch_data(s->batch, 0);
}

static void search_finish(struct imap_client *c, const struct imap_command *cmd)
{
	struct search_ctx *s = c->cmd_ctx;
	struct imap_selected *sel = c->sel;
	unsigned int returns;
	size_t i;

	if (s->read_ahead_method != NULL)
		log_info("search_read_ahead", "mailbox=%s count=%zu method=%s "
			 "kept=%zu", sel->info.name, s->prefetched,
			 s->read_ahead_method, s->kept);
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

/* Reading ahead begins (again): on helper threads where they are set and
 * can be had (imap_search_read_threads_max bounds those of all the
 * process's SEARCHes together), else from this thread. */
static void search_read_ahead_begin(struct imap_client *c,
				    struct search_ctx *s, unsigned int depth)
{
	unsigned int threads = c->daemon->set.imap_search_read_threads;

	if (s->readers != NULL || s->prefetch != NULL)
		return;
	if (threads > 0)
		s->readers = file_readers_new(mbox_dir_fd(c->sel->mbox),
				threads, depth,
				c->daemon->set.imap_search_read_threads_max);
	if (s->readers != NULL) {
		s->read_ahead_method = "threads";
		return;
	}
	s->prefetch = file_prefetch_new(depth, FILE_PREFETCH_AUTO);
	s->read_ahead_method = file_prefetch_uses_uring(s->prefetch) ?
		"io_uring" : "fadvise";
}

/* Looks at messages for one slice; the timer brings it back for the next
 * once the loop has served the other sessions. */
static void search_run(struct imap_client *c)
{
	struct search_ctx *s = c->cmd_ctx;
	struct imap_selected *sel = c->sel;
	const struct imap_command *cmd = c->cmd;
	uint64_t slice = (uint64_t)c->daemon->set.imap_search_slice_ms * 1000;
	unsigned int depth = c->daemon->set.imap_search_read_ahead;
	uint64_t start = search_now_us(), t0 = 0, cold0 = 0;
	size_t done = 0;
	bool match, watch = s->reads_files && depth > 0, known = false;

	while (s->next < sel->count) {
		size_t i = s->next;

		if (s->reading_ahead)
			search_read_ahead(s, sel, depth);
		if (watch && !s->reading_ahead) {
			known = imap_message_cold_known();
			if (known) {
				cold0 = imap_message_cold_reads();
				imap_message_check_cold(
					i % SEARCH_COLD_SAMPLE == 0);
			} else {
				t0 = search_now_us();
			}
		}
		s->next++;
		match = imap_search_eval_files(sel, s->search, i, &s->window,
					       s->reads_files ? &s->files :
					       NULL);
		imap_message_check_cold(false);
		if (watch && !s->reading_ahead &&
		    (!known || i % SEARCH_COLD_SAMPLE == 0)) {
			bool slow = known ?
				imap_message_cold_reads() != cold0 :
				search_now_us() - t0 >= SEARCH_SLOW_MESSAGE_US;

			if (slow)
				s->reading_ahead =
					++s->slow >= SEARCH_SLOW_MESSAGES;
			else if (s->slow > 0)
				s->slow--;
			if (s->reading_ahead)
				search_read_ahead_begin(c, s, depth);
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
	s->files.read = search_batch_read;
	s->files.ctx = s;
	s->sel = sel;
	/* As search_run()'s `watch`: the cache is asked only while files
	 * may be read ahead. */
	s->sampling = s->reads_files &&
		c->daemon->set.imap_search_read_ahead > 0;
	if (s->want_modseq)
		imap_condstore_enable(c);
	s->res = xcalloc(sel->count + 1, sizeof(*s->res));
	s->timer = event_timer_add(c->daemon->loop, 0, 0, search_on_timer, c);
	event_timer_stop(s->timer);
	c->cmd_ctx = s;
	c->cmd_ctx_free = search_ctx_free;
	search_run(c);
}
