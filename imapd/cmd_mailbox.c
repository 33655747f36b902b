/* CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 9051 sections
 * 6.3.4 to 6.3.8), CREATE with special uses (RFC 6154 section 3). */
#include "imapd/imap_commands.h"
#include "imapd/imap_acl.h"
#include "imapd/imap_client.h"
#include "imapd/imap_copy.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_selected.h"
#include "imapd/imapd.h"
#include "log.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The one mailbox-name argument of a command, as a store name. */
static int cmd_mailbox_arg(struct imap_client *c, const struct imap_command *cmd,
			   size_t i, char name[STORE_MAILBOX_NAME_MAX + 1],
			   bool strip_separator)
{
	char raw[STORE_MAILBOX_NAME_MAX * 4 + 1];
	const char *arg, *error;
	size_t len;

	if (!imap_arg_get_astring(&cmd->args[i], &arg, &len) ||
	    memchr(arg, '\0', len) != NULL) {
		imap_client_done_plain(c, "BAD Invalid mailbox name");
		return -1;
	}
	/* RFC 9051 6.3.4: "CREATE a/" declares the intent to make names
	 * below a; the separator is not part of the name. */
	if (strip_separator && len > 1 && arg[len - 1] == '/') {
		if (len > sizeof(raw) - 1) {
			imap_client_done_plain(c, "NO [CANNOT] Mailbox name "
					       "too long");
			return -1;
		}
		memcpy(raw, arg, len - 1);
		raw[len - 1] = '\0';
		arg = raw;
	}
	if (imap_mailbox_name_in(c, arg, name, &error) < 0) {
		imap_client_done_plain(c, "NO [CANNOT] %s", error);
		return -1;
	}
	return 0;
}

/* The special uses a mailbox can be created with (RFC 6154 section 2).
 * \All and \Flagged name virtual mailboxes, which the store has not. */
static const struct {
	const char *name;
	unsigned int bit;
} cmd_create_uses[] = {
	{ "\\Archive", STORE_SPECIAL_ARCHIVE },
	{ "\\Drafts", STORE_SPECIAL_DRAFTS },
	{ "\\Junk", STORE_SPECIAL_JUNK },
	{ "\\Sent", STORE_SPECIAL_SENT },
	{ "\\Trash", STORE_SPECIAL_TRASH },
};

/* CREATE's parameter list (RFC 4466 section 2.2): only USE (RFC 6154
 * section 3, CREATE-SPECIAL-USE) is known.  Returns the special-use bits,
 * or -1 after answering BAD or NO [USEATTR]. */
static int cmd_create_params(struct imap_client *c, const struct imap_arg *arg)
{
	const struct imap_arg *params, *uses;
	size_t count, use_count, i, j;
	unsigned int bits = 0;

	if (!imap_arg_get_list(arg, &params, &count) || count % 2 != 0) {
		imap_client_done_plain(c, "BAD Invalid CREATE parameters");
		return -1;
	}
	for (i = 0; i < count; i += 2) {
		if (!imap_arg_atom_equals(&params[i], "USE") ||
		    !imap_arg_get_list(&params[i + 1], &uses, &use_count)) {
			imap_client_done_plain(c, "BAD Unknown CREATE parameter");
			return -1;
		}
		for (j = 0; j < use_count; j++) {
			const char *flag;
			size_t k, n = sizeof(cmd_create_uses) /
				sizeof(cmd_create_uses[0]);

			if (!imap_arg_get_atom(&uses[j], &flag) ||
			    flag[0] != '\\') {
				imap_client_done_plain(c, "BAD Invalid USE "
						       "attribute");
				return -1;
			}
			for (k = 0; k < n; k++) {
				if (strcasecmp(flag, cmd_create_uses[k].name) == 0)
					break;
			}
			if (k == n) {
				imap_client_done(c, "NO [USEATTR] Unsupported "
						 "special-use attribute");
				return -1;
			}
			bits |= cmd_create_uses[k].bit;
		}
	}
	return (int)bits;
}

/* The store coordinates of a mailbox-name argument to create: answers
 * and returns -1 when the name can hold no mailbox, or when the user may
 * not create it (RFC 4314 section 4: "k" on the nearest existing parent);
 * `acl` gets the list the new mailbox inherits (ACL_TEXT_MAX + 1). */
static int cmd_mailbox_creatable(struct imap_client *c, const char *name,
				 struct imap_mailbox_ref *ref, char *acl)
{
	const char *error;
	int ret;

	if (imap_acl_ref(c, name, ref) < 0) {
		imap_client_done(c, "NO [CANNOT] No mailbox can have that name");
		return -1;
	}
	ret = imap_acl_may_create(c, ref, acl, &error);
	if (ret == 1 && strcmp(ref->owner, c->user) != 0 &&
	    !store_owner_is_shared(ref->owner))
		ret = store_user_exists(c->daemon->store, ref->owner, &error);
	if (ret < 0) {
		imap_client_fail(c, "CREATE", error);
		return -1;
	}
	if (ret == 0) {
		imap_client_done(c, "NO [NOPERM] Permission denied");
		return -1;
	}
	return 0;
}

