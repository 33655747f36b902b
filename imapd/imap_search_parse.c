#include "imapd/imap_search_parse.h"
#include "imapd/imap_flags.h"
#include "imapd/imap_utf8.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct imap_search_limits imap_search_default_limits = {
	.max_depth = 32,
	.max_keys = 1000,
	.max_ranges = IMAP_SEQSET_DEFAULT_MAX_RANGES,
};

#define NUMBER64_MAX UINT64_C(9223372036854775807)

/* What follows a key's name. */
enum key_arg {
	ARG_NONE,
	ARG_STRING,	/* astring */
	ARG_HEADER,	/* header-fld-name SP astring */
	ARG_DATE,
	ARG_NUMBER64,
	ARG_NZ_NUMBER,	/* YOUNGER, OLDER: seconds (RFC 5032) */
	ARG_KEYWORD,
	ARG_SEQSET,
	ARG_MODSEQ,
	ARG_NOT,
	ARG_OR,
};

static const struct {
	const char *name;
	enum imap_search_key_type type;
	enum key_arg arg;
} keys[] = {
	{ "ALL", IMAP_SEARCH_ALL, ARG_NONE },
	{ "ANSWERED", IMAP_SEARCH_ANSWERED, ARG_NONE },
	{ "BCC", IMAP_SEARCH_BCC, ARG_STRING },
	{ "BEFORE", IMAP_SEARCH_BEFORE, ARG_DATE },
	{ "BODY", IMAP_SEARCH_BODY, ARG_STRING },
	{ "CC", IMAP_SEARCH_CC, ARG_STRING },
	{ "DELETED", IMAP_SEARCH_DELETED, ARG_NONE },
	{ "DRAFT", IMAP_SEARCH_DRAFT, ARG_NONE },
	{ "EMAILID", IMAP_SEARCH_EMAILID, ARG_STRING },
	{ "FLAGGED", IMAP_SEARCH_FLAGGED, ARG_NONE },
	{ "FROM", IMAP_SEARCH_FROM, ARG_STRING },
	{ "HEADER", IMAP_SEARCH_HEADER, ARG_HEADER },
	{ "KEYWORD", IMAP_SEARCH_KEYWORD, ARG_KEYWORD },
	{ "LARGER", IMAP_SEARCH_LARGER, ARG_NUMBER64 },
	{ "MODSEQ", IMAP_SEARCH_MODSEQ, ARG_MODSEQ },
	{ "NEW", IMAP_SEARCH_NEW, ARG_NONE },
	{ "NOT", IMAP_SEARCH_NOT, ARG_NOT },
	{ "OLD", IMAP_SEARCH_OLD, ARG_NONE },
	{ "OLDER", IMAP_SEARCH_OLDER, ARG_NZ_NUMBER },
	{ "ON", IMAP_SEARCH_ON, ARG_DATE },
	{ "OR", IMAP_SEARCH_OR, ARG_OR },
	{ "RECENT", IMAP_SEARCH_RECENT, ARG_NONE },
	{ "SAVEDATESUPPORTED", IMAP_SEARCH_SAVEDATESUPPORTED, ARG_NONE },
	{ "SAVEDBEFORE", IMAP_SEARCH_SAVEDBEFORE, ARG_DATE },
	{ "SAVEDON", IMAP_SEARCH_SAVEDON, ARG_DATE },
	{ "SAVEDSINCE", IMAP_SEARCH_SAVEDSINCE, ARG_DATE },
	{ "SEEN", IMAP_SEARCH_SEEN, ARG_NONE },
	{ "SENTBEFORE", IMAP_SEARCH_SENTBEFORE, ARG_DATE },
	{ "SENTON", IMAP_SEARCH_SENTON, ARG_DATE },
	{ "SENTSINCE", IMAP_SEARCH_SENTSINCE, ARG_DATE },
	{ "SINCE", IMAP_SEARCH_SINCE, ARG_DATE },
	{ "SMALLER", IMAP_SEARCH_SMALLER, ARG_NUMBER64 },
	{ "SUBJECT", IMAP_SEARCH_SUBJECT, ARG_STRING },
	{ "TEXT", IMAP_SEARCH_TEXT, ARG_STRING },
	{ "THREADID", IMAP_SEARCH_THREADID, ARG_STRING },
	{ "TO", IMAP_SEARCH_TO, ARG_STRING },
	{ "UID", IMAP_SEARCH_UID, ARG_SEQSET },
	{ "UNANSWERED", IMAP_SEARCH_UNANSWERED, ARG_NONE },
	{ "UNDELETED", IMAP_SEARCH_UNDELETED, ARG_NONE },
	{ "UNDRAFT", IMAP_SEARCH_UNDRAFT, ARG_NONE },
	{ "UNFLAGGED", IMAP_SEARCH_UNFLAGGED, ARG_NONE },
	{ "UNKEYWORD", IMAP_SEARCH_UNKEYWORD, ARG_KEYWORD },
	{ "UNSEEN", IMAP_SEARCH_UNSEEN, ARG_NONE },
	{ "YOUNGER", IMAP_SEARCH_YOUNGER, ARG_NZ_NUMBER },
};

