/* The mbox and Maildir spellings shared by sealpost import and export:
 * "From " line dates, flag letters, Status fields, USER[:MAILBOX]. */
#include "tap.h"
#include "buf.h"
#include "mbox.h"
#include "master/cli_mailfile.h"

#include <stdint.h>

static const struct {
	const char *line;
	int ret;
	int64_t date;
} from_cases[] = {
	{ "From a@b Mon Jan  2 15:04:05 2023", 0, 1672671845 },
	{ "From MAILER-DAEMON Fri Dec 31 23:59:59 1999", 0, 946684799 },
	{ "From Mon@x Sat Jan  1 00:00:00 2000", 0, 946684800 },
	{ "From a b c@d Sat Jan  1 00:00:00 2000 +0100", 0, 946684800 },
	{ "From someone@example.org Thu Feb 29 12:00:00 2024\r", 0, 1709208000 },
	{ "From x@y", -1, 0 },
	{ "From x@y Mon Foo  2 15:04:05 2023", -1, 0 },
	{ "From x@y Mon Jan  2 15:04", -1, 0 },
	{ "From ", -1, 0 },
};

static const struct {
	const char *arg;
	int ret;
	const char *user, *mailbox;
} target_cases[] = {
	{ "alice", 0, "alice", "INBOX" },
	{ "bob:Lists/perl", 0, "bob", "Lists/perl" },
	{ "bob:", 0, "bob", "INBOX" },
	{ "carol:a:b", 0, "carol", "a:b" },
	{ ":x", -1, NULL, NULL },
	{ "", -1, NULL, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -1, NULL, NULL },
};

int main(void)
{
	char user[CLI_MAILFILE_USER_MAX + 1];
	const char *mailbox;
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		int64_t date = 0;
		int ret = cli_mailfile_from_date(from_cases[i].line,
						 strlen(from_cases[i].line), &date);

		is_int(ret, from_cases[i].ret, from_cases[i].line);
		if (ret == 0)
			is_int(date, from_cases[i].date, "... its date");
	}
	cli_mailfile_asctime(946684799, &b);
	is_str(buf_cstr(&b), "Fri Dec 31 23:59:59 1999", "asctime");
	buf_clear(&b);
	cli_mailfile_asctime(1672671845, &b);
	is_str(buf_cstr(&b), "Mon Jan  2 15:04:05 2023", "asctime pads the day");

	is_int(cli_mailfile_maildir_flags("DFRST"), MBOX_SYSTEM_FLAGS,
	       "Maildir DFRST: all five flags");
	is_int(cli_mailfile_maildir_flags("Sab"), MBOX_SEEN,
	       "Maildir keyword letters are ignored");
	is_int(cli_mailfile_maildir_flags(""), 0, "no letters, no flags");
	is_int(cli_mailfile_maildir_flags("R"), MBOX_ANSWERED, "R is \\Answered");
	is_int(cli_mailfile_maildir_flags("T"), MBOX_DELETED, "T is \\Deleted");
	buf_clear(&b);
	cli_mailfile_maildir_letters(MBOX_SEEN | MBOX_FLAGGED | MBOX_DRAFT, &b);
	is_str(buf_cstr(&b), "DFS", "letters in ASCII order");

	is_int(cli_mailfile_status_flags(" RO", 3, false), MBOX_SEEN, "Status: RO");
	is_int(cli_mailfile_status_flags(" O", 2, false), 0, "Status: O");
	is_int(cli_mailfile_status_flags(" AFTD", 5, true),
	       MBOX_ANSWERED | MBOX_FLAGGED | MBOX_DRAFT | MBOX_DELETED,
	       "X-Status: AFTD");
	is_int(cli_mailfile_status_flags(" R", 2, true), 0,
	       "R means nothing in X-Status");
	buf_clear(&b);
	cli_mailfile_status_write(MBOX_SYSTEM_FLAGS, &b);
	is_str(buf_cstr(&b), "Status: RO\nX-Status: AFTD\n", "all flags written");
	buf_clear(&b);
	cli_mailfile_status_write(0, &b);
	is_str(buf_cstr(&b), "Status: O\n", "no flags: no X-Status");

	for (i = 0; i < sizeof(target_cases) / sizeof(target_cases[0]); i++) {
		int ret = cli_mailfile_target(target_cases[i].arg, user, &mailbox);

		is_int(ret, target_cases[i].ret, target_cases[i].arg);
		if (ret == 0 && target_cases[i].ret == 0) {
			is_str(user, target_cases[i].user, "... user");
			is_str(mailbox, target_cases[i].mailbox, "... mailbox");
		}
	}
	buf_free(&b);
	return tap_done();
}