void cmd_create(struct imap_client *c, const struct imap_command *cmd)
{
	char name[STORE_MAILBOX_NAME_MAX + 1], acl[ACL_TEXT_MAX + 1];
	struct imap_mailbox_ref ref;
	const char *error;
	bool exists;
	int special_use = 0;

	if (cmd->arg_count != 1 && cmd->arg_count != 2) {
		imap_client_done_plain(c, "BAD CREATE takes a mailbox name");
		return;
	}
	if (cmd->arg_count == 2 &&
	    (special_use = cmd_create_params(c, &cmd->args[1])) < 0)
		return;
	if (cmd_mailbox_arg(c, cmd, 0, name, true) < 0 ||
	    cmd_mailbox_creatable(c, name, &ref, acl) < 0)
		return;
	if (store_mailbox_create_acl(c->daemon->store, ref.owner, ref.name,
				     (unsigned int)special_use,
				     acl[0] != '\0' ? acl : NULL, &exists,
				     &error) < 0) {
		if (exists)
			imap_client_done(c, "NO [ALREADYEXISTS] Mailbox exists");
		else
			imap_client_fail(c, "CREATE", error);
		return;
	}
	imap_client_done(c, "OK CREATE completed");
}

/* Looks up a mailbox the command needs `right` on: 1 found and allowed,
 * otherwise answered ([NONEXISTENT] when invisible, [NOPERM]) and 0. */
static int cmd_mailbox_need(struct imap_client *c, const char *cmd_name,
			    const char *name, unsigned int right,
			    struct store_mailbox *mb)
{
	unsigned int rights = 0;
	const char *error;
	int ret;

	ret = imap_acl_lookup(c, name, mb, &rights, &error);
	if (ret < 0) {
		imap_client_fail(c, cmd_name, error);
		return 0;
	}
	if (ret == 0) {
		imap_client_done(c, "NO [NONEXISTENT] No such mailbox");
		return 0;
	}
	if ((rights & right) != right) {
		imap_client_done(c, "NO [NOPERM] Permission denied");
		return 0;
	}
	return 1;
}

void cmd_delete(struct imap_client *c, const struct imap_command *cmd)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	struct store_mailbox mb;
	const char *error;

	if (cmd->arg_count != 1) {
		imap_client_done_plain(c, "BAD DELETE takes a mailbox name");
		return;
	}
	if (cmd_mailbox_arg(c, cmd, 0, name, false) < 0)
		return;
	if (strcmp(name, "INBOX") == 0) {
		imap_client_done(c, "NO [CANNOT] INBOX cannot be deleted");
		return;
	}
	if (cmd_mailbox_need(c, "DELETE", name, ACL_X, &mb) == 0)
		return;
	if (strcmp(mb.name, "INBOX") == 0) {
		imap_client_done(c, "NO [CANNOT] INBOX cannot be deleted");
		return;
	}
	if (store_mailbox_delete(c->daemon->store, mb.owner, mb.name,
				 &error) < 0) {
		imap_client_fail(c, "DELETE", error);
		return;
	}
	/* Deleting the selected mailbox leaves nothing to be selected. */
	if (c->sel != NULL && strcmp(c->sel->info.id, mb.id) == 0) {
		imap_client_unselect(c);
		imap_client_send(c, "* OK [CLOSED] Mailbox deleted");
	}
	imap_client_done(c, "OK DELETE completed");
}

/* RFC 9051 section 6.3.6: renaming INBOX moves its messages to a new
 * mailbox and leaves INBOX empty (its children stay where they are). */
static void cmd_rename_inbox(struct imap_client *c, const char *to)
{
	struct store *st = c->daemon->store;
	struct mbox *src = NULL, *dst = NULL;
	struct mbox_view view;
	uint32_t *uids = NULL, *new_uids = NULL;
	const char *error;
	bool exists;
	size_t i;
	int ret;

	memset(&view, 0, sizeof(view));
	if (store_mailbox_create(st, c->user, to, 0, &exists, &error) < 0) {
		if (exists)
			imap_client_done(c, "NO [ALREADYEXISTS] Mailbox exists");
		else
			imap_client_fail(c, "RENAME", error);
		return;
	}
	ret = store_mailbox_open(st, c->user, "INBOX", &src, &error);
	if (ret > 0)
		ret = store_mailbox_open(st, c->user, to, &dst, &error);
	if (ret > 0)
		ret = mbox_view_load(src, &view, &error) == 0 &&
			mbox_sync(src, &view, NULL, NULL, &error) >= 0 ? 1 : -1;
	if (ret > 0 && view.count > 0) {
		uids = xcalloc(view.count, sizeof(*uids));
		new_uids = xcalloc(view.count, sizeof(*new_uids));
		for (i = 0; i < view.count; i++)
			uids[i] = view.records[i].uid;
		if (imap_copy_messages(src, &view, view.records, view.count,
				       dst, false, new_uids, &error) < 0 ||
		    mbox_expunge(src, uids, view.count, &error) < 0)
			ret = -1;
	}
	if (ret > 0)
		log_info("mailbox_renamed", "mailbox=INBOX path=%s count=%zu",
			 to, view.count);
	mbox_view_free(&view);
	mbox_close(&src);
	mbox_close(&dst);
	free(uids);
	free(new_uids);
	if (ret <= 0) {
		imap_client_fail(c, "RENAME", ret < 0 ? error : "INBOX missing");
		return;
	}
	imap_client_done(c, "OK RENAME completed");
}

