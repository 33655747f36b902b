# A relay destination that stalls must not hold back the rest of the
# queue.  The peer here takes one message and then stops at its dot until
# the test opens a gate; meanwhile more mail for it arrives than the
# relay's share of qmgr_message_active_limit.  Those messages are parked
# (left in active/, unread), local mail still goes through at once, a
# message with a local and a stalled recipient has its local one
# delivered, a parked message can be held and deleted by the postmaster,
# and once the gate opens every parked message is delivered exactly once
# without waiting for a backoff.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use Sealpost::Test;
use Sealpost::DNS;
use Sealpost::SMTPServer;

my $gates = tempdir('sealpost-gates-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $srv = Sealpost::SMTPServer->new(ehlo => ['PIPELINING', 'ENHANCEDSTATUSCODES'],
	on => {
		dot => sub {
			my ($st, $msg) = @_;
			return '' unless $msg =~ /^Subject: gate-(\w+)/m;
			my $name = $1;
			open my $fh, '>', "$gates/$name.in"; close $fh;
			my $deadline = time + 120;
			select(undef, undef, undef, 0.02) while !-e "$gates/$name" && time < $deadline;
			return '';
		},
	});
my $dns = Sealpost::DNS->new(records => [
	[ 'slow.test', 'MX', 10, 'mx.slow.test' ], [ 'mx.slow.test', 'A', '127.0.0.1' ] ]);
# Room per destination: one session and one message waiting (the relay
# as a whole may take half of the 6 active places).  A deferral would wait 300 s: parked
# mail must not.
my $t = Sealpost::Test->new(set => {
	dns_servers => $dns->server,
	smtp_port => $srv->port,
	qmgr_message_active_limit => 6,
	smtp_destination_concurrency_limit => 1,
	smtp_destination_waiting_limit => 1,
	minimal_backoff_time => '300s',
});

sub msg { "Subject: $_[0]\r\nMessage-ID: <$_[0]\@sender.test>\r\n\r\nbody of $_[0]\r\n" }
sub qc { my ($rc, $out, $err) = $t->run_sealpost('queue', @_); return ($rc, $out, $err) }
sub wait_file {
	my ($path) = @_;
	my $deadline = time + 60;
	select(undef, undef, undef, 0.02) while !-e $path && time < $deadline;
	return -e $path;
}

# The first message holds the one session, at its dot.
my $first = $t->inject(from => 'alice@localhost', rcpts => ['a@slow.test'], message => msg('gate-first'));
ok(wait_file("$gates/first.in"), 'the first message is at the peer, stalled');

# The next waits in memory; the destination is then full (one sending,
# one waiting) and the rest are parked, without an attempt or a deferral.
my $from = $t->log_size;
my @slow = map { $t->inject(from => 'alice@localhost', rcpts => ["s$_\@slow.test"], message => msg("slow$_")) } 1 .. 6;
my @parked = @slow[1 .. 5];

# Local mail is not held back by the stalled destination (before, the
# slow messages took every active place and this waited for the gate).
my $local = $t->inject(from => 'alice@localhost', rcpts => ['bob@localhost'], message => msg('local'));
ok($t->wait_log(qr/delivered to=bob\@localhost .*relay=lmtp.*qid=$local/), 'local mail delivered while the relay is stalled');
ok($t->wait_log(qr/queue_removed .*qid=$local/), 'and its file removed');
unlike($t->log_text, qr/delivered to=a\@slow\.test/, 'while the first message is still at the gate');
ok($t->wait_log(qr/queue_parked relay=slow\.test .*qid=$_/, from => $from), "parked: $_") for @parked;
unlike(substr($t->log_text, $from), qr/queue_deferred/, 'nothing deferred for want of room');

# A message for both: the local recipient now, the other parked.
$from = $t->log_size;
my $both = $t->inject(from => 'alice@localhost', rcpts => ['bob@localhost', 'both@slow.test'], message => msg('both'));
ok($t->wait_log(qr/delivered to=bob\@localhost .*qid=$both/, from => $from), 'mixed: the local recipient delivered');
ok($t->wait_log(qr/queue_parked relay=slow\.test .*qid=$both/, from => $from), 'mixed: then parked for the rest');
push @parked, $both;

# The postmaster sees them: parked, of the active ones.
my ($rc, $out) = $t->run_sealpost('stats', '--json');
is($rc, 0, 'stats --json');
my $s = decode_json($out);
is($s->{queue}{parked}, scalar @parked, 'stats: the parked messages');
cmp_ok($s->{queue}{active}, '>=', scalar @parked, 'stats: counted as active');

($rc, $out) = qc('show', $parked[2]);
like($out, qr/^queue: +active \(parked: waiting for room at slow\.test\)$/m, 'show: parked, and where');

# A requeue cannot make room: it says what the message waits for.
($rc, $out) = qc('requeue', $parked[2]);
is($rc, 0, 'requeue a parked message');
like($out, qr/^$parked[2]: waiting for room at slow\.test$/m, 'requeue: it waits for room');

# The postmaster acts on parked messages at once: none is running.
($rc, $out) = qc('hold', $parked[0]);
is($rc, 0, 'hold a parked message');
like($out, qr/^$parked[0]: held$/m, 'held at once');
($rc, $out) = qc('delete', $parked[1]);
is($rc, 0, 'delete a parked message');
like($out, qr/^$parked[1]: deleted$/m, 'deleted at once');

# The gate opens: everything left goes, once, without a backoff.
$from = $t->log_size;
open my $fh, '>', "$gates/first"; close $fh;
for my $id ($first, $slow[0], @parked[2 .. $#parked]) {
	ok($t->wait_log(qr/delivered to=\S+\@slow\.test .*qid=$id/, from => 0, timeout => 60), "relayed: $id");
}
my @got = $srv->messages;
my %count;
$count{$_}++ for map { /^Subject: (\S+)/m ? $1 : () } @got;
is($count{'gate-first'}, 1, 'the first message once');
is($count{"slow$_"}, 1, "slow$_ once") for 1, 4, 5, 6;
is($count{both}, 1, 'the mixed message once');
ok(!$count{slow2}, 'the held message was not sent');
ok(!$count{slow3}, 'the deleted message was not sent');
unlike($t->log_text, qr/queue_deferred/, 'nothing was deferred');

# Released, the held one goes too.
($rc, $out) = qc('release', $parked[0]);
is($rc, 0, 'release');
ok($t->wait_log(qr/delivered to=s2\@slow\.test .*qid=$parked[0]/, timeout => 60), 'the released message relayed');
ok($t->wait_log(qr/queue_removed .*qid=$parked[0]/), 'and removed');
($rc, $out) = $t->run_sealpost('stats', '--json');
is(decode_json($out)->{queue}{parked}, 0, 'stats: none parked');
($rc, $out) = qc('list');
is($out, "Mail queue is empty\n", 'the queue is empty');

done_testing;
