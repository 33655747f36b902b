/* STLS (RFC 2595 section 4): TLS in place, in AUTHORIZATION only. */
#include "log.h"
#include "pop3_commands.h"
#include "pop3_server.h"
#include "pop3_session.h"
#include "tls.h"

#include <stdlib.h>

void cmd_stls(struct pop3_session *s, char *args)
{
	const char *error;

	if (args != NULL) {
		pop3_session_reply(s, "-ERR STLS takes no arguments");
		return;
	}
	if (s->tls) {
		pop3_session_reply(s, "-ERR Command not permitted when TLS "
				   "active");
		return;
	}
	if (s->server->tls == NULL) {
		pop3_session_reply(s, "-ERR [SYS/PERM] TLS is not available");
		return;
	}
	pop3_session_reply(s, "+OK Begin TLS negotiation");
	/* Until the handshake is done no command is read; whatever the
	 * client pipelined after STLS is thrown away by the stream, never
	 * taken as a command (the STARTTLS injection of CVE-2011-0411).
	 * The +OK goes out in the clear first. */
	pop3_session_busy(s);
	if (tls_stream_start(s->stream, s->server->tls, NULL, &error) < 0) {
		log_error("pop3_tls_error", "error=%s", error);
		pop3_session_close(s);
	}
	/* A USER given before TLS does not carry over. */
	free(s->user);
	s->user = NULL;
}
