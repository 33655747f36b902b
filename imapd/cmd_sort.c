/* SORT and UID SORT (RFC 5256 section 3, RFC 5957), with ESORT's RETURN
 * options (RFC 5267 section 3), SAVE (RFC 5182) and MODSEQ (RFC 7162
 * section 3.1.9). */
#include "imapd/cmd_search.h"
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_condstore.h"
#include "imapd/imap_msgkeys.h"
#include "imapd/imap_search_parse.h"
#include "imapd/imap_selected.h"
#include "imapd/imap_sort.h"
#include "imapd/imapd.h"

#include <stdlib.h>

static void cmd_sort_answer(struct imap_client *c,
			    const struct imap_command *cmd, bool has_return,
			    unsigned int returns, const uint32_t *res, size_t n,
			    uint64_t modseq)
{
	struct buf line = BUF_INIT;

	if (returns & IMAP_SEARCH_RETURN_SAVE)
		cmd_search_save(c->sel, cmd, returns, res, n);
	if (has_return) {
		/* RFC 5182 section 2.4: SAVE alone gives no ESEARCH. */
		if (returns != IMAP_SEARCH_RETURN_SAVE)
			cmd_search_esearch(c, cmd, returns, res, n, modseq);
		return;
	}
	buf_append_str(&line, "* SORT");
	for (size_t i = 0; i < n; i++)
		buf_printf(&line, " %u", res[i]);
	/* RFC 7162 section 3.1.9: the highest mod-sequence of the result
	 * when the criteria used MODSEQ. */
	if (modseq > 0)
		buf_printf(&line, " (MODSEQ %llu)", (unsigned long long)modseq);
	buf_append_str(&line, "\r\n");
	imap_client_write(c, line.data, line.len);
	buf_free(&line);
}

void cmd_sort(struct imap_client *c, const struct imap_command *cmd)
{
	const struct imap_arg *args = cmd->args, *list;
	struct imap_search_limits limits = imap_search_default_limits;
	struct imap_sort_program prog;
	struct imap_search *search = NULL;
	struct imap_msgkeys *keys;
	const struct imap_msgkeys **order;
	enum imap_search_parse_result r;
	unsigned int returns = 0;
	bool has_return = false;
	const char *error;
	uint32_t *res;
	uint64_t modseq = 0;
	bool want_modseq;
	size_t i, n;

	if (imap_arg_atom_equals(args, "RETURN")) {
		if (!imap_arg_get_list(&args[1], &list, NULL)) {
			imap_client_done_plain(c, "BAD RETURN needs a list");
			return;
		}
		if (imap_search_parse_return(list, &returns, &error) < 0) {
			imap_client_done_plain(c, "BAD %s", error);
			return;
		}
		has_return = true;
		args += 2;
	}
	if (!imap_arg_get_list(args, &list, NULL)) {
		imap_client_done_plain(c, "BAD Missing sort criteria");
		return;
	}
	if (imap_sort_parse(list, &prog, &error) < 0) {
		imap_client_done_plain(c, "BAD %s", error);
		return;
	}
	limits.max_depth = c->daemon->set.imap_max_list_depth;
	r = imap_search_parse(args + 1, IMAP_SEARCH_PARSE_CHARSET_FIRST,
			      &limits, &search, &error);
	if (r == IMAP_SEARCH_PARSE_BADCHARSET) {
		/* RFC 5182 section 2.1: a SAVE answered NO empties "$". */
		if (returns & IMAP_SEARCH_RETURN_SAVE)
			cmd_search_save(c->sel, cmd, returns, NULL, 0);
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
	keys = imap_msgkeys_search(c->sel, search,
				   imap_sort_needs_header(&prog) ?
				   IMAP_MSGKEYS_HEADER : 0, &n);
	order = xcalloc(n + 1, sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = &keys[i];
	imap_sort_run(&prog, order, n);
	res = xcalloc(n + 1, sizeof(*res));
	for (i = 0; i < n; i++) {
		const struct mbox_record *rec = &c->sel->msgs[order[i]->seq - 1];

		res[i] = cmd->uid ? order[i]->uid : order[i]->seq;
		if (want_modseq && rec->modseq > modseq)
			modseq = rec->modseq;
	}
	cmd_sort_answer(c, cmd, has_return, returns, res, n, modseq);
	free(res);
	free(order);
	imap_msgkeys_free_array(&keys, n);
	imap_search_free(&search);
	imap_client_done(c, "OK SORT completed");
}
