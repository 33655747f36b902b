/* EXPUNGE (RFC 9051 section 6.4.3) and UID EXPUNGE (RFC 4315 section
 * 2.1). */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_selected.h"
#include "imapd/imap_seqset.h"
#include "acl.h"
#include "log.h"

#include <stdlib.h>

void cmd_expunge(struct imap_client *c, const struct imap_command *cmd)
{
	struct imap_selected *sel = c->sel;
	struct imap_seqset *set = NULL;
	const char *text, *error;
	uint32_t *uids;
	size_t *idx = NULL, count, i, n = 0;

	if (cmd->arg_count != (cmd->uid ? 1u : 0u) ||
	    (cmd->uid && (!imap_arg_get_atom(&cmd->args[0], &text) ||
			  imap_seqset_parse(text, IMAP_SEQSET_DEFAULT_MAX_RANGES,
					    &set, &error) < 0))) {
		imap_client_done_plain(c, "BAD Invalid EXPUNGE arguments");
		return;
	}
	if (sel->readonly) {
		imap_seqset_free(&set);
		imap_client_done(c, "NO [READ-ONLY] The mailbox is read-only");
		return;
	}
	if (!(sel->rights & ACL_E)) {
		imap_seqset_free(&set);
		imap_client_done(c, "NO [NOPERM] Permission denied");
		return;
	}
	/* Only what the client could have seen as \Deleted is removed:
	 * read the log first so flags set elsewhere count too. */
	if (imap_selected_sync(sel, &error) < 0)
		log_error("mailbox_sync_failed", "mailbox=%s reason=%s",
			  sel->info.name, error);
	/* UID EXPUNGE narrows to its set, which may be "$", the saved
	 * search result (RFC 5182 section 2.1). */
	if (set != NULL) {
		if (imap_selected_lookup(sel, set, true, &idx, &count,
					 &error) < 0) {
			imap_seqset_free(&set);
			imap_client_done(c, "BAD %s", error);
			return;
		}
	} else {
		count = sel->count;
	}
	uids = xcalloc(count + 1, sizeof(*uids));
	for (i = 0; i < count; i++) {
		size_t k = idx != NULL ? idx[i] : i;

		if ((sel->msgs[k].flags & MBOX_DELETED) &&
		    !(sel->state[k] & IMAP_MSG_EXPUNGED))
			uids[n++] = sel->msgs[k].uid;
	}
	free(idx);
	imap_seqset_free(&set);
	if (n > 0 && mbox_expunge(sel->mbox, uids, n, &error) < 0) {
		free(uids);
		imap_client_fail(c, "EXPUNGE", error);
		return;
	}
	if (n > 0)
		log_info("expunge", "mailbox=%s count=%zu", sel->info.name, n);
	free(uids);
	/* RFC 7162 section 3.2.7: with QRESYNC the new HIGHESTMODSEQ comes
	 * with the OK, after the VANISHED it covers. */
	if (n > 0 && imap_qresync_enabled(c)) {
		if (imap_selected_sync(sel, &error) < 0)
			log_error("mailbox_sync_failed", "mailbox=%s reason=%s",
				  sel->info.name, error);
		imap_client_done(c, "OK [HIGHESTMODSEQ %llu] EXPUNGE completed",
				 (unsigned long long)sel->view.highestmodseq);
		return;
	}
	imap_client_done(c, "OK EXPUNGE completed");
}
