/* LOGIN (RFC 9051 section 6.2.3): a PLAIN exchange with authd, inside TLS
 * only. */
#include "imapd/imap_commands.h"
#include "imapd/imap_auth.h"
#include "imapd/imap_client.h"

#include <string.h>

void cmd_login(struct imap_client *c, const struct imap_command *cmd)
{
	const char *user, *pass;
	size_t ulen, plen;
	struct buf ir = BUF_INIT;

	if (cmd->arg_count != 2 ||
	    !imap_arg_get_astring(&cmd->args[0], &user, &ulen) ||
	    !imap_arg_get_astring(&cmd->args[1], &pass, &plen) ||
	    memchr(user, '\0', ulen) != NULL || memchr(pass, '\0', plen) != NULL) {
		imap_client_done_plain(c, "BAD Invalid LOGIN arguments");
		return;
	}
	if (!c->tls) {
		/* We announced LOGINDISABLED (RFC 9051 section 6.2.3). */
		imap_client_done_plain(c, "NO [PRIVACYREQUIRED] LOGIN is "
				       "disabled until STARTTLS");
		return;
	}
	/* RFC 4616: authzid NUL authcid NUL passwd, authzid empty. */
	buf_append_char(&ir, '\0');
	buf_append(&ir, user, ulen);
	buf_append_char(&ir, '\0');
	buf_append(&ir, pass, plen);
	imap_auth_begin(c, "PLAIN", ir.data, ir.len);
	/* The password must not linger in freed memory. */
	memset(ir.data, 0, ir.len);
	buf_free(&ir);
}
