/* SELECT, EXAMINE (RFC 9051 sections 6.3.2, 6.3.3), CLOSE (6.4.2) and
 * UNSELECT (6.4.3, RFC 3691). */
#include "imapd/imap_commands.h"
#include "imapd/imap_acl.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_list.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_selected.h"
#include "imapd/imapd.h"
#include "log.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

/* PERMANENTFLAGS: only the flags the user's rights let them keep (RFC
 * 4314 section 5.1.1). */
static void cmd_select_permanent_flags(const struct imap_selected *sel,
				       struct buf *line)
{
	struct buf all = BUF_INIT;
	const char *p, *end;
	size_t start = line->len;

	imap_selected_flag_list(sel, &all);
	/* "(\Answered \Flagged ... kw)": one word at a time. */
	buf_append_char(line, '(');
	for (p = all.data + 1; p < all.data + all.len - 1; p = end + 1) {
		unsigned int need;
		size_t n;

		end = memchr(p, ' ', (size_t)(all.data + all.len - 1 - p));
		if (end == NULL)
			end = all.data + all.len - 1;
		n = (size_t)(end - p);
		need = n == 5 && strncmp(p, "\\Seen", 5) == 0 ? ACL_S :
			n == 8 && strncmp(p, "\\Deleted", 8) == 0 ? ACL_T : ACL_W;
		if (sel->rights & need) {
			if (line->len > start + 1)
				buf_append_char(line, ' ');
			buf_append(line, p, n);
		}
	}
	if (sel->rights & ACL_W)
		buf_append_str(line, line->len > start + 1 ? " \\*" : "\\*");
	buf_append_char(line, ')');
	buf_free(&all);
}

static void cmd_select_respond(struct imap_client *c)
{
	struct imap_selected *sel = c->sel;
	struct buf line = BUF_INIT;
	size_t i;

	buf_append_str(&line, "* FLAGS ");
	imap_selected_flag_list(sel, &line);
	imap_client_send(c, "%s", buf_cstr(&line));
	buf_clear(&line);
	if (sel->readonly)
		buf_append_str(&line, "()");
	else
		cmd_select_permanent_flags(sel, &line);
	imap_client_send(c, "* OK [PERMANENTFLAGS %s] Flags permitted",
			 buf_cstr(&line));
	imap_client_send(c, "* %zu EXISTS", sel->count);
	if (!(c->enabled & IMAP_ENABLED_IMAP4REV2)) {
		/* RFC 3501 section 6.3.1: RECENT and the first unseen
		 * message.  No message is ever \Recent here. */
		imap_client_send(c, "* 0 RECENT");
		/* Right after the open the messages are the view's, whose
		 * seen prefix spares walking a mailbox read mostly; with a
		 * private \Seen (a shared mailbox) they differ. */
		i = sel->private_seen ? 0 :
			mbox_view_first_unseen(&sel->view);
		for (; i < sel->count; i++) {
			if (!(sel->msgs[i].flags & MBOX_SEEN)) {
				imap_client_send(c, "* OK [UNSEEN %zu] First "
						 "unseen", i + 1);
				break;
			}
		}
	}
	imap_client_send(c, "* OK [UIDVALIDITY %u] UIDs valid",
			 sel->view.uidvalidity);
	imap_client_send(c, "* OK [UIDNEXT %u] Predicted next UID",
			 sel->view.uidnext);
	/* RFC 7162 section 3.1.2.1, once the client has shown it knows of
	 * mod-sequences (as Dovecot does: older clients see no change). */
	if (imap_condstore_enabled(c))
		imap_client_send(c, "* OK [HIGHESTMODSEQ %llu] Highest",
				 (unsigned long long)sel->view.highestmodseq);
	imap_client_send(c, "* OK [MAILBOXID (%s)] Ok", sel->info.id);
	if (c->enabled & IMAP_ENABLED_IMAP4REV2) {
		struct store_mailbox mb;

		buf_clear(&line);
		imap_selected_record(sel, &mb);
		imap_list_mailbox_line(c, &mb, NULL, &line);
		imap_client_write(c, line.data, line.len);
	}
	buf_free(&line);
}

