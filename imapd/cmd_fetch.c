/* FETCH and UID FETCH (RFC 9051 section 6.4.5, BINARY of RFC 3516).
 *
 * The answer is produced a message at a time, and a large literal a piece
 * at a time, while the client reads: a FETCH of a whole mailbox costs the
 * memory of one message's response, and a slow reader holds up nobody but
 * itself. */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_date.h"
#include "imapd/imap_fetch_parse.h"
#include "imapd/imap_message.h"
#include "imapd/imap_selected.h"
#include "imapd/imap_seqset.h"
#include "acl.h"
#include "log.h"
#include "mbox_cache_window.h"
#include "mime_cache.h"
#include "imapd/imap_objectid.h"

#include <stdlib.h>
#include <string.h>

/* Literal bytes queued at a time. */
#define FETCH_LITERAL_CHUNK (64 * 1024)
#define FETCH_OUT_BATCH (16 * 1024)

/* The simple items, in the order they are written; then the sections. */
enum fetch_item {
	FETCH_ITEM_UID,
	FETCH_ITEM_FLAGS,
	FETCH_ITEM_INTERNALDATE,
	FETCH_ITEM_SIZE,
	FETCH_ITEM_ENVELOPE,
	FETCH_ITEM_BODY,
	FETCH_ITEM_BODYSTRUCTURE,
	FETCH_ITEM_MODSEQ,
	FETCH_ITEM_EMAILID,
	FETCH_ITEM_THREADID,
	FETCH_ITEM_SAVEDATE,
	FETCH_ITEM_RFC822_HEADER,
	FETCH_ITEM_RFC822_TEXT,
	FETCH_ITEM_RFC822,
	FETCH_ITEM_SECTIONS,
};

struct fetch_ctx {
	struct imap_fetch *fetch;
	size_t *idx;
	size_t count, pos;
	bool *seen_set;		/* this FETCH set \Seen: report FLAGS */
	bool condstore;		/* ...with UID and MODSEQ (RFC 7162 3.2.4) */
	bool needs_file;
	/* The message being written. */
	bool in_message;
	bool first_item;
	size_t item;
	struct imap_message msg;
	/* The cache entries of the messages, read many at a time. */
	struct mbox_cache_window window;
	struct buf owned;
	const char *lit;
	size_t lit_len;
	bool expunged_seen;
	bool unknown_cte;
	struct buf out;
};

static void fetch_ctx_free(struct imap_client *c)
{
	struct fetch_ctx *f = c->cmd_ctx;

	if (f == NULL)
		return;
	imap_fetch_free(&f->fetch);
	imap_message_deinit(&f->msg);
	mbox_cache_window_free(&f->window);
	buf_free(&f->owned);
	buf_free(&f->out);
	free(f->idx);
	free(f->seen_set);
	free(f);
	c->cmd_ctx = NULL;
}

static bool fetch_wants(const struct fetch_ctx *f, size_t item)
{
	unsigned int items = f->fetch->items;

	switch (item) {
	case FETCH_ITEM_UID:
		return (items & IMAP_FETCH_UID) ||
			(f->condstore && f->seen_set[f->pos]);
	case FETCH_ITEM_FLAGS:
		return (items & IMAP_FETCH_FLAGS) || f->seen_set[f->pos];
	case FETCH_ITEM_INTERNALDATE: return items & IMAP_FETCH_INTERNALDATE;
	case FETCH_ITEM_SIZE: return items & IMAP_FETCH_RFC822_SIZE;
	case FETCH_ITEM_ENVELOPE: return items & IMAP_FETCH_ENVELOPE;
	case FETCH_ITEM_BODY: return items & IMAP_FETCH_BODY;
	case FETCH_ITEM_BODYSTRUCTURE: return items & IMAP_FETCH_BODYSTRUCTURE;
	case FETCH_ITEM_MODSEQ:
		return (items & IMAP_FETCH_MODSEQ) ||
			f->fetch->has_changedsince ||
			(f->condstore && f->seen_set[f->pos]);
	case FETCH_ITEM_EMAILID: return items & IMAP_FETCH_EMAILID;
	case FETCH_ITEM_THREADID: return items & IMAP_FETCH_THREADID;
	case FETCH_ITEM_SAVEDATE: return items & IMAP_FETCH_SAVEDATE;
	case FETCH_ITEM_RFC822_HEADER: return items & IMAP_FETCH_RFC822_HEADER;
	case FETCH_ITEM_RFC822_TEXT: return items & IMAP_FETCH_RFC822_TEXT;
	case FETCH_ITEM_RFC822: return items & IMAP_FETCH_RFC822;
	default: return true;
	}
}

