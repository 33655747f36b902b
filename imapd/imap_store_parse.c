#include "imapd/imap_store_parse.h"

#include <stdlib.h>
#include <strings.h>

#define MODSEQ_MAX UINT64_C(9223372036854775807)

static int store_modifiers(const struct imap_arg *list,
			   struct imap_store *store, const char **error_r)
{
	uint64_t n;
	const char *value;

	for (; list->type != IMAP_ARG_EOL; list += 2) {
		if (!imap_arg_atom_equals(list, "UNCHANGEDSINCE") ||
		    store->has_unchangedsince) {
			*error_r = "Unknown or repeated STORE modifier";
			return -1;
		}
		if (!imap_arg_get_atom(&list[1], &value) ||
		    imap_parse_number(value, MODSEQ_MAX, &n) < 0) {
			*error_r = "Invalid UNCHANGEDSINCE value";
			return -1;
		}
		store->has_unchangedsince = true;
		store->unchangedsince = n;
	}
	return 0;
}

static int store_item(const char *item, struct imap_store *store)
{
	store->mode = IMAP_STORE_REPLACE;
	if (*item == '+' || *item == '-') {
		store->mode = *item == '+' ? IMAP_STORE_ADD : IMAP_STORE_REMOVE;
		item++;
	}
	if (strcasecmp(item, "FLAGS.SILENT") == 0)
		store->silent = true;
	else if (strcasecmp(item, "FLAGS") != 0)
		return -1;
	return 0;
}

int imap_store_parse(const struct imap_arg *args, size_t max_keywords,
		     struct imap_store **store_r, const char **error_r)
{
	struct imap_store *store = xcalloc(1, sizeof(*store));
	const struct imap_arg *list;
	const char *item;

	*store_r = NULL;
	if (args->type == IMAP_ARG_LIST) {
		if (store_modifiers(args->u.list, store, error_r) < 0)
			goto fail;
		args++;
	}
	if (!imap_arg_get_atom(args, &item) || store_item(item, store) < 0) {
		*error_r = "Invalid STORE data item";
		goto fail;
	}
	args++;
	if (imap_arg_get_list(args, &list, NULL)) {
		/* flag-list: may be empty, and nothing may follow */
		if (args[1].type != IMAP_ARG_EOL) {
			*error_r = "Unexpected argument after flag list";
			goto fail;
		}
		args = list;
	} else if (args->type == IMAP_ARG_EOL) {
		*error_r = "Missing flags";
		goto fail;
	}
	if (imap_flags_parse(args, max_keywords, &store->flags, error_r) < 0)
		goto fail;
	*store_r = store;
	return 0;
fail:
	imap_store_free(&store);
	return -1;
}

void imap_store_free(struct imap_store **storep)
{
	struct imap_store *store = *storep;

	if (store == NULL)
		return;
	*storep = NULL;
	imap_flags_deinit(&store->flags);
	free(store);
}
