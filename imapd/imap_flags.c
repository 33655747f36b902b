#include "imapd/imap_flags.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	unsigned int bit;
} system_flags[] = {
	{ "\\Answered", IMAP_FLAG_ANSWERED },
	{ "\\Flagged", IMAP_FLAG_FLAGGED },
	{ "\\Deleted", IMAP_FLAG_DELETED },
	{ "\\Seen", IMAP_FLAG_SEEN },
	{ "\\Draft", IMAP_FLAG_DRAFT },
	{ "\\Recent", IMAP_FLAG_RECENT },
};

unsigned int imap_flag_system(const char *name)
{
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]);
	     i++) {
		if (strcasecmp(name, system_flags[i].name) == 0)
			return system_flags[i].bit;
	}
	return 0;
}

bool imap_flag_keyword_valid(const char *name)
{
	return imap_is_atom(name);
}

static int flags_add(struct imap_flags *flags, const struct imap_arg *arg,
		     size_t max_keywords, const char **error_r)
{
	const char *name;
	unsigned int bit;

	if (!imap_arg_get_atom(arg, &name)) {
		*error_r = "Flags must be atoms";
		return -1;
	}
	if (name[0] == '\\') {
		bit = imap_flag_system(name);
		if (bit == 0 || bit == IMAP_FLAG_RECENT) {
			*error_r = "Invalid system flag";
			return -1;
		}
		flags->system |= bit;
		return 0;
	}
	if (!imap_flag_keyword_valid(name)) {
		*error_r = "Invalid keyword";
		return -1;
	}
	for (size_t i = 0; i < flags->keyword_count; i++) {
		if (strcasecmp(flags->keywords[i], name) == 0)
			return 0;
	}
	if (flags->keyword_count >= max_keywords) {
		*error_r = "Too many keywords";
		return -1;
	}
	flags->keywords = xrealloc(flags->keywords,
				   (flags->keyword_count + 1) * sizeof(char *));
	flags->keywords[flags->keyword_count++] = xstrdup(name);
	return 0;
}

int imap_flags_parse(const struct imap_arg *args, size_t max_keywords,
		     struct imap_flags *flags_r, const char **error_r)
{
	memset(flags_r, 0, sizeof(*flags_r));
	for (; args->type != IMAP_ARG_EOL; args++) {
		if (flags_add(flags_r, args, max_keywords, error_r) < 0) {
			imap_flags_deinit(flags_r);
			return -1;
		}
	}
	return 0;
}

void imap_flags_deinit(struct imap_flags *flags)
{
	for (size_t i = 0; i < flags->keyword_count; i++)
		free(flags->keywords[i]);
	free(flags->keywords);
	memset(flags, 0, sizeof(*flags));
}

void imap_flags_format(const struct imap_flags *flags, struct buf *out)
{
	bool first = true;

	buf_append_char(out, '(');
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]);
	     i++) {
		if ((flags->system & system_flags[i].bit) == 0)
			continue;
		if (!first)
			buf_append_char(out, ' ');
		first = false;
		buf_append_str(out, system_flags[i].name);
	}
	for (size_t i = 0; i < flags->keyword_count; i++) {
		if (!first)
			buf_append_char(out, ' ');
		first = false;
		buf_append_str(out, flags->keywords[i]);
	}
	buf_append_char(out, ')');
}