void cmd_rename(struct imap_client *c, const struct imap_command *cmd)
{
	char from[STORE_MAILBOX_NAME_MAX + 1], to[STORE_MAILBOX_NAME_MAX + 1],
	     acl[ACL_TEXT_MAX + 1];
	struct store *st = c->daemon->store;
	struct store_mailbox mb, other;
	struct imap_mailbox_ref ref;
	const char *error;
	size_t len;
	int ret;

	if (cmd->arg_count != 2) {
		imap_client_done_plain(c, "BAD RENAME takes two mailbox names");
		return;
	}
	if (cmd_mailbox_arg(c, cmd, 0, from, false) < 0 ||
	    cmd_mailbox_arg(c, cmd, 1, to, true) < 0)
		return;
	/* RFC 4314 section 4: "x" on the mailbox, "k" on the new parent. */
	if (cmd_mailbox_need(c, "RENAME", from, ACL_X, &mb) == 0 ||
	    cmd_mailbox_creatable(c, to, &ref, acl) < 0)
		return;
	if (strcmp(ref.owner, mb.owner) != 0) {
		imap_client_done(c, "NO [CANNOT] Cannot move a mailbox to "
				 "another owner");
		return;
	}
	ret = store_mailbox_lookup(st, ref.owner, ref.name, &other, &error);
	if (ret > 0 || strcmp(ref.name, "INBOX") == 0) {
		imap_client_done(c, "NO [ALREADYEXISTS] Target mailbox exists");
		return;
	}
	if (ret < 0) {
		imap_client_fail(c, "RENAME", error);
		return;
	}
	if (strcmp(mb.name, "INBOX") == 0) {
		if (strcmp(mb.owner, c->user) != 0)
			imap_client_done(c, "NO [CANNOT] Another user's INBOX "
					 "cannot be renamed");
		else
			cmd_rename_inbox(c, ref.name);
		return;
	}
	len = strlen(mb.name);
	if (strncmp(ref.name, mb.name, len) == 0 && ref.name[len] == '/') {
		imap_client_done(c, "NO [CANNOT] Cannot rename a mailbox "
				 "into itself");
		return;
	}
	if (store_mailbox_rename(st, mb.owner, mb.name, ref.name, &error) < 0) {
		imap_client_fail(c, "RENAME", error);
		return;
	}
	if (c->sel != NULL && strcmp(c->sel->info.owner, mb.owner) == 0 &&
	    (strcmp(c->sel->info.name, mb.name) == 0 ||
	     (strncmp(c->sel->info.name, mb.name, len) == 0 &&
	      c->sel->info.name[len] == '/'))) {
		struct buf renamed = BUF_INIT;

		buf_printf(&renamed, "%s%s", ref.name, c->sel->info.name + len);
		(void)str_copy(c->sel->info.name, sizeof(c->sel->info.name),
			       buf_cstr(&renamed));
		buf_free(&renamed);
	}
	imap_client_done(c, "OK RENAME completed");
}

void cmd_subscribe(struct imap_client *c, const struct imap_command *cmd)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	const char *error;

	if (cmd->arg_count != 1) {
		imap_client_done_plain(c, "BAD SUBSCRIBE takes a mailbox name");
		return;
	}
	if (cmd_mailbox_arg(c, cmd, 0, name, false) < 0)
		return;
	if (store_subscribe(c->daemon->store, c->user, name, &error) < 0) {
		imap_client_fail(c, "SUBSCRIBE", error);
		return;
	}
	imap_client_done(c, "OK SUBSCRIBE completed");
}

void cmd_unsubscribe(struct imap_client *c, const struct imap_command *cmd)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	const char *error;
	int ret;

	if (cmd->arg_count != 1) {
		imap_client_done_plain(c, "BAD UNSUBSCRIBE takes a mailbox name");
		return;
	}
	if (cmd_mailbox_arg(c, cmd, 0, name, false) < 0)
		return;
	ret = store_unsubscribe(c->daemon->store, c->user, name, &error);
	if (ret < 0)
		imap_client_fail(c, "UNSUBSCRIBE", error);
	else if (ret == 0)
		imap_client_done(c, "NO [NONEXISTENT] Not subscribed");
	else
		imap_client_done(c, "OK UNSUBSCRIBE completed");
}
