/* STARTTLS (RFC 9051 section 6.2.1). */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imapd.h"
#include "log.h"

void cmd_starttls(struct imap_client *c, const struct imap_command *cmd)
{
	const char *error;

	if (cmd->arg_count != 0) {
		imap_client_done_plain(c, "BAD STARTTLS takes no arguments");
		return;
	}
	if (c->tls || c->daemon->tls == NULL) {
		imap_client_done_plain(c, "BAD TLS is %s",
				       c->tls ? "already active" : "not available");
		return;
	}
	imap_client_done_plain(c, "OK Begin TLS negotiation now");
	if (c->destroyed || c->closing)
		return;
	if (imap_client_start_tls(c, &error) < 0) {
		log_error("tls_failed", "reason=%s", error);
		imap_client_bye(c, "TLS failed");
	}
}
