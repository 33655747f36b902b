#!/usr/bin/perl
# The test DNS server (t/lib/Sealpost/DNS.pm): every record type the relay
# tests need, null MX, NXDOMAIN and NODATA, the failing names, and that the
# server goes away however the test ends.

use strict;
use warnings;

use File::Basename qw(dirname);
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(time);

use Sealpost::DNS;

my $long = join('', map { chr(ord('a') + $_ % 26) } 0 .. 299);
my $dns = Sealpost::DNS->new(records => [
	[ 'example.test', 'MX', 20, 'mx2.example.test' ],
	[ 'example.test', 'MX', 10, 'mx1.example.test' ],
	[ 'mx1.example.test', 'A', '127.0.0.1' ],
	[ 'mx1.example.test', 'AAAA', '::1' ],
	[ 'mx2.example.test', 'A', '127.0.0.2' ],
	[ 'mx2.example.test', 'A', '127.0.0.3' ],
	[ 'example.test', 'TXT', 'v=spf1 -all' ],
	[ 'quotes.example.test', 'TXT', 'a, "b"; c\\d' ],
	[ 'long.example.test', 'TXT', $long ],
	[ 'two.example.test', 'TXT', 'first', 'second' ],
	[ 'www.example.test', 'CNAME', 'mx1.example.test' ],
	[ 'nomail.test', 'MX', 0, '.' ],
	[ '192.0.2.9', 'PTR', 'rev.example.test' ],
	[ '2001:db8::9', 'PTR', 'rev6.example.test' ],
	[ 'broken.test', 'SERVFAIL' ],
	[ 'slow.test', 'TIMEOUT' ],
	[ 'closed.test', 'REFUSED' ],
]);

ok($dns->port > 0, 'listening on a port');
is($dns->address, '127.0.0.1', 'on loopback');
is($dns->server, '127.0.0.1:' . $dns->port, 'server as address:port');
ok(kill(0, $dns->pid), 'dnsmasq is running');

my $res = $dns->resolver;

# Queries `name` for `type`; returns (rcode, answers of that type).
sub ask {
	my ($name, $type, $r) = @_;
	$r //= $res;
	my $reply = $r->send($name, $type);
	return ('NO ANSWER: ' . $r->errorstring) if !$reply;
	return ($reply->header->rcode,
		grep { $_->type eq $type } $reply->answer);
}

my ($rcode, @rr) = ask('example.test', 'MX');
is($rcode, 'NOERROR', 'MX: NOERROR');
is_deeply([ map { [ $_->preference, $_->exchange ] }
		sort { $a->preference <=> $b->preference } @rr ],
	[ [ 10, 'mx1.example.test' ], [ 20, 'mx2.example.test' ] ],
	'MX: both hosts with their preferences');

($rcode, @rr) = ask('mx1.example.test', 'A');
is_deeply([ map { $_->address } @rr ], ['127.0.0.1'], 'A');
($rcode, @rr) = ask('mx1.example.test', 'AAAA');
is_deeply([ map { $_->address_short } @rr ], ['::1'], 'AAAA');
($rcode, @rr) = ask('mx2.example.test', 'A');
is_deeply([ sort map { $_->address } @rr ], [ '127.0.0.2', '127.0.0.3' ],
	'two A records for one name');

($rcode, @rr) = ask('example.test', 'TXT');
is_deeply([ map { [ $_->txtdata ] } @rr ], [ ['v=spf1 -all'] ], 'TXT');
($rcode, @rr) = ask('quotes.example.test', 'TXT');
is_deeply([ map { [ $_->txtdata ] } @rr ], [ ['a, "b"; c\\d'] ],
	'TXT with commas, quotes and backslashes, byte for byte');
($rcode, @rr) = ask('long.example.test', 'TXT');
is_deeply([ map { [ $_->txtdata ] } @rr ],
	[ [ substr($long, 0, 255), substr($long, 255) ] ],
	'TXT over 255 bytes is split into strings');
is(scalar(@rr) && join('', $rr[0]->txtdata), $long,
	'and joins back to the original');
($rcode, @rr) = ask('two.example.test', 'TXT');
is_deeply([ map { [ $_->txtdata ] } @rr ], [ [ 'first', 'second' ] ],
	'TXT with two strings');

