/*
 * GETMETADATA and SETMETADATA (RFC 5464): annotations on mailboxes and on
 * the server (mailbox name ""), stored by store_metadata.h.  Everyone may
 * read server annotations and set their own /private ones; /shared server
 * annotations are set by admins (auth_admins) only.  No unsolicited
 * METADATA responses are sent, so ENABLE METADATA is not needed.
 */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_quote.h"
#include "imapd/imapd.h"
#include "log.h"
#include "store.h"
#include "store_metadata.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The annotations' target: a mailbox ID, or "" for the server.  1 found,
 * 0 no such mailbox (answered), -1 a bad name (answered). */
static int cmd_metadata_target(struct imap_client *c, const char *name,
			       char id[STORE_ID_SIZE],
			       char norm[STORE_MAILBOX_NAME_MAX + 1])
{
	struct store_mailbox mb;
	const char *error;
	int ret;

	id[0] = '\0';
	norm[0] = '\0';
	if (name[0] == '\0')
		return 1;
	if (imap_mailbox_name_in(c, name, norm, &error) < 0) {
		imap_client_done(c, "NO [NONEXISTENT] %s", error);
		return 0;
	}
	ret = store_mailbox_lookup(c->daemon->store, c->user, norm, &mb, &error);
	if (ret < 0) {
		imap_client_fail(c, "METADATA", error);
		return -1;
	}
	if (ret == 0) {
		imap_client_done(c, "NO [NONEXISTENT] No such mailbox");
		return 0;
	}
	memcpy(id, mb.id, STORE_ID_SIZE);
	return 1;
}

