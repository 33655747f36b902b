# Crash torture of the whole post office at once: SMTP clients send mail
# for local users and, from a trusted network, for a remote domain that is
# relayed to a loopback SMTP peer (found through MX records on a loopback
# DNS server); an IMAP client keeps changing flags; meanwhile random
# workers of smtpd, qmgr, lmtpd and imapd are SIGKILLed, and once the
# master with all its workers at the same instant, after which the post
# office is started again.  Then, once the queue has drained: every local message that got a
# 250 is in its mailbox exactly once; every relayed one reached the peer at
# least once, and more than once only for as many qmgr deaths as there
# were (a relay cannot know whether a peer that got the whole message but
# not our QUIT recorded it: RFC 5321 6.1 accepts duplicates); nothing is in
# corrupt/; no daemon died but by our hand; `sealpost reconstruct --check`
# finds every index in agreement with its files (quota usage may be
# counted too high after a killed delivery, never too low) and the
# database environment recovered.  SEALPOST_CRASH_MESSAGES sets the size (make
# torture runs it big).
use strict;
use warnings;
use Test::More;
use POSIX qw(WNOHANG);
use Sealpost::Test;
use Sealpost::DNS;
use Sealpost::SMTPServer;
use Sealpost::Wire;
use Sealpost::IMAP;

$SIG{PIPE} = 'IGNORE';
my $total = $ENV{SEALPOST_CRASH_MESSAGES} // 450;
my @kinds = qw(local local relay);	# one client each
my $per_client = int($total / @kinds);

my $peer = Sealpost::SMTPServer->new(ehlo => ['PIPELINING', '8BITMIME']);
my $dns = Sealpost::DNS->new(records => [
	[ 'remote.test', 'MX', 10, 'mx.remote.test' ],
	[ 'mx.remote.test', 'A', '127.0.0.1' ],
]);
my $sp = Sealpost::Test->new(set => {
	smtpd_workers => 2, lmtp_workers => 2, imap_workers => 2,
	restart_backoff_max => '1s', minimal_backoff_time => '1s',
	maximal_backoff_time => '2s', smtpd_trusted_networks => '127.0.0.0/8',
	dns_servers => $dns->server, smtp_port => $peer->port,
	smtp_connection_cache_time => '0',
	# A checkpoint every few dozen deliveries and, once a mailbox's log
	# reaches 64 KiB, its files written again (mbox_files.c): under the
	# kills too.  (Each rewrite copies the whole mailbox: much smaller,
	# and the big runs of make torture spend their time rewriting.)
	mailbox_checkpoint_log_bytes => '4k',
	# A kill that lands while a daemon holds one of the database's own
	# locks wedges it until every process lets go; the watch on stuck
	# calls (store.h) must notice well inside the clients' deadline.
	database_stuck_timeout => '10s',
});
my $port = $sp->env('SEALPOST_SMTP_PORT');
my @users = qw(alice bob carol);
my $stop_file = $sp->dir . '/stop-flagger';

