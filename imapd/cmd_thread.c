/* THREAD and UID THREAD (RFC 5256 section 3). */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_msgkeys.h"
#include "imapd/imap_search_parse.h"
#include "imapd/imap_thread.h"
#include "imapd/imapd.h"

#include <stdlib.h>

void cmd_thread(struct imap_client *c, const struct imap_command *cmd)
{
	struct imap_search_limits limits = imap_search_default_limits;
	struct imap_search *search = NULL;
	struct imap_msgkeys *keys;
	const struct imap_msgkeys **msgs;
	enum imap_search_parse_result r;
	struct buf line = BUF_INIT;
	const char *name, *error;
	int alg;
	size_t i, n;

	if (!imap_arg_get_atom(cmd->args, &name) ||
	    (alg = imap_thread_alg_parse(name)) < 0) {
		imap_client_done_plain(c, "BAD Unknown threading algorithm");
		return;
	}
	limits.max_depth = c->daemon->set.imap_max_list_depth;
	r = imap_search_parse(cmd->args + 1, IMAP_SEARCH_PARSE_CHARSET_FIRST,
			      &limits, &search, &error);
	if (r == IMAP_SEARCH_PARSE_BADCHARSET) {
		imap_client_done(c, "NO [%s] Unsupported charset",
				 IMAP_SEARCH_BADCHARSET_CODE);
		return;
	}
	if (r != IMAP_SEARCH_PARSE_OK) {
		imap_client_done_plain(c, "BAD %s", error);
		return;
	}
	keys = imap_msgkeys_search(c->sel, search, IMAP_MSGKEYS_HEADER |
				   (alg == IMAP_THREAD_REFERENCES ?
				    IMAP_MSGKEYS_THREAD : 0), &n);
	msgs = xcalloc(n + 1, sizeof(*msgs));
	for (i = 0; i < n; i++)
		msgs[i] = &keys[i];
	buf_append_str(&line, n > 0 ? "* THREAD " : "* THREAD");
	imap_thread_run((enum imap_thread_alg)alg, msgs, n,
			c->daemon->set.imap_thread_max_references, cmd->uid,
			&line);
	buf_append_str(&line, "\r\n");
	imap_client_write(c, line.data, line.len);
	buf_free(&line);
	free(msgs);
	imap_msgkeys_free_array(&keys, n);
	imap_search_free(&search);
	imap_client_done(c, "OK THREAD completed");
}
