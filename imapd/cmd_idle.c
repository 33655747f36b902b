/* IDLE (RFC 2177, RFC 9051 section 6.3.13): changes by any process reach
 * the client as they happen, woken by the change log's inotify watch
 * (imap_notify.h), not by polling. */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_selected.h"
#include "log.h"

#include <string.h>
#include <strings.h>

static void cmd_idle_notify(struct imap_client *c)
{
	const char *error;

	imap_client_ref(c);
	if (c->sel != NULL && imap_client_check_selected(c)) {
		if (imap_selected_sync(c->sel, &error) < 0)
			log_error("mailbox_sync_failed", "mailbox=%s reason=%s",
				  c->sel->info.name, error);
		imap_selected_announce(c, true);
		(void)imap_client_wait_output(c, NULL);
	}
	imap_client_unref(c);
}

static void cmd_idle_line(struct imap_client *c, const char *line, size_t len)
{
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
		imap_client_done(c, "OK IDLE terminated");
	else
		imap_client_done_plain(c, "BAD Expected DONE");
}

void cmd_idle(struct imap_client *c, const struct imap_command *cmd)
{
	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD IDLE takes no arguments");
		return;
	}
	if (c->sel != NULL)
		cmd_idle_notify(c);
	imap_client_send(c, "+ idling");
	c->notify_fn = cmd_idle_notify;
	imap_client_read_lines(c, cmd_idle_line);
}
