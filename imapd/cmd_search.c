/* SEARCH and UID SEARCH (RFC 9051 section 6.4.4), with ESEARCH (RFC 4731)
 * and SEARCHRES (RFC 5182). */
#include "imapd/cmd_search.h"
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_copy.h"
#include "imapd/imap_search_eval.h"
#include "imapd/imap_search_parse.h"
#include "imapd/imap_selected.h"
#include "imapd/imapd.h"

#include <stdlib.h>

void cmd_search_esearch(struct imap_client *c, const struct imap_command *cmd,
			unsigned int returns, const uint32_t *res, size_t n,
			uint64_t modseq)
{
	struct buf line = BUF_INIT;

	buf_printf(&line, "* ESEARCH (TAG \"%s\")", cmd->tag);
	if (cmd->uid)
		buf_append_str(&line, " UID");
	if ((returns & IMAP_SEARCH_RETURN_MIN) && n > 0)
		buf_printf(&line, " MIN %u", res[0]);
	if ((returns & IMAP_SEARCH_RETURN_MAX) && n > 0)
		buf_printf(&line, " MAX %u", res[n - 1]);
	if (returns & IMAP_SEARCH_RETURN_COUNT)
		buf_printf(&line, " COUNT %zu", n);
	if ((returns & IMAP_SEARCH_RETURN_ALL) && n > 0) {
		buf_append_str(&line, " ALL ");
		imap_copy_uidset(res, n, &line);
	}
	if (modseq > 0)
		buf_printf(&line, " MODSEQ %llu", (unsigned long long)modseq);
	imap_client_send(c, "%s", buf_cstr(&line));
	buf_free(&line);
}

/* RFC 5182: "$" refers to messages, so the result is kept as UIDs.  With
 * MIN or MAX only those are kept (section 2.4), with ALL or COUNT the
 * whole result. */
void cmd_search_save(struct imap_selected *sel, const struct imap_command *cmd,
		     unsigned int returns, const uint32_t *res, size_t n)
{
	bool only_ends = (returns & (IMAP_SEARCH_RETURN_MIN |
				     IMAP_SEARCH_RETURN_MAX)) != 0 &&
		(returns & (IMAP_SEARCH_RETURN_ALL |
			    IMAP_SEARCH_RETURN_COUNT)) == 0;
	size_t i;

	free(sel->saved);
	sel->saved = xcalloc(n + 1, sizeof(*sel->saved));
	sel->saved_count = 0;
	for (i = 0; i < n; i++) {
		if (only_ends &&
		    !(i == 0 && (returns & IMAP_SEARCH_RETURN_MIN)) &&
		    !(i == n - 1 && (returns & IMAP_SEARCH_RETURN_MAX)))
			continue;
		sel->saved[sel->saved_count++] = cmd->uid ? res[i] :
			sel->msgs[res[i] - 1].uid;
	}
}

void cmd_search(struct imap_client *c, const struct imap_command *cmd)
{
	struct imap_selected *sel = c->sel;
	struct imap_search *search = NULL;
	struct imap_search_limits limits = imap_search_default_limits;
	enum imap_search_parse_result r;
	const char *error;
	uint32_t *res;
	size_t i, n = 0;
	unsigned int returns;
	uint64_t modseq = 0;
	bool want_modseq;

	limits.max_depth = c->daemon->set.imap_max_list_depth;
	r = imap_search_parse(cmd->args, 0, &limits, &search, &error);
	/* RFC 6855 section 3: after ENABLE UTF8=ACCEPT a charset
	 * specification conflicts with the session's own. */
	if ((c->enabled & IMAP_ENABLED_UTF8) != 0 &&
	    (r == IMAP_SEARCH_PARSE_BADCHARSET ||
	     (r == IMAP_SEARCH_PARSE_OK && search->charset != NULL))) {
		imap_search_free(&search);
		imap_client_done_plain(c, "BAD No CHARSET after ENABLE "
				       "UTF8=ACCEPT");
		return;
	}
	if (r == IMAP_SEARCH_PARSE_BADCHARSET) {
		const struct imap_arg *list;

		/* RFC 5182 section 2.1: a SAVE answered NO empties "$". */
		if (imap_arg_atom_equals(cmd->args, "RETURN") &&
		    imap_arg_get_list(&cmd->args[1], &list, NULL) &&
		    imap_search_parse_return(list, &returns, &error) == 0 &&
		    (returns & IMAP_SEARCH_RETURN_SAVE) != 0)
			cmd_search_save(sel, cmd, returns, NULL, 0);
		imap_client_done(c, "NO [%s] Unsupported charset",
				 IMAP_SEARCH_BADCHARSET_CODE);
		return;
	}
	if (r != IMAP_SEARCH_PARSE_OK) {
		imap_client_done_plain(c, "BAD %s", error);
		return;
	}
	want_modseq = imap_search_has_key(&search->root, IMAP_SEARCH_MODSEQ);
	if (want_modseq)
		imap_condstore_enable(c);
	res = xcalloc(sel->count + 1, sizeof(*res));
	for (i = 0; i < sel->count; i++) {
		if (!imap_search_eval(sel, search, i))
			continue;
		res[n++] = cmd->uid ? sel->msgs[i].uid : (uint32_t)i + 1;
		/* The highest mod-sequence of the matches (3.1.5). */
		if (want_modseq && sel->msgs[i].modseq > modseq)
			modseq = sel->msgs[i].modseq;
	}
	returns = search->has_return ? search->returns :
		IMAP_SEARCH_RETURN_ALL;
	if (returns & IMAP_SEARCH_RETURN_SAVE)
		cmd_search_save(sel, cmd, returns, res, n);
	if (search->has_return || (c->enabled & IMAP_ENABLED_IMAP4REV2)) {
		/* RFC 5182 section 2.4: SAVE alone gives no ESEARCH. */
		if (returns != IMAP_SEARCH_RETURN_SAVE)
			cmd_search_esearch(c, cmd, returns, res, n, modseq);
	} else {
		struct buf line = BUF_INIT;

		buf_append_str(&line, "* SEARCH");
		for (i = 0; i < n; i++)
			buf_printf(&line, " %u", res[i]);
		if (modseq > 0)
			buf_printf(&line, " (MODSEQ %llu)",
				   (unsigned long long)modseq);
		buf_append_str(&line, "\r\n");
		imap_client_write(c, line.data, line.len);
		buf_free(&line);
	}
	free(res);
	imap_search_free(&search);
	imap_client_done(c, "OK SEARCH completed");
}
