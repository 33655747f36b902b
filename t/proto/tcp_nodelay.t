# Every TCP connection a daemon accepts has TCP_NODELAY: without it, a
# reply written in two pieces waits for the client's delayed ACK (40 ms on
# Linux) before its second piece leaves.  The test takes a copy of the
# daemon's own socket (pidfd_getfd, as root may) and asks it.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Socket qw(IPPROTO_TCP TCP_NODELAY unpack_sockaddr_in);
use Sealpost::Test;

plan skip_all => 'needs root to look into the daemons (pidfd_getfd)' if $> != 0;

# The generic system call numbers, the same on x86-64 and arm64.
my ($SYS_pidfd_open, $SYS_pidfd_getfd) = (434, 438);

my $sp = Sealpost::Test->new;

# The daemon's socket whose peer is our `client`, as a handle of ours.
sub server_side {
	my ($service, $client) = @_;
	my $want = $client->sockport;
	my @pids = $sp->log_text =~ /worker_started service=$service pid=(\d+)/g;
	for my $pid (grep { kill 0, $_ } @pids) {
		my $pidfd = syscall($SYS_pidfd_open, $pid, 0);
		next if $pidfd < 0;
		opendir my $d, "/proc/$pid/fd" or next;
		for my $n (grep { /^\d+$/ } readdir $d) {
			next unless (readlink("/proc/$pid/fd/$n") // '') =~ /^socket:/;
			my $fd = syscall($SYS_pidfd_getfd, $pidfd, $n + 0, 0);
			next if $fd < 0;
			open my $sock, '+<&=', $fd or next;
			my $peer = getpeername($sock);
			if ($peer && length $peer == 16 && (unpack_sockaddr_in($peer))[0] == $want) {
				POSIX::close($pidfd);
				return $sock;
			}
			close $sock;
		}
		POSIX::close($pidfd);
	}
	return undef;
}

for my $case ([smtp => 'SEALPOST_SMTP_PORT'], [smtp => 'SEALPOST_SUBMISSION_PORT'],
    [imap => 'SEALPOST_IMAP_PORT'], [pop3 => 'SEALPOST_POP3_PORT']) {
	my ($service, $key) = @$case;
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $sp->env($key), Timeout => 30) or die "$key: $!";
	# The greeting: the daemon has accepted and set its options.
	my $greeting = <$c>;
	ok(defined $greeting, "$key: greeting");
	my $s = server_side($service, $c);
	ok($s, "$key: the daemon's socket found");
	my $v = $s ? getsockopt($s, IPPROTO_TCP, TCP_NODELAY) : undef;
	is($v ? unpack('i', $v) : 0, 1, "$key: TCP_NODELAY is set");
	close $s if $s;
	close $c;
}

done_testing;
