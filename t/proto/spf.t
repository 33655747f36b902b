# SPF (RFC 7208) through `sealpost spf` against a private DNS server:
# every result, the mechanisms and modifiers, macros with transformers,
# the lookup limits, explanations, and DNS that fails or never answers.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Sealpost::Test;
use Sealpost::DNS;

my @limit = map { [ "h$_.limit.test", 'A', "203.0.113.$_" ] } 1 .. 11;
my @mxmany = map { [ 'mxmany.test', 'MX', $_, "m$_.mxmany.test" ] } 1 .. 11;
my $dns = Sealpost::DNS->new(records => [
	[ 'pass.test', 'TXT', 'v=spf1 ip4:192.0.2.0/24 -all' ],
	[ 'soft.test', 'TXT', 'v=spf1 ~all' ],
	[ 'neutral.test', 'TXT', 'v=spf1 ?all' ],
	[ 'noall.test', 'TXT', 'v=spf1 ip4:10.0.0.1' ],
	[ 'nospf.test', 'TXT', 'google-site-verification=abc' ],
	[ 'syntax.test', 'TXT', 'v=spf1 ip4:300.1.1.1 -all' ],
	[ 'unknown.test', 'TXT', 'v=spf1 frobnicate -all' ],
	[ 'two.test', 'TXT', 'v=spf1 -all' ],
	[ 'two.test', 'TXT', 'v=spf1 +all' ],
	[ 'inc.test', 'TXT', 'v=spf1 include:pass.test -all' ],
	[ 'incnone.test', 'TXT', 'v=spf1 include:nx.test -all' ],
	[ 'inctemp.test', 'TXT', 'v=spf1 include:broken.test -all' ],
	[ 'incsoft.test', 'TXT', 'v=spf1 include:soft.test ?all' ],
	[ 'loop.test', 'TXT', 'v=spf1 include:loop.test -all' ],
	[ 'redir.test', 'TXT', 'v=spf1 redirect=expl.test' ],
	[ 'redirnx.test', 'TXT', 'v=spf1 redirect=nx.test' ],
	[ 'redirall.test', 'TXT', 'v=spf1 ?all redirect=pass.test' ],
	[ 'expl.test', 'TXT', 'v=spf1 ip4:192.0.2.0/24 -all exp=why.%{d}' ],
	[ 'why.expl.test', 'TXT', '%{s} at %{i} (%{c}) is not one of %{d}\'s hosts' ],
	[ 'badexp.test', 'TXT', 'v=spf1 -all exp=nx.test' ],
	[ 'mx.test', 'TXT', 'v=spf1 mx -all' ],
	[ 'mx.test', 'MX', 10, 'mx1.mx.test' ],
	[ 'mx1.mx.test', 'A', '192.0.2.30' ],
	[ 'mxmany.test', 'TXT', 'v=spf1 mx -all' ],
	@mxmany,
	[ 'acidr.test', 'TXT', 'v=spf1 a:host.acidr.test/24 -all' ],
	[ 'host.acidr.test', 'A', '198.51.100.1' ],
	[ 'ptr.test', 'TXT', 'v=spf1 ptr -all' ],
	[ 'host.ptr.test', 'A', '192.0.2.40' ],
	[ '192.0.2.41', 'PTR', 'liar.ptr.test' ],
	[ 'liar.ptr.test', 'A', '192.0.2.99' ],
	[ 'six.test', 'TXT', 'v=spf1 ip6:2001:db8::/64 -all' ],
	[ 'sixa.test', 'TXT', 'v=spf1 a:h.sixa.test//64 -all' ],
	[ 'h.sixa.test', 'AAAA', '2001:db8:2::1' ],
	[ 'exists.test', 'TXT', 'v=spf1 exists:%{ir}.%{v}.ok.exists.test -all' ],
	[ '10.2.0.192.in-addr.ok.exists.test', 'A', '127.0.0.2' ],
	[ 'ml.test', 'TXT', 'v=spf1 exists:%{lr-}.u.%{d} -all' ],
	[ 'smith.john.u.ml.test', 'A', '127.0.0.2' ],
	[ 'sub.mo.test', 'TXT', 'v=spf1 exists:%{o2r}.o.mo.test -all' ],
	[ 'mo.sub.o.mo.test', 'A', '127.0.0.2' ],
	[ 'md.test', 'TXT', 'v=spf1 exists:%{d1}.%{d2r}.d.md.test -all' ],
	[ 'test.test.md.d.md.test', 'A', '127.0.0.2' ],
	[ 'mh.test', 'TXT', 'v=spf1 exists:%{h}.h.mh.test -all' ],
	[ 'mail.client.test.h.mh.test', 'A', '127.0.0.2' ],
	[ 'mail.client.test', 'TXT', 'v=spf1 a -all' ],
	[ 'mail.client.test', 'A', '192.0.2.20' ],
	[ 'limit10.test', 'TXT', 'v=spf1 ' . join(' ', map { "a:h$_.limit.test" } 1 .. 10) . ' -all' ],
	[ 'limit11.test', 'TXT', 'v=spf1 ' . join(' ', map { "a:h$_.limit.test" } 1 .. 11) . ' -all' ],
	@limit,
	[ 'void2.test', 'TXT', 'v=spf1 a:nx1.void.test a:nx2.void.test -all' ],
	[ 'void3.test', 'TXT', 'v=spf1 a:nx1.void.test mx:nx2.void.test exists:nx3.void.test -all' ],
	[ 'broken.test', 'SERVFAIL' ],
	[ 'slow.test', 'TIMEOUT' ],
	[ 'aslow.test', 'TXT', 'v=spf1 a:host.slow.test -all' ],
	# Longer than 255 bytes (several strings) and than a 512-byte UDP
	# answer (c-ares asks again over TCP).
	[ 'long.test', 'TXT', 'v=spf1 ' . join(' ', map { "ip4:198.18.$_.0/24" } 1 .. 40) . ' -all' ],
]);

