/* SETACL, DELETEACL, GETACL, LISTRIGHTS and MYRIGHTS (RFC 4314 section
 * 3). */
#include "imapd/imap_commands.h"
#include "imapd/imap_acl.h"
#include "imapd/imap_client.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_quote.h"
#include "imapd/imapd.h"
#include "auth_name.h"

#include <string.h>

/* The mailbox argument, looked up; the user needs all of `need` (0: any
 * visible mailbox, as MYRIGHTS).  Answers and returns -1 when the command
 * cannot go on. */
static int cmd_acl_mailbox(struct imap_client *c, const struct imap_command *cmd,
			   unsigned int need, struct store_mailbox *mb,
			   unsigned int *rights_r)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	const char *arg, *error;
	size_t len;
	int ret;

	if (!imap_arg_get_astring(&cmd->args[0], &arg, &len)) {
		imap_client_done_plain(c, "BAD Invalid %s arguments", cmd->name);
		return -1;
	}
	if (imap_mailbox_name_in(c, arg, name, &error) < 0) {
		imap_client_done(c, "NO [NONEXISTENT] %s", error);
		return -1;
	}
	ret = imap_acl_lookup(c, name, mb, rights_r, &error);
	if (ret < 0) {
		imap_client_fail(c, cmd->name, error);
		return -1;
	}
	if (ret == 0) {
		imap_client_done(c, "NO [NONEXISTENT] No such mailbox");
		return -1;
	}
	if ((*rights_r & need) != need) {
		imap_client_done(c, "NO [NOPERM] Permission denied");
		return -1;
	}
	return 0;
}

/* The identifier argument `i`, checked.  Answers on errors. */
static int cmd_acl_identifier(struct imap_client *c,
			      const struct imap_command *cmd, size_t i,
			      const char **id_r)
{
	const char *error;
	size_t len;

	if (!imap_arg_get_astring(&cmd->args[i], id_r, &len) ||
	    memchr(*id_r, '\0', len) != NULL) {
		imap_client_done_plain(c, "BAD Invalid %s arguments", cmd->name);
		return -1;
	}
	if (acl_identifier_check(*id_r, &error) < 0) {
		imap_client_done(c, "NO %s", error);
		return -1;
	}
	return 0;
}

/* "* ACL mailbox id rights ..." for `text`, the stored form. */
static void cmd_acl_send_acl(struct imap_client *c,
			     const struct store_mailbox *mb, const char *text)
{
	struct buf line = BUF_INIT;
	char rights[ACL_RIGHTS_SIZE];
	const char *error;
	struct acl acl;
	size_t i;

	if (acl_parse(text, strlen(text), &acl, &error) < 0)
		acl.count = 0;
	buf_append_str(&line, "* ACL ");
	imap_acl_name_out(c, mb, &line);
	for (i = 0; i < acl.count; i++) {
		acl_rights_format(acl.entries[i].rights, rights);
		buf_append_char(&line, ' ');
		imap_quote_astring(&line, acl.entries[i].id,
				   strlen(acl.entries[i].id), 0);
		buf_append_char(&line, ' ');
		imap_quote_astring(&line, rights, strlen(rights), 0);
	}
	buf_append_str(&line, "\r\n");
	imap_client_write(c, line.data, line.len);
	buf_free(&line);
}

static void cmd_acl_change(struct imap_client *c, const struct imap_command *cmd,
			   bool remove)
{
	struct store_mailbox mb;
	enum acl_mod mod = ACL_MOD_REPLACE;
	unsigned int rights = 0, have;
	const char *id, *text = "", *error;
	size_t len;
	int ret;

	if (cmd->arg_count != (remove ? 2u : 3u)) {
		imap_client_done_plain(c, "BAD Invalid %s arguments", cmd->name);
		return;
	}
	if (!remove && !imap_arg_get_astring(&cmd->args[2], &text, &len)) {
		imap_client_done_plain(c, "BAD Invalid %s arguments", cmd->name);
		return;
	}
	if (cmd_acl_mailbox(c, cmd, ACL_A, &mb, &have) < 0 ||
	    cmd_acl_identifier(c, cmd, 1, &id) < 0)
		return;
	/* RFC 4314 section 3.1: a leading "+" adds, "-" removes. */
	if (text[0] == '+' || text[0] == '-') {
		mod = text[0] == '+' ? ACL_MOD_ADD : ACL_MOD_REMOVE;
		text++;
	}
	if (acl_rights_parse(text, &rights, &error) < 0) {
		imap_client_done_plain(c, "BAD %s", error);
		return;
	}
	ret = store_mailbox_acl_change(c->daemon->store, mb.owner, mb.name, id,
				       mod, rights, remove, NULL, &error);
	if (ret == 0) {
		imap_client_done(c, "NO [NONEXISTENT] No such mailbox");
		return;
	}
	if (ret < 0) {
		if (strstr(error, "Too many") != NULL)
			imap_client_done(c, "NO [LIMIT] %s", error);
		else
			imap_client_fail(c, cmd->name, error);
		return;
	}
	imap_client_done(c, "OK %s completed", cmd->name);
}

