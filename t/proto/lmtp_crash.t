# Crash test: several LMTP clients deliver while lmtpd workers are killed
# with SIGKILL at random moments; the master restarts them.  Every message
# that got a 250 must be in its mailbox exactly once, reconstruct must find
# no mailbox to repair, and quota usage may be counted too high but never
# too low.  SEALPOST_CRASH_MESSAGES sets the size (make
# torture runs it long).
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;
use POSIX qw(WNOHANG);

$SIG{PIPE} = "IGNORE";
my $clients = 4;
my $per_client = int(($ENV{SEALPOST_CRASH_MESSAGES} // 1200) / $clients);
my $sp = Sealpost::Test->new(set => {
	lmtp_workers => 2, restart_backoff_max => '1s',
	# A kill that lands while a daemon holds one of the database's own
	# locks wedges it until every process lets go; the watch on stuck
	# calls (store.h) must notice well inside the clients' deadline.
	database_stuck_timeout => '10s',
});
my $socket = $sp->env('SEALPOST_LMTP_SOCKET');
my @users = qw(alice bob carol);

# Dies unless the reply matches, saying what was refused and how.
sub expect {
	my ($reply, $re, $what) = @_;
	return if defined $reply && $reply =~ $re;
	die "$what: " . (length($reply // '') ? $reply : '(no reply: closed or timed out)')
	    . "\n";
}

# A client: delivers its messages one by one, reconnecting and sending a
# message again until it gets a 250; writes the IDs it got 250 for.
sub client {
	my ($k) = @_;
	open my $acked, '>', $sp->dir . "/acked.$k" or die;
	my $c;
	my $i = 0;
	my $progress = Sealpost::Test::now();
	my $last_error = '';
	while ($i < $per_client) {
		# A bounded test: no progress for a minute is a failure, not a
		# reason to spin.
		if (Sealpost::Test::now() - $progress > 60) {
			print STDERR "# client $k: no 250 for 60 s on message $i; "
			    . "last error: $last_error";
			exit 1;
		}
		my $ok = eval {
			if (!$c) {
				$c = Sealpost::Wire->new(path => $socket, timeout => 60);
				expect($c->read_reply, qr/^220/, 'greeting');
				expect($c->cmd('LHLO crash'), qr/^250 /m, 'LHLO');
			}
			my $user = $users[($k + $i) % @users];
			expect($c->cmd('MAIL FROM:<crash@example.org>'), qr/^250/, 'MAIL');
			expect($c->cmd("RCPT TO:<$user\@sealpost.test>"), qr/^250/, 'RCPT');
			expect($c->cmd('DATA'), qr/^354/, 'DATA');
			$c->send_raw("Subject: crash $k $i\r\nMessage-ID: <c$k.$i\@crash.test>\r\n\r\n"
			    . ("line of text\r\n" x (1 + $i % 50)) . ".\r\n");
			expect($c->read_reply, qr/^250/, 'the message');
			print $acked "$user c$k.$i\n";
			$acked->flush;
			1;
		};
		if ($ok) { $i++; $progress = Sealpost::Test::now() }
		else { $c = undef; $last_error = $@ }
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

# Kill lmtpd workers of this instance at random moments until the clients
# are done.  Only a worker that has finished starting is a target, and
# only after some progress since the last kill (below).
my $kills = 0;
my %done;
my $acked_at_kill = -1;

# How many deliveries the clients have had acknowledged so far.
sub acked_count {
	my $n = 0;
	for my $k (1 .. $clients) {
		open my $fh, '<', $sp->dir . "/acked.$k" or next;
		local $/;
		$n += (<$fh> // '') =~ tr/\n//;
	}
	return $n;
}
while (keys %done < @pids) {
	for my $pid (@pids) {
		$done{$pid} = $? if !exists $done{$pid} && waitpid($pid, WNOHANG) == $pid;
	}
	# The pace of the attack, not a wait for anything.
	select(undef, undef, undef, 0.02 + rand(0.15));
	# Each kill waits for a delivery acknowledged since the last one:
	# the attack is on what a crash leaves behind, and must not outpace
	# the work (a restart can take seconds under the sanitizers on a
	# loaded machine).  A server that stops making progress then fails
	# the clients' deadline instead of being rescued by the next kill.
	my $acked = acked_count();
	next if $acked <= $acked_at_kill;
	my %started = map { $_ => 1 } $sp->log_text =~ /lmtpd\[(\d+)\]: started/g;
	my @lmtpd = grep { $started{$_} && kill 0, $_ }
	    $sp->log_text =~ /worker_started service=lmtp pid=(\d+)/g;
	next unless @lmtpd;
	my $mark = $sp->log_size;
	$acked_at_kill = $acked;
	kill 'KILL', $lmtpd[rand @lmtpd];
	$kills++;
	$sp->wait_log(qr/lmtpd\[\d+\]: started/, from => $mark, timeout => 60);
}
is_deeply([values %done], [(0) x @pids], 'every client finished')
    or diag("the log's end:\n" . join("\n", (split /\n/, $sp->log_text)[-40 .. -1]));
ok($kills >= 3, "lmtpd was killed $kills times");

my %acked;
for my $k (1 .. $clients) {
	open my $fh, '<', $sp->dir . "/acked.$k" or die;
	while (<$fh>) { chomp; my ($u, $id) = split; $acked{$u}{$id}++ }
}
my $total = 0;
$total += keys %{$acked{$_}} for keys %acked;
is($total, $clients * $per_client, 'every message was acknowledged once to its client');

my $missing = 0;
my $dups = 0;
for my $user (@users) {
	my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', $user, 'INBOX');
	my %seen;
	$seen{$1}++ while $out =~ /^Message-ID: <(c\d+\.\d+)\@crash\.test>\r?$/mg;
	for my $id (keys %{$acked{$user}}) {
		$missing++ unless $seen{$id};
	}
	$dups += grep { $_ > 1 } values %seen;
}
is($missing, 0, 'no acknowledged message is missing');
is($dups, 0, 'no message was stored twice');

$sp->crash_reconstruct_ok;
done_testing;