static void cmd_select_common(struct imap_client *c,
			      const struct imap_command *cmd, bool readonly)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	struct store_mailbox info;
	struct imap_select_params params;
	const struct imap_arg *list;
	const char *arg, *error;
	unsigned int rights = 0;
	size_t len;
	int ret;

	memset(&params, 0, sizeof(params));
	if (cmd->arg_count < 1 || cmd->arg_count > 2 ||
	    !imap_arg_get_astring(&cmd->args[0], &arg, &len)) {
		imap_client_done_plain(c, "BAD Invalid arguments");
		return;
	}
	/* RFC 4466 section 2.1: select parameters (RFC 7162's CONDSTORE
	 * and QRESYNC), checked before the old mailbox is left. */
	if (cmd->arg_count == 2 &&
	    (!imap_arg_get_list(&cmd->args[1], &list, NULL) ||
	     imap_select_params_parse(c, list, &params, &error) < 0)) {
		imap_select_params_free(&params);
		imap_client_done_plain(c, "BAD %s", cmd->args[1].type ==
				       IMAP_ARG_LIST ? error :
				       "Invalid arguments");
		return;
	}
	if (c->sel != NULL) {
		imap_client_unselect(c);
		/* RFC 9051 section 7.1: [CLOSED] tells a pipelining client
		 * where the old mailbox's responses end. */
		imap_client_send(c, "* OK [CLOSED] Previous mailbox closed");
	}
	if (imap_mailbox_name_in(c, arg, name, &error) < 0) {
		imap_select_params_free(&params);
		imap_client_done_plain(c, "NO [NONEXISTENT] %s", error);
		return;
	}
	ret = imap_acl_lookup(c, name, &info, &rights, &error);
	if (ret < 0) {
		imap_select_params_free(&params);
		imap_client_fail(c, "SELECT", error);
		return;
	}
	if (ret == 0) {
		imap_select_params_free(&params);
		imap_client_done_plain(c, "NO [NONEXISTENT] No such mailbox");
		return;
	}
	if (!(rights & ACL_R)) {
		imap_client_done_plain(c, "NO [NOPERM] Permission denied");
		return;
	}
	/* RFC 4314 section 5.2: read-only unless a right lets the session
	 * change the mailbox. */
	if (!(rights & (ACL_I | ACL_E | ACL_S | ACL_W | ACL_T)))
		readonly = true;
	if (imap_selected_open(c, &info, readonly, &c->sel, &error) < 0) {
		imap_select_params_free(&params);
		imap_client_fail(c, "SELECT", error);
		return;
	}
	c->sel->rights = rights;
	c->state = IMAP_STATE_SELECTED;
	if (params.condstore || params.qresync)
		c->enabled |= IMAP_ENABLED_CONDSTORE;
	cmd_select_respond(c);
	imap_qresync_select(c, &params);
	imap_select_params_free(&params);
	imap_client_done(c, "OK [READ-%s] %s completed",
			 readonly ? "ONLY" : "WRITE", cmd->name);
}

void cmd_select(struct imap_client *c, const struct imap_command *cmd)
{
	cmd_select_common(c, cmd, false);
}

void cmd_examine(struct imap_client *c, const struct imap_command *cmd)
{
	cmd_select_common(c, cmd, true);
}

/* CLOSE removes the \Deleted messages silently (no EXPUNGE responses), but
 * only when the mailbox is writable (RFC 9051 section 6.4.2). */
void cmd_close(struct imap_client *c, const struct imap_command *cmd)
{
	struct imap_selected *sel = c->sel;
	const char *error;
	uint32_t *uids;
	size_t i, n = 0;

	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD CLOSE takes no arguments");
		return;
	}
	/* RFC 4314 section 4: without "e", CLOSE only closes. */
	if (!sel->readonly && (sel->rights & ACL_E)) {
		(void)imap_selected_sync(sel, &error);
		uids = xcalloc(sel->count + 1, sizeof(*uids));
		for (i = 0; i < sel->count; i++) {
			if ((sel->msgs[i].flags & MBOX_DELETED) &&
			    !(sel->state[i] & IMAP_MSG_EXPUNGED))
				uids[n++] = sel->msgs[i].uid;
		}
		if (n > 0 && mbox_expunge(sel->mbox, uids, n, &error) < 0)
			log_error("expunge_failed", "mailbox=%s reason=%s",
				  sel->info.name, error);
		else if (n > 0)
			log_info("expunge", "mailbox=%s count=%zu",
				 sel->info.name, n);
		free(uids);
	}
	imap_client_unselect(c);
	imap_client_done_plain(c, "OK CLOSE completed");
}

void cmd_unselect(struct imap_client *c, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD UNSELECT takes no arguments");
		return;
	}
	imap_client_unselect(c);
	imap_client_done_plain(c, "OK UNSELECT completed");
}
