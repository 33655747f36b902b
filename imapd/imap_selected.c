/* The selected mailbox as the client knows it (see imap_selected.h). */
#include "imapd/imap_selected.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_flags.h"
#include "imapd/imap_notify.h"
#include "imapd/imap_seqset.h"
#include "imapd/imapd.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	uint32_t mbox;
	unsigned int imap;
	const char *name;
} imap_selected_system_flags[] = {
	{ MBOX_ANSWERED, IMAP_FLAG_ANSWERED, "\\Answered" },
	{ MBOX_FLAGGED, IMAP_FLAG_FLAGGED, "\\Flagged" },
	{ MBOX_DELETED, IMAP_FLAG_DELETED, "\\Deleted" },
	{ MBOX_SEEN, IMAP_FLAG_SEEN, "\\Seen" },
	{ MBOX_DRAFT, IMAP_FLAG_DRAFT, "\\Draft" },
};
#define IMAP_SELECTED_SYSTEM_COUNT \
	(sizeof(imap_selected_system_flags) / sizeof(imap_selected_system_flags[0]))

uint32_t imap_flags_to_mbox(unsigned int imap_flags)
{
	uint32_t out = 0;
	size_t i;

	for (i = 0; i < IMAP_SELECTED_SYSTEM_COUNT; i++) {
		if (imap_flags & imap_selected_system_flags[i].imap)
			out |= imap_selected_system_flags[i].mbox;
	}
	return out;
}

void imap_selected_flags(const struct imap_selected *sel,
			 const struct mbox_record *rec, struct buf *out)
{
	bool first = true;
	size_t i;

	buf_append_char(out, '(');
	for (i = 0; i < IMAP_SELECTED_SYSTEM_COUNT; i++) {
		if (rec->flags & imap_selected_system_flags[i].mbox) {
			if (!first)
				buf_append_char(out, ' ');
			buf_append_str(out, imap_selected_system_flags[i].name);
			first = false;
		}
	}
	for (i = 0; i < sel->view.keyword_count; i++) {
		if (rec->keywords & (1ULL << i)) {
			if (!first)
				buf_append_char(out, ' ');
			buf_append_str(out, sel->view.keywords[i]);
			first = false;
		}
	}
	buf_append_char(out, ')');
}

void imap_selected_flag_list(const struct imap_selected *sel, struct buf *out)
{
	size_t i;

	buf_append_str(out, "(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (i = 0; i < sel->view.keyword_count; i++)
		buf_printf(out, " %s", sel->view.keywords[i]);
	buf_append_char(out, ')');
}

void imap_selected_keywords(const struct imap_selected *sel, uint64_t mask,
			    const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < sel->view.keyword_count && n + 1 < max; i++) {
		if (mask & (1ULL << i))
			names[n++] = sel->view.keywords[i];
	}
	names[n] = NULL;
}