/* Writes a section's value: a literal (streamed by the caller) or NIL. */
static void fetch_section_value(struct imap_client *c, struct fetch_ctx *f,
				const struct imap_fetch_body *b)
{
	enum imap_section_result r;
	const char *data, *error;
	size_t len;

	r = imap_message_section(&f->msg, b, &f->owned, &data, &len, &error);
	if (r == IMAP_SECTION_UNKNOWN_CTE) {
		f->unknown_cte = true;
		buf_append_str(&f->out, "NIL");
		return;
	}
	if (r == IMAP_SECTION_ERROR) {
		log_warn("fetch_failed", "uid=%u reason=%s", f->msg.rec.uid,
			 error);
		buf_append_str(&f->out, "NIL");
		return;
	}
	if (r == IMAP_SECTION_NONE) {
		buf_append_str(&f->out, "NIL");
		return;
	}
	if (b->partial) {
		uint64_t off = b->offset < len ? b->offset : len;
		uint64_t n = len - off < b->length ? len - off : b->length;

		data += off;
		len = (size_t)n;
	}
	if (b->kind == IMAP_FETCH_BINARY_SIZE) {
		buf_printf(&f->out, "%zu", len);
		return;
	}
	/* BINARY may carry NUL: then a literal8 (RFC 3516 section 4.3). */
	buf_printf(&f->out, "%s{%zu}\r\n",
		   b->kind == IMAP_FETCH_BINARY && memchr(data, '\0', len) ?
		   "~" : "", len);
	f->lit = data;
	f->lit_len = len;
}

static void fetch_structure_item(struct fetch_ctx *f, size_t item)
{
	const char *error, *s;

	if (imap_message_structure(&f->msg, &error) < 0) {
		log_warn("fetch_failed", "uid=%u reason=%s", f->msg.rec.uid,
			 error);
		buf_append_str(&f->out, "NIL");
		return;
	}
	s = item == FETCH_ITEM_ENVELOPE ? f->msg.cache->envelope :
		item == FETCH_ITEM_BODY ? f->msg.cache->body :
		f->msg.cache->bodystructure;
	buf_append_str(&f->out, s != NULL ? s : "NIL");
}

/* Writes one item (its name and value) into f->out. */
static void fetch_item_write(struct imap_client *c, struct fetch_ctx *f,
			     size_t item)
{
	struct imap_selected *sel = c->sel;
	const struct mbox_record *rec = &f->msg.rec;
	char date[IMAP_DATETIME_SIZE];
	struct imap_fetch_body whole;

	if (!f->first_item)
		buf_append_char(&f->out, ' ');
	f->first_item = false;
	memset(&whole, 0, sizeof(whole));
	whole.peek = true;
	switch (item) {
	case FETCH_ITEM_UID:
		buf_append_str(&f->out, "UID ");
		buf_append_uint(&f->out, rec->uid);
		return;
	case FETCH_ITEM_FLAGS:
		buf_append_str(&f->out, "FLAGS ");
		imap_selected_flags(sel, rec, &f->out);
		/* Reported now: not again as an unsolicited FETCH. */
		sel->state[f->idx[f->pos]] &= (uint8_t)~IMAP_MSG_FLAGS_CHANGED;
		return;
	case FETCH_ITEM_INTERNALDATE:
		imap_datetime_format((time_t)rec->internal_date, rec->tz_minutes,
				     date);
		buf_printf(&f->out, "INTERNALDATE \"%s\"", date);
		return;
	case FETCH_ITEM_SIZE:
		buf_printf(&f->out, "RFC822.SIZE %llu",
			   (unsigned long long)rec->size);
		return;
	case FETCH_ITEM_ENVELOPE:
		buf_append_str(&f->out, "ENVELOPE ");
		fetch_structure_item(f, item);
		return;
	case FETCH_ITEM_BODY:
		buf_append_str(&f->out, "BODY ");
		fetch_structure_item(f, item);
		return;
	case FETCH_ITEM_BODYSTRUCTURE:
		buf_append_str(&f->out, "BODYSTRUCTURE ");
		fetch_structure_item(f, item);
		return;
	case FETCH_ITEM_MODSEQ:
		buf_printf(&f->out, "MODSEQ (%llu)",
			   (unsigned long long)rec->modseq);
		return;
	case FETCH_ITEM_EMAILID: {
		char id[IMAP_EMAILID_SIZE];

		/* The file is gone only for an expunged message, whose
		 * body the client cannot have either. */
		if (imap_emailid(sel->mbox, rec->uid, id))
			buf_printf(&f->out, "EMAILID (%s)", id);
		else
			buf_append_str(&f->out, "EMAILID NIL");
		return;
	}
	case FETCH_ITEM_THREADID:
		buf_append_str(&f->out, "THREADID NIL");
		return;
	case FETCH_ITEM_SAVEDATE:
		/* When it was stored in this mailbox (RFC 8514), in UTC. */
		imap_datetime_format((time_t)rec->save_date, 0, date);
		buf_printf(&f->out, "SAVEDATE \"%s\"", date);
		return;
	case FETCH_ITEM_RFC822_HEADER:
		buf_append_str(&f->out, "RFC822.HEADER ");
		whole.text = IMAP_SECTION_HEADER;
		fetch_section_value(c, f, &whole);
		return;
	case FETCH_ITEM_RFC822_TEXT:
		buf_append_str(&f->out, "RFC822.TEXT ");
		whole.text = IMAP_SECTION_TEXT;
		fetch_section_value(c, f, &whole);
		return;
	case FETCH_ITEM_RFC822:
		buf_append_str(&f->out, "RFC822 ");
		fetch_section_value(c, f, &whole);
		return;
	default: {
		const struct imap_fetch_body *b =
			&f->fetch->bodies[item - FETCH_ITEM_SECTIONS];

		imap_fetch_body_name(b, &f->out);
		buf_append_char(&f->out, ' ');
		fetch_section_value(c, f, b);
		return;
	}
	}
}

