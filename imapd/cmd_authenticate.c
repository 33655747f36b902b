/* AUTHENTICATE (RFC 9051 section 6.2.2) with SASL-IR (RFC 4959). */
#include "imapd/imap_commands.h"
#include "imapd/imap_auth.h"
#include "imapd/imap_client.h"
#include "imapd/imapd.h"
#include "base64.h"

#include <string.h>
#include <strings.h>

void cmd_authenticate(struct imap_client *c, const struct imap_command *cmd)
{
	const char *mech, *ir_text = NULL;
	size_t ir_len = 0;
	struct buf ir = BUF_INIT;
	bool has_ir = false, plaintext;
	char name[32];
	size_t i;

	if (cmd->arg_count < 1 || cmd->arg_count > 2 ||
	    !imap_arg_get_atom(&cmd->args[0], &mech) ||
	    str_copy(name, sizeof(name), mech) < 0 ||
	    (cmd->arg_count == 2 &&
	     !imap_arg_get_astring(&cmd->args[1], &ir_text, &ir_len))) {
		imap_client_done_plain(c, "BAD Invalid AUTHENTICATE arguments");
		return;
	}
	for (i = 0; name[i] != '\0'; i++) {
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] = (char)(name[i] - 'a' + 'A');
	}
	plaintext = strcmp(name, "PLAIN") == 0 || strcmp(name, "LOGIN") == 0;
	if ((!plaintext && strcmp(name, "GSSAPI") != 0) ||
	    strstr(c->daemon->auth.auth_mechanisms, name) == NULL) {
		imap_client_done_plain(c, "NO Unsupported authentication "
				       "mechanism");
		return;
	}
	if (plaintext && !c->tls) {
		imap_client_done_plain(c, "NO [PRIVACYREQUIRED] Plain-text "
				       "authentication is disabled until "
				       "STARTTLS");
		return;
	}
	if (ir_text != NULL) {
		has_ir = true;
		/* RFC 4959 section 3: "=" is an empty initial response. */
		if (!(ir_len == 1 && ir_text[0] == '=') &&
		    base64_decode(&ir, ir_text, ir_len,
				  c->daemon->auth.auth_max_token_size) < 0) {
			imap_client_done_plain(c, "BAD Invalid base64 in "
					       "initial response");
			return;
		}
	}
	imap_auth_begin(c, name, has_ir ? (ir.data != NULL ? ir.data : "") : NULL,
			ir.len);
	if (ir.data != NULL)
		memset(ir.data, 0, ir.len);
	buf_free(&ir);
}
