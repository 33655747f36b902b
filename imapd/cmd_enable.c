/* ENABLE (RFC 5161): IMAP4rev2 (RFC 9051 section 6.3.1), UTF8=ACCEPT
 * (RFC 6855), CONDSTORE and QRESYNC (RFC 7162). */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"

#include <strings.h>

void cmd_enable(struct imap_client *c, const struct imap_command *cmd)
{
	struct buf enabled = BUF_INIT;
	const char *name;
	size_t i;

	if (cmd->arg_count == 0) {
		imap_client_done_plain(c, "BAD ENABLE needs arguments");
		return;
	}
	for (i = 0; i < cmd->arg_count; i++) {
		unsigned int bit = 0;

		if (!imap_arg_get_atom(&cmd->args[i], &name)) {
			buf_free(&enabled);
			imap_client_done_plain(c, "BAD Invalid ENABLE argument");
			return;
		}
		if (strcasecmp(name, "IMAP4rev2") == 0)
			bit = IMAP_ENABLED_IMAP4REV2;
		else if (strcasecmp(name, "UTF8=ACCEPT") == 0)
			bit = IMAP_ENABLED_UTF8;
		else if (strcasecmp(name, "CONDSTORE") == 0)
			bit = IMAP_ENABLED_CONDSTORE;
		else if (strcasecmp(name, "QRESYNC") == 0)
			bit = IMAP_ENABLED_QRESYNC;
		/* Unknown names are ignored (RFC 5161 section 3.1); only what
		 * changes now is listed. */
		if (bit == 0 || (c->enabled & bit))
			continue;
		/* QRESYNC implies CONDSTORE (RFC 7162 section 3.2.3). */
		if (bit & (IMAP_ENABLED_CONDSTORE | IMAP_ENABLED_QRESYNC))
			imap_condstore_enable(c);
		c->enabled |= bit;
		buf_printf(&enabled, " %s", bit == IMAP_ENABLED_IMAP4REV2 ?
			   "IMAP4rev2" : bit == IMAP_ENABLED_UTF8 ?
			   "UTF8=ACCEPT" : bit == IMAP_ENABLED_CONDSTORE ?
			   "CONDSTORE" : "QRESYNC");
	}
	imap_client_send(c, "* ENABLED%s", buf_cstr(&enabled));
	buf_free(&enabled);
	imap_client_done(c, "OK ENABLE completed");
}
