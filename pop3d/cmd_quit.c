/* QUIT (RFC 1939 sections 4 and 6): in TRANSACTION it is the only way
 * into the UPDATE state, where messages marked deleted are removed. */
#include "log.h"
#include "pop3_commands.h"
#include "pop3_maildrop.h"
#include "pop3_server.h"
#include "pop3_session.h"

void cmd_quit(struct pop3_session *s, char *args)
{
	const char *error;
	size_t left;
	int removed;

	if (args != NULL) {
		pop3_session_reply(s, "-ERR QUIT takes no arguments");
		return;
	}
	if (s->state == POP3_STATE_AUTHORIZATION) {
		pop3_session_reply(s, "+OK %s POP3 server signing off",
				   s->server->hostname);
		pop3_session_close(s);
		return;
	}
	left = pop3_maildrop_live_count(s->maildrop);
	removed = pop3_maildrop_commit(s->maildrop,
				       s->server->expire_days == 0, &error);
	if (removed < 0) {
		log_error("pop3_update_error", "user=%s error=%s", s->user,
			  error);
		/* RFC 1939 section 6: -ERR when some deleted messages were
		 * not removed.  None were: the expunge is one commit. */
		pop3_session_reply(s, "-ERR [SYS/TEMP] Deleted messages were "
				   "not removed (session %s)", s->log.session);
	} else {
		log_info("pop3_update", "user=%s count=%d", s->user, removed);
		if (s->server->expire_days == 0)
			left = pop3_maildrop_count(s->maildrop) -
				(size_t)removed;
		pop3_session_reply(s, "+OK %s POP3 server signing off "
				   "(%zu messages left)", s->server->hostname,
				   left);
	}
	pop3_session_close(s);
}