static const struct {
	const char *name;
	unsigned int bit;
} return_options[] = {
	{ "MIN", IMAP_SEARCH_RETURN_MIN },
	{ "MAX", IMAP_SEARCH_RETURN_MAX },
	{ "ALL", IMAP_SEARCH_RETURN_ALL },
	{ "COUNT", IMAP_SEARCH_RETURN_COUNT },
	{ "SAVE", IMAP_SEARCH_RETURN_SAVE },
};

struct search_ctx {
	const struct imap_search_limits *limits;
	size_t keys;
	const char *error;
};

bool imap_search_has_key(const struct imap_search_key *key,
			 enum imap_search_key_type type)
{
	if (key->type == type)
		return true;
	for (size_t i = 0; i < key->child_count; i++) {
		if (imap_search_has_key(&key->children[i], type))
			return true;
	}
	return false;
}

const char *imap_search_key_name(enum imap_search_key_type type)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].type == type)
			return keys[i].name;
	}
	return "";
}

static void key_deinit(struct imap_search_key *key)
{
	for (size_t i = 0; i < key->child_count; i++)
		key_deinit(&key->children[i]);
	free(key->children);
	free(key->str);
	free(key->value);
	imap_seqset_free(&key->seqset);
}

void imap_search_free(struct imap_search **searchp)
{
	struct imap_search *search = *searchp;

	if (search == NULL)
		return;
	*searchp = NULL;
	key_deinit(&search->root);
	free(search);
}

static int fail(struct search_ctx *ctx, const char *error)
{
	ctx->error = error;
	return -1;
}

/* A search string: astring, and valid UTF-8 (US-ASCII is a subset). */
static int get_text(struct search_ctx *ctx, const struct imap_arg *arg,
		    char **str_r)
{
	const char *s;
	size_t len;

	if (!imap_arg_get_astring(arg, &s, &len))
		return fail(ctx, "Missing or invalid search string");
	if (!imap_utf8_valid(s, len) || memchr(s, '\0', len) != NULL)
		return fail(ctx, "Search string is not valid UTF-8");
	*str_r = xstrndup(s, len);
	return 0;
}

static int get_number(struct search_ctx *ctx, const struct imap_arg *arg,
		      uint64_t max, uint64_t *num_r)
{
	const char *s;

	if (!imap_arg_get_atom(arg, &s) || imap_parse_number(s, max, num_r) < 0)
		return fail(ctx, "Invalid number in search key");
	return 0;
}

static int parse_key(struct search_ctx *ctx, const struct imap_arg **argsp,
		     unsigned int depth, struct imap_search_key *key);

static int parse_group(struct search_ctx *ctx, const struct imap_arg *args,
		       unsigned int depth, struct imap_search_key *key)
{
	size_t cap = 0;

	key->type = IMAP_SEARCH_AND;
	if (args->type == IMAP_ARG_EOL)
		return fail(ctx, "Empty search key list");
	while (args->type != IMAP_ARG_EOL) {
		if (key->child_count == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			key->children = xrealloc(key->children,
						 cap * sizeof(*key->children));
		}
		memset(&key->children[key->child_count], 0,
		       sizeof(*key->children));
		/* Count the child first so it is freed even if it fails
		 * half way. */
		key->child_count++;
		if (parse_key(ctx, &args, depth,
			      &key->children[key->child_count - 1]) < 0)
			return -1;
	}
	return 0;
}