($rcode, @rr) = ask('9.2.0.192.in-addr.arpa', 'PTR');
is_deeply([ map { $_->ptrdname } @rr ], [ 'rev.example.test' ], 'PTR named by an IPv4 address');
($rcode, @rr) = ask('9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'PTR');
is_deeply([ map { $_->ptrdname } @rr ], [ 'rev6.example.test' ], 'PTR named by an IPv6 address');

my $reply = $res->send('www.example.test', 'A');
ok($reply, 'CNAME: answered');
my ($cname) = grep { $_->type eq 'CNAME' } $reply ? $reply->answer : ();
is($cname && $cname->cname, 'mx1.example.test', 'CNAME: the alias');
is_deeply([ map { $_->address } grep { $_->type eq 'A' }
		$reply ? $reply->answer : () ], ['127.0.0.1'],
	'CNAME: and the target\'s address');

# RFC 7505: a single MX with preference 0 and the root as exchange.
($rcode, @rr) = ask('nomail.test', 'MX');
is($rcode, 'NOERROR', 'null MX: NOERROR');
is(scalar @rr, 1, 'null MX: one record');
is(@rr && $rr[0]->preference, 0, 'null MX: preference 0');
ok(@rr && ($rr[0]->exchange eq '.' || $rr[0]->exchange eq ''),
	'null MX: exchange is the root');
is(@rr && unpack('H*', $rr[0]->rdata), '000000',
	'null MX: on the wire, preference 0 and the empty root name');

($rcode) = ask('nothere.example.test', 'A');
is($rcode, 'NXDOMAIN', 'unknown name in a test domain: NXDOMAIN');
($rcode) = ask('www.example.com', 'MX');
is($rcode, 'NXDOMAIN', 'any other name too: nothing leaks to real DNS');
($rcode, @rr) = ask('example.test', 'A');
is($rcode, 'NOERROR', 'name with records but no A: NOERROR...');
is(scalar @rr, 0, '...and no answer (NODATA)');
($rcode, @rr) = ask('mx1.example.test', 'MX');
ok($rcode eq 'NOERROR' && !@rr, 'host without MX: NODATA, for the A '
	. 'fallback of RFC 5321 section 5.1');

($rcode) = ask('broken.test', 'MX');
is($rcode, 'SERVFAIL', 'SERVFAIL name');
($rcode) = ask('deep.broken.test', 'A');
is($rcode, 'SERVFAIL', 'SERVFAIL covers names below it');
($rcode) = ask('closed.test', 'MX');
is($rcode, 'REFUSED', 'REFUSED name');
my $impatient = $dns->resolver(udp_timeout => 1, retrans => 1,
	retry => 1);
my $t0 = time;
($rcode) = ask('slow.test', 'MX', $impatient);
like($rcode, qr/^NO ANSWER:.*timed out/i, 'TIMEOUT name gets no answer');
ok(time - $t0 >= 0.9, 'after the client waited its timeout');

($rcode, @rr) = ask('example.test', 'MX', $dns->resolver(usevc => 1));
is(scalar @rr, 2, 'TCP works as well');

# A second server at the same time gets its own port.
my $other_pid;
{
	my $other = Sealpost::DNS->new(records => [
		[ 'example.test', 'A', '127.0.0.9' ] ]);
	isnt($other->port, $dns->port, 'a second server: another port');
	($rcode, @rr) = ask('example.test', 'A', $other->resolver);
	is_deeply([ map { $_->address } @rr ], ['127.0.0.9'],
		'with its own records');
	$other_pid = $other->pid;
}
ok(gone($other_pid), 'going out of scope stops it');

# A child of fork() exiting normally runs DESTROY and END, and must not
# stop its parent's server.
my $child = fork;
die "fork: $!" if !defined $child;
exit 0 if $child == 0;
waitpid($child, 0);
($rcode) = ask('example.test', 'MX');
is($rcode, 'NOERROR', 'a forked child exiting leaves the server alone');

like(eval { Sealpost::DNS->new(records => [ [ 'a.test', 'SRV', 1 ] ]) }
	// $@, qr/not supported/, 'unsupported type refused');
like(eval { Sealpost::DNS->new(records => [ [ 'a,b.test', 'A',
	'127.0.0.1' ] ]) } // $@, qr/bad DNS name/, 'name with a comma refused');
like(eval { Sealpost::DNS->new(records => [ [ 'a.test', 'A', '::1' ] ]) }
	// $@, qr/bad A address/, 'IPv6 address in an A record refused');

# However the test process ends, its server goes.
my $lib = dirname(dirname($INC{'Sealpost/DNS.pm'}));
for my $case ([ 'die', 'die "test failed\n"' ],
	      [ 'SIGKILL', 'kill "KILL", $$' ]) {
	my ($how, $end) = @$case;
	my $pid = open(my $fh, '-|', $^X, "-I$lib", '-MSealpost::DNS', '-e',
		'open(STDERR, ">", "/dev/null"); $| = 1; '
		. 'my $d = Sealpost::DNS->new(records => [[ "a.test", '
		. '"A", "127.0.0.1" ]]); print $d->pid, "\n"; ' . $end);
	my $server = <$fh>;
	close($fh);
	chomp($server //= '');
	ok($server =~ /^\d+$/, "$how: the test process started a server");
	ok($server =~ /^\d+$/ && gone($server), "$how: and it is gone");
}

my $pid = $dns->pid;
my $port = $dns->port;
$dns->stop;
ok(gone($pid), 'stop ends dnsmasq');
$dns->stop;
pass('stop twice is harmless');
my $after = Net::DNS::Resolver->new(nameservers => ['127.0.0.1'],
	port => $port, udp_timeout => 0.5, retrans => 0.5, retry => 1);
ok(!$after->send('example.test', 'MX'), 'nothing answers on the port');

done_testing;

# Whether process `pid` is gone, waiting a little for the kernel to deliver
# the parent-death signal.  A zombie counts as gone: the server of a killed
# test process is reaped by init, which may be slow in a container.
sub gone {
	my ($pid) = @_;
	my $deadline = time + 5;

	return 0 if !$pid;
	while (time < $deadline) {
		return 1 if !kill(0, $pid);
		if (open(my $fh, '<', "/proc/$pid/stat")) {
			my $stat = <$fh> // '';
			return 1 if $stat =~ /^\d+ \(.*\) Z /;
		}
		select(undef, undef, undef, 0.02);
	}
	return 0;
}
