#include "imapd/imap_search_parse.h"
#include "imapd/imap_quote.h"

#include <string.h>

static void format_keys(const struct imap_search_key *keys, size_t count,
			struct buf *out)
{
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			buf_append_char(out, ' ');
		imap_search_format_key(&keys[i], out);
	}
}

static void format_text(const char *s, struct buf *out)
{
	imap_quote_string(out, s, strlen(s), IMAP_QUOTE_UTF8);
}

void imap_search_format_key(const struct imap_search_key *key,
			    struct buf *out)
{
	if (key->type == IMAP_SEARCH_AND) {
		buf_append_char(out, '(');
		format_keys(key->children, key->child_count, out);
		buf_append_char(out, ')');
		return;
	}
	if (key->type == IMAP_SEARCH_SEQSET) {
		imap_seqset_format(key->seqset, out);
		return;
	}
	buf_append_str(out, imap_search_key_name(key->type));
	switch (key->type) {
	case IMAP_SEARCH_OR:
	case IMAP_SEARCH_NOT:
		buf_append_char(out, ' ');
		format_keys(key->children, key->child_count, out);
		break;
	case IMAP_SEARCH_BCC: case IMAP_SEARCH_BODY: case IMAP_SEARCH_CC:
	case IMAP_SEARCH_FROM: case IMAP_SEARCH_SUBJECT:
	case IMAP_SEARCH_TEXT: case IMAP_SEARCH_TO:
	case IMAP_SEARCH_EMAILID: case IMAP_SEARCH_THREADID:
		buf_append_char(out, ' ');
		format_text(key->str, out);
		break;
	case IMAP_SEARCH_HEADER:
		buf_append_char(out, ' ');
		format_text(key->str, out);
		buf_append_char(out, ' ');
		format_text(key->value, out);
		break;
	case IMAP_SEARCH_KEYWORD: case IMAP_SEARCH_UNKEYWORD:
		buf_printf(out, " %s", key->str);
		break;
	case IMAP_SEARCH_BEFORE: case IMAP_SEARCH_ON: case IMAP_SEARCH_SINCE:
	case IMAP_SEARCH_SENTBEFORE: case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE: case IMAP_SEARCH_SAVEDBEFORE:
	case IMAP_SEARCH_SAVEDON: case IMAP_SEARCH_SAVEDSINCE:
		buf_append_char(out, ' ');
		imap_date_format(&key->date, out);
		break;
	case IMAP_SEARCH_MODSEQ:
		if (key->str != NULL) {
			static const char *const types[] = {
				[IMAP_SEARCH_MODSEQ_ALL] = "all",
				[IMAP_SEARCH_MODSEQ_PRIV] = "priv",
				[IMAP_SEARCH_MODSEQ_SHARED] = "shared",
			};

			buf_append_char(out, ' ');
			format_text(key->str, out);
			buf_printf(out, " %s", types[key->modseq_type]);
		}
		/* fall through */
	case IMAP_SEARCH_LARGER: case IMAP_SEARCH_SMALLER:
	case IMAP_SEARCH_OLDER: case IMAP_SEARCH_YOUNGER:
		buf_printf(out, " %llu", (unsigned long long)key->number);
		break;
	case IMAP_SEARCH_UID:
		buf_append_char(out, ' ');
		imap_seqset_format(key->seqset, out);
		break;
	default:
		break;
	}
}

void imap_search_format(const struct imap_search *search, struct buf *out)
{
	static const char *const returns[] = {
		"MIN", "MAX", "ALL", "COUNT", "SAVE",
	};

	if (search->has_return) {
		const char *sep = "";

		buf_append_str(out, "RETURN (");
		for (unsigned int i = 0; i < 5; i++) {
			if ((search->returns & (1u << i)) != 0) {
				buf_printf(out, "%s%s", sep, returns[i]);
				sep = " ";
			}
		}
		buf_append_str(out, ") ");
	}
	if (search->charset != NULL)
		buf_printf(out, "CHARSET %s ", search->charset);
	format_keys(search->root.children, search->root.child_count, out);
}
