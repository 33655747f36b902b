# A process killed inside the store's database while the daemons have it
# open must not wedge the next process that opens it.  The daemons are
# stopped (alive, so their registry slots stay taken, and unable to run
# their own checks), `sealpost import` is killed at a random moment of
# its work, and each time the next command that opens the store must
# finish, with the right answer, well inside its timeout: when the killed
# import held one of the library's region mutexes, cleaning up after it
# at open spins for ever in Berkeley DB 5.3, and the open has to notice
# and recover instead (db_failchk_open.c).  Then the daemons go on: those
# that find the store recovered under them restart, and mail still flows.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Sealpost::Test;

my $sp = Sealpost::Test->new(set => {
	restart_backoff_max => '1s', smtpd_workers => 1, imap_workers => 1,
	lmtp_workers => 1, pop3_workers => 1,
});
my $tmp = tempdir('dead-holder-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;
my $mbox = "$tmp/many.mbox";
open my $fh, '>', $mbox or die "$mbox: $!";
for my $i (1 .. 3000) {
	print $fh "From a\@example.org Thu Jan  1 00:00:00 2026\n"
	    . "Subject: message $i\n\nbody $i\n\n";
}
close $fh;

# The store's daemons of this instance, one of each, once each has
# opened the store (its start line); not authd, qmgr or the master, which
# never open it.
my $config = $sp->config_path;
my $ready = qr/(?:imapd|lmtpd|pop3d|smtpd)\[(\d+)\]: (?:started|pop3_started|smtpd_started)/;
my %daemons;
my $deadline = Sealpost::Test::now() + 60;
while (keys %daemons < 4 && Sealpost::Test::now() < $deadline) {
	%daemons = map { $_ => 1 } $sp->log_text =~ /$ready/g;
	# Nothing to block on for a file: poll it briefly.
	select(undef, undef, undef, 0.02) if keys %daemons < 4;
}
my @daemons = sort keys %daemons;
is(scalar @daemons, 4, 'the four daemons that use the store have opened it');
is(kill('STOP', @daemons), scalar @daemons, 'stopped them');

my $rounds = 6;
my ($done, $slowest) = (0, 0);
for my $round (1 .. $rounds) {
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open STDOUT, '>', '/dev/null';
		open STDERR, '>', '/dev/null';
		$ENV{SEALPOST_CONFIG} = $config;
		exec $sp->bin('sealpost'), 'import', '--batch', '10',
		    "alice:Killed$round", $mbox;
		die "exec: $!";
	}
	# The moment of the kill, not a wait for anything: anywhere in
	# the first 400 ms, most of it spent inside the library.
	select(undef, undef, undef, rand(0.4));
	kill 'KILL', $pid;
	waitpid $pid, 0;
	my $t0 = clock_gettime(CLOCK_MONOTONIC);
	my ($rc, $out, $err) = $sp->run_sealpost('mailbox', 'list', 'alice',
	    { timeout => 60 });
	my $took = clock_gettime(CLOCK_MONOTONIC) - $t0;
	$slowest = $took if $took > $slowest;
	$done++ if $rc == 0 && $out =~ /^INBOX$/m;
	diag "round $round: exit $rc after ${took}s: $err" if $rc != 0;
}
is($done, $rounds, 'after every kill the next command opened the store and listed the mailboxes');
note sprintf 'the slowest open took %.1f s', $slowest;

kill 'CONT', @daemons;
# Those whose store was recovered under them find it on their next call
# or check and restart (store.h); until then a delivery may be refused
# for now (4xx), and a client tries again, as the queue manager would.
my $reply = '';
$deadline = Sealpost::Test::now() + 60;
while ($reply !~ /^250/ && Sealpost::Test::now() < $deadline) {
	# A connection an lmtpd that restarted had taken is gone: a new one.
	delete $sp->{lmtp};
	$reply = eval { $sp->lmtp_deliver('alice', "Subject: after\r\n\r\nstill here\r\n") } // '';
	# The pace of a client's retries.
	select(undef, undef, undef, 0.2) unless $reply =~ /^250/;
}
like($reply, qr/^250/, 'once the daemons go on, a delivery is accepted');
my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
like($out, qr/^Subject: after\r?$/m, 'and stored');
# An import killed midway leaves messages for its next run (or
# reconstruct) to take in; nothing else may need repair.
$sp->run_sealpost('reconstruct');
($rc, $out) = $sp->run_sealpost('reconstruct', '--check');
is($rc, 0, 'after reconstruct, the store is consistent') or diag $out;
done_testing;
