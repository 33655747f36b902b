/* STORE and UID STORE (RFC 9051 section 6.4.6; UNCHANGEDSINCE of RFC
 * 7162 section 3.1.3). */
#include "imapd/imap_commands.h"
#include "imapd/imap_acl.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_copy.h"
#include "imapd/imap_selected.h"
#include "imapd/imap_seqset.h"
#include "imapd/imap_store_parse.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static int store_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void cmd_store(struct imap_client *c, const struct imap_command *cmd)
{
	struct imap_selected *sel = c->sel;
	struct imap_seqset *set = NULL;
	struct imap_store *store = NULL;
	struct buf modified = BUF_INIT, line = BUF_INIT;
	const char *text, *error;
	const char **keywords;
	enum mbox_flag_op op;
	uint32_t *uids;
	size_t *idx = NULL, count = 0, i, n = 0, kw_count;
	uint64_t unchangedsince;
	uint32_t flags;

	if (cmd->arg_count < 3 || !imap_arg_get_atom(&cmd->args[0], &text) ||
	    imap_seqset_parse(text, IMAP_SEQSET_DEFAULT_MAX_RANGES, &set,
			      &error) < 0 ||
	    imap_store_parse(cmd->args + 1, MBOX_MAX_KEYWORDS, &store,
			     &error) < 0 ||
	    imap_selected_lookup(sel, set, cmd->uid, &idx, &count, &error) < 0) {
		imap_seqset_free(&set);
		imap_store_free(&store);
		imap_client_done_plain(c, "BAD Invalid STORE arguments");
		return;
	}
	imap_seqset_free(&set);
	if (store->has_unchangedsince)
		imap_condstore_enable(c);
	if (sel->readonly) {
		imap_store_free(&store);
		free(idx);
		imap_client_done(c, "NO [READ-ONLY] The mailbox is read-only");
		return;
	}
	/* RFC 4314 section 4: each flag needs its right; the ones the user
	 * lacks are left alone, and only a STORE that could change nothing
	 * fails.  Replacing every flag needs every flag right. */
	flags = imap_flags_to_mbox(store->flags.system);
	if ((store->mode == IMAP_STORE_REPLACE &&
	     (sel->rights & (ACL_S | ACL_W | ACL_T)) !=
	     (ACL_S | ACL_W | ACL_T)) ||
	    (store->mode != IMAP_STORE_REPLACE &&
	     imap_acl_flags_allowed(sel->rights, flags) == 0 &&
	     (store->flags.keyword_count == 0 || !(sel->rights & ACL_W)))) {
		imap_store_free(&store);
		free(idx);
		imap_client_done(c, "NO [NOPERM] Permission denied");
		return;
	}
	flags = imap_acl_flags_allowed(sel->rights, flags);
	kw_count = (sel->rights & ACL_W) ? store->flags.keyword_count : 0;
	uids = xcalloc(count + 1, sizeof(*uids));
	for (i = 0; i < count; i++) {
		if (!(sel->state[idx[i]] & IMAP_MSG_EXPUNGED))
			uids[n++] = sel->msgs[idx[i]].uid;
	}
	keywords = xcalloc(kw_count + 1, sizeof(*keywords));
	for (i = 0; i < kw_count; i++)
		keywords[i] = store->flags.keywords[i];
	op = store->mode == IMAP_STORE_ADD ? MBOX_FLAGS_ADD :
		store->mode == IMAP_STORE_REMOVE ? MBOX_FLAGS_REMOVE :
		MBOX_FLAGS_REPLACE;
	/* UNCHANGEDSINCE 0 fails for every message (RFC 7162 3.1.3); the
	 * store's 0 means "no condition", so 0 is checked here. */
	unchangedsince = store->has_unchangedsince ? store->unchangedsince : 0;
	if (store->has_unchangedsince && unchangedsince == 0) {
		buf_append(&modified, uids, n * sizeof(*uids));
		n = 0;
	}
	/* A board: \Seen is the reader's own, the rest is shared. */
	if (sel->private_seen && n > 0 &&
	    (op == MBOX_FLAGS_REPLACE || (flags & MBOX_SEEN)) &&
	    imap_selected_seen_change(c, uids, n, op == MBOX_FLAGS_REPLACE ?
				      (flags & MBOX_SEEN) != 0 :
				      op == MBOX_FLAGS_ADD, &error) < 0) {
		free(keywords);
		free(uids);
		free(idx);
		imap_store_free(&store);
		buf_free(&modified);
		imap_client_fail(c, "STORE", error);
		return;
	}
	if (sel->private_seen) {
		flags &= ~MBOX_SEEN;
		if (op != MBOX_FLAGS_REPLACE && flags == 0 && kw_count == 0)
			n = 0;
	}
	if (n > 0 && mbox_store(sel->mbox, uids, n, op, flags, keywords, unchangedsince, &modified, &error) < 0) {
		free(keywords);
		free(uids);
		free(idx);
		imap_store_free(&store);
		buf_free(&modified);
		if (error != NULL && strstr(error, "keyword") != NULL)
			imap_client_done(c, "NO [LIMIT] Too many keywords in "
					 "this mailbox");
		else
			imap_client_fail(c, "STORE", error);
		return;
	}
	if (imap_selected_sync(sel, &error) < 0)
		log_error("mailbox_sync_failed", "mailbox=%s reason=%s",
			  sel->info.name, error);
	imap_selected_announce_keywords(c);
	/* Our own change is reported once, here (or not at all with
	 * .SILENT), rather than again as an unsolicited update. */
	for (i = 0; i < count; i++) {
		size_t k = idx[i];

		if (sel->state[k] & IMAP_MSG_EXPUNGED)
			continue;
		/* One that failed UNCHANGEDSINCE is only in [MODIFIED]; the
		 * change that beat it comes as an update of its own. */
		if (modified.len > 0 && bsearch(&sel->msgs[k].uid, modified.data,
			    modified.len / sizeof(uint32_t), sizeof(uint32_t),
			    store_uid_cmp) != NULL)
			continue;
		sel->state[k] &= (uint8_t)~IMAP_MSG_FLAGS_CHANGED;
		if (store->silent)
			continue;
		buf_clear(&line);
		buf_printf(&line, "* %zu FETCH (", k + 1);
		if (cmd->uid || imap_condstore_enabled(c))
			buf_printf(&line, "UID %u ", sel->msgs[k].uid);
		buf_append_str(&line, "FLAGS ");
		imap_selected_flags(sel, &sel->msgs[k], &line);
		imap_condstore_fetch_modseq(c, sel->msgs[k].modseq, &line);
		buf_append_str(&line, ")\r\n");
		imap_client_write(c, line.data, line.len);
	}
	if (modified.len > 0) {
		buf_clear(&line);
		imap_copy_uidset((const uint32_t *)(const void *)modified.data,
				 modified.len / sizeof(uint32_t), &line);
		imap_client_done(c, "OK [MODIFIED %s] Conditional STORE failed",
				 buf_cstr(&line));
	} else {
		imap_client_done(c, "OK STORE completed");
	}
	free(keywords);
	free(uids);
	free(idx);
	imap_store_free(&store);
	buf_free(&modified);
	buf_free(&line);
}
