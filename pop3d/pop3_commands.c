/* The command table, and the commands too short for a file of their own:
 * NOOP, STAT, LIST, UIDL, DELE, RSET (RFC 1939 sections 5 and 7) and
 * APOP. */
#include "pop3_commands.h"
#include "pop3_maildrop.h"
#include "pop3_send.h"
#include "pop3_session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void cmd_noop(struct pop3_session *s, char *args)
{
	if (args != NULL) {
		pop3_session_reply(s, "-ERR NOOP takes no arguments");
		return;
	}
	pop3_session_reply(s, "+OK");
}

static void cmd_stat(struct pop3_session *s, char *args)
{
	if (args != NULL) {
		pop3_session_reply(s, "-ERR STAT takes no arguments");
		return;
	}
	/* RFC 1939 section 5: messages marked deleted are not counted. */
	pop3_session_reply(s, "+OK %zu %llu",
			   pop3_maildrop_live_count(s->maildrop),
			   (unsigned long long)
			   pop3_maildrop_live_size(s->maildrop));
}

/* LIST and UIDL: one message, or all of them as a multi-line listing. */
static void cmd_list_or_uidl(struct pop3_session *s, char *args, bool uidl)
{
	const struct mbox_record *rec;
	char *words[1], id[POP3_UIDL_SIZE];
	size_t count, n;

	if (pop3_command_words(args, words, 1, &count) < 0) {
		pop3_session_reply(s, "-ERR Syntax error");
		return;
	}
	if (count == 0) {
		pop3_send_listing(s, uidl);
		return;
	}
	if (pop3_command_msg(s, words[0], &n) < 0)
		return;
	rec = pop3_maildrop_get(s->maildrop, n);
	if (uidl) {
		pop3_send_uidl(id, s->maildrop->view.uidvalidity, rec->uid);
		pop3_session_reply(s, "+OK %zu %s", n, id);
	} else {
		pop3_session_reply(s, "+OK %zu %llu", n,
				   (unsigned long long)rec->size);
	}
}

static void cmd_list(struct pop3_session *s, char *args)
{
	cmd_list_or_uidl(s, args, false);
}

static void cmd_uidl(struct pop3_session *s, char *args)
{
	cmd_list_or_uidl(s, args, true);
}

static void cmd_dele(struct pop3_session *s, char *args)
{
	char *words[1];
	size_t count, n;

	if (pop3_command_words(args, words, 1, &count) < 0 || count != 1) {
		pop3_session_reply(s, "-ERR Syntax error: DELE msg");
		return;
	}
	if (pop3_command_msg(s, words[0], &n) < 0)
		return;
	/* Only a mark: RFC 1939 section 6 deletes at QUIT. */
	(void)pop3_maildrop_delete(s->maildrop, n);
	pop3_session_reply(s, "+OK Message %zu deleted", n);
}

static void cmd_rset(struct pop3_session *s, char *args)
{
	if (args != NULL) {
		pop3_session_reply(s, "-ERR RSET takes no arguments");
		return;
	}
	pop3_maildrop_reset(s->maildrop);
	pop3_session_reply(s, "+OK Maildrop has %zu messages (%llu octets)",
			   pop3_maildrop_live_count(s->maildrop),
			   (unsigned long long)
			   pop3_maildrop_live_size(s->maildrop));
}

static void cmd_apop(struct pop3_session *s, char *args)
{
	/* APOP needs the clear-text password on the server (RFC 1939
	 * section 7); Kerberos keeps none, so there is nothing to check
	 * it against. */
	pop3_session_reply(s, "-ERR APOP is not available; use AUTH");
}

static const struct pop3_command pop3_commands[] = {
	{ "APOP", POP3_IN_AUTHORIZATION, cmd_apop },
	{ "AUTH", POP3_IN_AUTHORIZATION, cmd_auth },
	{ "CAPA", POP3_IN_AUTHORIZATION | POP3_IN_TRANSACTION, cmd_capa },
	{ "DELE", POP3_IN_TRANSACTION, cmd_dele },
	{ "LIST", POP3_IN_TRANSACTION, cmd_list },
	{ "NOOP", POP3_IN_TRANSACTION, cmd_noop },
	{ "PASS", POP3_IN_AUTHORIZATION, cmd_pass },
	{ "QUIT", POP3_IN_AUTHORIZATION | POP3_IN_TRANSACTION, cmd_quit },
	{ "RETR", POP3_IN_TRANSACTION, cmd_retr },
	{ "RSET", POP3_IN_TRANSACTION, cmd_rset },
	{ "STAT", POP3_IN_TRANSACTION, cmd_stat },
	{ "STLS", POP3_IN_AUTHORIZATION, cmd_stls },
	{ "TOP", POP3_IN_TRANSACTION, cmd_top },
	{ "UIDL", POP3_IN_TRANSACTION, cmd_uidl },
	{ "USER", POP3_IN_AUTHORIZATION, cmd_user },
};

const struct pop3_command *pop3_command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(pop3_commands) / sizeof(pop3_commands[0]); i++) {
		if (strcasecmp(pop3_commands[i].name, name) == 0)
			return &pop3_commands[i];
	}
	return NULL;
}

enum pop3_command_parse_result
pop3_command_parse(char *line, size_t len, const struct pop3_command **cmd_r,
		   char **args_r)
{
	/* Longer than any keyword (RFC 2449 section 3: 3 or 4 characters,
	 * extensions a few more). */
	char name[16];
	size_t n;

	*cmd_r = NULL;
	*args_r = NULL;
	if (strlen(line) != len)
		return POP3_COMMAND_NUL;
	n = strcspn(line, " ");
	if (n == 0 || n >= sizeof(name))
		return POP3_COMMAND_UNKNOWN;
	memcpy(name, line, n);
	name[n] = '\0';
	*cmd_r = pop3_command_find(name);
	if (*cmd_r == NULL)
		return POP3_COMMAND_UNKNOWN;
	*args_r = line[n] == ' ' ? line + n + 1 : NULL;
	return POP3_COMMAND_OK;
}

int pop3_command_words(char *args, char **words, size_t max, size_t *count_r)
{
	size_t count = 0;
	char *p = args;

	*count_r = 0;
	if (args == NULL)
		return 0;
	for (;;) {
		size_t n = strcspn(p, " ");

		if (n == 0 || count == max)
			return -1;
		words[count++] = p;
		if (p[n] == '\0')
			break;
		p[n] = '\0';
		p += n + 1;
	}
	*count_r = count;
	return 0;
}

int pop3_command_number(const char *arg, long *n_r)
{
	long n = 0;
	size_t i;

	for (i = 0; arg[i] != '\0'; i++) {
		if (arg[i] < '0' || arg[i] > '9' || i == 9)
			return -1;
		n = n * 10 + (arg[i] - '0');
	}
	if (i == 0)
		return -1;
	*n_r = n;
	return 0;
}

int pop3_command_msg(struct pop3_session *s, const char *arg, size_t *n_r)
{
	long n;

	if (pop3_command_number(arg, &n) < 0 || n == 0) {
		pop3_session_reply(s, "-ERR Invalid message number");
		return -1;
	}
	if ((size_t)n > pop3_maildrop_count(s->maildrop)) {
		pop3_session_reply(s, "-ERR No such message");
		return -1;
	}
	if (pop3_maildrop_get(s->maildrop, (size_t)n) == NULL) {
		pop3_session_reply(s, "-ERR Message %ld already deleted", n);
		return -1;
	}
	*n_r = (size_t)n;
	return 0;
}
