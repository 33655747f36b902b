/* TOP msg n (RFC 1939 section 7): the header, the empty line after it,
 * and the first n lines of the body. */
#include "pop3_commands.h"
#include "pop3_send.h"
#include "pop3_session.h"

void cmd_top(struct pop3_session *s, char *args)
{
	char *words[2];
	size_t count, n;
	long lines;

	if (pop3_command_words(args, words, 2, &count) < 0 || count != 2) {
		pop3_session_reply(s, "-ERR Syntax error: TOP msg n");
		return;
	}
	if (pop3_command_number(words[1], &lines) < 0) {
		pop3_session_reply(s, "-ERR Invalid number of lines");
		return;
	}
	if (pop3_command_msg(s, words[0], &n) < 0)
		return;
	pop3_send_message(s, n, lines);
}