static void fetch_flush_out(struct imap_client *c, struct fetch_ctx *f)
{
	if (f->out.len > 0)
		imap_client_write(c, f->out.data, f->out.len);
	buf_clear(&f->out);
}

static void fetch_finish(struct imap_client *c)
{
	struct fetch_ctx *f = c->cmd_ctx;

	if (f->unknown_cte)
		imap_client_done(c, "NO [UNKNOWN-CTE] Some parts have an "
				 "unknown Content-Transfer-Encoding");
	else if (f->expunged_seen)
		imap_client_done(c, "NO [EXPUNGEISSUED] Some of the requested "
				 "messages no longer exist");
	else
		imap_client_done(c, "OK FETCH completed");
}

/* Produces output until the client has enough to read, then waits. */
static void fetch_run(struct imap_client *c)
{
	struct fetch_ctx *f = c->cmd_ctx;
	struct imap_selected *sel = c->sel;
	size_t n_items = FETCH_ITEM_SECTIONS + f->fetch->body_count;

	while (f->pos < f->count) {
		size_t i = f->idx[f->pos];

		if (!f->in_message) {
			if ((sel->state[i] & IMAP_MSG_EXPUNGED) && f->needs_file) {
				f->expunged_seen = true;
				f->pos++;
				continue;
			}
			imap_message_init(&f->msg, sel->mbox, &sel->msgs[i]);
			f->msg.window = &f->window;
			buf_append_str(&f->out, "* ");
			buf_append_uint(&f->out, i + 1);
			buf_append_str(&f->out, " FETCH (");
			f->in_message = true;
			f->first_item = true;
			f->item = 0;
		}
		while (f->item < n_items || f->lit != NULL) {
			if (f->lit != NULL) {
				size_t n = f->lit_len < FETCH_LITERAL_CHUNK ?
					f->lit_len : FETCH_LITERAL_CHUNK;

				fetch_flush_out(c, f);
				imap_client_write(c, f->lit, n);
				f->lit += n;
				f->lit_len -= n;
				if (f->lit_len == 0)
					f->lit = NULL;
				if (imap_client_output_queued(c) >
				    IMAP_CLIENT_OUTPUT_CHUNK &&
				    imap_client_wait_output(c, fetch_run))
					return;
				continue;
			}
			if (fetch_wants(f, f->item))
				fetch_item_write(c, f, f->item);
			f->item++;
		}
		buf_append_str(&f->out, ")\r\n");
		/* Short responses (FLAGS, UID) are gathered and handed to
		 * the client in pieces, not one call per message. */
		if (f->out.len >= FETCH_OUT_BATCH)
			fetch_flush_out(c, f);
		imap_message_deinit(&f->msg);
		buf_clear(&f->owned);
		f->in_message = false;
		f->pos++;
		if (imap_client_output_queued(c) > IMAP_CLIENT_OUTPUT_CHUNK) {
			fetch_flush_out(c, f);
			if (imap_client_wait_output(c, fetch_run))
				return;
		}
	}
	fetch_flush_out(c, f);
	fetch_finish(c);
}

static bool fetch_sets_seen(const struct imap_fetch *fetch)
{
	size_t i;

	if (fetch->items & (IMAP_FETCH_RFC822 | IMAP_FETCH_RFC822_TEXT))
		return true;
	for (i = 0; i < fetch->body_count; i++) {
		if (!fetch->bodies[i].peek &&
		    fetch->bodies[i].kind != IMAP_FETCH_BINARY_SIZE)
			return true;
	}
	return false;
}

