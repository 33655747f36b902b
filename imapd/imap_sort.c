#include "imapd/imap_sort.h"
#include "imapd/imap_msgkeys.h"

#include <stdlib.h>

static const struct {
	const char *name;
	enum imap_sort_key key;
} imap_sort_names[] = {
	{ "ARRIVAL", IMAP_SORT_ARRIVAL },
	{ "CC", IMAP_SORT_CC },
	{ "DATE", IMAP_SORT_DATE },
	{ "FROM", IMAP_SORT_FROM },
	{ "SIZE", IMAP_SORT_SIZE },
	{ "SUBJECT", IMAP_SORT_SUBJECT },
	{ "TO", IMAP_SORT_TO },
	{ "DISPLAYFROM", IMAP_SORT_DISPLAYFROM },
	{ "DISPLAYTO", IMAP_SORT_DISPLAYTO },
};

int imap_sort_parse(const struct imap_arg *list, struct imap_sort_program *prog,
		    const char **error_r)
{
	bool reverse = false;

	prog->count = 0;
	for (; list->type != IMAP_ARG_EOL; list++) {
		size_t i;

		if (imap_arg_atom_equals(list, "REVERSE")) {
			if (reverse) {
				*error_r = "REVERSE REVERSE in sort criteria";
				return -1;
			}
			reverse = true;
			continue;
		}
		for (i = 0; i < sizeof(imap_sort_names) /
			     sizeof(imap_sort_names[0]); i++) {
			if (imap_arg_atom_equals(list, imap_sort_names[i].name))
				break;
		}
		if (i == sizeof(imap_sort_names) / sizeof(imap_sort_names[0])) {
			*error_r = "Unknown sort criterion";
			return -1;
		}
		if (prog->count == IMAP_SORT_MAX_CRITERIA) {
			*error_r = "Too many sort criteria";
			return -1;
		}
		prog->criteria[prog->count].key = imap_sort_names[i].key;
		prog->criteria[prog->count].reverse = reverse;
		prog->count++;
		reverse = false;
	}
	if (reverse || prog->count == 0) {
		*error_r = reverse ? "REVERSE needs a sort key after it" :
			"Empty sort criteria";
		return -1;
	}
	return 0;
}

bool imap_sort_needs_header(const struct imap_sort_program *prog)
{
	for (size_t i = 0; i < prog->count; i++) {
		if (prog->criteria[i].key != IMAP_SORT_ARRIVAL &&
		    prog->criteria[i].key != IMAP_SORT_SIZE)
			return true;
	}
	return false;
}

static int imap_sort_cmp_num(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int imap_sort_cmp_key(enum imap_sort_key key,
			     const struct imap_msgkeys *a,
			     const struct imap_msgkeys *b)
{
	switch (key) {
	case IMAP_SORT_ARRIVAL:
		return imap_sort_cmp_num(a->arrival, b->arrival);
	case IMAP_SORT_DATE:
		return imap_sort_cmp_num(a->sent, b->sent);
	case IMAP_SORT_SIZE:
		return a->size < b->size ? -1 : a->size > b->size;
	case IMAP_SORT_CC:
		return imap_msgkeys_casecmp(a->cc, b->cc);
	case IMAP_SORT_FROM:
		return imap_msgkeys_casecmp(a->from, b->from);
	case IMAP_SORT_TO:
		return imap_msgkeys_casecmp(a->to, b->to);
	case IMAP_SORT_SUBJECT:
		return imap_msgkeys_casecmp(a->subject, b->subject);
	case IMAP_SORT_DISPLAYFROM:
		return imap_msgkeys_casecmp(a->display_from, b->display_from);
	case IMAP_SORT_DISPLAYTO:
		return imap_msgkeys_casecmp(a->display_to, b->display_to);
	}
	return 0;
}

static int imap_sort_cmp(const void *x, const void *y, void *context)
{
	const struct imap_sort_program *prog = context;
	const struct imap_msgkeys *a = *(const struct imap_msgkeys *const *)x;
	const struct imap_msgkeys *b = *(const struct imap_msgkeys *const *)y;

	for (size_t i = 0; i < prog->count; i++) {
		int r = imap_sort_cmp_key(prog->criteria[i].key, a, b);

		if (r != 0)
			return prog->criteria[i].reverse ? -r : r;
	}
	/* The implicit last criterion, never reversed (RFC 5256 section 3). */
	return imap_sort_cmp_num(a->seq, b->seq);
}

void imap_sort_run(const struct imap_sort_program *prog,
		   const struct imap_msgkeys **msgs, size_t count)
{
	qsort_r(msgs, count, sizeof(*msgs), imap_sort_cmp, (void *)prog);
}
