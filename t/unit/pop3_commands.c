/* Unit tests for the argument parsers of pop3d/pop3_commands.c. */
#include "tap.h"
#include "buf.h"
#include "pop3d/pop3_commands.h"

#include <string.h>

static const struct {
	const char *in;		/* NULL: no arguments */
	size_t max;
	int ret;
	size_t count;
	const char *first, *second;
} words_cases[] = {
	{ NULL, 2, 0, 0, NULL, NULL },
	{ "1", 2, 0, 1, "1", NULL },
	{ "1 10", 2, 0, 2, "1", "10" },
	{ "1 2 3", 2, -1, 0, NULL, NULL },
	{ "", 2, -1, 0, NULL, NULL },
	{ "1  2", 2, -1, 0, NULL, NULL },
	{ "1 ", 2, -1, 0, NULL, NULL },
	{ " 1", 2, -1, 0, NULL, NULL },
};

static const struct {
	const char *in;
	int ret;
	long value;
} number_cases[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "007", 0, 7 },
	{ "999999999", 0, 999999999 },
	{ "1000000000", -1, 0 },
	{ "", -1, 0 },
	{ "-1", -1, 0 },
	{ "+1", -1, 0 },
	{ "1x", -1, 0 },
	{ " 1", -1, 0 },
};

int main(void)
{
	char name[96], copy[64];
	size_t i;

	for (i = 0; i < sizeof(words_cases) / sizeof(words_cases[0]); i++) {
		char *words[2] = { NULL, NULL };
		size_t count = 99;
		int ret;

		if (words_cases[i].in != NULL)
			(void)str_copy(copy, sizeof(copy), words_cases[i].in);
		ret = pop3_command_words(words_cases[i].in != NULL ? copy : NULL,
					 words, words_cases[i].max, &count);
		snprintf(name, sizeof(name), "words '%s'",
			 words_cases[i].in ? words_cases[i].in : "(none)");
		is_int(ret, words_cases[i].ret, name);
		if (ret == 0) {
			is_int(count, words_cases[i].count, name);
			if (count > 0)
				is_str(words[0], words_cases[i].first, name);
			if (count > 1)
				is_str(words[1], words_cases[i].second, name);
		}
	}
	for (i = 0; i < sizeof(number_cases) / sizeof(number_cases[0]); i++) {
		long value = -5;
		int ret = pop3_command_number(number_cases[i].in, &value);

		snprintf(name, sizeof(name), "number '%s'", number_cases[i].in);
		is_int(ret, number_cases[i].ret, name);
		if (ret == 0)
			is_int(value, number_cases[i].value, name);
	}
	ok(pop3_command_find("retr") != NULL, "commands match without case");
	ok(pop3_command_find("RETRX") == NULL, "no prefix matches");
	ok(pop3_command_find("NOOP")->states == POP3_IN_TRANSACTION,
	   "NOOP only in TRANSACTION (RFC 1939)");
	return tap_done();
}
