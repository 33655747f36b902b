/* Unit tests for imapd/imap_seqset.c. */
#include "tap.h"
#include "buf.h"
#include "imapd/imap_seqset.h"

#include <stdlib.h>

struct parse_case {
	const char *input;
	const char *canonical;	/* NULL: must be refused */
};

static const struct parse_case parse_cases[] = {
	{ "1", "1" },
	{ "1:5", "1:5" },
	{ "5:1", "1:5" },
	{ "1:5,7,9:*", "1:5,7,9:*" },
	{ "*", "*" },
	{ "*:*", "*" },
	{ "*:4", "4:*" },
	{ "7,1:3,2,4", "1:4,7" },
	{ "3,1,2", "1:3" },
	{ "10:12,1,11:20,5:*,*", "1,10:20,5:*" },
	{ "4294967295", "4294967295" },
	{ "1:4294967295", "1:4294967295" },
	{ "$", "$" },
	{ "", NULL },
	{ "0", NULL },
	{ "0:5", NULL },
	{ "01", NULL },
	{ "4294967296", NULL },
	{ "99999999999999999999", NULL },
	{ "1,", NULL },
	{ ",1", NULL },
	{ "1::2", NULL },
	{ "1:", NULL },
	{ "1 2", NULL },
	{ "-1", NULL },
	{ "1,$", NULL },
	{ "$:1", NULL },
	{ "**", NULL },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		struct imap_seqset *set = NULL;
		const char *error = NULL;
		char name[100];
		int ret;

		ret = imap_seqset_parse(c->input, 100, &set, &error);
		str_format(name, sizeof(name), "parse '%s'", c->input);
		if (c->canonical == NULL) {
			ok(ret < 0 && set == NULL && error != NULL, name);
		} else {
			struct buf out = BUF_INIT;

			if (ret == 0)
				imap_seqset_format(set, &out);
			is_str(ret == 0 ? buf_cstr(&out) : error,
			       c->canonical, name);
			buf_free(&out);
		}
		imap_seqset_free(&set);
	}
}

struct member_case {
	const char *set;
	uint32_t max;
	const char *ranges;	/* what iteration gives */
	uint32_t in[4], out[4];	/* some members and non-members */
};

static const struct member_case member_cases[] = {
	{ "1:5,7,9:*", 20, "1:5,7,9:20", { 1, 5, 7, 20 }, { 6, 8, 21, 0 } },
	{ "9:*", 5, "5", { 5, 0, 0, 0 }, { 4, 6, 9, 0 } },
	{ "*", 5, "5", { 5, 0, 0, 0 }, { 1, 4, 6, 0 } },
	{ "*", 0, "", { 0, 0, 0, 0 }, { 1, 0, 0, 0 } },
	{ "1:3,2:*", 4, "1:4", { 1, 4, 0, 0 }, { 5, 0, 0, 0 } },
	{ "3:*,1", 10, "1,3:10", { 1, 3, 10, 0 }, { 2, 11, 0, 0 } },
	{ "5,10,15", 12, "5,10", { 5, 10, 15, 0 }, { 11, 0, 0, 0 } },
	{ "1:4294967295", 4294967295u, "1:4294967295",
	  { 1, 4294967295u, 0, 0 }, { 0, 0, 0, 0 } },
	{ "4294967295,*", 4294967295u, "4294967295",
	  { 4294967295u, 0, 0, 0 }, { 1, 0, 0, 0 } },
};

static void test_members(void)
{
	for (size_t i = 0; i < sizeof(member_cases) / sizeof(member_cases[0]);
	     i++) {
		const struct member_case *c = &member_cases[i];
		struct imap_seqset *set;
		struct imap_seqset_iter it;
		struct buf out = BUF_INIT;
		const char *error;
		uint32_t lo, hi;
		char name[100];
		bool all_in = true, none_out = true;

		if (imap_seqset_parse(c->set, 100, &set, &error) < 0) {
			ok(0, c->set);
			continue;
		}
		imap_seqset_iter_init(&it, set, c->max);
		while (imap_seqset_iter_next(&it, &lo, &hi)) {
			if (out.len > 0)
				buf_append_char(&out, ',');
			if (lo == hi)
				buf_printf(&out, "%u", lo);
			else
				buf_printf(&out, "%u:%u", lo, hi);
		}
		str_format(name, sizeof(name), "iterate '%s' max %u", c->set,
			   c->max);
		is_str(buf_cstr(&out), c->ranges, name);
		for (int k = 0; k < 4; k++) {
			if (c->in[k] != 0 &&
			    !imap_seqset_contains(set, c->in[k], c->max))
				all_in = false;
			if (c->out[k] != 0 &&
			    imap_seqset_contains(set, c->out[k], c->max))
				none_out = false;
		}
		str_format(name, sizeof(name), "members of '%s' max %u",
			   c->set, c->max);
		ok(all_in && none_out, name);
		buf_free(&out);
		imap_seqset_free(&set);
	}
}

static void test_limits(void)
{
	struct buf in = BUF_INIT;
	struct imap_seqset *set;
	const char *error = NULL;

	for (uint32_t i = 0; i < 1000000; i++)
		buf_printf(&in, "%s%u", i ? "," : "", 2 * i + 1);
	is_int(imap_seqset_parse(buf_cstr(&in), IMAP_SEQSET_DEFAULT_MAX_RANGES,
				 &set, &error), -1,
	       "a million ranges are refused");
	is_str(error, "Too many ranges in sequence set", "with a reason");

	buf_clear(&in);
	for (uint32_t i = 0; i < 10000; i++)
		buf_printf(&in, "%s%u", i ? "," : "", 10000 - i);
	is_int(imap_seqset_parse(buf_cstr(&in), 10000, &set, &error), 0,
	       "ranges at the limit are taken");
	is_int(set->count, 1, "and merged into one");
	is_int(imap_seqset_highest(set), 10000, "highest");
	imap_seqset_free(&set);
	ok(set == NULL, "free clears the pointer");
	buf_free(&in);
}

int main(void)
{
	tap_cpu_budget(60);
	test_parse();
	test_members();
	test_limits();
	return tap_done();
}
