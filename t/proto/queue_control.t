# The postmaster's queue commands against a running queue manager: the
# mailq listing in Postfix's layout, list --json, show, hold, release,
# requeue, delete (by ID, ALL, --from, --to), flush, errors for unknown
# IDs, a hold that survives a restart of qmgr, and holds and deletes that
# race a delivery in progress to a peer that stalls on purpose: a held or
# deleted message is never delivered afterwards.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use Sealpost::Test;
use Sealpost::DNS;
use Sealpost::SMTPServer;

# The peer: "Subject: gate-NAME-CODE" stops at the dot, says so in
# GATES/NAME.in, waits for GATES/NAME, then answers CODE; other mail to
# defer.test is refused for now, the rest taken.
my $gates = tempdir('sealpost-gates-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $srv = Sealpost::SMTPServer->new(ehlo => ['PIPELINING', 'ENHANCEDSTATUSCODES'],
	on => {
		rcpt => sub { $_[1] =~ /\@defer\.test$/ ? '451 4.3.0 Try again later' : '' },
		dot => sub {
			my ($st, $msg) = @_;
			return '' unless $msg =~ /^Subject: gate-(\w+)-(\d+)/m;
			my ($name, $code) = ($1, $2);
			open my $fh, '>', "$gates/$name.in"; close $fh;
			my $deadline = time + 60;
			select(undef, undef, undef, 0.02) while !-e "$gates/$name" && time < $deadline;
			return $code == 250 ? '250 2.0.0 Ok: queued' : "$code 4.3.0 Not now";
		},
	});
my $dns = Sealpost::DNS->new(records => [
	map { ([ $_, 'MX', 10, "mx.$_" ], [ "mx.$_", 'A', '127.0.0.1' ]) }
	qw(defer.test slow.test) ]);
my $t = Sealpost::Test->new(set => {
	dns_servers => $dns->server,
	smtp_port => $srv->port,
	minimal_backoff_time => '300s',
});

sub qc { my ($rc, $out, $err) = $t->run_sealpost('queue', @_); return ($rc, $out, $err) }
sub msg { "Subject: $_[0]\r\nMessage-ID: <$_[0]\@sender.test>\r\n\r\nbody of $_[0]\r\n" }
sub list_ids { my (undef, $out) = qc('list'); return $out =~ /^([0-9A-Z]{15})[ *!]/mg }

my ($rc, $out, $err) = qc('list');
is($rc, 0, 'list on an empty queue');
is($out, "Mail queue is empty\n", 'empty: the mailq text');