/* Parses GETMETADATA's options: 0, or -1 for bad ones. */
static int cmd_metadata_options(const struct imap_arg *list, size_t count,
				uint64_t *maxsize_r, unsigned int *depth_r)
{
	size_t i;

	*maxsize_r = UINT64_MAX;
	*depth_r = 0;
	for (i = 0; i < count; i += 2) {
		const char *name, *value;
		uint64_t n;

		if (i + 1 >= count || !imap_arg_get_atom(&list[i], &name) ||
		    !imap_arg_get_atom(&list[i + 1], &value))
			return -1;
		if (strcasecmp(name, "MAXSIZE") == 0) {
			if (imap_parse_number(value, UINT32_MAX, &n) < 0)
				return -1;
			*maxsize_r = n;
		} else if (strcasecmp(name, "DEPTH") == 0) {
			if (strcmp(value, "0") == 0)
				*depth_r = 0;
			else if (strcmp(value, "1") == 0)
				*depth_r = 1;
			else if (strcasecmp(value, "infinity") == 0)
				*depth_r = UINT_MAX;
			else
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

struct cmd_metadata_get {
	struct imap_client *c;
	struct buf *out;
	uint64_t maxsize, longest;
	bool found, first;
};

static void cmd_metadata_one(void *ctx, const char *entry, const void *value,
			     size_t value_len)
{
	struct cmd_metadata_get *g = ctx;

	g->found = true;
	if (value_len > g->maxsize) {
		if (value_len > g->longest)
			g->longest = value_len;
		return;
	}
	if (!g->first)
		buf_append_char(g->out, ' ');
	g->first = false;
	imap_quote_astring(g->out, entry, strlen(entry), 0);
	buf_append_char(g->out, ' ');
	imap_quote_string(g->out, value, value_len,
			  imap_client_quote_flags(g->c));
}

void cmd_getmetadata(struct imap_client *c, const struct imap_command *cmd)
{
	const struct imap_arg *args = cmd->args, *entries, *opts;
	char id[STORE_ID_SIZE], entry[STORE_METADATA_ENTRY_MAX + 1];
	char norm[STORE_MAILBOX_NAME_MAX + 1];
	struct cmd_metadata_get g;
	struct buf out = BUF_INIT;
	const char *mailbox, *name, *error;
	unsigned int depth = 0;
	size_t len, count, opt_count, i;
	int ret;

	memset(&g, 0, sizeof(g));
	g.maxsize = UINT64_MAX;
	if (imap_arg_get_list(&args[0], &opts, &opt_count)) {
		if (cmd_metadata_options(opts, opt_count, &g.maxsize,
					 &depth) < 0) {
			imap_client_done_plain(c, "BAD Invalid GETMETADATA "
					       "options");
			return;
		}
		args++;
	}
	if (args[0].type == IMAP_ARG_EOL || args[1].type == IMAP_ARG_EOL ||
	    args[2].type != IMAP_ARG_EOL ||
	    !imap_arg_get_astring(&args[0], &mailbox, &len)) {
		imap_client_done_plain(c, "BAD Invalid GETMETADATA arguments");
		return;
	}
	if (!imap_arg_get_list(&args[1], &entries, &count)) {
		entries = &args[1];
		count = 1;
	}
	for (i = 0; i < count; i++) {
		if (!imap_arg_get_astring(&entries[i], &name, &len) ||
		    store_metadata_entry_check(name, entry, &error) < 0) {
			imap_client_done_plain(c, "BAD Invalid entry name");
			return;
		}
	}
	if (count == 0) {
		imap_client_done_plain(c, "BAD No entry names");
		return;
	}
	if (cmd_metadata_target(c, mailbox, id, norm) <= 0)
		return;
	g.c = c;
	g.out = &out;
	g.first = true;
	buf_append_str(&out, "* METADATA ");
	if (id[0] == '\0')
		buf_append_str(&out, "\"\"");
	else
		imap_mailbox_name_out(c, norm, &out);
	buf_append_str(&out, " (");
	for (i = 0; i < count; i++) {
		(void)imap_arg_get_astring(&entries[i], &name, &len);
		(void)store_metadata_entry_check(name, entry, &error);
		g.found = false;
		ret = store_metadata_get(c->daemon->store, c->user, id, entry,
					 depth, cmd_metadata_one, &g, &error);
		if (ret < 0) {
			buf_free(&out);
			imap_client_fail(c, "GETMETADATA", error);
			return;
		}
		/* An entry asked for by name that has no value is NIL. */
		if (!g.found) {
			if (!g.first)
				buf_append_char(&out, ' ');
			g.first = false;
			imap_quote_astring(&out, entry, strlen(entry), 0);
			buf_append_str(&out, " NIL");
		}
	}
	buf_append_str(&out, ")\r\n");
	if (!g.first)
		imap_client_write(c, out.data, out.len);
	buf_free(&out);
	if (g.longest > 0)
		imap_client_done(c, "OK [METADATA LONGENTRIES %llu] GETMETADATA "
				 "completed", (unsigned long long)g.longest);
	else
		imap_client_done(c, "OK GETMETADATA completed");
}

void cmd_setmetadata(struct imap_client *c, const struct imap_command *cmd)
{
	const struct imapd_settings *set = &c->daemon->set;
	const struct imap_arg *list;
	struct store_metadata_set *sets = NULL;
	char (*names)[STORE_METADATA_ENTRY_MAX + 1] = NULL;
	char id[STORE_ID_SIZE], norm[STORE_MAILBOX_NAME_MAX + 1];
	const char *mailbox, *name, *error;
	size_t len, count, i, n = 0;
	bool too_many;

	if (cmd->arg_count != 2 ||
	    !imap_arg_get_astring(&cmd->args[0], &mailbox, &len) ||
	    !imap_arg_get_list(&cmd->args[1], &list, &count) ||
	    count == 0 || count % 2 != 0) {
		imap_client_done_plain(c, "BAD Invalid SETMETADATA arguments");
		return;
	}
	sets = xcalloc(count / 2, sizeof(*sets));
	names = xcalloc(count / 2, sizeof(*names));
	for (i = 0; i < count; i += 2, n++) {
		const char *value;
		size_t value_len;

		if (!imap_arg_get_astring(&list[i], &name, &len) ||
		    store_metadata_entry_check(name, names[n], &error) < 0 ||
		    !imap_arg_get_nstring(&list[i + 1], &value, &value_len)) {
			imap_client_done_plain(c, "BAD Invalid entry or value");
			goto out;
		}
		sets[n].entry = names[n];
		sets[n].value = value;
		sets[n].value_len = value != NULL ? value_len : 0;
	}
	for (i = 0; i < n; i++) {
		if (sets[i].value != NULL &&
		    sets[i].value_len > set->imap_metadata_max_size) {
			imap_client_done(c, "NO [METADATA MAXSIZE %zu] Value too "
					 "large", set->imap_metadata_max_size);
			goto out;
		}
		if (mailbox[0] == '\0' && !c->admin &&
		    strncmp(sets[i].entry, "/shared/", 8) == 0) {
			imap_client_done(c, "NO [NOPERM] Only administrators may "
					 "set shared server annotations");
			goto out;
		}
	}
	if (cmd_metadata_target(c, mailbox, id, norm) <= 0)
		goto out;
	if (store_metadata_set(c->daemon->store, c->user, id, sets, n,
			       set->imap_metadata_max_entries, &too_many,
			       &error) < 0) {
		imap_client_fail(c, "SETMETADATA", error);
		goto out;
	}
	if (too_many) {
		imap_client_done(c, "NO [METADATA TOOMANY] Too many annotations");
		goto out;
	}
	imap_client_done(c, "OK SETMETADATA completed");
out:
	free(sets);
	free(names);
}
