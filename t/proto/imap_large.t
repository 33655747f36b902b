# imapd: a mailbox of 20,000 messages (filled with MULTIAPPEND) opens, and
# answers UID FETCH 1:* (FLAGS) and SEARCH correctly.  No timing is
# asserted; the point is that nothing breaks or truncates at this size.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $N = 20000;
my $BATCH = 2000;
my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'alice', timeout => 300);
is($c->cmd('c1 CREATE Big'), 'c1 OK CREATE completed', 'CREATE Big');
my ($uv) = $c->cmd('c2 STATUS Big (UIDVALIDITY)') =~ /UIDVALIDITY (\d+)/;
for (my $first = 1; $first <= $N; $first += $BATCH) {
	my $cmd = 'a APPEND Big';
	for my $i ($first .. $first + $BATCH - 1) {
		my $m = "Subject: message $i\r\n\r\nbody $i\r\n";
		$cmd .= ' {' . length($m) . "+}\r\n$m";
	}
	my $last = $first + $BATCH - 1;
	is($c->cmd($cmd), "a OK [APPENDUID $uv $first:$last] APPEND completed",
	    "MULTIAPPEND $first:$last");
}
like($c->cmd('s1 SELECT Big'), qr/^\* $N EXISTS$/m, "SELECT: $N EXISTS");

$c->send_line('f1 UID FETCH 1:* (FLAGS)');
my ($count, $in_order) = (0, 1);
while (defined(my $l = $c->read_line)) {
	last if $l =~ /^f1 /;
	$count++;
	$in_order = 0 unless $l eq "* $count FETCH (UID $count FLAGS ())\r\n";
}
is($count, $N, "UID FETCH 1:* (FLAGS) answers for all $N");
ok($in_order, 'every answer in order with the right UID');

is($c->cmd('t1 STORE 5000:5099 +FLAGS.SILENT (\\Flagged)'), 't1 OK STORE completed', 'flag 100');
is($c->cmd('q1 SEARCH RETURN (MIN MAX COUNT) FLAGGED'),
    "* ESEARCH (TAG \"q1\") MIN 5000 MAX 5099 COUNT 100\nq1 OK SEARCH completed",
    'SEARCH FLAGGED');
is($c->cmd('q2 UID SEARCH SUBJECT "message 12345"'), "* SEARCH 12345\nq2 OK SEARCH completed",
    'SEARCH a header over every message');
is($c->cmd('q3 SEARCH RETURN (COUNT) UNFLAGGED UID 19901:*'),
    "* ESEARCH (TAG \"q3\") COUNT 100\nq3 OK SEARCH completed", 'SEARCH with a UID range');
is($c->cmd('f2 FETCH 20000 (UID BODY[TEXT])'), "* 20000 FETCH (UID 20000 FLAGS (\\Seen) BODY[TEXT] {12}\r\nbody 20000\r\n)\nf2 OK FETCH completed",
    'the last message');
done_testing;
