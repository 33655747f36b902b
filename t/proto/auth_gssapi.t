# authd: GSSAPI (RFC 4752) with real tickets from the instance's KDC:
# accepted for each service, also outside TLS; the ticket must be for the
# service named; authzid only for admins; no ticket, no login.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;

my $sp = Sealpost::Test->new;

sub auth { my ($rc, $out, $err) = $sp->run_sealpost('auth', 'test', '--mech', 'GSSAPI', @_); return ($rc, $out, $err) }

ok($sp->kinit('alice'), 'kinit alice');
my ($rc, $out, $err) = auth();
is($rc, 0, 'GSSAPI with a ticket') or diag $err;
is($out, "ok user=alice\n", 'maps alice@REALM to alice');
ok($sp->wait_log(qr/auth_ok mech=GSSAPI service=imap user=alice /), 'logged auth_ok');

for my $service (qw(smtp pop)) {
	($rc, $out, $err) = auth("--service", $service);
	is($out, "ok user=alice\n", "GSSAPI for $service") or diag $err;
}
($rc, $out) = auth('--insecure');
is($out, "ok user=alice\n", 'GSSAPI needs no TLS');

# A ticket for a principal the keytab does not hold is refused, with the
# GSS major and minor status in the log.
($rc, $out, $err) = auth('--host', 'nosuchhost.invalid');
is($out, '', 'no ticket for an unknown host: the client gives up');
isnt($rc, 0, 'and fails');

# Authorization identities.
($rc, $out) = auth('--authzid', 'alice');
is($out, "ok user=alice\n", 'authzid equal to the user');
($rc, $out, $err) = auth('--authzid', 'bob');
is($out, "fail\n", 'forged authzid refused');
like($err, qr/reason=auth /, 'reason auth');
ok($sp->wait_log(qr/auth_fail mech=GSSAPI .*user=alice .*reason="authzid not allowed"/), 'logged');

my $admin = $sp->env('SEALPOST_ADMIN');
ok($sp->kinit($admin), "kinit $admin");
($rc, $out) = auth('--authzid', 'bob');
is($out, "ok user=bob authn_user=$admin\n", 'admin may act as bob');

# No credentials at all.
$ENV{KRB5CCNAME} = 'FILE:' . $sp->dir . '/no-such-ccache';
($rc, $out, $err) = auth();
isnt($rc, 0, 'no ticket, no login');

done_testing;