/* RFC 9051 section 6.4.5: BODY[] (not PEEK) sets \Seen; the FETCH
 * response then carries the new FLAGS. */
static void fetch_set_seen(struct imap_client *c, struct fetch_ctx *f)
{
	struct imap_selected *sel = c->sel;
	uint32_t *uids = xcalloc(f->count + 1, sizeof(*uids));
	const char *error;
	size_t i, n = 0;

	for (i = 0; i < f->count; i++) {
		const struct mbox_record *rec = &sel->msgs[f->idx[i]];

		if (!(rec->flags & MBOX_SEEN) &&
		    !(sel->state[f->idx[i]] & IMAP_MSG_EXPUNGED)) {
			uids[n++] = rec->uid;
			f->seen_set[i] = true;
		}
	}
	if (n > 0 && sel->private_seen) {
		/* A board: the reader's own \Seen. */
		if (imap_selected_seen_change(c, uids, n, true, &error) < 0)
			log_error("store_failed", "mailbox=%s reason=%s",
				  sel->info.name, error);
	} else if (n > 0) {
		if (mbox_store(sel->mbox, uids, n, MBOX_FLAGS_ADD, MBOX_SEEN,
			       NULL, 0, NULL, &error) < 0 ||
		    imap_selected_sync(sel, &error) < 0)
			log_error("store_failed", "mailbox=%s reason=%s",
				  sel->info.name, error);
	}
	free(uids);
}

void cmd_fetch(struct imap_client *c, const struct imap_command *cmd)
{
	struct imap_seqset *set = NULL;
	struct fetch_ctx *f;
	const char *text, *error;

	if (cmd->arg_count < 2 || !imap_arg_get_atom(&cmd->args[0], &text) ||
	    imap_seqset_parse(text, IMAP_SEQSET_DEFAULT_MAX_RANGES, &set,
			      &error) < 0) {
		imap_client_done_plain(c, "BAD Invalid sequence set");
		return;
	}
	f = xcalloc(1, sizeof(*f));
	c->cmd_ctx = f;
	c->cmd_ctx_free = fetch_ctx_free;
	if (imap_fetch_parse(cmd->args + 1, cmd->uid, NULL, &f->fetch,
			     &error) < 0 ||
	    imap_selected_lookup(c->sel, set, cmd->uid, &f->idx, &f->count,
				 &error) < 0) {
		imap_seqset_free(&set);
		imap_client_done_plain(c, "BAD %s", error);
		return;
	}
	/* RFC 7162 section 3.2.6: VANISHED only once QRESYNC is on. */
	if (f->fetch->vanished && !imap_qresync_enabled(c)) {
		imap_seqset_free(&set);
		imap_client_done_plain(c, "BAD VANISHED needs ENABLE QRESYNC");
		return;
	}
	if ((f->fetch->items & IMAP_FETCH_MODSEQ) || f->fetch->has_changedsince)
		imap_condstore_enable(c);
	f->condstore = imap_condstore_enabled(c);
	/* Expunges of the set since CHANGEDSINCE, before any FETCH ("$"
	 * names UIDs that may be gone: then all of them are looked at). */
	if (f->fetch->vanished &&
	    imap_qresync_send_earlier(c, f->fetch->changedsince,
				      set->saved ? NULL : set, 0, &error) < 0)
		log_error("mailbox_sync_failed", "mailbox=%s reason=%s",
			  c->sel->info.name, error);
	imap_seqset_free(&set);
	/* UID FETCH always reports UIDs (RFC 9051 section 6.4.9). */
	if (cmd->uid)
		f->fetch->items |= IMAP_FETCH_UID;
	f->needs_file = f->fetch->body_count > 0 ||
		(f->fetch->items & (IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY |
				    IMAP_FETCH_BODYSTRUCTURE | IMAP_FETCH_RFC822 |
				    IMAP_FETCH_RFC822_HEADER |
				    IMAP_FETCH_RFC822_TEXT));
	if (f->fetch->has_changedsince) {
		size_t i, kept = 0;

		/* CHANGEDSINCE (RFC 7162 section 3.1.4.1). */
		for (i = 0; i < f->count; i++) {
			if (c->sel->msgs[f->idx[i]].modseq >
			    f->fetch->changedsince)
				f->idx[kept++] = f->idx[i];
		}
		f->count = kept;
	}
	f->seen_set = xcalloc(f->count + 1, sizeof(*f->seen_set));
	/* RFC 4314 section 4: no implied \Seen without "s". */
	if (!c->sel->readonly && (c->sel->rights & ACL_S) &&
	    fetch_sets_seen(f->fetch))
		fetch_set_seen(c, f);
	fetch_run(c);
}
