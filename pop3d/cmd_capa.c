/* CAPA (RFC 2449 section 5): what this connection offers right now. */
#include "pop3_auth.h"
#include "pop3_commands.h"
#include "pop3_server.h"
#include "pop3_session.h"
#include "pop3_settings.h"
#include "buf.h"

void cmd_capa(struct pop3_session *s, char *args)
{
	static const char *const mechs[] = { "GSSAPI", "PLAIN", "LOGIN" };
	const struct pop3_server *srv = s->server;
	struct buf sasl = BUF_INIT;
	size_t i;

	if (args != NULL) {
		pop3_session_reply(s, "-ERR CAPA takes no arguments");
		return;
	}
	pop3_session_reply(s, "+OK Capability list follows");
	pop3_session_reply(s, "TOP");
	pop3_session_reply(s, "UIDL");
	pop3_session_reply(s, "RESP-CODES");
	pop3_session_reply(s, "AUTH-RESP-CODE");
	pop3_session_reply(s, "PIPELINING");
	/* USER and SASL are announced in both states alike (RFC 2449
	 * sections 6.2 and 6.3), as this connection allows them: no
	 * passwords outside TLS or on KPOP. */
	if (srv->set.pop3_user_login && pop3_session_password_allowed(s))
		pop3_session_reply(s, "USER");
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (pop3_auth_mech_allowed(s, mechs[i]))
			buf_printf(&sasl, " %s", mechs[i]);
	}
	if (sasl.len > 0)
		pop3_session_reply(s, "SASL%s", buf_cstr(&sasl));
	buf_free(&sasl);
	/* STLS only where it is permitted now (RFC 2595 section 4). */
	if (s->state == POP3_STATE_AUTHORIZATION && !s->tls &&
	    srv->tls != NULL)
		pop3_session_reply(s, "STLS");
	if (srv->expire_days == POP3_EXPIRE_NEVER)
		pop3_session_reply(s, "EXPIRE NEVER");
	else if (srv->expire_days >= 0)
		pop3_session_reply(s, "EXPIRE %ld", srv->expire_days);
	if (srv->set.pop3_login_delay > 0)
		pop3_session_reply(s, "LOGIN-DELAY %u",
				   srv->set.pop3_login_delay);
	pop3_session_reply(s, "IMPLEMENTATION sealpost");
	pop3_session_reply(s, ".");
}