my $dir = tempdir(CLEANUP => 1);
open(my $fh, '>', "$dir/sealpost.conf") or die;
close $fh;
$ENV{SEALPOST_CONFIG} = "$dir/sealpost.conf";
my $sealpost = Sealpost::Test::bin_dir() . '/sealpost';

sub spf {
	return Sealpost::Test::run_fields($sealpost, 'spf', '--dns', $dns->server, @_);
}

sub check {
	my ($args, $want, $name) = @_;
	# A clean exit with nothing on standard error, which under the
	# sanitizers also means no leak and no error report.
	$want = { rc => 0, stderr => '', %$want };
	my $r = spf(@$args);
	ok(Sealpost::Test::fields_match($r, $want), $name) or diag(explain($r));
	return $r;
}

# The basic results.
check([ '192.0.2.10', 'alice@pass.test' ],
      { result => 'pass', mechanism => 'ip4:192.0.2.0/24', domain => 'pass.test', rc => 0 }, 'pass');
check([ '198.51.100.1', 'alice@pass.test' ],
      { result => 'fail', mechanism => '-all',
	explanation => '198.51.100.1 is not allowed to send mail as pass.test' }, 'fail, default explanation');
check([ '192.0.2.10', 'alice@soft.test' ], { result => 'softfail', mechanism => '~all' }, 'softfail');
check([ '192.0.2.10', 'alice@neutral.test' ], { result => 'neutral', mechanism => '?all' }, 'neutral');
check([ '192.0.2.10', 'alice@noall.test' ], { result => 'neutral', mechanism => 'default' },
      'no match and no all: neutral');
check([ '192.0.2.10', 'alice@nospf.test' ], { result => 'none' }, 'TXT but no SPF record: none');
check([ '192.0.2.10', 'alice@nx.test' ], { result => 'none' }, 'NXDOMAIN: none');
check([ '192.0.2.10', 'alice@localhost' ], { result => 'none' }, 'not a fully qualified domain: none');
check([ '192.0.2.10', 'alice@syntax.test' ], { result => 'permerror', problem => qr/bad address/ },
      'syntax error: permerror');
check([ '192.0.2.10', 'alice@unknown.test' ], { result => 'permerror', problem => qr/unknown mechanism/ },
      'unknown mechanism: permerror');
check([ '192.0.2.10', 'alice@two.test' ], { result => 'permerror', problem => qr/more than one/ },
      'two SPF records: permerror');
check([ '192.0.2.10', 'alice@broken.test' ], { result => 'temperror' }, 'SERVFAIL: temperror');

