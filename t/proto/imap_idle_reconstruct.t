# An IDLE session goes on hearing of changes after `sealpost reconstruct`
# replaced its mailbox's change log: the session is woken when the old log
# goes, reports the difference (here a message whose file was lost), and
# watches the new log from then on, so the next delivery reaches it at
# once as before.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_workers => 1 });
for my $n (1 .. 3) {
	like($sp->lmtp_deliver('alice', "Subject: m$n\r\n\r\nbody $n\r\n"), qr/^250 /,
	    "message $n delivered");
}

my $a = Sealpost::IMAP->login_new($sp, 'alice', timeout => 15);
my $sel = $a->cmd('a1 SELECT INBOX');
like($sel, qr/^\* 3 EXISTS$/m, 'the session selects INBOX with three');
$a->send_line('a2 IDLE');
is($a->read_line, "+ idling\r\n", 'and idles');

# The file of the second message is lost; reconstruct drops its record and
# writes a new log.
my @files = grep { -f $_ && m{/2$} } glob($sp->dir . '/state/store/alice/*/2');
is(scalar @files, 1, "the second message's file");
ok(unlink($files[0]), 'is removed');
my ($rc, $out, $err) = $sp->run_sealpost('reconstruct', 'alice/INBOX');
is($rc, 0, 'reconstruct runs') or diag("$out$err");
like($out, qr{^alice/INBOX: repaired: 1 removed$}m, 'and drops the lost message');
is($a->read_line, "* 2 EXPUNGE\r\n", 'the idling session hears of the lost message');

# The next delivery goes to the new log.
like($sp->lmtp_deliver('alice', "Subject: m4\r\n\r\nbody 4\r\n"), qr/^250 /,
    'a delivery after the rebuild');
is($a->read_line, "* 3 EXISTS\r\n", 'reaches the idling session');
like($sp->lmtp_deliver('alice', "Subject: m5\r\n\r\nbody 5\r\n"), qr/^250 /,
    'and another');
is($a->read_line, "* 4 EXISTS\r\n", 'which it hears of too');
$a->send_line('DONE');
is($a->read_until('a2'), 'a2 OK IDLE terminated', 'DONE ends IDLE');
my $fetch = $a->cmd('a3 FETCH 1:* (UID)');
is_deeply([ $fetch =~ /^\* \d+ FETCH \(UID (\d+)\)$/mg ], [ 1, 3, 4, 5 ],
    'the session holds UIDs 1, 3, 4 and 5');
done_testing;
