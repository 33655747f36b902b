/* libFuzzer entry point for the IMAP command reader and the argument
 * parsers behind it.  The first input byte picks the chunk size, so split
 * input is exercised too; each command read is handed to the parser for its
 * name (FETCH, STORE, SEARCH, SORT, THREAD, APPEND's flags and date).
 */
#include "buf.h"
#include "imapd/imap_date.h"
#include "imapd/imap_fetch_parse.h"
#include "imapd/imap_flags.h"
#include "imapd/imap_parser.h"
#include "imapd/imap_search_parse.h"
#include "imapd/imap_seqset.h"
#include "imapd/imap_sort.h"
#include "imapd/imap_store_parse.h"
#include "imapd/imap_thread.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_command(const struct imap_command *cmd)
{
	const char *error, *s;
	const struct imap_arg *args = cmd->args;

	if (strcmp(cmd->name, "FETCH") == 0 && args[0].type != IMAP_ARG_EOL) {
		struct imap_fetch *fetch;
		struct imap_seqset *set;

		if (imap_arg_get_atom(&args[0], &s) &&
		    imap_seqset_parse(s, 1000, &set, &error) == 0) {
			struct imap_seqset_iter it;
			uint32_t lo, hi;

			imap_seqset_iter_init(&it, set, 1000);
			while (imap_seqset_iter_next(&it, &lo, &hi))
				(void)imap_seqset_contains(set, lo, 1000);
			imap_seqset_free(&set);
		}
		if (imap_fetch_parse(args + 1, cmd->uid, NULL, &fetch,
				     &error) == 0) {
			struct buf out = BUF_INIT;

			for (size_t i = 0; i < fetch->body_count; i++)
				imap_fetch_body_name(&fetch->bodies[i], &out);
			buf_free(&out);
			imap_fetch_free(&fetch);
		}
	} else if (strcmp(cmd->name, "STORE") == 0 &&
		   args[0].type != IMAP_ARG_EOL) {
		struct imap_store *store;

		if (imap_store_parse(args + 1, 100, &store, &error) == 0)
			imap_store_free(&store);
	} else if (strcmp(cmd->name, "SEARCH") == 0 ||
		   strcmp(cmd->name, "SORT") == 0 ||
		   strcmp(cmd->name, "THREAD") == 0) {
		struct imap_search *search;
		unsigned int flags = cmd->name[0] != 'S' ||
			cmd->name[1] == 'O' ?
			IMAP_SEARCH_PARSE_CHARSET_FIRST : 0;
		struct imap_sort_program prog;
		const struct imap_arg *list;
		unsigned int returns;

		/* SORT: [RETURN (...)] (criteria); THREAD: an algorithm. */
		if (cmd->name[1] == 'O') {
			if (imap_arg_atom_equals(args, "RETURN") &&
			    imap_arg_get_list(&args[1], &list, NULL)) {
				(void)imap_search_parse_return(list, &returns,
							       &error);
				args += 2;
			}
			if (!imap_arg_get_list(args, &list, NULL) ||
			    imap_sort_parse(list, &prog, &error) < 0)
				return;
			args++;
		} else if (cmd->name[0] == 'T') {
			if (!imap_arg_get_atom(args, &s) ||
			    imap_thread_alg_parse(s) < 0)
				return;
			args++;
		}

		if (imap_search_parse(args, flags, NULL, &search, &error) ==
		    IMAP_SEARCH_PARSE_OK) {
			struct buf out = BUF_INIT;

			imap_search_format(search, &out);
			buf_free(&out);
			imap_search_free(&search);
		}
	} else if (strcmp(cmd->name, "APPEND") == 0) {
		for (; args->type != IMAP_ARG_EOL; args++) {
			struct imap_flags flags;
			time_t t;
			int tz;

			if (args->type == IMAP_ARG_LIST &&
			    imap_flags_parse(args->u.list, 100, &flags,
					     &error) == 0)
				imap_flags_deinit(&flags);
			if (imap_arg_get_astring(args, &s, NULL))
				(void)imap_datetime_parse(s, &t, &tz);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser_limits limits = imap_parser_default_limits;
	struct imap_parser *p;
	size_t step, used;
	unsigned int decide = 0;

	if (size < 1)
		return 0;
	step = data[0] == 0 ? size : data[0];
	data++;
	size--;
	limits.max_line_length = 4096;
	limits.max_literal_size = 1024;
	limits.max_literal_total = 4096;
	limits.max_append_size = 8192;
	limits.max_depth = 8;
	limits.max_args = 500;
	p = imap_parser_new(&limits);
	while (size > 0) {
		size_t n = size < step ? size : step;
		enum imap_parser_event ev = imap_parser_run(p, data, n, &used);

		data += used;
		size -= used;
		switch (ev) {
		case IMAP_PARSER_COMMAND:
			check_command(imap_parser_command(p));
			break;
		case IMAP_PARSER_LITERAL:
			/* Take each choice in turn. */
			switch (decide++ % 3) {
			case 0:
				imap_parser_literal_stream(p);
				break;
			case 1:
				if (imap_parser_literal_buffer(p) == 0)
					break;
				/* fall through */
			default:
				(void)imap_parser_literal_refuse(p);
				break;
			}
			break;
		default:
			break;
		}
	}
	imap_parser_free(&p);
	return 0;
}
