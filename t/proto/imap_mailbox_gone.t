# imapd: another session deletes or renames the selected mailbox.  A
# deleted one ends the session with BYE at its next command (or at once in
# IDLE); a renamed one keeps working under its new name, which IMAP4rev2
# sessions hear as a LIST response with OLDNAME.  See imapd(8).
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_workers => 2 });
my $b = Sealpost::IMAP->login_new($sp, 'alice');
my $msg = "Subject: hello\r\n\r\nbody\r\n";
for my $box (qw(Work Idle Proj Old P P/child Again Other)) {
	like($b->cmd("c CREATE $box"), qr/^c OK/m, "CREATE $box");
	like($b->cmd("a APPEND $box {" . length($msg) . "+}\r\n$msg"), qr/^a OK/m, "APPEND to $box");
}
my $bye = '* BYE Selected mailbox was deleted by another session';

# ---- deleted: BYE at the next command ----
my $a = Sealpost::IMAP->login_new($sp, 'alice');
like($a->cmd('a1 SELECT Work'), qr/^a1 OK/m, 'a selects Work');
is($b->cmd('b1 DELETE Other'), 'b1 OK DELETE completed', 'b deletes another mailbox');
is($a->cmd('a2 NOOP'), 'a2 OK NOOP completed', 'a does not care');
is($b->cmd('b2 DELETE Work'), 'b2 OK DELETE completed', 'b deletes Work');
$a->send_line('a3 FETCH 1 (FLAGS)');
is($a->read_line, "$bye\r\n", 'a hears BYE at its next command');
ok($a->closed, 'and the connection closes');
ok($sp->wait_log(qr/selected_mailbox_deleted mailbox=Work/), 'logged');

# ---- deleted during IDLE: BYE at once ----
$a = Sealpost::IMAP->login_new($sp, 'alice');
like($a->cmd('a1 SELECT Idle'), qr/^a1 OK/m, 'a selects Idle');
$a->send_line('a2 IDLE');
is($a->read_line, "+ idling\r\n", 'a idles');
is($b->cmd('b3 DELETE Idle'), 'b3 OK DELETE completed', 'b deletes Idle');
is($a->read_line, "$bye\r\n", 'a hears BYE without sending anything');
ok($a->closed, 'and the connection closes');

# ---- deleted and made again under the same name: still gone ----
$a = Sealpost::IMAP->login_new($sp, 'alice');
like($a->cmd('a1 SELECT Again'), qr/^a1 OK/m, 'a selects Again');
is($b->cmd('b4 DELETE Again'), 'b4 OK DELETE completed', 'b deletes Again');
is($b->cmd('b5 CREATE Again'), 'b5 OK CREATE completed', 'and makes a new Again');
is($a->cmd('a2 NOOP'), $bye, 'the new one is another mailbox: BYE');
ok($a->closed, 'closed');

# ---- LOGOUT still answers normally ----
$a = Sealpost::IMAP->login_new($sp, 'alice');
like($a->cmd('a1 SELECT Again'), qr/^a1 OK/m, 'a selects the new Again');
is($b->cmd('b6 DELETE Again'), 'b6 OK DELETE completed', 'b deletes it');
is($a->cmd('a2 LOGOUT'), "* BYE Logging out\na2 OK LOGOUT completed", 'LOGOUT is answered as ever');

# ---- renamed: an IMAP4rev2 session hears the new name ----
$a = Sealpost::IMAP->login_new($sp, 'alice');
like($a->cmd('a1 ENABLE IMAP4rev2'), qr/^a1 OK/m, 'a enables IMAP4rev2');
like($a->cmd('a2 SELECT Proj'), qr/^\* LIST \(\\HasNoChildren\) "\/" Proj$/m, 'a selects Proj');
is($b->cmd('b7 RENAME Proj Done'), 'b7 OK RENAME completed', 'b renames Proj to Done');
is($a->cmd('a3 NOOP'), "* LIST (\\HasNoChildren) \"/\" Done (\"OLDNAME\" (Proj))\na3 OK NOOP completed",
    'a hears LIST with OLDNAME');
is($a->cmd('a4 NOOP'), 'a4 OK NOOP completed', 'once');
is($a->cmd('a5 FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])'),
    "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: hello\r\n\r\n)\na5 OK FETCH completed",
    'the messages are still there');
like($a->cmd('a6 SELECT P/child'), qr/^a6 OK/m, 'a selects P/child');
is($b->cmd('b8 RENAME P Q'), 'b8 OK RENAME completed', 'b renames its parent');
is($a->cmd('a7 NOOP'), "* LIST (\\HasNoChildren) \"/\" Q/child (\"OLDNAME\" (P/child))\na7 OK NOOP completed",
    'a hears the child\'s new name');
$a->cmd('a8 LOGOUT');

# ---- renamed: an IMAP4rev1 session goes on, and follows the new name ----
$a = Sealpost::IMAP->login_new($sp, 'alice');
like($a->cmd('a1 SELECT Old'), qr/^a1 OK/m, 'a selects Old');
is($b->cmd('b9 RENAME Old New'), 'b9 OK RENAME completed', 'b renames Old to New');
is($a->cmd('a2 NOOP'), 'a2 OK NOOP completed', 'IMAP4rev1 has nothing to say about it');
is($a->cmd('a3 STORE 1 +FLAGS (\\Seen)'), "* 1 FETCH (FLAGS (\\Seen))\na3 OK STORE completed",
    'STORE goes on');
like($b->cmd('b10 STATUS New (UNSEEN)'), qr/^\* STATUS New \(UNSEEN 0\)$/m, 'on the renamed mailbox');
is($b->cmd('b11 DELETE New'), 'b11 OK DELETE completed', 'b deletes it under its new name');
is($a->cmd('a4 NOOP'), $bye, 'a hears BYE');
unlike($sp->log_text, qr/panic|imap_error/, 'no errors logged');
done_testing;
