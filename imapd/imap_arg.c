#include "imapd/imap_arg.h"
#include "buf.h"

#include <stdlib.h>
#include <strings.h>

/* The tree's depth is bounded by the parser's nesting limit, so recursion
 * here is bounded too. */
void imap_arg_list_free(struct imap_arg *list)
{
	if (list == NULL)
		return;
	for (struct imap_arg *a = list; a->type != IMAP_ARG_EOL; a++) {
		if (a->type == IMAP_ARG_LIST)
			imap_arg_list_free(a->u.list);
		else
			free(a->u.str);
	}
	free(list);
}

void imap_command_free(struct imap_command **cmdp)
{
	struct imap_command *cmd = *cmdp;

	if (cmd == NULL)
		return;
	*cmdp = NULL;
	free(cmd->tag);
	free(cmd->name);
	imap_arg_list_free(cmd->args);
	free(cmd);
}

bool imap_is_atom_char(unsigned char c)
{
	/* atom-specials: ( ) { SP CTL % * " \ ] and 8-bit is not CHAR. */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '(': case ')': case '{': case '%': case '*':
	case '"': case '\\': case ']':
		return false;
	default:
		return true;
	}
}

bool imap_is_astring_char(unsigned char c)
{
	return imap_is_atom_char(c) || c == ']';
}

bool imap_is_atom(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!imap_is_atom_char((unsigned char)*s))
			return false;
	}
	return true;
}

bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL)
		return false;
	*str_r = arg->u.str;
	return true;
}

bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r,
			 size_t *len_r)
{
	if (arg->type != IMAP_ARG_QUOTED && arg->type != IMAP_ARG_LITERAL)
		return false;
	*str_r = arg->u.str;
	if (len_r != NULL)
		*len_r = (size_t)arg->len;
	return true;
}

bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r,
			  size_t *len_r)
{
	if (arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_NIL) {
		for (const char *p = arg->u.str; *p != '\0'; p++) {
			if (!imap_is_astring_char((unsigned char)*p))
				return false;
		}
		*str_r = arg->u.str;
		if (len_r != NULL)
			*len_r = (size_t)arg->len;
		return true;
	}
	return imap_arg_get_string(arg, str_r, len_r);
}

bool imap_arg_get_nstring(const struct imap_arg *arg, const char **str_r,
			  size_t *len_r)
{
	if (arg->type == IMAP_ARG_NIL) {
		*str_r = NULL;
		if (len_r != NULL)
			*len_r = 0;
		return true;
	}
	return imap_arg_get_string(arg, str_r, len_r);
}

bool imap_arg_get_list(const struct imap_arg *arg,
		       const struct imap_arg **list_r, size_t *count_r)
{
	if (arg->type != IMAP_ARG_LIST)
		return false;
	*list_r = arg->u.list;
	if (count_r != NULL)
		*count_r = (size_t)arg->len;
	return true;
}

bool imap_arg_is_nil(const struct imap_arg *arg)
{
	return arg->type == IMAP_ARG_NIL;
}

bool imap_arg_atom_equals(const struct imap_arg *arg, const char *word)
{
	return (arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_NIL) &&
		strcasecmp(arg->u.str, word) == 0;
}

int imap_parse_number(const char *s, uint64_t max, uint64_t *num_r)
{
	uint64_t n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned int)(*s - '0');
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*num_r = n;
	return 0;
}
