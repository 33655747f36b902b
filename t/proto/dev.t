# `sealpost dev`: a throwaway post office with its own realm, reused on a
# second run, stopped by --stop.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

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

# The aliases every mail host needs, for admin: mail to postmaster and
# abuse reaches admin's INBOX.
open my $af, '<', "$dir/state/aliases" or die "aliases: $!";
my $aliases = do { local $/; <$af> };
like($aliases, qr/^postmaster:\s*admin$/m, 'dev writes postmaster: admin');
like($aliases, qr/^abuse:\s*admin$/m, 'and abuse: admin');
my $c = Sealpost::Wire->new(port => $sp->env('SEALPOST_SMTP_PORT'));
$c->read_reply;
$c->cmd('EHLO client.example');
$c->cmd('MAIL FROM:<someone@example.org>');
is($c->cmd('RCPT TO:<postmaster@sealpost.test>'), '250 2.1.5 Ok', 'postmaster is a recipient');
is($c->cmd('RCPT TO:<Postmaster>'), '250 2.1.5 Ok', 'so is the bare Postmaster (RFC 5321 4.5.1)');
is($c->cmd('RCPT TO:<abuse@sealpost.test>'), '250 2.1.5 Ok', 'and abuse');
is($c->cmd('DATA'), '354 End data with <CR><LF>.<CR><LF>', 'DATA');
$c->send_raw("Subject: for the postmaster\r\nMessage-ID: <pm\@example.org>\r\n\r\nHello.\r\n.\r\n");
like($c->read_reply, qr/^250 2\.0\.0 Ok: queued as (\w+)$/, 'queued');
$c->cmd('QUIT');
ok($sp->wait_log(qr/delivered to=admin\@/), 'delivered to admin');
ok($sp->wait_log(qr/queue_removed/), 'and done with');
($rc, $out) = $sp->run_sealpost('mailbox', 'show', 'admin', 'INBOX');
my @copies = $out =~ /^Subject: for the postmaster\r?$/mg;
is(scalar @copies, 1, 'admin has it once, though three aliases named admin');

my $master = $sp->master_pid;
ok($master && kill(0, $master), 'master is running');
my $kdc = do { open my $fh, '<', "$dir/kdc/kdc.pid"; <$fh> };
chomp $kdc;
ok(kill(0, $kdc), 'KDC is running');

my $alice_pw = $sp->password('alice');
$sp->stop;
ok(!kill(0, $master), '--stop stopped the master');
ok(!kill(0, $kdc), '--stop stopped the KDC');
unlike($sp->log_text, qr/\bpanic\b|status="signal (?:6|11)"/,
    'every daemon shut down without aborting or crashing');

$sp->start;
is($sp->password('alice'), $alice_pw, 'a second run reuses the realm and passwords');
ok($sp->kinit('alice'), 'and the KDC works again');

($rc, $out, $err) = Sealpost::Test::run_cmd($sp->bin('sealpost'), 'dev',
    '--dir', "$dir/other", '--set', 'no_such_key=1', '--detach',
    '--port-base', $sp->port_base + 600);
isnt($rc, 0, 'dev refuses an unknown --set key');
like($err, qr/unknown key 'no_such_key'/, '... naming it');

done_testing;