static bool imap_selected_seen_has(const struct imap_selected *sel,
				   uint32_t uid)
{
	size_t lo = 0, hi = sel->seen_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sel->seen[mid] == uid)
			return true;
		if (sel->seen[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* On a shared mailbox a record's \Seen is the user's own. */
static void imap_selected_overlay(const struct imap_selected *sel,
				  struct mbox_record *rec)
{
	if (!sel->private_seen)
		return;
	if (imap_selected_seen_has(sel, rec->uid))
		rec->flags |= MBOX_SEEN;
	else
		rec->flags &= ~MBOX_SEEN;
}

/* The client's messages become a copy of their own, before the view they
 * were borrowed from changes. */
static void imap_selected_own(struct imap_selected *sel)
{
	struct mbox_record *copy;

	if (!sel->msgs_borrowed)
		return;
	copy = xcalloc(sel->alloc, sizeof(*copy));
	memcpy(copy, sel->msgs, sel->count * sizeof(*copy));
	sel->msgs = copy;
	sel->msgs_borrowed = false;
	sel->view.before_write = NULL;
}

/* The view is about to change its records (mbox_sync()). */
static void imap_selected_view_write(void *ctx)
{
	imap_selected_own(ctx);
}

static void imap_selected_push(struct imap_selected *sel,
			       const struct mbox_record *rec)
{
	imap_selected_own(sel);
	if (sel->count == sel->alloc) {
		sel->alloc = sel->alloc ? sel->alloc * 2 : 4;
		sel->msgs = xrealloc(sel->msgs, sel->alloc * sizeof(*sel->msgs));
		sel->state = xrealloc(sel->state, sel->alloc);
	}
	sel->msgs[sel->count] = *rec;
	imap_selected_overlay(sel, &sel->msgs[sel->count]);
	sel->state[sel->count] = 0;
	sel->count++;
}

/* Index of `uid` in the client's messages, or -1. */
static ssize_t imap_selected_find(const struct imap_selected *sel,
				  uint32_t uid)
{
	size_t lo = 0, hi = sel->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sel->msgs[mid].uid == uid)
			return (ssize_t)mid;
		if (sel->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

uint32_t imap_selected_seq(const struct imap_selected *sel, uint32_t uid)
{
	ssize_t i = imap_selected_find(sel, uid);

	return i < 0 ? 0 : (uint32_t)i + 1;
}

static void imap_selected_on_change(void *ctx, const struct mbox_view *view,
				    const struct mbox_change *change)
{
	struct imap_selected *sel = ctx;
	ssize_t i;

	switch (change->type) {
	case MBOX_CHANGE_APPEND:
		imap_selected_push(sel, change->record);
		break;
	case MBOX_CHANGE_FLAGS:
		i = imap_selected_find(sel, change->record->uid);
		if (i < 0 || (sel->state[i] & IMAP_MSG_EXPUNGED))
			break;
		sel->msgs[i] = *change->record;
		imap_selected_overlay(sel, &sel->msgs[i]);
		sel->state[i] |= IMAP_MSG_FLAGS_CHANGED;
		sel->flags_pending = true;
		break;
	case MBOX_CHANGE_EXPUNGE:
		i = imap_selected_find(sel, change->uid);
		if (i < 0)
			break;
		sel->state[i] |= IMAP_MSG_EXPUNGED;
		sel->expunges_pending = true;
		break;
	case MBOX_CHANGE_KEYWORD:
		break;
	}
}

/* The log cannot be followed (it was replaced): load a new snapshot and
 * turn the difference into the same pending changes. */
static int imap_selected_reload(struct imap_selected *sel,
				const char **error_r)
{
	struct mbox_view fresh;
	size_t i;

	imap_selected_own(sel);
	if (mbox_view_load(sel->mbox, &fresh, error_r) < 0)
		return -1;
	for (i = 0; i < sel->count; i++) {
		ssize_t j = mbox_view_find(&fresh, sel->msgs[i].uid);

		if (j < 0) {
			sel->state[i] |= IMAP_MSG_EXPUNGED;
			sel->expunges_pending = true;
		} else {
			struct mbox_record rec = fresh.records[j];

			imap_selected_overlay(sel, &rec);
			if (rec.flags == sel->msgs[i].flags &&
			    rec.keywords == sel->msgs[i].keywords)
				continue;
			sel->msgs[i] = rec;
			sel->state[i] |= IMAP_MSG_FLAGS_CHANGED;
			sel->flags_pending = true;
		}
	}
	for (i = 0; i < fresh.count; i++) {
		if (fresh.records[i].uid >= sel->view.uidnext)
			imap_selected_push(sel, &fresh.records[i]);
	}
	mbox_view_free(&sel->view);
	sel->view = fresh;
	return 0;
}

int imap_selected_seen_change(struct imap_client *c, const uint32_t *uids,
			      size_t count, bool add, const char **error_r)
{
	struct imap_selected *sel = c->sel;
	uint32_t *set;
	size_t set_count, i;

	if (store_seen_change(c->daemon->store, c->user, sel->info.id, uids,
			      count, add, &set, &set_count, error_r) < 0)
		return -1;
	imap_selected_own(sel);
	free(sel->seen);
	sel->seen = set;
	sel->seen_count = set_count;
	for (i = 0; i < sel->count; i++) {
		uint32_t before = sel->msgs[i].flags;

		imap_selected_overlay(sel, &sel->msgs[i]);
		if (sel->msgs[i].flags != before &&
		    !(sel->state[i] & IMAP_MSG_EXPUNGED)) {
			sel->state[i] |= IMAP_MSG_FLAGS_CHANGED;
			sel->flags_pending = true;
		}
	}
	return 0;
}

int imap_selected_sync(struct imap_selected *sel, const char **error_r)
{
	if (mbox_sync(sel->mbox, &sel->view, imap_selected_on_change, sel,
		      error_r) >= 0)
		return 0;
	log_info("mailbox_reload", "mailbox=%s reason=%s", sel->info.name,
		 *error_r);
	/* A replaced log is a new file, which the watch of the old one
	 * never hears of: watch it first, then read it. */
	imap_notify_rewatch(sel->watch, mbox_log_path(sel->mbox));
	return imap_selected_reload(sel, error_r);
}

void imap_selected_announce_keywords(struct imap_client *c)
{
	struct imap_selected *sel = c->sel;
	struct buf line = BUF_INIT;

	if (sel->view.keyword_count == sel->keywords_sent)
		return;
	buf_append_str(&line, "* FLAGS ");
	imap_selected_flag_list(sel, &line);
	buf_append_str(&line, "\r\n* OK [PERMANENTFLAGS ");
	if (sel->readonly) {
		buf_append_str(&line, "()");
	} else {
		imap_selected_flag_list(sel, &line);
		buf_truncate(&line, line.len - 1);
		buf_append_str(&line, " \\*)");
	}
	buf_append_str(&line, "] Flags permitted\r\n");
	imap_client_write(c, line.data, line.len);
	buf_free(&line);
	sel->keywords_sent = sel->view.keyword_count;
}

static void imap_selected_send_expunges(struct imap_client *c)
{
	struct imap_selected *sel = c->sel;
	bool vanished = imap_qresync_enabled(c);
	uint32_t *uids = NULL;
	size_t i, kept = 0, n = 0;

	/* With QRESYNC one VANISHED names them all by UID (RFC 7162
	 * section 3.2.10.2). */
	if (vanished)
		uids = xcalloc(sel->count + 1, sizeof(*uids));
	for (i = 0; vanished && i < sel->count; i++) {
		if ((sel->state[i] & IMAP_MSG_EXPUNGED) && i < sel->exists_sent)
			uids[n++] = sel->msgs[i].uid;
	}
	imap_qresync_send_vanished(c, uids, n);
	sel->exists_sent -= n;
	free(uids);
	/* Highest first, so each number is still valid when it is read. */
	for (i = sel->count; !vanished && i-- > 0;) {
		if (!(sel->state[i] & IMAP_MSG_EXPUNGED))
			continue;
		if (i < sel->exists_sent) {
			imap_client_send(c, "* %zu EXPUNGE", i + 1);
			sel->exists_sent--;
		}
	}
	imap_selected_own(sel);
	for (i = 0; i < sel->count; i++) {
		if (sel->state[i] & IMAP_MSG_EXPUNGED)
			continue;
		sel->msgs[kept] = sel->msgs[i];
		sel->state[kept] = sel->state[i];
		kept++;
	}
	sel->count = kept;
	sel->expunges_pending = false;
}

void imap_selected_announce(struct imap_client *c, bool allow_expunge)
{
	struct imap_selected *sel = c->sel;
	struct buf line = BUF_INIT;
	size_t i;

	imap_selected_announce_keywords(c);
	if (allow_expunge && sel->expunges_pending)
		imap_selected_send_expunges(c);
	if (sel->count > sel->exists_sent) {
		imap_client_send(c, "* %zu EXISTS", sel->count);
		sel->exists_sent = sel->count;
	}
	if (!sel->flags_pending)
		return;
	for (i = 0; i < sel->count; i++) {
		if (!(sel->state[i] & IMAP_MSG_FLAGS_CHANGED))
			continue;
		sel->state[i] &= (uint8_t)~IMAP_MSG_FLAGS_CHANGED;
		if (sel->state[i] & IMAP_MSG_EXPUNGED)
			continue;
		buf_clear(&line);
		buf_printf(&line, "* %zu FETCH (UID %u FLAGS ", i + 1,
			   sel->msgs[i].uid);
		imap_selected_flags(sel, &sel->msgs[i], &line);
		imap_condstore_fetch_modseq(c, sel->msgs[i].modseq, &line);
		buf_append_str(&line, ")\r\n");
		imap_client_write(c, line.data, line.len);
	}
	sel->flags_pending = false;
	buf_free(&line);
}

static void imap_selected_set_info(struct imap_selected *sel,
				   const struct store_mailbox *mb)
{
	memcpy(sel->info.owner, mb->owner, sizeof(sel->info.owner));
	memcpy(sel->info.name, mb->name, sizeof(sel->info.name));
	memcpy(sel->info.id, mb->id, sizeof(sel->info.id));
	sel->info.special_use = mb->special_use;
}

void imap_selected_record(const struct imap_selected *sel,
			  struct store_mailbox *mb_r)
{
	memset(mb_r, 0, sizeof(*mb_r));
	memcpy(mb_r->owner, sel->info.owner, sizeof(mb_r->owner));
	memcpy(mb_r->name, sel->info.name, sizeof(mb_r->name));
	memcpy(mb_r->id, sel->info.id, sizeof(mb_r->id));
	mb_r->special_use = sel->info.special_use;
}

struct imap_selected_by_id {
	const char *id;
	struct store_mailbox found;
	bool ok;
};

static void imap_selected_by_id(void *ctx, const struct store_mailbox *mb)
{
	struct imap_selected_by_id *f = ctx;

	if (!f->ok && strcmp(mb->id, f->id) == 0) {
		f->found = *mb;
		f->ok = true;
	}
}

int imap_selected_check(struct imap_client *c, enum imap_selected_fate *fate_r,
			char old_name[STORE_MAILBOX_NAME_MAX + 1],
			const char **error_r)
{
	struct imap_selected *sel = c->sel;
	struct store *st = c->daemon->store;
	struct imap_selected_by_id f;
	struct store_mailbox mb;
	int ret;

	*fate_r = IMAP_SELECTED_SAME;
	ret = store_mailbox_lookup(st, sel->info.owner, sel->info.name, &mb,
				   error_r);
	if (ret < 0)
		return -1;
	if (ret > 0 && strcmp(mb.id, sel->info.id) == 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.id = sel->info.id;
	if (store_mailbox_list(st, sel->info.owner, imap_selected_by_id, &f,
			       error_r) < 0)
		return -1;
	if (!f.ok) {
		*fate_r = IMAP_SELECTED_DELETED;
		return 0;
	}
	(void)str_copy(old_name, STORE_MAILBOX_NAME_MAX + 1, sel->info.name);
	imap_selected_set_info(sel, &f.found);
	*fate_r = IMAP_SELECTED_RENAMED;
	return 0;
}

static void imap_selected_on_notify(void *ctx)
{
	struct imap_client *c = ctx;

	if (c->notify_fn != NULL)
		c->notify_fn(c);
}

int imap_selected_open(struct imap_client *c, const struct store_mailbox *info,
		       bool readonly, struct imap_selected **sel_r,
		       const char **error_r)
{
	struct imap_selected *sel = xcalloc(1, sizeof(*sel));
	char *dir = store_mailbox_dir(c->daemon->store, info->owner, info->id);
	size_t i;
	int ret;

	imap_selected_set_info(sel, info);
	sel->readonly = readonly;
	sel->private_seen = store_owner_is_shared(info->owner);
	if (sel->private_seen &&
	    store_seen_get(c->daemon->store, c->user, info->id, &sel->seen,
			   &sel->seen_count, error_r) < 0) {
		free(dir);
		imap_selected_free(&sel);
		return -1;
	}
	ret = mbox_open_shared(dir, &sel->mbox, error_r);
	free(dir);
	if (ret == 0)
		ret = mbox_view_load(sel->mbox, &sel->view, error_r);
	if (ret == 0)
		ret = mbox_sync(sel->mbox, &sel->view, NULL, NULL, error_r) < 0 ?
			-1 : 0;
	if (ret < 0) {
		imap_selected_free(&sel);
		return -1;
	}
	/* Sized to the mailbox: idle sessions are many.  The messages are
	 * the view's own records until either changes; on a shared mailbox
	 * each carries this user's \Seen, so they are a copy from the
	 * start. */
	if (sel->view.count > 0) {
		sel->alloc = sel->view.count;
		sel->state = xcalloc(sel->alloc, 1);
		if (!sel->private_seen) {
			sel->msgs = sel->view.records;
			sel->msgs_borrowed = true;
			sel->count = sel->view.count;
			sel->view.before_write = imap_selected_view_write;
			sel->view.before_write_ctx = sel;
		} else {
			sel->msgs = xcalloc(sel->alloc, sizeof(*sel->msgs));
		}
	}
	for (i = sel->count; i < sel->view.count; i++)
		imap_selected_push(sel, &sel->view.records[i]);
	sel->exists_sent = sel->count;
	sel->keywords_sent = sel->view.keyword_count;
	sel->watch = imap_notify_add(c->daemon->notify,
				     mbox_log_path(sel->mbox),
				     imap_selected_on_notify, c);
	*sel_r = sel;
	return 0;
}

void imap_selected_free(struct imap_selected **selp)
{
	struct imap_selected *sel = *selp;

	if (sel == NULL)
		return;
	imap_notify_remove(&sel->watch);
	if (!sel->msgs_borrowed)
		free(sel->msgs);
	mbox_view_free(&sel->view);
	mbox_close(&sel->mbox);
	free(sel->state);
	free(sel->saved);
	free(sel->seen);
	free(sel);
	*selp = NULL;
}

int imap_selected_lookup(const struct imap_selected *sel,
			 const struct imap_seqset *set, bool uid,
			 size_t **idx_r, size_t *count_r, const char **error_r)
{
	size_t *idx = NULL, n = 0, alloc = 0, i;

	*idx_r = NULL;
	*count_r = 0;
	if (set->saved) {
		/* "$": the saved result, as UIDs (RFC 5182 section 2.1). */
		for (i = 0; i < sel->saved_count; i++) {
			ssize_t j = imap_selected_find(sel, sel->saved[i]);

			if (j < 0)
				continue;
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				idx = xrealloc(idx, alloc * sizeof(*idx));
			}
			idx[n++] = (size_t)j;
		}
		*idx_r = idx;
		*count_r = n;
		return 0;
	}
	if (!uid) {
		struct imap_seqset_iter it;
		uint32_t lo, hi, s;

		if (imap_seqset_highest(set) > sel->count) {
			*error_r = "Invalid message sequence number";
			return -1;
		}
		imap_seqset_iter_init(&it, set, (uint32_t)sel->count);
		while (imap_seqset_iter_next(&it, &lo, &hi)) {
			for (s = lo; s <= hi && s >= 1; s++) {
				if (n == alloc) {
					alloc = alloc ? alloc * 2 : 64;
					idx = xrealloc(idx, alloc * sizeof(*idx));
				}
				idx[n++] = s - 1;
				if (s == UINT32_MAX)
					break;
			}
		}
	} else {
		uint32_t max = sel->count ? sel->msgs[sel->count - 1].uid : 0;

		for (i = 0; i < sel->count; i++) {
			if (!imap_seqset_contains(set, sel->msgs[i].uid, max))
				continue;
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				idx = xrealloc(idx, alloc * sizeof(*idx));
			}
			idx[n++] = i;
		}
	}
	*idx_r = idx;
	*count_r = n;
	return 0;
}
