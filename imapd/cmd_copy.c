/* COPY (RFC 9051 section 6.4.7) and MOVE (RFC 6851), with the COPYUID of
 * UIDPLUS (RFC 4315). */
#include "imapd/imap_commands.h"
#include "imapd/imap_acl.h"
#include "imapd/imap_client.h"
#include "imapd/imap_copy.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_selected.h"
#include "imapd/imap_seqset.h"
#include "imapd/imapd.h"
#include "log.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

static void cmd_copy_common(struct imap_client *c,
			    const struct imap_command *cmd, bool move)
{
	struct imap_selected *sel = c->sel;
	struct imap_seqset *set = NULL;
	char name[STORE_MAILBOX_NAME_MAX + 1];
	struct store_mailbox dst_info;
	struct mbox *dst = NULL;
	struct mbox_record *recs = NULL;
	struct buf src_set = BUF_INIT, dst_set = BUF_INIT;
	const char *text, *arg, *error;
	uint32_t *old_uids = NULL, *new_uids = NULL;
	size_t *idx = NULL, count = 0, i, n = 0, len;
	unsigned int rights = 0;
	bool expunged = false;
	int ret;

	if (cmd->arg_count != 2 || !imap_arg_get_atom(&cmd->args[0], &text) ||
	    !imap_arg_get_astring(&cmd->args[1], &arg, &len) ||
	    imap_seqset_parse(text, IMAP_SEQSET_DEFAULT_MAX_RANGES, &set,
			      &error) < 0 ||
	    imap_selected_lookup(sel, set, cmd->uid, &idx, &count, &error) < 0) {
		imap_seqset_free(&set);
		imap_client_done_plain(c, "BAD Invalid %s arguments", cmd->name);
		return;
	}
	imap_seqset_free(&set);
	if (move && sel->readonly) {
		free(idx);
		imap_client_done(c, "NO [READ-ONLY] The mailbox is read-only");
		return;
	}
	if (imap_mailbox_name_in(c, arg, name, &error) < 0 ||
	    (ret = imap_acl_lookup(c, name, &dst_info, &rights,
				   &error)) == 0) {
		free(idx);
		/* RFC 9051 6.4.7: TRYCREATE invites the client to CREATE. */
		imap_client_done(c, "NO [TRYCREATE] No such mailbox");
		return;
	}
	/* RFC 4314 section 4: "i" on the target; a MOVE takes the messages
	 * away, which needs "t" and "e" on the source. */
	if (ret > 0 && (!(rights & ACL_I) ||
	    (move && (sel->rights & (ACL_T | ACL_E)) != (ACL_T | ACL_E)))) {
		free(idx);
		imap_client_done(c, "NO [NOPERM] Permission denied");
		return;
	}
	recs = xcalloc(count + 1, sizeof(*recs));
	old_uids = xcalloc(count + 1, sizeof(*old_uids));
	new_uids = xcalloc(count + 1, sizeof(*new_uids));
	for (i = 0; i < count; i++) {
		if (sel->state[idx[i]] & IMAP_MSG_EXPUNGED) {
			expunged = true;
			continue;
		}
		recs[n] = sel->msgs[idx[i]];
		recs[n].flags = imap_acl_flags_allowed(rights, recs[n].flags);
		if (!(rights & ACL_W))
			recs[n].keywords = 0;
		old_uids[n++] = sel->msgs[idx[i]].uid;
	}
	if (ret > 0 && n > 0) {
		char *dir = store_mailbox_dir(c->daemon->store, dst_info.owner,
					      dst_info.id);

		ret = mbox_open(dir, &dst, &error) < 0 ? -1 : 1;
		free(dir);
	}
	if (ret > 0 && n > 0)
		ret = imap_copy_messages(sel->mbox, &sel->view, recs, n, dst,
					 !move, new_uids, &error) < 0 ? -1 : 1;
	if (ret < 0 && dst != NULL && mbox_over_quota(dst)) {
		mbox_close(&dst);
		imap_client_done(c, "NO [OVERQUOTA] Quota exceeded");
		goto out;
	}
	mbox_close(&dst);
	if (ret < 0) {
		imap_client_fail(c, cmd->name, error);
		goto out;
	}
	if (n > 0) {
		imap_copy_uidset(old_uids, n, &src_set);
		imap_copy_uidset(new_uids, n, &dst_set);
		log_info(move ? "move" : "copy", "mailbox=%s to=%s count=%zu",
			 sel->info.name, dst_info.name, n);
	}
	if (!move) {
		if (n == 0)
			imap_client_done(c, expunged ?
				"NO [EXPUNGEISSUED] Messages no longer exist" :
				"OK COPY completed");
		else
			imap_client_done(c, "OK [COPYUID %u %s %s] COPY completed",
					 dst_info.uidvalidity, buf_cstr(&src_set),
					 buf_cstr(&dst_set));
		goto out;
	}
	/* RFC 6851 section 4.3: COPYUID comes untagged before the
	 * EXPUNGEs, which imap_client_done() sends. */
	if (n > 0) {
		imap_client_send(c, "* OK [COPYUID %u %s %s] Moved",
				 dst_info.uidvalidity, buf_cstr(&src_set),
				 buf_cstr(&dst_set));
		if (mbox_expunge(sel->mbox, old_uids, n, &error) < 0) {
			imap_client_fail(c, "MOVE", error);
			goto out;
		}
	}
	imap_client_done(c, "OK MOVE completed");
out:
	free(idx);
	free(recs);
	free(old_uids);
	free(new_uids);
	buf_free(&src_set);
	buf_free(&dst_set);
}

void cmd_copy(struct imap_client *c, const struct imap_command *cmd)
{
	cmd_copy_common(c, cmd, false);
}

void cmd_move(struct imap_client *c, const struct imap_command *cmd)
{
	cmd_copy_common(c, cmd, true);
}
