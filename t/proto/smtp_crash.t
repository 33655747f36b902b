# Crash test of the whole inbound path: several SMTP clients submit mail
# to local users on the MX port while smtpd, the queue manager and lmtpd
# workers are killed with SIGKILL at random moments (the master restarts
# them).  Once the queue has drained, every message that got a 250 must
# be in its mailbox exactly once, and no message at all more than once: a
# client that lost its connection before the 250 sends the message again
# with the same Message-ID, so the first attempt may have been queued too,
# and lmtpd's de-duplication must keep the two to one copy.  Nothing may
# be in corrupt/, no daemon may die of anything but our SIGKILL (or the
# store's announced exit after a database recovery), and reconstruct must
# find no mailbox to repair (quota usage may be counted too high after a
# killed delivery, never too low).  SEALPOST_CRASH_MESSAGES sets
# the size (make torture runs it big).
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;
use POSIX qw(WNOHANG);

$SIG{PIPE} = "IGNORE";
my $clients = 4;
my $per_client = int(($ENV{SEALPOST_CRASH_MESSAGES} // 2000) / $clients);
# Deferred mail (lmtpd was down) is tried again within a second or two.
my $sp = Sealpost::Test->new(set => {
	smtpd_workers => 2, lmtp_workers => 2, restart_backoff_max => '1s',
	minimal_backoff_time => '1s', maximal_backoff_time => '2s',
	# A kill that lands while a daemon holds one of the database's own
	# locks wedges it until every process lets go; the watch on stuck
	# calls (store.h) must notice well inside the clients' deadline.
	database_stuck_timeout => '10s',
});
my $port = $sp->env('SEALPOST_SMTP_PORT');
my @users = qw(alice bob carol);

# Dies unless `reply` matches `re`, naming the step and the reply (empty
# when the connection was lost); returns the captures.
sub expect {
	my ($reply, $re, $what) = @_;
	my @m = $reply =~ $re or die "$what: $reply\n";
	return @m;
}

# A client: submits its messages one by one, reconnecting and sending a
# message again until it gets a 250; writes down each Message-ID it got a
# 250 for, and each one it sent at all.  The clients differ, so every way
# into the queue is crashed: one command at a time, pipelined (RFC 2920),
# BDAT (RFC 3030), and two recipients per message.
sub client {
	my ($k) = @_;
	open my $acked, '>', $sp->dir . "/acked.$k" or die;
	open my $sent, '>', $sp->dir . "/sent.$k" or die;
	my $c;
	my $i = 0;
	my $progress = Sealpost::Test::now();
	while ($i < $per_client) {
		# Bounded: no progress for a minute is a failure, not a reason
		# to spin.
		exit 1 if Sealpost::Test::now() - $progress > 60;
		my @to = ($users[($k + $i) % @users]);
		push @to, $users[($k + $i + 1) % @users] if $k % 4 == 0;
		my $id = "s$k.$i";
		my $msg = "From: <crash\@example.org>\r\nSubject: crash $k $i\r\n"
		    . "Message-ID: <$id\@crash.test>\r\n\r\n"
		    . ("line of text\r\n" x (1 + $i % 50));
		my $ok = eval {
			if (!$c) {
				$c = Sealpost::Wire->new(port => $port, timeout => 60);
				expect($c->read_reply, qr/^220 /, 'greeting');
				expect($c->cmd('EHLO crash.example'), qr/^250 /m, 'EHLO');
			}
			print $sent "$_ $id\n" for @to;
			$sent->flush;
			if ($k % 4 == 2) {
				$c->send_raw("MAIL FROM:<crash\@example.org>\r\n"
				    . join('', map { "RCPT TO:<$_\@sealpost.test>\r\n" } @to)
				    . "DATA\r\n");
				expect($c->read_reply, qr/^250 /, 'MAIL');
				expect($c->read_reply, qr/^250 /, 'RCPT') for @to;
				expect($c->read_reply, qr/^354 /, 'DATA');
				$c->send_raw("$msg.\r\n");
			} else {
				expect($c->cmd('MAIL FROM:<crash@example.org>'), qr/^250 /, 'MAIL');
				expect($c->cmd("RCPT TO:<$_\@sealpost.test>"), qr/^250 /, 'RCPT')
				    for @to;
				if ($k % 4 == 3) {
					my $half = int(length($msg) / 2);
					$c->send_raw('BDAT ' . $half . "\r\n" . substr($msg, 0, $half));
					expect($c->read_reply, qr/^250 /, 'BDAT');
					$c->send_raw('BDAT ' . (length($msg) - $half) . " LAST\r\n"
					    . substr($msg, $half));
				} else {
					expect($c->cmd('DATA'), qr/^354 /, 'DATA');
					$c->send_raw("$msg.\r\n");
				}
			}
			my ($qid) = expect($c->read_reply,
			    qr/^250 2\.0\.0 Ok: queued as (\w+)$/, 'end of data');
			print $acked "$_ $id $qid\n" for @to;
			$acked->flush;
			1;
		};
		if ($ok) {
			$i++;
			$progress = Sealpost::Test::now();
		} else {
			# A 5xx is a bug, not a crash: stop here.
			exit 2 if $@ =~ /^[\w ]+: 5/;
			$c = undef;
		}
	}
	# A kill may land between the last 250 and this QUIT: its write then
	# fails, and there is nothing left to check.
	eval { $c->cmd('QUIT') } if $c;
	exit 0;
}

my @pids;
for my $k (1 .. $clients) {
	my $pid = fork // die;
	if ($pid == 0) { client($k) }
	push @pids, $pid;
}

# The live workers of this instance: started by our master, still its
# children (a pid in the log may have been reused by now).
my $master = $sp->master_pid;
sub workers {
	my %live;
	my $log = $sp->log_text;
	while ($log =~ /worker_started service=(smtp|queue|lmtp) pid=(\d+)/g) {
		my ($svc, $pid) = ($1, $2);
		open my $fh, '<', "/proc/$pid/stat" or next;
		my $stat = <$fh> // next;
		my ($ppid) = $stat =~ /^\d+ \(.*\) \S+ (\d+)/s;
		$live{$pid} = $svc if defined $ppid && $ppid == $master;
	}
	return \%live;
}

# Kill a random worker of smtpd, qmgr or lmtpd at random moments until the
# clients are done.  Only a worker that has finished starting (logged so)
# and has been up a little while is a victim: killing each one as it
# starts, often in the middle of the database recovery its predecessor's
# death made necessary, would keep them all down (the master waits up to
# restart_backoff_max before each restart), which tests nothing.
my %kills = (smtp => 0, queue => 0, lmtp => 0);
my %ready_re = (smtp => 'smtpd\[(\d+)\]: smtpd_started',
    queue => 'qmgr\[(\d+)\]: qmgr_started', lmtp => 'lmtpd\[(\d+)\]: started');
my (%done, %born);
while (keys %done < @pids) {
	for my $pid (@pids) {
		$done{$pid} = $? >> 8 if !exists $done{$pid} && waitpid($pid, WNOHANG) == $pid;
	}
	my $live = workers();
	my $log = $sp->log_text;
	my %ready;
	for my $svc (keys %ready_re) {
		$ready{$_} = 1 for $log =~ /$ready_re{$svc}/g;
	}
	my $now = Sealpost::Test::now();
	$born{$_} //= $now for grep { $ready{$_} } keys %$live;
	my @old = grep { $ready{$_} && $now - $born{$_} >= 0.2 } keys %$live;
	my @svc = grep { my $s = $_; grep { $live->{$_} eq $s } @old } keys %kills;
	if (@svc) {
		my $svc = $svc[rand @svc];
		my @cand = grep { $live->{$_} eq $svc } @old;
		my $victim = $cand[rand @cand];
		$kills{$svc}++ if kill 'KILL', $victim;
	}
	# The pace of the attack, not a wait for anything.
	select(undef, undef, undef, 0.05 + rand(0.3));
}
is_deeply([values %done], [(0) x @pids], 'every client finished');
# At least one kill of each: how many depends on the pace of a loaded machine.
ok($kills{$_} >= 1, "$_ was killed $kills{$_} times") for sort keys %kills;

$sp->crash_queue_drained_ok(120);

my (%acked, %sent, %qids);
for my $k (1 .. $clients) {
	open my $fh, '<', $sp->dir . "/acked.$k" or die;
	while (<$fh>) { my ($u, $id, $qid) = split; $acked{$u}{$id}++; $qids{$qid} = 1 }
	open $fh, '<', $sp->dir . "/sent.$k" or die;
	while (<$fh>) { my ($u, $id) = split; $sent{$u}{$id}++ }
}
my $total = 0;
$total += keys %{$acked{$_}} for keys %acked;
is($total, $clients * $per_client + $per_client * int($clients / 4),
    'every message was acknowledged once to its client, for each recipient');
# The log tells the same story: each acknowledged queue ID was removed
# from the queue (after its delivery was recorded).
my %removed = map { $_ => 1 } $sp->log_text =~ /queue_removed .*qid=(\w+)/g;
my @unremoved = grep { !$removed{$_} } keys %qids;
is(scalar @unremoved, 0, 'the log shows every acknowledged queue ID removed')
    or diag "@unremoved[0 .. ($#unremoved < 9 ? $#unremoved : 9)]";
my $resent = 0;
$resent += grep { $_ > 1 } values %{$sent{$_}} for keys %sent;
note("$resent messages were sent more than once");

# The sealpost command, bounded: a store wedged by a crash must fail the
# test, not hang it.
sub sealpost_cmd {
	local $ENV{SEALPOST_CONFIG} = $sp->config_path;
	my ($rc, $out, $err) = Sealpost::Test::run_cmd('timeout', '120',
	    $sp->bin('sealpost'), @_);
	return ($rc, $out, $err);
}

# Names the first few of a list of problems in the test output.
my %told;
sub tell_some {
	my ($kind, $what) = @_;
	diag("$kind: $what") if ++$told{$kind} <= 10;
}

my ($missing, $dups, $stray) = (0, 0, 0);
for my $user (@users) {
	my ($rc, $out) = sealpost_cmd('mailbox', 'show', $user, 'INBOX');
	my %seen;
	$seen{$1}++ while $out =~ /^Message-ID: <(s\d+\.\d+)\@crash\.test>\r?$/mg;
	for my $id (keys %{$acked{$user}}) {
		next if $seen{$id};
		$missing++;
		tell_some('acknowledged but missing', "$user $id");
	}
	for my $id (keys %seen) {
		if ($seen{$id} > 1) {
			$dups++;
			tell_some('stored more than once', "$user $id ($seen{$id})");
		}
		$stray++ unless $sent{$user}{$id};
	}
}
is($missing, 0, 'no acknowledged message is missing');
is($dups, 0, 'no message was stored twice');
is($stray, 0, 'nothing arrived that was not sent');

$sp->crash_deaths_ok;
$sp->crash_reconstruct_ok;
done_testing;
