/* STATUS (RFC 9051 section 6.3.11). */
#include "imapd/imap_commands.h"
#include "imapd/imap_acl.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_selected.h"
#include "imapd/imap_status.h"
#include "imapd/imapd.h"
#include "mbox.h"

#include <stdlib.h>
#include <strings.h>

static const struct {
	const char *name;
	unsigned int bit;
} imap_status_items[] = {
	{ "MESSAGES", IMAP_STATUS_MESSAGES },
	{ "UIDNEXT", IMAP_STATUS_UIDNEXT },
	{ "UIDVALIDITY", IMAP_STATUS_UIDVALIDITY },
	{ "UNSEEN", IMAP_STATUS_UNSEEN },
	{ "DELETED", IMAP_STATUS_DELETED },
	{ "SIZE", IMAP_STATUS_SIZE },
	{ "RECENT", IMAP_STATUS_RECENT },
	{ "HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ },
	{ "DELETED-STORAGE", IMAP_STATUS_DELETED_STORAGE },
	{ "MAILBOXID", IMAP_STATUS_MAILBOXID },
};
#define IMAP_STATUS_ITEM_COUNT \
	(sizeof(imap_status_items) / sizeof(imap_status_items[0]))

int imap_status_parse(const struct imap_arg *list, size_t count,
		      unsigned int *items_r)
{
	size_t i, j;
	const char *name;

	*items_r = 0;
	if (count == 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (!imap_arg_get_atom(&list[i], &name))
			return -1;
		for (j = 0; j < IMAP_STATUS_ITEM_COUNT; j++) {
			if (strcasecmp(name, imap_status_items[j].name) == 0)
				break;
		}
		if (j == IMAP_STATUS_ITEM_COUNT)
			return -1;
		*items_r |= imap_status_items[j].bit;
	}
	return 0;
}

/* On a board each reader has their own \Seen (store_seen_get()): the
 * messages not in it.  Loads the mailbox's records. */
static int imap_status_own_unseen(struct imap_client *c, struct mbox *box,
				  const struct store_mailbox *mb,
				  uint32_t *unseen_r, const char **error_r)
{
	struct mbox_view view;
	uint32_t *seen = NULL;
	size_t count = 0, i, j = 0;
	uint32_t unseen = 0;

	if (mbox_view_load(box, &view, error_r) < 0)
		return -1;
	if (mbox_sync(box, &view, NULL, NULL, error_r) < 0) {
		mbox_view_free(&view);
		return -1;
	}
	if (store_seen_get(c->daemon->store, c->user, mb->id, &seen, &count,
			   error_r) < 0) {
		mbox_view_free(&view);
		return -1;
	}
	/* Both are in UID order. */
	for (i = 0; i < view.count; i++) {
		while (j < count && seen[j] < view.records[i].uid)
			j++;
		if (j == count || seen[j] != view.records[i].uid)
			unseen++;
	}
	free(seen);
	mbox_view_free(&view);
	*unseen_r = unseen;
	return 0;
}

int imap_status_write(struct imap_client *c, const struct store_mailbox *mb,
		      unsigned int items, struct buf *out,
		      const char **error_r)
{
	struct mbox_status st;
	struct mbox *box;
	char *dir = store_mailbox_dir(c->daemon->store, mb->owner, mb->id);
	size_t j;
	bool first = true;
	int ret;

	ret = mbox_open(dir, &box, error_r);
	free(dir);
	if (ret < 0)
		return -1;
	ret = mbox_status(box, &st, error_r);
	if (ret == 0 && (items & IMAP_STATUS_UNSEEN) &&
	    store_owner_is_shared(mb->owner))
		ret = imap_status_own_unseen(c, box, mb, &st.unseen, error_r);
	mbox_close(&box);
	if (ret < 0)
		return -1;
	buf_append_str(out, "* STATUS ");
	imap_acl_name_out(c, mb, out);
	buf_append_str(out, " (");
	for (j = 0; j < IMAP_STATUS_ITEM_COUNT; j++) {
		unsigned int bit = imap_status_items[j].bit;
		unsigned long long v;

		if (!(items & bit))
			continue;
		if (bit == IMAP_STATUS_MAILBOXID) {
			/* The mailbox's random ID: kept by RENAME, new for
			 * every CREATE (RFC 8474 section 4.1). */
			buf_printf(out, "%sMAILBOXID (%s)", first ? "" : " ",
				   mb->id);
			first = false;
			continue;
		}
		switch (bit) {
		case IMAP_STATUS_MESSAGES: v = st.messages; break;
		case IMAP_STATUS_UIDNEXT: v = st.uidnext; break;
		case IMAP_STATUS_UIDVALIDITY: v = st.uidvalidity; break;
		case IMAP_STATUS_UNSEEN: v = st.unseen; break;
		case IMAP_STATUS_DELETED: v = st.deleted; break;
		case IMAP_STATUS_SIZE: v = st.size; break;
		case IMAP_STATUS_HIGHESTMODSEQ: v = st.highestmodseq; break;
		case IMAP_STATUS_DELETED_STORAGE: v = st.deleted_size; break;
		default: v = 0; break;	/* RECENT: never set here */
		}
		buf_printf(out, "%s%s %llu", first ? "" : " ",
			   imap_status_items[j].name, v);
		first = false;
	}
	buf_append_str(out, ")\r\n");
	return 0;
}

void cmd_status(struct imap_client *c, const struct imap_command *cmd)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	struct store_mailbox mb;
	const struct imap_arg *list;
	const char *arg, *error;
	struct buf out = BUF_INIT;
	unsigned int items, rights = 0;
	size_t len, count;
	int ret;

	if (cmd->arg_count != 2 ||
	    !imap_arg_get_astring(&cmd->args[0], &arg, &len) ||
	    !imap_arg_get_list(&cmd->args[1], &list, &count) ||
	    imap_status_parse(list, count, &items) < 0) {
		imap_client_done_plain(c, "BAD Invalid STATUS arguments");
		return;
	}
	if (items & IMAP_STATUS_HIGHESTMODSEQ)
		imap_condstore_enable(c);
	if (imap_mailbox_name_in(c, arg, name, &error) < 0) {
		imap_client_done_plain(c, "NO [NONEXISTENT] %s", error);
		return;
	}
	ret = imap_acl_lookup(c, name, &mb, &rights, &error);
	if (ret == 0) {
		imap_client_done(c, "NO [NONEXISTENT] No such mailbox");
		return;
	}
	if (ret > 0 && !(rights & ACL_R)) {
		imap_client_done(c, "NO [NOPERM] Permission denied");
		return;
	}
	if (ret < 0 || imap_status_write(c, &mb, items, &out, &error) < 0) {
		buf_free(&out);
		imap_client_fail(c, "STATUS", error);
		return;
	}
	imap_client_write(c, out.data, out.len);
	buf_free(&out);
	imap_client_done(c, "OK STATUS completed");
}
