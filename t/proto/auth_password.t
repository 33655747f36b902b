# authd: PLAIN and LOGIN checked against the KDC and the keytab, only
# inside TLS; wrong passwords, unknown users, instances and foreign realms
# refused alike; authzid only for admins.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;

my $sp = Sealpost::Test->new;
my $alice = $sp->password('alice');

sub auth { my ($rc, $out, $err) = $sp->run_sealpost('auth', 'test', @_); return ($rc, $out, $err) }

my ($rc, $out, $err) = auth('alice', $alice);
is($rc, 0, 'PLAIN with the right password');
is($out, "ok user=alice\n", 'prints the user');
ok($sp->wait_log(qr/auth_ok mech=PLAIN service=imap user=alice /), 'logged auth_ok');

for my $service (qw(smtp pop)) {
	($rc, $out) = auth('--service', $service, 'alice', $alice);
	is($out, "ok user=alice\n", "PLAIN for $service (verified with its key)");
}

($rc, $out) = auth('--mech', 'LOGIN', 'alice', $alice);
is($out, "ok user=alice\n", 'LOGIN with the right password');
($rc, $out) = $sp->run_sealpost('auth', 'test', '--mech', 'LOGIN', 'alice',
    { stdin => "$alice\n" });
is($out, "ok user=alice\n", 'password read from stdin');
($rc, $out) = auth("alice\@" . $sp->env('SEALPOST_REALM'), $alice);
is($out, "ok user=alice\n", 'login name with the local realm');

# Every refusal looks the same to the client: "fail", reason auth.
my @refused = (
	[ 'wrong password', 'alice', 'not-the-password' ],
	[ 'unknown user', 'nosuchuser', 'whatever' ],
	[ 'another user\'s password', 'bob', $alice ],
	[ 'instance', 'alice/admin', $alice ],
	[ 'foreign realm', 'alice@ELSEWHERE.TEST', $alice ],
	[ 'path in the name', '../alice', $alice ],
);
for my $case (@refused) {
	my ($why, $user, $pw) = @$case;
	($rc, $out, $err) = auth($user, $pw);
	is($rc, 1, "refused: $why");
	is($out, "fail\n", "client sees only 'fail': $why");
	like($err, qr/reason=auth /, "reason is auth: $why");
}
like($sp->log_text, qr/auth_krb5_error step=get_init_creds user=nosuchuser error="Client 'nosuchuser\@SEALPOST.TEST' not found/,
    'unknown user: KDC error in the log');
like($sp->log_text, qr/auth_fail .*user=alice\/admin .*reason=instance/, 'instance: reason in the log');
like($sp->log_text, qr/auth_fail .*reason="foreign realm"/, 'foreign realm: reason in the log');
unlike($sp->log_text, qr/\Q$alice\E/, 'no password in the log');

# Plain text outside TLS is refused by authd itself.
for my $mech (qw(PLAIN LOGIN)) {
	($rc, $out, $err) = auth('--insecure', '--mech', $mech, 'alice', $alice);
	is($out, "fail\n", "$mech refused when not secured");
	like($err, qr/reason=mech/, "$mech: reason mech");
}
ok($sp->wait_log(qr/auth_fail mech=PLAIN .*reason="plaintext mechanism outside TLS"/), 'logged');

# Authorization identities (RFC 4422 section 3.4.1).
($rc, $out) = auth('--authzid', 'alice', 'alice', $alice);
is($out, "ok user=alice\n", 'authzid equal to the user');
($rc, $out) = auth('--authzid', 'bob', 'alice', $alice);
is($out, "fail\n", 'forged authzid refused');
ok($sp->wait_log(qr/auth_fail .*user=alice .*reason="authzid not allowed"/), 'logged');
my $admin = $sp->env('SEALPOST_ADMIN');
($rc, $out) = auth('--authzid', 'bob', $admin, $sp->password($admin));
is($out, "ok user=bob authn_user=$admin\n", 'admin may act as bob');
($rc, $out) = auth('--authzid', '../bob', $admin, $sp->password($admin));
is($out, "fail\n", 'even an admin cannot name a bad user');

done_testing;
