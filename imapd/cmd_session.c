/* CAPABILITY, NOOP, LOGOUT, CHECK, NAMESPACE: commands without logic of
 * their own. */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"

void cmd_capability(struct imap_client *c, const struct imap_command *cmd)
{
	struct buf caps = BUF_INIT;

	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD CAPABILITY takes no arguments");
		return;
	}
	imap_client_capabilities(c, &caps);
	imap_client_send(c, "* CAPABILITY %s", buf_cstr(&caps));
	buf_free(&caps);
	imap_client_done(c, "OK CAPABILITY completed");
}

/* RFC 9051 section 6.1.2: NOOP is how a client polls for updates; the
 * untagged responses come from imap_client_done(). */
void cmd_noop(struct imap_client *c, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD NOOP takes no arguments");
		return;
	}
	imap_client_done(c, "OK NOOP completed");
}

/* RFC 9051 section 6.4.1: CHECK is NOOP in IMAP4rev2; every change here
 * is durable when it is acknowledged anyway. */
void cmd_check(struct imap_client *c, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD CHECK takes no arguments");
		return;
	}
	imap_client_done(c, "OK CHECK completed");
}

void cmd_logout(struct imap_client *c, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD LOGOUT takes no arguments");
		return;
	}
	imap_client_send(c, "* BYE Logging out");
	c->state = IMAP_STATE_LOGOUT;
	imap_client_done_plain(c, "OK LOGOUT completed");
}

/* RFC 2342, RFC 9051 section 6.3.10: the personal namespace, other
 * users' mailboxes and the shared boards, all with "/" (imap_acl.h). */
void cmd_namespace(struct imap_client *c, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD NAMESPACE takes no arguments");
		return;
	}
	imap_client_send(c, "* NAMESPACE ((\"\" \"/\")) "
			 "((\"Other Users/\" \"/\")) ((\"Shared/\" \"/\"))");
	imap_client_done(c, "OK NAMESPACE completed");
}