# include and redirect.
check([ '192.0.2.10', 'alice@inc.test' ], { result => 'pass', mechanism => 'include:pass.test' }, 'include matches');
check([ '198.51.100.1', 'alice@inc.test' ], { result => 'fail', mechanism => '-all' },
      'include fails: evaluation goes on');
check([ '198.51.100.1', 'alice@incsoft.test' ], { result => 'neutral', mechanism => '?all' },
      'included softfail does not match');
check([ '192.0.2.10', 'alice@incnone.test' ], { result => 'permerror' }, 'include of no record: permerror');
check([ '192.0.2.10', 'alice@inctemp.test' ], { result => 'temperror' }, 'include of SERVFAIL: temperror');
check([ '198.51.100.1', 'alice@loop.test' ], { result => 'permerror', problem => qr/more than 10/ },
      'include loop ends at the lookup limit');
check([ '192.0.2.10', 'bob@redir.test' ], { result => 'pass', domain => 'redir.test' }, 'redirect: pass');
check([ '198.51.100.1', 'bob@redir.test' ],
      { result => 'fail', explanation => "bob\@redir.test at 198.51.100.1 (198.51.100.1) is not one of expl.test's hosts" },
      'redirect: fail with the target\'s exp= (macros s, i, c, d)');
check([ '192.0.2.10', 'bob@redirnx.test' ], { result => 'permerror' }, 'redirect to no record: permerror');
check([ '192.0.2.10', 'bob@redirall.test' ], { result => 'neutral', mechanism => '?all' },
      'redirect ignored after all');
check([ '198.51.100.1', 'bob@badexp.test' ],
      { result => 'fail', explanation => qr/is not allowed to send mail as badexp\.test/ },
      'exp= without a record: fail with the default');

check([ '198.18.40.7', 'x@long.test' ], { result => 'pass', mechanism => 'ip4:198.18.40.0/24' },
      'a record of many strings, over TCP');

# a, mx, ptr, ip6.
check([ '192.0.2.30', 'x@mx.test' ], { result => 'pass', mechanism => 'mx' }, 'mx');
check([ '192.0.2.31', 'x@mx.test' ], { result => 'fail' }, 'mx: other address fails');
check([ '192.0.2.30', 'x@mxmany.test' ], { result => 'permerror', problem => qr/10 MX/ },
      'more than 10 MX names: permerror');
check([ '198.51.100.200', 'x@acidr.test' ], { result => 'pass', mechanism => 'a:host.acidr.test/24' },
      'a with a prefix length');
check([ '198.51.101.1', 'x@acidr.test' ], { result => 'fail' }, 'a: outside the prefix');
check([ '192.0.2.40', 'x@ptr.test' ], { result => 'pass', mechanism => 'ptr' }, 'ptr: validated name');
check([ '192.0.2.41', 'x@ptr.test' ], { result => 'fail' }, 'ptr: a name that does not point back');
check([ '2001:db8::5', 'x@six.test' ], { result => 'pass', mechanism => 'ip6:2001:db8::/64' }, 'ip6');
check([ '2001:db8:1::5', 'x@six.test' ], { result => 'fail' }, 'ip6: outside the prefix');
check([ '192.0.2.10', 'x@six.test' ], { result => 'fail' }, 'ip6 does not match an IPv4 client');
check([ '2001:db8:2::77', 'x@sixa.test' ], { result => 'pass', mechanism => 'a:h.sixa.test//64' },
      'a with AAAA and an IPv6 prefix');
check([ '::ffff:192.0.2.10', 'x@pass.test' ], { result => 'pass' }, 'IPv4-mapped client is IPv4');

# exists and macros with transformers.
check([ '192.0.2.10', 'x@exists.test' ], { result => 'pass', mechanism => qr/^exists:/ }, 'exists with %{ir}.%{v}');
check([ '192.0.2.11', 'x@exists.test' ], { result => 'fail' }, 'exists: no record');
check([ '192.0.2.10', 'john-smith@ml.test' ], { result => 'pass' }, '%{lr-}');
check([ '192.0.2.10', 'smith-john@ml.test' ], { result => 'fail' }, '%{lr-}: reversed is another name');
check([ '192.0.2.10', 'x@sub.mo.test' ], { result => 'pass' }, '%{o2r}');
check([ '192.0.2.10', 'x@md.test' ], { result => 'pass' }, '%{d1} and %{d2r}');
check([ '192.0.2.10', 'x@mh.test', 'mail.client.test' ], { result => 'pass' }, '%{h}');
check([ '192.0.2.10', 'x@mh.test', 'other.client.test' ], { result => 'fail' }, '%{h}: another HELO');

