/* libFuzzer entry point for the POP3 command reader: input is cut into
 * lines the way pop3d reads them (CRLF or LF, at most
 * POP3_MAX_COMMAND_LINE bytes, the rest of a longer line refused), each
 * line goes through pop3_command_parse(), and the arguments of a command
 * it knows through the parsers its command uses: the word splitter, the
 * message and line numbers of RETR, TOP, DELE, LIST and UIDL, and AUTH's
 * base64 initial response.  The first input byte picks the chunk size, so
 * lines split across reads are exercised too.  (pop3_commands.c names
 * every command's function, so the whole of pop3d comes along.)
 */
#include <stdarg.h>
#include <stdbool.h>

#include "base64.h"
#include "buf.h"
#include "pop3d/pop3_commands.h"
#include "pop3d/pop3_session.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a command does with its arguments before it looks at a session. */
static void check_args(const struct pop3_command *cmd, const char *args)
{
	char *copy, *words[3];
	size_t count, max, i;
	long n;

	if (args == NULL) {
		(void)pop3_command_words(NULL, words, 1, &count);
		return;
	}
	/* Each command splits into at most two words; three finds the
	 * "too many" path too. */
	for (max = 1; max <= 3; max++) {
		copy = strdup(args);
		if (copy == NULL)
			abort();
		if (pop3_command_words(copy, words, max, &count) == 0) {
			if (count > max)
				abort();
			for (i = 0; i < count; i++) {
				if (words[i][0] == '\0' ||
				    strchr(words[i], ' ') != NULL)
					abort();
				if (pop3_command_number(words[i], &n) == 0 &&
				    (n < 0 || n > 999999999))
					abort();
			}
			if (strcmp(cmd->name, "AUTH") == 0 && count == 2) {
				struct buf ir = BUF_INIT;

				(void)base64_decode(&ir, words[1],
						    strlen(words[1]), 4096);
				buf_free(&ir);
			}
		}
		free(copy);
	}
}

static void check_line(const char *data, size_t len)
{
	const struct pop3_command *cmd;
	char *line = malloc(len + 1), *args;

	if (line == NULL)
		abort();
	memcpy(line, data, len);
	line[len] = '\0';
	switch (pop3_command_parse(line, len, &cmd, &args)) {
	case POP3_COMMAND_OK:
		if (cmd == NULL || (args != NULL &&
				    (args <= line || args > line + len)))
			abort();
		check_args(cmd, args);
		break;
	case POP3_COMMAND_NUL:
		if (memchr(data, '\0', len) == NULL)
			abort();
		break;
	case POP3_COMMAND_UNKNOWN:
		break;
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in = BUF_INIT;
	bool skipping = false;
	size_t step;

	if (size < 1)
		return 0;
	step = data[0] == 0 ? size : data[0];
	data++;
	size--;
	while (size > 0) {
		size_t n = size < step ? size : step;
		const char *lf;

		buf_append(&in, data, n);
		data += n;
		size -= n;
		while ((lf = memchr(in.data, '\n', in.len)) != NULL) {
			size_t len = (size_t)(lf - in.data);

			if (!skipping) {
				if (len > 0 && in.data[len - 1] == '\r')
					len--;
				if (len <= POP3_MAX_COMMAND_LINE)
					check_line(in.data, len);
			}
			skipping = false;
			buf_consume(&in, (size_t)(lf - in.data) + 1);
		}
		/* pop3d refuses a line once it is longer than the limit and
		 * drops the rest of it. */
		if (in.len > POP3_MAX_COMMAND_LINE + 1) {
			skipping = true;
			buf_clear(&in);
		}
	}
	buf_free(&in);
	return 0;
}
