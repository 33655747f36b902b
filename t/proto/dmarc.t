# DMARC (RFC 7489) through `sealpost dmarc` against a private DNS server:
# aligned and unaligned SPF and DKIM identities in relaxed and strict mode,
# each policy, sp= for subdomains, the organizational-domain fallback with
# the public suffix list, pct, broken and missing records, dmarc_reject.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Sealpost::Test;
use Sealpost::DNS;

my $dns = Sealpost::DNS->new(records => [
	[ '_dmarc.relaxed.test', 'TXT', 'v=DMARC1; p=quarantine; rua=mailto:d@relaxed.test' ],
	[ '_dmarc.strict.test', 'TXT', 'v=DMARC1; p=reject; adkim=s; aspf=s' ],
	[ '_dmarc.none.test', 'TXT', 'v=DMARC1; p=none' ],
	[ '_dmarc.org.test', 'TXT', 'v=DMARC1; p=reject; sp=quarantine' ],
	[ '_dmarc.own.org.test', 'TXT', 'v=DMARC1; p=none' ],
	[ '_dmarc.nosp.test', 'TXT', 'v=DMARC1; p=reject' ],
	[ '_dmarc.pct0.test', 'TXT', 'v=DMARC1; p=reject; pct=0' ],
	[ '_dmarc.bad.test', 'TXT', 'v=DMARC1; p=block' ],
	[ '_dmarc.two.test', 'TXT', 'v=DMARC1; p=reject' ],
	[ '_dmarc.two.test', 'TXT', 'v=DMARC1; p=none' ],
	[ '_dmarc.other.test', 'TXT', 'some unrelated text' ],
	[ '_dmarc.example.co.test', 'TXT', 'v=DMARC1; p=reject; sp=none' ],
	[ '_dmarc.broken.test', 'SERVFAIL' ],
	[ '_dmarc.slow.test', 'TIMEOUT' ],
]);

my $dir = tempdir(CLEANUP => 1);
open(my $fh, '>', "$dir/sealpost.conf") or die;
close $fh;
# A list in which co.test is a public suffix, like co.uk.
open($fh, '>', "$dir/psl.dat") or die;
print $fh "// test list\ntest\nco.test\n";
close $fh;
$ENV{SEALPOST_CONFIG} = "$dir/sealpost.conf";
my $sealpost = Sealpost::Test::bin_dir() . '/sealpost';

sub dmarc {
	return Sealpost::Test::run_fields($sealpost, 'dmarc', '--dns', $dns->server, @_);
}

sub check {
	my ($args, $want, $name) = @_;
	# A clean exit with nothing on standard error, which under the
	# sanitizers also means no leak and no error report.
	$want = { rc => 0, stderr => '', %$want };
	my $r = dmarc(@$args);
	ok(Sealpost::Test::fields_match($r, $want), $name) or diag(explain($r));
	return $r;
}

# Relaxed alignment (the default).
check([ 'relaxed.test', '--spf', 'pass:relaxed.test' ],
      { result => 'pass', policy => 'none', spf_aligned => 'yes', dkim_aligned => 'no',
	published => 'quarantine', record => '_dmarc.relaxed.test', rc => 0 }, 'SPF aligned: pass');
check([ 'relaxed.test', '--spf', 'pass:bounces.relaxed.test' ],
      { result => 'pass', spf_aligned => 'yes' }, 'relaxed: SPF for a subdomain is aligned');
check([ 'relaxed.test', '--dkim', 'pass:mail.relaxed.test' ],
      { result => 'pass', dkim_aligned => 'yes', spf_aligned => 'no' }, 'relaxed: DKIM for a subdomain is aligned');
check([ 'relaxed.test', '--spf', 'pass:elsewhere.test', '--dkim', 'pass:elsewhere.test' ],
      { result => 'fail', policy => 'quarantine', spf_aligned => 'no', dkim_aligned => 'no' },
      'unaligned SPF and DKIM: fail, quarantine');
check([ 'relaxed.test', '--spf', 'fail:relaxed.test', '--dkim', 'fail:relaxed.test' ],
      { result => 'fail', policy => 'quarantine' }, 'aligned but failing: fail');
check([ 'relaxed.test', '--spf', 'softfail:relaxed.test' ],
      { result => 'fail' }, 'only an SPF pass counts');
check([ 'relaxed.test', '--dkim', 'fail:relaxed.test', '--dkim', 'pass:relaxed.test' ],
      { result => 'pass', dkim_aligned => 'yes' }, 'any one aligned DKIM pass is enough');
check([ 'relaxed.test' ], { result => 'fail' }, 'nothing authenticated: fail');