# Two deferred messages.
my @ids;
for my $n (1, 2) {
	my $from = $t->log_size;
	push @ids, $t->inject(from => "alice$n\@localhost",
	    rcpts => ["u$n\@defer.test", "v$n\@defer.test"], message => msg("deferred$n"));
	ok($t->wait_log(qr/queue_deferred .*qid=$ids[-1]/, from => $from, timeout => 120), "message $n deferred");
}
($rc, $out) = qc('list');
is($rc, 0, 'list');
my @lines = split /\n/, $out;
is($lines[0], '-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------', 'heading');
like($lines[1], qr/^$ids[0]  +\d+ [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d  alice1\@localhost$/,
    'message line: ID, size, arrival, sender');
is($lines[2], '(451 4.3.0 Try again later)', 'the deferral reason, once for both recipients');
is($lines[3], (' ' x 41) . 'u1@defer.test', 'recipient, indented');
is($lines[4], (' ' x 41) . 'v1@defer.test', 'second recipient');
is($lines[5], '', 'blank line after the message');
like($out, qr/\n-- \d+ Kbytes in 2 Requests\.\n\z/, 'trailer');

($rc, $out) = qc('list', '--json');
is($rc, 0, 'list --json');
my @json = map { decode_json($_) } split /\n/, $out;
is(scalar @json, 2, 'one object per message');
is($json[0]{queue_id}, $ids[0], 'queue_id');
is($json[0]{queue_name}, 'deferred', 'queue_name');
is($json[0]{sender}, 'alice1@localhost', 'sender');
like($json[0]{arrival_time}, qr/^\d+$/, 'arrival_time');
is($json[0]{message_size}, length msg('deferred1'), 'message_size');
is_deeply([ map { $_->{address} } @{ $json[0]{recipients} } ], ['u1@defer.test', 'v1@defer.test'], 'recipients');
is($json[0]{recipients}[0]{delay_reason}, '451 4.3.0 Try again later', 'delay_reason');

($rc, $out) = qc('show', $ids[0]);
is($rc, 0, 'show');
like($out, qr/^queue:\s+deferred$/m, 'show: the folder');
like($out, qr/^sender:\s+<alice1\@localhost>$/m, 'show: sender');
like($out, qr/^attempts:\s+1$/m, 'show: attempts');
like($out, qr/^next_attempt:\s+\d{4}-\d\d-\d\d /m, 'show: next attempt');
like($out, qr/^recipient:\s+<u1\@defer\.test> deferred attempts=1$/m, 'show: recipient state');
like($out, qr/^  last reply:\s+451 4\.3\.0 Try again later from mx\.defer\.test/m, 'show: last reply and host');
like($out, qr/^Subject: deferred1\r?$/m, 'show: the message');

# Unknown IDs.
($rc, $out, $err) = qc('show', '0000000000ZZZZZ');
isnt($rc, 0, 'show of an unknown ID fails');
like($err, qr/0000000000ZZZZZ.*no such message/, 'and names it');
($rc, $out, $err) = qc('hold', $ids[0], 'NOSUCHID');
is($rc, 1, 'hold with one unknown ID: status 1');
like($err, qr/NOSUCHID: no such message/, 'the unknown one is named');
like($out, qr/^$ids[0]: held$/m, 'the known one is held');
($rc, $out) = qc('list');
like($out, qr/^$ids[0]!/m, 'held: "!" in the listing');
($rc, $out) = qc('list', '--json');
like($out, qr/"queue_name":"hold","queue_id":"$ids[0]"/, 'held: queue_name hold');
($rc, $out, $err) = qc('hold', $ids[0]);
like($out, qr/already on hold/, 'holding twice says so');
($rc, undef, $err) = qc('requeue', $ids[0]);
is($rc, 1, 'requeue refuses a held message');
like($err, qr/on hold/, 'and says why');

# The hold survives a restart of the queue manager.
my ($qmgr_pid) = $t->log_text =~ /.*qmgr\[(\d+)\]: qmgr_started/s;
ok($qmgr_pid, 'qmgr pid from its log');
my $from = $t->log_size;
kill 'TERM', $qmgr_pid;
ok($t->wait_log(qr/qmgr\[(?!$qmgr_pid\])\d+\]: qmgr_started/, from => $from, timeout => 120), 'qmgr restarted');
($rc, $out) = qc('list');
like($out, qr/^$ids[0]!/m, 'still held after the restart');
$from = $t->log_size;
($rc, $out) = qc('requeue', 'ALL');
is($rc, 0, 'requeue ALL');
like($out, qr/^$ids[1]: requeued$/m, 'the deferred one is requeued');
unlike($out, qr/$ids[0]/, 'ALL leaves the held one alone');
ok($t->wait_log(qr/queue_deferred .*qid=$ids[1]/, from => $from, timeout => 120), 'requeued: tried again at once');
unlike(substr($t->log_text, $from), qr/queue_active .*qid=$ids[0]/, 'the held one was not tried');
$from = $t->log_size;
($rc, $out) = qc('flush');
is($rc, 0, 'flush');
ok($t->wait_log(qr/queue_deferred .*qid=$ids[1]/, from => $from, timeout => 120), 'flushed: the deferred one is tried again');
unlike(substr($t->log_text, $from), qr/queue_active .*qid=$ids[0]/, 'flush leaves the held one alone');

($rc, $out) = qc('release', $ids[0]);
is($rc, 0, 'release');
like($out, qr/^$ids[0]: released$/m, 'released');
ok($t->wait_log(qr/queue_deferred .*qid=$ids[0]/, from => $from, timeout => 120), 'released: tried at once');
($rc, $out) = qc('show', $ids[0]);
like($out, qr/^attempts:\s+2$/m, 'the history is kept: two attempts');
($rc, $out, $err) = qc('release', $ids[0]);
is($rc, 1, 'release of a message not on hold fails');

# hold ALL, release ALL.
($rc, $out) = qc('hold', 'ALL');
is(scalar(() = $out =~ /: held/g), 2, 'hold ALL holds both');
($rc, $out) = qc('list', '--json');
is(scalar(() = $out =~ /"queue_name":"hold"/g), 2, 'both on hold');
$from = $t->log_size;
($rc, $out) = qc('release', 'ALL');
is(scalar(() = $out =~ /: released/g), 2, 'release ALL');
# Both are tried at once; their attempts end before the deletes below,
# which would otherwise find one still running.
ok($t->wait_log(qr/queue_deferred .*qid=$ids[$_]/, from => $from, timeout => 120),
   "released by ALL: $ids[$_] tried again") for 0, 1;

# delete by ID, --from, --to.
push @ids, $t->inject(from => 'carol@localhost', rcpts => ['w@defer.test'], message => msg('deferred3'));
ok($t->wait_log(qr/queue_deferred .*qid=$ids[2]/, timeout => 120), 'a third message deferred');
($rc, $out) = qc('delete', '--to', 'U2@DEFER.TEST');
like($out, qr/^$ids[1]: deleted$/m, 'delete --to (any case)');
($rc, $out) = qc('delete', '--from', 'carol@localhost');
like($out, qr/^$ids[2]: deleted$/m, 'delete --from');
($rc, $out) = qc('delete', $ids[0]);
like($out, qr/^$ids[0]: deleted$/m, 'delete ID');
is_deeply([ list_ids() ], [], 'the queue is empty again');
($rc, undef, $err) = qc('delete', $ids[0]);
is($rc, 1, 'deleting it again fails');
like($err, qr/$ids[0]: no such message/, 'naming it');
($rc, $out) = qc('delete', '--from', 'nobody@localhost');
is($rc, 0, 'delete --from with no match');
ok($t->wait_log(qr/queue_deleted .*qid=$ids[0]/, timeout => 120), 'deletes are logged');

