/* RETR (RFC 1939 section 5): the whole message, dot-stuffed. */
#include "pop3_commands.h"
#include "pop3_maildrop.h"
#include "pop3_send.h"
#include "pop3_session.h"

void cmd_retr(struct pop3_session *s, char *args)
{
	char *words[1];
	size_t count, n;

	if (pop3_command_words(args, words, 1, &count) < 0 || count != 1) {
		pop3_session_reply(s, "-ERR Syntax error: RETR msg");
		return;
	}
	if (pop3_command_msg(s, words[0], &n) < 0)
		return;
	/* EXPIRE 0 deletes what was retrieved, at QUIT like DELE. */
	pop3_maildrop_retrieved(s->maildrop, n);
	pop3_send_message(s, n, -1);
}
