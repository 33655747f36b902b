/* SELECT, EXAMINE (RFC 9051 sections 6.3.2, 6.3.3), CLOSE (6.4.2) and
 * UNSELECT (6.4.3, RFC 3691). */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_list.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_selected.h"
#include "imapd/imapd.h"
#include "log.h"
#include "store.h"

#include <stdlib.h>

static void cmd_select_respond(struct imap_client *c)
{
	struct imap_selected *sel = c->sel;
	struct buf line = BUF_INIT;
	size_t i;

	buf_append_str(&line, "* FLAGS ");
	imap_selected_flag_list(sel, &line);
	imap_client_send(c, "%s", buf_cstr(&line));
	buf_clear(&line);
	if (sel->readonly) {
		buf_append_str(&line, "()");
	} else {
		imap_selected_flag_list(sel, &line);
		buf_truncate(&line, line.len - 1);
		buf_append_str(&line, " \\*)");
	}
	imap_client_send(c, "* OK [PERMANENTFLAGS %s] Flags permitted",
			 buf_cstr(&line));
	imap_client_send(c, "* %zu EXISTS", sel->count);
	if (!(c->enabled & IMAP_ENABLED_IMAP4REV2)) {
		/* RFC 3501 section 6.3.1: RECENT and the first unseen
		 * message.  No message is ever \Recent here. */
		imap_client_send(c, "* 0 RECENT");
		for (i = 0; i < sel->count; i++) {
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
	imap_client_send(c, "* OK [MAILBOXID (%s)] Ok", sel->info.id);
	if (c->enabled & IMAP_ENABLED_IMAP4REV2) {
		buf_clear(&line);
		imap_list_mailbox_line(c, &sel->info, NULL, &line);
		imap_client_write(c, line.data, line.len);
	}
	buf_free(&line);
}

static void cmd_select_common(struct imap_client *c,
			      const struct imap_command *cmd, bool readonly)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	struct store_mailbox info;
	const char *arg, *error;
	size_t len;
	int ret;

	if (cmd->arg_count != 1 ||
	    !imap_arg_get_astring(&cmd->args[0], &arg, &len)) {
		imap_client_done_plain(c, "BAD Invalid arguments");
		return;
	}
	if (c->sel != NULL) {
		imap_client_unselect(c);
		/* RFC 9051 section 7.1: [CLOSED] tells a pipelining client
		 * where the old mailbox's responses end. */
		imap_client_send(c, "* OK [CLOSED] Previous mailbox closed");
	}
	if (imap_mailbox_name_in(c, arg, name, &error) < 0) {
		imap_client_done_plain(c, "NO [NONEXISTENT] %s", error);
		return;
	}
	ret = store_mailbox_lookup(c->daemon->store, c->user, name, &info,
				   &error);
	if (ret < 0) {
		imap_client_fail(c, "SELECT", error);
		return;
	}
	if (ret == 0) {
		imap_client_done_plain(c, "NO [NONEXISTENT] No such mailbox");
		return;
	}
	if (imap_selected_open(c, &info, readonly, &c->sel, &error) < 0) {
		imap_client_fail(c, "SELECT", error);
		return;
	}
	c->state = IMAP_STATE_SELECTED;
	cmd_select_respond(c);
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
	if (!sel->readonly) {
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