sub expect {
	my ($reply, $re, $what) = @_;
	my @m = ($reply // '') =~ $re or die "$what: " . ($reply // '') . "\n";
	return @m;
}

# An SMTP client: sends its messages one by one, again until it gets a
# 250 (same Message-ID), and writes down what it sent and what was acked.
sub client {
	my ($k, $kind) = @_;
	open my $acked, '>', $sp->dir . "/acked.$k" or die;
	open my $sent, '>', $sp->dir . "/sent.$k" or die;
	my ($c, $i, $progress) = (undef, 0, Sealpost::Test::now());
	while ($i < $per_client) {
		# Through a whole restart of the post office too; no progress
		# for two minutes is a failure, not a reason to spin.
		exit 1 if Sealpost::Test::now() - $progress > 120;
		my $user = $users[($k + $i) % @users];
		my $to = $kind eq 'relay' ? "$user\@remote.test" : "$user\@sealpost.test";
		my $id = "m$k.$i";
		my $msg = "From: <crash\@example.org>\r\nSubject: mixed $k $i\r\n"
		    . "Message-ID: <$id\@crash.test>\r\n\r\n" . ("text\r\n" x (1 + $i % 40));
		my $ok = eval {
			if (!$c) {
				$c = Sealpost::Wire->new(port => $port, timeout => 60);
				expect($c->read_reply, qr/^220 /, 'greeting');
				expect($c->cmd('EHLO crash.example'), qr/^250 /m, 'EHLO');
			}
			print $sent "$to $id\n";
			$sent->flush;
			expect($c->cmd('MAIL FROM:<crash@example.org>'), qr/^250 /, 'MAIL');
			expect($c->cmd("RCPT TO:<$to>"), qr/^250 /, 'RCPT');
			expect($c->cmd('DATA'), qr/^354 /, 'DATA');
			$c->send_raw("$msg.\r\n");
			expect($c->read_reply, qr/^250 2\.0\.0 /, 'end of data');
			print $acked "$to $id\n";
			$acked->flush;
			1;
		};
		if ($ok) {
			$i++;
			$progress = Sealpost::Test::now();
		} else {
			exit 2 if $@ =~ /^[\w ]+: 5/;
			$c = undef;
			# Connection refused while the post office restarts.
			select(undef, undef, undef, 0.1);
		}
	}
	# A kill may land between the last 250 and this QUIT: its write then
	# fails, and there is nothing left to check.
	eval { $c->cmd('QUIT') } if $c;
	exit 0;
}

# The IMAP client: sets and clears \Flagged on alice's INBOX, reconnecting
# when its imapd dies, until told to stop; counts the changes that got OK.
sub flagger {
	my $ok = 0;
	my $progress = Sealpost::Test::now();
	while (!-e $stop_file) {
		exit 1 if Sealpost::Test::now() - $progress > 120;
		my $done = eval {
			my $c = Sealpost::IMAP->login_new($sp, 'alice', timeout => 30);
			$c->cmd('s SELECT INBOX') =~ /^s OK/m or die "select\n";
			while (!-e $stop_file) {
				my $op = $ok % 2 ? '-' : '+';
				my $r = $c->cmd("f STORE 1:* ${op}FLAGS.SILENT (\\Flagged)");
				die "store: $r\n" unless $r =~ /^f (OK|BAD Invalid message)/m;
				$ok++;
				$progress = Sealpost::Test::now();
			}
			1;
		};
		select(undef, undef, undef, 0.1) unless $done;
	}
	exit($ok > 0 ? 0 : 3);
}

my @pids;
for my $k (0 .. $#kinds) {
	my $pid = fork // die;
	if ($pid == 0) { client($k, $kinds[$k]) }
	push @pids, $pid;
}
my $flagger = fork // die;
if ($flagger == 0) { flagger() }

sub workers {
	my ($master) = @_;
	my %live;
	my $log = $sp->log_text;
	while ($log =~ /worker_started service=(auth|smtp|queue|lmtp|imap|pop3) pid=(\d+)/g) {
		my ($svc, $pid) = ($1, $2);
		open my $fh, '<', "/proc/$pid/stat" or next;
		my $stat = <$fh> // next;
		my ($ppid) = $stat =~ /^\d+ \(.*\) \S+ (\d+)/s;
		$live{$pid} = $svc if defined $ppid && $ppid == $master;
	}
	return \%live;
}

# The attack: a random worker that has been up a little while, every
# 50-350 ms; half way through the clients' work, the whole process group.
my %kills = (smtp => 0, queue => 0, lmtp => 0, imap => 0);
my ($group_killed, %done, %born) = (0);
my $attack_end = Sealpost::Test::now() + 120;
# Until the clients are done, and then on while a service has not been
# killed yet (a quick run may finish first), within a bound.
while (keys %done < @pids ||
       (grep({ $kills{$_} == 0 } keys %kills) && Sealpost::Test::now() < $attack_end)) {
	for my $pid (@pids) {
		$done{$pid} = $? >> 8 if !exists $done{$pid} && waitpid($pid, WNOHANG) == $pid;
	}
	my $master = $sp->master_pid;
	if (!$group_killed && _lines_acked() >= $total / 2) {
		# The whole post office at one instant, as a power cut would.
		my @all = ($master, keys %{workers($master)});
		is(kill('KILL', @all), scalar @all, 'the master and every worker are killed at once');
		my $deadline = Sealpost::Test::now() + 30;
		# Polling /proc: nothing to block on for processes not ours.
		select(undef, undef, undef, 0.05)
		    while grep({ kill 0, $_ } @all) && Sealpost::Test::now() < $deadline;
		$group_killed = 1;
		%born = ();
		eval { $sp->restart; 1 } or fail("restart: $@");
		next;
	}
	my $live = workers($master);
	my $now = Sealpost::Test::now();
	$born{$_} //= $now for keys %$live;
	my @old = grep { $now - $born{$_} >= 0.3 } keys %$live;
	my @svc = grep { my $s = $_; grep { $live->{$_} eq $s } @old } keys %kills;
	# (auth and pop3 workers are in the list for the kill of them all.)
	if (@svc) {
		# The least killed service first, so each gets its turns.
		my ($least) = sort { $a <=> $b } map { $kills{$_} } @svc;
		@svc = grep { $kills{$_} == $least } @svc;
		my $svc = $svc[rand @svc];
		my @cand = grep { $live->{$_} eq $svc } @old;
		$kills{$svc}++ if kill 'KILL', $cand[rand @cand];
	}
	# The pace of the attack, not a wait for anything.
	select(undef, undef, undef, 0.05 + rand(0.3));
}

sub _lines_acked {
	my $n = 0;
	for my $k (0 .. $#kinds) {
		open my $fh, '<', $sp->dir . "/acked.$k" or next;
		$n++ while <$fh>;
	}
	return $n;
}

is_deeply([values %done], [(0) x @pids], 'every SMTP client finished');
ok($group_killed, 'the whole post office was killed once, and started again');
ok($kills{$_} >= 1, "$_ was killed $kills{$_} times") for sort keys %kills;
open my $sf, '>', $stop_file or die;
close $sf;
waitpid($flagger, 0);
is($? >> 8, 0, 'the IMAP client kept changing flags through it all');

# The peer serves one connection at a time, one message each, at about
# a tenth of a second: the relayed third drains at its pace, whatever
# the queue does (local mail no longer waits for it: qmgr_park.c).
$sp->crash_queue_drained_ok(180 + int($per_client * 0.15));

my (%acked, %sent);
for my $k (0 .. $#kinds) {
	open my $fh, '<', $sp->dir . "/acked.$k" or die;
	while (<$fh>) { my ($to, $id) = split; $acked{$to}{$id}++ }
	open $fh, '<', $sp->dir . "/sent.$k" or die;
	while (<$fh>) { my ($to, $id) = split; $sent{$to}{$id}++ }
}

sub sealpost_cmd {
	local $ENV{SEALPOST_CONFIG} = $sp->config_path;
	return Sealpost::Test::run_cmd('timeout', '120', $sp->bin('sealpost'), @_);
}
my %told;
sub tell_some { diag("$_[0]: $_[1]") if ++$told{$_[0]} <= 10 }

# Local mail: exactly once.
my ($missing, $dups, $stray) = (0, 0, 0);
for my $user (@users) {
	my ($rc, $out) = sealpost_cmd('mailbox', 'show', $user, 'INBOX');
	my %seen;
	$seen{$1}++ while $out =~ /^Message-ID: <(m\d+\.\d+)\@crash\.test>\r?$/mg;
	my $to = "$user\@sealpost.test";
	for my $id (keys %{$acked{$to}}) {
		next if $seen{$id};
		$missing++;
		tell_some('acknowledged but missing', "$to $id");
	}
	for my $id (keys %seen) {
		if ($seen{$id} > 1) { $dups++; tell_some('stored twice', "$to $id") }
		$stray++ unless $sent{$to}{$id};
	}
}
is($missing, 0, 'no acknowledged local message is missing');
is($dups, 0, 'no local message was stored twice');
is($stray, 0, 'nothing arrived locally that was not sent');

# Relayed mail: at least once at the peer; repeats bounded by qmgr deaths.
my %at_peer;
for my $m ($peer->messages) {
	$at_peer{$1}++ if $m =~ /^Message-ID: <(m\d+\.\d+)\@crash\.test>\r?$/m;
}
my ($rmissing, $rrepeats) = (0, 0);
for my $to (grep { /\@remote\.test$/ } keys %acked) {
	for my $id (keys %{$acked{$to}}) {
		if (!$at_peer{$id}) { $rmissing++; tell_some('relayed but missing', "$to $id") }
	}
}
$rrepeats += $_ - 1 for grep { $_ > 1 } values %at_peer;
is($rmissing, 0, 'every acknowledged relayed message reached the peer');
cmp_ok($rrepeats, '<=', $kills{queue} + $group_killed,
    "repeats at the peer ($rrepeats) only for qmgr deaths");

$sp->crash_deaths_ok;
unlike($sp->log_text, qr/\bpanic\b|AddressSanitizer|runtime error/, 'no panic and no sanitizer report in the log');

$sp->crash_reconstruct_ok;
done_testing;