# Races.  Starts `sealpost queue ARGS` in the background; returns a
# function that waits for it and gives (status, stdout, stderr).
sub background {
	my @args = @_;
	my $outf = "$gates/out." . join('_', @args);
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my ($r, $o, $e) = qc(@args);
		open my $fh, '>', $outf; print $fh "$r\n$o\0$e"; close $fh;
		POSIX::_exit(0);
	}
	return sub {
		waitpid($pid, 0);
		open my $fh, '<', $outf or return (-1, '', '');
		local $/; my $all = <$fh>;
		my ($r, $rest) = split /\n/, $all, 2;
		my ($o, $e) = split /\0/, $rest, 2;
		return ($r, $o, $e);
	};
}
require POSIX;
sub open_gate { open my $fh, '>', "$gates/$_[0]"; close $fh }
sub wait_file { my $d = time + 120; select(undef, undef, undef, 0.02) while !-e $_[0] && time < $d; -e $_[0] }

# A hold while the message is in DATA: the peer defers it; it goes to
# hold/, and no later run of the queue sends it.
$from = $t->log_size;
my $held = $t->inject(from => 'alice@localhost', rcpts => ['x@slow.test'], message => msg('gate-hold-451'));
ok(wait_file("$gates/hold.in"), 'hold race: the message is at the dot');
my $wait = background('hold', $held);
ok($t->wait_log(qr/queue_hold_waiting .*qid=$held/, from => $from, timeout => 120), 'the hold waits for the attempt');
open_gate('hold');
($rc, $out, $err) = $wait->();
is($rc, 0, 'hold during delivery succeeds');
like($out, qr/^$held: held once the attempt that was running ended$/m, 'and says it waited');
($rc, $out) = qc('list');
like($out, qr/^$held!/m, 'on hold');
# Run the queue: a later message to the same peer is delivered, the held
# one is not.
$from = $t->log_size;
qc('flush');
qc('requeue', 'ALL');
my $later = $t->inject(from => 'alice@localhost', rcpts => ['y@slow.test'], message => msg('later'));
ok($t->wait_log(qr/delivered to=y\@slow\.test .*qid=$later/, from => $from, timeout => 120), 'the queue runs');
unlike(substr($t->log_text, $from), qr/qid=$held/, 'the held message was not touched');
is(scalar(grep { /gate-hold/ } $srv->messages), 0, 'the peer never took the held message');

# A delete while the message is in DATA and the peer defers: removed,
# never sent again.
$from = $t->log_size;
my $del = $t->inject(from => 'alice@localhost', rcpts => ['z@slow.test'], message => msg('gate-del-451'));
ok(wait_file("$gates/del.in"), 'delete race: the message is at the dot');
$wait = background('delete', $del);
ok($t->wait_log(qr/queue_delete_waiting .*qid=$del/, from => $from, timeout => 120), 'the delete waits for the attempt');
open_gate('del');
($rc, $out) = $wait->();
is($rc, 0, 'delete during delivery succeeds');
like($out, qr/^$del: deleted once the attempt that was running ended$/m, 'deleted after the attempt');
ok(!grep({ $_ eq $del } list_ids()), 'gone from the queue');
$from = $t->log_size;
qc('flush');
my $later2 = $t->inject(from => 'alice@localhost', rcpts => ['y2@slow.test'], message => msg('later2'));
ok($t->wait_log(qr/delivered to=y2\@slow\.test .*qid=$later2/, from => $from, timeout => 120), 'the queue runs');
unlike(substr($t->log_text, $from), qr/(?:delivered|queue_active) .*qid=$del/, 'the deleted message was never delivered');
is(scalar(grep { /gate-del/ } $srv->messages), 0, 'the peer never took it');

# A delete while the peer is about to accept: the delete reports the
# recipient the attempt delivered.
$from = $t->log_size;
my $acc = $t->inject(from => 'alice@localhost', rcpts => ['a@slow.test', 'b@defer.test'],
    message => msg('gate-acc-250'));
ok(wait_file("$gates/acc.in"), 'accepted race: at the dot');
$wait = background('delete', $acc);
ok($t->wait_log(qr/queue_delete_waiting .*qid=$acc/, from => $from, timeout => 120), 'the delete waits');
open_gate('acc');
($rc, $out) = $wait->();
is($rc, 0, 'delete succeeds');
like($out, qr/^$acc: deleted once the attempt that was running ended \(delivered to a\@slow\.test\)$/m,
    'and reports the recipient the peer accepted');
is(scalar(grep { /gate-acc/ } $srv->messages), 1, 'which the peer has, once');
ok(!grep({ $_ eq $acc } list_ids()), 'the rest is gone');

done_testing;
