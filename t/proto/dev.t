# `sealpost dev`: a throwaway post office with its own realm, reused on a
# second run, stopped by --stop.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;

my $sp = Sealpost::Test->new;
my $dir = $sp->dir;

for my $var (qw(SEALPOST_HOST SEALPOST_DOMAIN SEALPOST_REALM KRB5_CONFIG
    SEALPOST_CA_FILE SEALPOST_USERS SEALPOST_ADMIN SEALPOST_KDC_PORT)) {
	ok(defined $sp->env($var) && length $sp->env($var),
	    "endpoints.env has $var");
}
is($sp->env('SEALPOST_REALM'), 'SEALPOST.TEST', 'realm name');
is($sp->env('SEALPOST_USERS'), 'alice bob carol', 'demo users');
for my $u (qw(alice bob carol admin)) {
	like($sp->password($u) // '', qr/^\S{12,}$/, "generated password for $u");
}
is((stat "$dir/endpoints.env")[2] & 07777, 0600,
    'endpoints.env (it holds passwords) is private');
is((stat "$dir/tls/server.key")[2] & 07777, 0600, 'TLS key is private');
is((stat "$dir/keytab")[2] & 07777, 0600, 'keytab is private');
if ($> == 0) {
	is(scalar getpwuid((stat "$dir/keytab")[4]), 'daemon',
	    'keytab belongs to the auth user, not the mail user');
	is(scalar getpwuid((stat "$dir/state")[4]), 'nobody',
	    'state folder belongs to the mail user');
}

ok($sp->kinit('alice'), 'kinit alice with the printed password works');
my ($rc, $out, $err) = Sealpost::Test::run_cmd('klist');
like($out, qr/krbtgt\/SEALPOST\.TEST\@SEALPOST\.TEST/, 'got a TGT');
ok(!$sp->kinit('bob', 'wrong-password'), 'a wrong password is refused by the KDC');

($rc, $out, $err) = Sealpost::Test::run_cmd('openssl', 'verify', '-CAfile',
    $sp->env('SEALPOST_CA_FILE'), "$dir/tls/server.pem");
is($rc, 0, 'server certificate verifies against the dev CA');
($rc, $out) = Sealpost::Test::run_cmd('openssl', 'x509', '-noout', '-ext',
    'subjectAltName', '-in', "$dir/tls/server.pem");
like($out, qr/DNS:localhost/, 'certificate is for localhost');

($rc, $out, $err) = Sealpost::Test::run_cmd($sp->bin('sealpost'), 'dev',
    '--dir', $dir, '--port-base', $sp->port_base, '--detach');
isnt($rc, 0, 'a second dev on a running folder is refused');
like($err, qr/already running/, '... saying why');

my $master = $sp->master_pid;
ok($master && kill(0, $master), 'master is running');
my $kdc = do { open my $fh, '<', "$dir/kdc/kdc.pid"; <$fh> };
chomp $kdc;
ok(kill(0, $kdc), 'KDC is running');

my $alice_pw = $sp->password('alice');
$sp->stop;
ok(!kill(0, $master), '--stop stopped the master');
ok(!kill(0, $kdc), '--stop stopped the KDC');

$sp->start;
is($sp->password('alice'), $alice_pw, 'a second run reuses the realm and passwords');
ok($sp->kinit('alice'), 'and the KDC works again');

($rc, $out, $err) = Sealpost::Test::run_cmd($sp->bin('sealpost'), 'dev',
    '--dir', "$dir/other", '--set', 'no_such_key=1', '--detach',
    '--port-base', $sp->port_base + 600);
isnt($rc, 0, 'dev refuses an unknown --set key');
like($err, qr/unknown key 'no_such_key'/, '... naming it');

done_testing;
