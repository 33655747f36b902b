/* PASS (RFC 1939 section 7): the password is checked by authd as a
 * PLAIN exchange (RFC 4616), so it goes through the same Kerberos check,
 * rate limit and failure delay as AUTH PLAIN. */
#include "buf.h"
#include "pop3_auth.h"
#include "pop3_commands.h"
#include "pop3_session.h"

#include <stdlib.h>
#include <string.h>

void cmd_pass(struct pop3_session *s, char *args)
{
	struct buf msg = BUF_INIT;
	size_t len;

	if (s->user == NULL) {
		pop3_session_reply(s, "-ERR USER first");
		return;
	}
	/* RFC 1939 section 7: the password is the rest of the line, so it
	 * may hold spaces. */
	if (args == NULL || *args == '\0') {
		pop3_session_reply(s, "-ERR Syntax error: PASS string");
		return;
	}
	len = strlen(args);
	buf_append_char(&msg, '\0');
	buf_append_str(&msg, s->user);
	buf_append_char(&msg, '\0');
	buf_append(&msg, args, len);
	explicit_bzero(args, len);
	/* Right or wrong, the next PASS needs a new USER. */
	free(s->user);
	s->user = NULL;
	pop3_auth_begin(s, "PLAIN", msg.data, msg.len);
	explicit_bzero(msg.data, msg.cap);
	buf_free(&msg);
}
