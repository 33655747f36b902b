#ifndef SEALPOST_POP3_COMMANDS_H
#define SEALPOST_POP3_COMMANDS_H

/*
 * The POP3 command table and the commands' entry points.  Commands with
 * real logic have a file each (cmd_auth.c, cmd_retr.c, ...); the short
 * ones live in pop3_commands.c beside the table.
 *
 * A command gets its arguments as the rest of the line after the first
 * space (NULL when there is none), writable, valid only during the call.
 */

#include <stdbool.h>
#include <stddef.h>

struct pop3_session;

#define POP3_IN_AUTHORIZATION	0x1u
#define POP3_IN_TRANSACTION	0x2u

typedef void pop3_command_fn(struct pop3_session *s, char *args);

struct pop3_command {
	const char *name;
	unsigned int states;
	pop3_command_fn *fn;
};

/* The command named `name` (any case), or NULL. */
const struct pop3_command *pop3_command_find(const char *name);

enum pop3_command_parse_result {
	POP3_COMMAND_OK,
	POP3_COMMAND_NUL,	/* a NUL byte in the line */
	POP3_COMMAND_UNKNOWN,	/* no such command (or no name at all) */
};

/* Splits a command line (without its CRLF, `len` bytes, NUL-terminated)
 * into the command and its arguments (RFC 1939 section 3: a keyword, then
 * arguments after single spaces).  *args_r points into `line` after the
 * first space, or is NULL when there is none.  Takes no session, so the
 * fuzzer (t/fuzz/fuzz_pop3_command.c) can run it alone. */
enum pop3_command_parse_result
pop3_command_parse(char *line, size_t len, const struct pop3_command **cmd_r,
		   char **args_r);

/* Splits `args` at spaces into at most `max` words; -1 when there are
 * more, or an empty word (two spaces in a row).  NULL args give 0 words. */
int pop3_command_words(char *args, char **words, size_t max, size_t *count_r);

/* Parses a message number (RFC 1939: decimal, 1 and up) and finds the
 * message.  Answers -ERR itself and returns -1 when the number is
 * malformed, out of range, or the message is marked deleted. */
int pop3_command_msg(struct pop3_session *s, const char *arg, size_t *n_r);

/* Parses a non-negative decimal number of at most 9 digits; -1 if not. */
int pop3_command_number(const char *arg, long *n_r);

void cmd_auth(struct pop3_session *s, char *args);
void cmd_capa(struct pop3_session *s, char *args);
void cmd_pass(struct pop3_session *s, char *args);
void cmd_quit(struct pop3_session *s, char *args);
void cmd_retr(struct pop3_session *s, char *args);
void cmd_stls(struct pop3_session *s, char *args);
void cmd_top(struct pop3_session *s, char *args);
void cmd_user(struct pop3_session *s, char *args);

#endif