void cmd_setacl(struct imap_client *c, const struct imap_command *cmd)
{
	cmd_acl_change(c, cmd, false);
}

void cmd_deleteacl(struct imap_client *c, const struct imap_command *cmd)
{
	cmd_acl_change(c, cmd, true);
}

void cmd_getacl(struct imap_client *c, const struct imap_command *cmd)
{
	struct store_mailbox mb;
	unsigned int rights;

	if (cmd->arg_count != 1) {
		imap_client_done_plain(c, "BAD Invalid GETACL arguments");
		return;
	}
	if (cmd_acl_mailbox(c, cmd, ACL_A, &mb, &rights) < 0)
		return;
	cmd_acl_send_acl(c, &mb, mb.acl);
	imap_client_done(c, "OK GETACL completed");
}

void cmd_listrights(struct imap_client *c, const struct imap_command *cmd)
{
	struct store_mailbox mb;
	struct buf line = BUF_INIT;
	char always[ACL_RIGHTS_SIZE];
	const char *id, *p;
	unsigned int rights;
	bool admin;

	if (cmd->arg_count != 2) {
		imap_client_done_plain(c, "BAD Invalid LISTRIGHTS arguments");
		return;
	}
	if (cmd_acl_mailbox(c, cmd, ACL_A, &mb, &rights) < 0 ||
	    cmd_acl_identifier(c, cmd, 1, &id) < 0)
		return;
	admin = id[0] != '-' &&
		auth_name_list_contains(c->daemon->auth.auth_admins, id);
	acl_listrights(id, store_owner_is_shared(mb.owner) ? NULL : mb.owner,
		       admin, always);
	buf_append_str(&line, "* LISTRIGHTS ");
	imap_acl_name_out(c, &mb, &line);
	buf_append_char(&line, ' ');
	imap_quote_astring(&line, id, strlen(id), 0);
	buf_append_char(&line, ' ');
	imap_quote_string(&line, always, strlen(always), 0);
	/* Every other right may be granted on its own; "c" and "d" stand
	 * for their members (RFC 4314 section 2.1.1). */
	for (p = ACL_RIGHT_LETTERS; *p != '\0'; p++) {
		if (strchr(always, *p) == NULL)
			buf_printf(&line, " %c", *p);
	}
	if (strchr(always, 'k') == NULL)
		buf_append_str(&line, " c");
	if (strchr(always, 'x') == NULL)
		buf_append_str(&line, " d");
	buf_append_str(&line, "\r\n");
	imap_client_write(c, line.data, line.len);
	buf_free(&line);
	imap_client_done(c, "OK LISTRIGHTS completed");
}

void cmd_myrights(struct imap_client *c, const struct imap_command *cmd)
{
	struct store_mailbox mb;
	struct buf line = BUF_INIT;
	char text[ACL_RIGHTS_SIZE];
	unsigned int rights;

	if (cmd->arg_count != 1) {
		imap_client_done_plain(c, "BAD Invalid MYRIGHTS arguments");
		return;
	}
	if (cmd_acl_mailbox(c, cmd, 0, &mb, &rights) < 0)
		return;
	acl_rights_format(rights, text);
	buf_append_str(&line, "* MYRIGHTS ");
	imap_acl_name_out(c, &mb, &line);
	buf_append_char(&line, ' ');
	imap_quote_astring(&line, text, strlen(text), 0);
	buf_append_str(&line, "\r\n");
	imap_client_write(c, line.data, line.len);
	buf_free(&line);
	imap_client_done(c, "OK MYRIGHTS completed");
}
