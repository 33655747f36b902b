/* Unit tests for imapd/imap_search_eval.c: the substring match that every
 * text key uses agrees with a plain reading of "contains, ignoring ASCII
 * case" on fixed and on random inputs; which searches read message files
 * whatever the cache holds. */
#include "tap.h"
#include "buf.h"
#include "imapd/imap_search_eval.h"
#include "imapd/imap_search_parse.h"
#include "imap_test_cmd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool naive(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++) {
		size_t k = 0;

		while (k < n && tolower((unsigned char)hay[i + k]) ==
		       tolower((unsigned char)needle[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* 1: reads files, 0: does not, -1: did not parse. */
static int reads_files(const char *args)
{
	struct buf line = BUF_INIT;
	struct imap_command *cmd;
	struct imap_search *search = NULL;
	const char *error;
	int ret = -1;

	buf_printf(&line, "a SEARCH %s\r\n", args);
	cmd = test_command(buf_cstr(&line), false);
	buf_free(&line);
	if (cmd != NULL &&
	    imap_search_parse(cmd->args, 0, NULL, &search, &error) ==
	    IMAP_SEARCH_PARSE_OK)
		ret = imap_search_reads_files(search) ? 1 : 0;
	imap_search_free(&search);
	imap_command_free(&cmd);
	return ret;
}

static void test_reads_files(void)
{
	is_int(reads_files("BODY x"), 1, "BODY reads files");
	is_int(reads_files("TEXT x"), 1, "TEXT reads files");
	is_int(reads_files("SUBJECT x FROM y TO z CC a BCC b"), 0,
	       "the address and subject keys do not");
	is_int(reads_files("SENTSINCE 1-Jan-2020 UNSEEN"), 0, "nor SENT*");
	is_int(reads_files("HEADER Message-ID x"), 0,
	       "nor HEADER of a cached field");
	is_int(reads_files("HEADER X-Mailer x"), 1,
	       "HEADER of another field does");
	is_int(reads_files("OR FROM a NOT (SEEN BODY b)"), 1,
	       "found inside OR, NOT and lists");
}

int main(void)
{
	static const char alphabet[] = "aAbB \xc3\xa9.";
	char hay[64], needle[6];
	bool agree = true;

	ok(imap_search_contains("Hello World", 11, "world"), "case ignored");
	ok(imap_search_contains("Hello World", 11, "LO W"), "inside");
	ok(imap_search_contains("abc", 3, ""), "empty needle");
	ok(imap_search_contains("", 0, ""), "empty both");
	ok(!imap_search_contains("abc", 3, "abcd"), "longer needle");
	ok(!imap_search_contains("abc", 2, "c"), "the length bounds the hay");
	ok(imap_search_contains("xxxxxxxxxA", 10, "a"), "match at the very end");
	ok(imap_search_contains("AAAAAAAAAAb", 11, "ab"), "after many candidates");
	ok(!imap_search_contains("AAAAAAAAAA", 10, "ab"), "none of many candidates");
	ok(imap_search_contains("caf\xc3\xa9", 5, "\xc3\xa9"), "8-bit bytes as they are");
	ok(!imap_search_contains("caf\xc3\x89", 5, "\xc3\xa9"), "no case beyond ASCII");
	ok(imap_search_contains("a\0b", 3, "b"), "past a NUL in the hay");

	srand(1);
	for (int round = 0; round < 20000 && agree; round++) {
		size_t hl = (size_t)rand() % sizeof(hay), nl = (size_t)rand() % 5;

		for (size_t i = 0; i < hl; i++)
			hay[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		for (size_t i = 0; i < nl; i++)
			needle[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		needle[nl] = '\0';
		if (imap_search_contains(hay, hl, needle) != naive(hay, hl, needle))
			agree = false;
	}
	ok(agree, "agrees with the plain reading on 20000 random cases");
	test_reads_files();
	return tap_done();
}