# The HELO identity, and the null sender checking postmaster@HELO.
check([ '--helo', '192.0.2.20', 'x@pass.test', 'mail.client.test' ],
      { result => 'pass', identity => 'helo', domain => 'mail.client.test' }, 'HELO identity');
check([ '192.0.2.21', '', 'mail.client.test' ],
      { result => 'fail', identity => 'helo', domain => 'mail.client.test' }, 'null sender: the HELO identity');

check([ '--helo', '192.0.2.10', '', '[192.0.2.10]' ], { result => 'none', identity => 'helo' },
      'an address literal HELO is not checked');

# The limits of RFC 7208 4.6.4.
check([ '192.0.2.10', 'x@limit10.test' ], { result => 'fail' }, '10 lookups are allowed');
check([ '192.0.2.10', 'x@limit11.test' ], { result => 'permerror', problem => qr/more than 10/ },
      'the 11th lookup: permerror');
check([ '192.0.2.10', 'x@void2.test' ], { result => 'fail' }, '2 void lookups are allowed');
check([ '192.0.2.10', 'x@void3.test' ], { result => 'permerror', problem => qr/void/ },
      'the 3rd void lookup: permerror');

# A name whose server never answers: spf_timeout ends the check first.
check([ '--set', 'spf_timeout=2s', '192.0.2.10', 'x@aslow.test' ],
      { result => 'temperror', problem => qr/took too long/ }, 'a silent server: temperror at spf_timeout');
# And the resolver's own timeout (dns_timeout, three tries) when shorter.
check([ '--set', 'dns_timeout=1s', '192.0.2.10', 'x@aslow.test' ],
      { result => 'temperror', problem => qr/address lookup/ }, 'a silent server: temperror from the resolver');

# A resolver that does not answer at all.
my $silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'udp')
	or die "udp: $!";
my ($rc, $out) = Sealpost::Test::run_cmd($sealpost, 'spf', '--dns', '127.0.0.1:' . $silent->sockport,
	'--set', 'spf_timeout=2s', '192.0.2.10', 'x@pass.test');
like($out, qr/^result: temperror$/m, 'no DNS server answering: temperror');
is($rc, 0, 'and a normal exit');

# Answers are cached for their TTL: a name included twice is asked once
# when its TTL allows, twice when the TTL is 0.  dnsmasq logs the queries;
# a last query of our own marks the end of what the check asked.
for my $ttl (0, 300) {
	my $logged = Sealpost::DNS->new(ttl => $ttl, log_queries => 1, records => [
		[ 'c.test', 'TXT', 'v=spf1 ip4:10.9.9.9 -all' ],
		[ 'twice.test', 'TXT', 'v=spf1 include:c.test include:c.test ip4:10.1.1.1 -all' ],
		[ 'marker.test', 'A', '127.0.0.9' ],
	]);
	my $r = Sealpost::Test::run_fields($sealpost, 'spf', '--dns', $logged->server, '10.1.1.1', 'x@twice.test');
	is($r->{result}, 'pass', "TTL $ttl: pass");
	$logged->resolver->send('marker.test', 'A');
	my $log = '';
	my $deadline = Sealpost::Test::now() + 10;
	while (Sealpost::Test::now() < $deadline) {
		open(my $lf, '<', $logged->log_path) or last;
		$log = do { local $/; <$lf> };
		last if $log =~ /query\[A\] marker\.test/;
		select(undef, undef, undef, 0.05);
	}
	my $n = () = $log =~ /query\[TXT\] c\.test /g;
	is($n, $ttl ? 1 : 2, "TTL $ttl: c.test asked $n time(s)");
	$logged->stop;
	unlink $logged->log_path;
}

# Usage.
($rc) = Sealpost::Test::run_cmd($sealpost, 'spf', '192.0.2.10');
is($rc, 64, 'too few arguments: 64');
check([ 'not-an-ip', 'x@pass.test' ], { result => 'permerror', problem => qr/client address/ },
      'a bad client address: permerror');

done_testing();