/* MODSEQ [entry-name entry-type-req] mod-sequence-valzer */
static int parse_modseq(struct search_ctx *ctx, const struct imap_arg **argsp,
			struct imap_search_key *key)
{
	const struct imap_arg *args = *argsp;
	const char *name, *type;

	if (args[0].type == IMAP_ARG_QUOTED ||
	    args[0].type == IMAP_ARG_LITERAL) {
		/* entry-flag-name = DQUOTE "/flags/" attr-flag DQUOTE */
		name = args[0].u.str;
		if (strncasecmp(name, "/flags/", 7) != 0 ||
		    (imap_flag_system(name + 7) == 0 &&
		     !imap_flag_keyword_valid(name + 7)))
			return fail(ctx, "Invalid MODSEQ entry name");
		if (!imap_arg_get_atom(&args[1], &type))
			return fail(ctx, "Missing MODSEQ entry type");
		if (strcasecmp(type, "all") == 0)
			key->modseq_type = IMAP_SEARCH_MODSEQ_ALL;
		else if (strcasecmp(type, "priv") == 0)
			key->modseq_type = IMAP_SEARCH_MODSEQ_PRIV;
		else if (strcasecmp(type, "shared") == 0)
			key->modseq_type = IMAP_SEARCH_MODSEQ_SHARED;
		else
			return fail(ctx, "Invalid MODSEQ entry type");
		key->str = xstrdup(name);
		args += 2;
	}
	if (get_number(ctx, args, NUMBER64_MAX, &key->number) < 0)
		return -1;
	*argsp = args + 1;
	return 0;
}

static int parse_key_arg(struct search_ctx *ctx, enum key_arg kind,
			 const struct imap_arg **argsp, unsigned int depth,
			 struct imap_search_key *key)
{
	const struct imap_arg *args = *argsp;
	const char *s;

	switch (kind) {
	case ARG_NONE:
		return 0;
	case ARG_STRING:
		if (get_text(ctx, args, &key->str) < 0)
			return -1;
		break;
	case ARG_HEADER:
		if (get_text(ctx, args, &key->str) < 0 ||
		    get_text(ctx, args + 1, &key->value) < 0)
			return -1;
		for (s = key->str; *s != '\0'; s++) {
			if (*s <= ' ' || *s >= 0x7f || *s == ':')
				break;
		}
		if (*s != '\0' || s == key->str)
			return fail(ctx, "Invalid header name");
		args++;
		break;
	case ARG_DATE:
		if (!imap_arg_get_astring(args, &s, NULL) ||
		    imap_date_parse(s, &key->date) < 0)
			return fail(ctx, "Invalid date in search key");
		break;
	case ARG_NUMBER64:
		if (get_number(ctx, args, NUMBER64_MAX, &key->number) < 0)
			return -1;
		break;
	case ARG_NZ_NUMBER:
		if (get_number(ctx, args, UINT32_MAX, &key->number) < 0 ||
		    key->number == 0)
			return fail(ctx, "Invalid interval in search key");
		break;
	case ARG_KEYWORD:
		if (!imap_arg_get_atom(args, &s) ||
		    !imap_flag_keyword_valid(s))
			return fail(ctx, "Invalid keyword in search key");
		key->str = xstrdup(s);
		break;
	case ARG_SEQSET:
		if (!imap_arg_get_atom(args, &s) ||
		    imap_seqset_parse(s, ctx->limits->max_ranges, &key->seqset,
				      &ctx->error) < 0)
			return ctx->error != NULL ? -1 :
				fail(ctx, "Invalid sequence set");
		break;
	case ARG_MODSEQ:
		return parse_modseq(ctx, argsp, key);
	case ARG_NOT:
	case ARG_OR:
		key->child_count = kind == ARG_NOT ? 1 : 2;
		key->children = xcalloc(key->child_count,
					sizeof(*key->children));
		for (size_t i = 0; i < key->child_count; i++) {
			if (parse_key(ctx, argsp, depth + 1,
				      &key->children[i]) < 0)
				return -1;
		}
		return 0;
	}
	*argsp = args + 1;
	return 0;
}

