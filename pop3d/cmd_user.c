/* USER (RFC 1939 section 7): only names the user; PASS does the work. */
#include "auth_proto.h"
#include "buf.h"
#include "pop3_commands.h"
#include "pop3_server.h"
#include "pop3_session.h"

#include <stdlib.h>
#include <string.h>

void cmd_user(struct pop3_session *s, char *args)
{
	if (s->kind == POP3_LISTENER_KPOP) {
		pop3_session_reply(s, "-ERR [AUTH] KPOP accepts only Kerberos "
				   "(AUTH GSSAPI)");
		return;
	}
	if (!s->tls) {
		pop3_session_reply(s, "-ERR [AUTH] Plaintext authentication "
				   "disallowed without TLS (use STLS)");
		return;
	}
	if (!s->server->set.pop3_user_login) {
		pop3_session_reply(s, "-ERR [AUTH] USER is disabled; use AUTH");
		return;
	}
	if (args == NULL || *args == '\0' || strchr(args, ' ') != NULL ||
	    strlen(args) > AUTH_PROTO_USER_MAX) {
		pop3_session_reply(s, "-ERR Syntax error: USER name");
		return;
	}
	free(s->user);
	s->user = xstrdup(args);
	/* The same answer for every name: whether it exists is learnt
	 * only from a right password. */
	pop3_session_reply(s, "+OK Send your password");
}
