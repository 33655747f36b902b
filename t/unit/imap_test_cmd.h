#ifndef SEALPOST_T_IMAP_TEST_CMD_H
#define SEALPOST_T_IMAP_TEST_CMD_H

/* For tests of the argument parsers: turns a command line into a command
 * with the real reader, fed all at once or one byte at a time, so every
 * argument parser test also runs over both ways of reading. */

#include "imapd/imap_parser.h"

#include <string.h>

static inline struct imap_command *
test_command_limits(const char *line, bool bytewise,
		    const struct imap_parser_limits *limits)
{
	struct imap_parser *p = imap_parser_new(limits);
	struct imap_command *cmd = NULL;
	size_t len = strlen(line), pos = 0, used;

	while (pos < len && cmd == NULL) {
		size_t n = bytewise ? 1 : len - pos;
		enum imap_parser_event ev =
			imap_parser_run(p, line + pos, n, &used);

		pos += used;
		if (ev == IMAP_PARSER_COMMAND)
			cmd = imap_parser_take_command(p);
		else if (ev == IMAP_PARSER_ERROR)
			break;
	}
	imap_parser_free(&p);
	return cmd;
}

static inline struct imap_command *test_command(const char *line,
						bool bytewise)
{
	return test_command_limits(line, bytewise, NULL);
}

#endif