static int parse_key(struct search_ctx *ctx, const struct imap_arg **argsp,
		     unsigned int depth, struct imap_search_key *key)
{
	const struct imap_arg *arg = *argsp;
	const char *name;

	if (depth > ctx->limits->max_depth)
		return fail(ctx, "Search keys nested too deeply");
	if (++ctx->keys > ctx->limits->max_keys)
		return fail(ctx, "Too many search keys");
	if (arg->type == IMAP_ARG_LIST) {
		*argsp = arg + 1;
		return parse_group(ctx, arg->u.list, depth + 1, key);
	}
	if (!imap_arg_get_atom(arg, &name))
		return fail(ctx, arg->type == IMAP_ARG_EOL ?
			    "Missing search key" : "Invalid search key");
	*argsp = arg + 1;
	if ((name[0] >= '0' && name[0] <= '9') || name[0] == '*' ||
	    name[0] == '$') {
		key->type = IMAP_SEARCH_SEQSET;
		ctx->error = NULL;
		if (imap_seqset_parse(name, ctx->limits->max_ranges,
				      &key->seqset, &ctx->error) < 0)
			return -1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcasecmp(name, keys[i].name) == 0) {
			key->type = keys[i].type;
			ctx->error = NULL;
			return parse_key_arg(ctx, keys[i].arg, argsp, depth,
					     key);
		}
	}
	return fail(ctx, "Unknown search key");
}

int imap_search_parse_return(const struct imap_arg *list,
			     unsigned int *returns_r, const char **error_r)
{
	*returns_r = 0;
	for (; list->type != IMAP_ARG_EOL; list++) {
		size_t i;

		for (i = 0; i < sizeof(return_options) /
			     sizeof(return_options[0]); i++) {
			if (imap_arg_atom_equals(list, return_options[i].name))
				break;
		}
		if (i == sizeof(return_options) / sizeof(return_options[0])) {
			*error_r = "Unknown RETURN option";
			return -1;
		}
		*returns_r |= return_options[i].bit;
	}
	/* RFC 4731 section 3.1: RETURN () is RETURN (ALL). */
	if (*returns_r == 0)
		*returns_r = IMAP_SEARCH_RETURN_ALL;
	return 0;
}

static int parse_return(struct search_ctx *ctx, const struct imap_arg *list,
			struct imap_search *search)
{
	search->has_return = true;
	return imap_search_parse_return(list, &search->returns, &ctx->error);
}

/* Only UTF-8 and its subset US-ASCII: the store indexes text as UTF-8, and
 * RFC 9051 section 6.4.4 requires nothing more. */
static const char *known_charset(const char *name)
{
	if (strcasecmp(name, "UTF-8") == 0)
		return "UTF-8";
	if (strcasecmp(name, "US-ASCII") == 0)
		return "US-ASCII";
	return NULL;
}

enum imap_search_parse_result
imap_search_parse(const struct imap_arg *args, unsigned int flags,
		  const struct imap_search_limits *limits,
		  struct imap_search **search_r, const char **error_r)
{
	struct search_ctx ctx = { limits ? limits : &imap_search_default_limits,
				  0, NULL };
	struct imap_search *search = xcalloc(1, sizeof(*search));
	const struct imap_arg *list;
	const char *charset = NULL;
	enum imap_search_parse_result ret = IMAP_SEARCH_PARSE_BAD;

	*search_r = NULL;
	if ((flags & IMAP_SEARCH_PARSE_CHARSET_FIRST) != 0) {
		if (!imap_arg_get_astring(args, &charset, NULL)) {
			fail(&ctx, "Missing charset");
			goto out;
		}
		args++;
	} else {
		if (imap_arg_atom_equals(args, "RETURN")) {
			if (!imap_arg_get_list(&args[1], &list, NULL)) {
				fail(&ctx, "RETURN needs a list");
				goto out;
			}
			if (parse_return(&ctx, list, search) < 0)
				goto out;
			args += 2;
		}
		if (imap_arg_atom_equals(args, "CHARSET")) {
			if (!imap_arg_get_astring(&args[1], &charset, NULL)) {
				fail(&ctx, "Missing charset");
				goto out;
			}
			args += 2;
		}
	}
	if (charset != NULL) {
		search->charset = known_charset(charset);
		if (search->charset == NULL) {
			ctx.error = "Unsupported charset";
			ret = IMAP_SEARCH_PARSE_BADCHARSET;
			goto out;
		}
	}
	if (parse_group(&ctx, args, 0, &search->root) == 0) {
		ret = IMAP_SEARCH_PARSE_OK;
		*search_r = search;
		search = NULL;
	}
out:
	*error_r = ctx.error;
	imap_search_free(&search);
	return ret;
}
