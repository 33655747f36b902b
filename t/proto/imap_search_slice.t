# imapd: a SEARCH over many messages runs in slices (imap_search_slice_ms),
# so the other sessions of its imapd process are served meanwhile, and the
# answer is the one a SEARCH in one go gives.  With imap_search_slice_ms
# 0 every message is a slice of its own.
use strict;
use warnings;
use IO::Select;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_workers => 1,
    imap_search_slice_ms => 0 });
my $n = 3000;

my $a = Sealpost::IMAP->login_new($sp, 'alice');
# One MULTIAPPEND (RFC 3502) of $n messages; every 7th holds the needle.
my $cmd = 'm APPEND INBOX';
my @want;
for my $i (1 .. $n) {
	my $word = $i % 7 == 0 ? 'needle' : 'hay';
	push @want, $i if $i % 7 == 0;
	my $m = "From: x$i\@example.org\r\nSubject: message $i\r\n\r\n"
	    . "a body with $word $i in it\r\n";
	$cmd .= ' {' . length($m) . "+}\r\n$m";
}
like($a->cmd($cmd), qr/^m OK/m, "$n messages appended");
like($a->cmd('s SELECT INBOX'), qr/^\* $n EXISTS/m, 'selected');

my $b = Sealpost::IMAP->login_new($sp, 'alice');
$b->cmd('s SELECT INBOX');

# A long SEARCH on one session; a NOOP on another, sent after it, is
# answered while the SEARCH still runs.
$a->send_line('a1 UID SEARCH TEXT needle');
my $noop = $b->cmd('b1 NOOP');
like($noop, qr/^b1 OK/m, 'the other session is answered');
my $pending = $a->{buf} ne '' || $a->sock->pending ||
    IO::Select->new($a->sock)->can_read(0);
ok(!$pending, '... while the SEARCH is still running');
my $r = $a->read_until('a1');
is($r, "* SEARCH @want\na1 OK SEARCH completed", 'the SEARCH finds every match');

# The same in the other forms of the answer, and with a saved result.
is($a->cmd('a2 SEARCH RETURN (MIN MAX COUNT SAVE) TEXT needle'),
    "* ESEARCH (TAG \"a2\") MIN 7 MAX $want[-1] COUNT " . scalar(@want)
    . "\na2 OK SEARCH completed", 'ESEARCH');
my @fourteen = grep { /^14/ } @want;
is($a->cmd('a3 SEARCH $ SUBJECT "message 14"'), "* SEARCH @fourteen\na3 OK SEARCH completed",
    'SAVE kept the result');
is($a->cmd('a4 SEARCH UNSEEN SUBJECT "message 2999"'), "* SEARCH 2999\na4 OK SEARCH completed",
    'header keys too');

# Flags changed by another session during a SEARCH reach this one only
# after it (the slices all see one view): the SEARCH answers for the
# session's view as it was when it began.
$a->send_line('a5 SEARCH SEEN');
$b->cmd('b2 STORE 1:* +FLAGS.SILENT (\Seen)');
like($a->read_until('a5'), qr/^\* SEARCH\n/m, 'a SEARCH sees the flags of its start');
like($a->cmd('a6 NOOP'), qr/^a6 OK/m, 'the change is reported');
like($a->cmd('a7 SEARCH SEEN SUBJECT "message 3000"'), qr/^\* SEARCH 3000$/m,
    'and the next SEARCH sees it');

# A session closed in the middle of its SEARCH: the process goes on.
$a->send_line('a8 SEARCH TEXT nothing-matches-this');
$a->close;
like($b->cmd('b3 NOOP'), qr/^b3 OK/m, 'a session that left mid-SEARCH harms nobody');
my $c = Sealpost::IMAP->login_new($sp, 'alice');
like($c->cmd('c1 EXAMINE INBOX'), qr/^c1 OK/m, 'and a new one is served');
$c->cmd('z LOGOUT');
$b->cmd('z LOGOUT');
unlike($sp->log_text, qr/ panic|imap_error/, 'nothing went wrong in imapd');
done_testing;
