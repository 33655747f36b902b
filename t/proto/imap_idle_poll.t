# imapd with imap_notify_poll (a store on a network file system, or a
# kernel out of inotify watches): IDLE still hears of a new message, a flag
# change and an expunge made by other processes, and of its mailbox's
# deletion, within the poll period instead of at once.  See imapd(8).
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_workers => 2, imap_notify_poll => 'yes' });
my $msg = "Subject: hello\r\n\r\nbody\r\n";
my $b = Sealpost::IMAP->login_new($sp, 'alice');
like($b->cmd('c CREATE Gone'), qr/^c OK/m, 'CREATE Gone');
like($b->cmd("a APPEND INBOX {" . length($msg) . "+}\r\n$msg"), qr/^a OK/m, 'a message in INBOX');

my $a = Sealpost::IMAP->login_new($sp, 'alice');
like($a->cmd('a1 SELECT INBOX'), qr/^\* 1 EXISTS$/m, 'a selects INBOX with one message');
$a->send_line('a2 IDLE');
is($a->read_line, "+ idling\r\n", 'a idles');

# A delivery by lmtpd, another process.
like($sp->deliver_lmtp('alice@sealpost.test', "Subject: two\r\n\r\nbody\r\n"),
    qr/^250 /, 'lmtpd delivers a second message');
is($a->read_line, "* 2 EXISTS\r\n", 'it reaches the idling session');

like($b->cmd('s1 SELECT INBOX'), qr/^s1 OK/m, 'b selects INBOX');
like($b->cmd('s2 STORE 1 +FLAGS (\\Flagged)'), qr/^s2 OK/m, 'b flags message 1');
is($a->read_line, "* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n", 'the flag change reaches it');
like($b->cmd('s3 STORE 2 +FLAGS.SILENT (\\Deleted)'), qr/^s3 OK/m, 'b deletes message 2');
like($b->cmd('s4 EXPUNGE'), qr/^s4 OK/m, 'and expunges');
like($a->read_line, qr/^\* 2 EXPUNGE\r\n$/, 'the expunge reaches it');
$a->send_line('DONE');
is($a->read_until('a2'), 'a2 OK IDLE terminated', 'DONE ends IDLE');

like($a->cmd('a3 SELECT Gone'), qr/^a3 OK/m, 'a selects Gone');
$a->send_line('a4 IDLE');
is($a->read_line, "+ idling\r\n", 'a idles');
like($b->cmd('d1 DELETE Gone'), qr/^d1 OK/m, 'b deletes Gone');
is($a->read_line, "* BYE Selected mailbox was deleted by another session\r\n",
    'the deletion reaches it too');
ok($sp->wait_log(qr/imapd\[\d+\]: started/), 'imapd ran');
# imapd's lines only: qmgr watches its queue with inotify too, and falls
# back (logging inotify_failed) when other programs of the mail user have
# used up the kernel's inotify instances.
unlike($sp->log_text, qr/imapd\[\d+\]: inotify_failed/,
    'polling was asked for, not a failure');
done_testing;