# Strict alignment.
check([ 'strict.test', '--spf', 'pass:strict.test' ],
      { result => 'pass', spf_aligned => 'yes' }, 'strict: the same domain is aligned');
check([ 'strict.test', '--spf', 'pass:bounces.strict.test', '--dkim', 'pass:mail.strict.test' ],
      { result => 'fail', policy => 'reject', spf_aligned => 'no', dkim_aligned => 'no' },
      'strict: subdomains are not aligned; p=reject');
check([ 'strict.test', '--dkim', 'pass:STRICT.test' ],
      { result => 'pass', dkim_aligned => 'yes' }, 'strict: case does not matter');

# Each policy.
check([ 'none.test' ], { result => 'fail', policy => 'none', published => 'none' }, 'p=none');
check([ 'relaxed.test' ], { result => 'fail', policy => 'quarantine' }, 'p=quarantine');
check([ 'nosp.test' ], { result => 'fail', policy => 'reject', action => 'mark' },
      'p=reject, marked by default (dmarc_reject = no)');
check([ '--set', 'dmarc_reject=yes', 'nosp.test' ],
      { result => 'fail', policy => 'reject', action => 'reject' }, 'dmarc_reject = yes: reject');
check([ 'pct0.test' ], { result => 'fail', policy => 'quarantine', published => 'reject', sampled_out => 'yes' },
      'pct=0: one step milder');

# Subdomains: the organizational domain's record, with sp=.
check([ 'org.test' ], { result => 'fail', policy => 'reject', record => '_dmarc.org.test' },
      'the organizational domain itself: p');
check([ 'mail.org.test' ],
      { result => 'fail', policy => 'quarantine', published => 'quarantine', record => '_dmarc.org.test',
	organizational_domain => 'org.test' }, 'a subdomain without a record: sp from the organizational domain');
check([ 'a.b.org.test', '--spf', 'pass:org.test' ],
      { result => 'pass', record => '_dmarc.org.test' }, 'fallback record, relaxed SPF alignment');
check([ 'own.org.test' ], { result => 'fail', policy => 'none', record => '_dmarc.own.org.test' },
      'a subdomain with its own record uses it');
check([ 'x.nosp.test' ], { result => 'fail', policy => 'reject' }, 'no sp=: p applies to subdomains');

# The public suffix list decides the organizational domain.
check([ 'mail.example.co.test' ], { result => 'none', organizational_domain => 'co.test' },
      'default list: co.test is the organizational domain, no record');
check([ '--set', "public_suffix_list=$dir/psl.dat", 'mail.example.co.test' ],
      { result => 'fail', policy => 'none', record => '_dmarc.example.co.test',
	organizational_domain => 'example.co.test' }, 'co.test a public suffix: example.co.test\'s record, sp=none');
check([ '--set', "public_suffix_list=$dir/psl.dat", 'example.co.test', '--dkim', 'pass:news.example.co.test' ],
      { result => 'pass', dkim_aligned => 'yes' }, 'relaxed alignment under the listed suffix');
check([ '--set', "public_suffix_list=$dir/psl.dat", 'example.co.test', '--dkim', 'pass:other.co.test' ],
      { result => 'fail', dkim_aligned => 'no' }, 'siblings under a public suffix are not aligned');
my $r = dmarc('--set', "public_suffix_list=$dir/missing.dat", 'relaxed.test');
is($r->{rc}, 75, 'a missing public suffix list: 75');
like($r->{stderr}, qr/missing\.dat/, 'and the file is named');

# No record, bad records, DNS failure.
check([ 'nodmarc.test', '--spf', 'pass:nodmarc.test' ], { result => 'none', policy => 'none' }, 'no record: none');
check([ 'other.test' ], { result => 'none' }, 'TXT that is not DMARC: none');
check([ 'two.test' ], { result => 'none', problem => qr/more than one/ }, 'two records: none');
check([ 'bad.test' ], { result => 'permerror', policy => 'none', problem => qr/p=/ }, 'bad p= without rua: permerror');
check([ 'broken.test' ], { result => 'temperror', policy => 'none' }, 'SERVFAIL: temperror');
check([ '--set', 'dns_timeout=1s', 'slow.test' ], { result => 'temperror', policy => 'none' },
      'a server that never answers: temperror after dns_timeout');

# Usage.
($r) = dmarc('--spf', 'nonsense', 'relaxed.test');
is($r->{rc}, 64, 'a bad --spf: 64');
($r) = dmarc();
is($r->{rc}, 64, 'no domain: 64');

done_testing();
