/* AUTH (RFC 5034): a SASL exchange relayed to authd, with an optional
 * initial response. */
#include "base64.h"
#include "buf.h"
#include "pop3_auth.h"
#include "pop3_commands.h"
#include "pop3_server.h"
#include "pop3_session.h"

#include <ctype.h>
#include <string.h>

/* "AUTH" alone lists the mechanisms, as RFC 1734 clients expect. */
static void cmd_auth_list(struct pop3_session *s)
{
	static const char *const mechs[] = { "GSSAPI", "PLAIN", "LOGIN" };
	size_t i;

	pop3_session_reply(s, "+OK");
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (pop3_auth_mech_allowed(s, mechs[i]))
			pop3_session_reply(s, "%s", mechs[i]);
	}
	pop3_session_reply(s, ".");
}

/* Why a known mechanism is refused here, in words a user can act on. */
static void cmd_auth_refuse(struct pop3_session *s, const char *mech)
{
	bool password = strcmp(mech, "PLAIN") == 0 ||
		strcmp(mech, "LOGIN") == 0;

	if (password && s->kind == POP3_LISTENER_KPOP)
		pop3_session_reply(s, "-ERR [AUTH] KPOP accepts only Kerberos "
				   "(AUTH GSSAPI)");
	else if (password && !s->tls)
		pop3_session_reply(s, "-ERR [AUTH] Plaintext authentication "
				   "disallowed without TLS (use STLS)");
	else
		pop3_session_reply(s, "-ERR [AUTH] Unsupported authentication "
				   "mechanism");
}

void cmd_auth(struct pop3_session *s, char *args)
{
	struct buf ir = BUF_INIT;
	char *words[2];
	char mech[24];
	size_t count, i;

	if (pop3_command_words(args, words, 2, &count) < 0) {
		pop3_session_reply(s, "-ERR Syntax error: AUTH mechanism "
				   "[initial-response]");
		return;
	}
	if (count == 0) {
		cmd_auth_list(s);
		return;
	}
	if (str_copy(mech, sizeof(mech), words[0]) < 0) {
		pop3_session_reply(s, "-ERR [AUTH] Unsupported authentication "
				   "mechanism");
		return;
	}
	for (i = 0; mech[i] != '\0'; i++)
		mech[i] = (char)toupper((unsigned char)mech[i]);
	if (!pop3_auth_mech_allowed(s, mech)) {
		cmd_auth_refuse(s, mech);
		return;
	}
	if (count == 1) {
		pop3_auth_begin(s, mech, NULL, 0);
		return;
	}
	/* RFC 5034 section 4: "=" is an empty initial response. */
	if (strcmp(words[1], "=") != 0 &&
	    base64_decode(&ir, words[1], strlen(words[1]),
			  s->server->auth_set.auth_max_token_size) < 0) {
		pop3_session_reply(s, "-ERR [AUTH] Invalid base64 in initial "
				   "response");
		return;
	}
	pop3_auth_begin(s, mech, ir.data != NULL ? ir.data : "", ir.len);
	if (ir.data != NULL)
		explicit_bzero(ir.data, ir.cap);
	buf_free(&ir);
}
