# A spoofed KDC: a second realm of the same name, with its own KDC, its own
# password for alice and its own service keys.  authd asks it for alice's
# ticket (auth_krb5_config names its port); the rogue KDC answers, but it
# cannot make a service ticket our keytab decrypts, so
# krb5_verify_init_creds refuses and nobody logs in.  A KDC that does not
# answer at all is a temporary failure, not a refusal.  The KDC timeout is
# generous: a busy machine must not turn a refusal into a timeout.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Sealpost::Test;

my $rogue = Sealpost::Test->new;
my $realm = $rogue->env('SEALPOST_REALM');
my $tmp = tempdir(CLEANUP => 1);
chmod 0755, $tmp;

sub krb5_conf {
	my ($file, $port) = @_;
	open my $fh, '>', $file or die "$file: $!";
	print $fh <<"EOT";
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	udp_preference_limit = 1
	kdc_timeout = 15000
	max_retries = 1
[realms]
	$realm = {
		kdc = 127.0.0.1:$port
	}
EOT
	close $fh;
	chmod 0644, $file;
	return $file;
}

my $conf = krb5_conf("$tmp/rogue-krb5.conf", $rogue->env('SEALPOST_KDC_PORT'));
my $sp = Sealpost::Test->new(set => { auth_krb5_config => $conf });
isnt($sp->password('alice'), $rogue->password('alice'), 'the two realms differ');

my ($rc, $out, $err) = $sp->run_sealpost('auth', 'test', 'alice', $rogue->password('alice'));
is($out, "fail\n", 'the rogue KDC\'s password for alice does not log in');
like($err, qr/reason=auth /, 'reason auth');
my $line = $sp->wait_log(qr/auth_krb5_error step=verify_init_creds user=alice/);
ok($line, 'refused at verification against the keytab');
like($line // '', qr/error=/, 'with the Kerberos error');

($rc, $out) = $sp->run_sealpost('auth', 'test', 'alice', $sp->password('alice'));
is($out, "fail\n", 'our own password fails too: the KDC is the rogue one');

# The rogue KDC's own users are no better off with their own tickets.
ok($rogue->kinit('alice'), 'kinit alice at the rogue KDC');
($rc, $out) = $sp->run_sealpost('auth', 'test', '--mech', 'GSSAPI');
is($out, "fail\n", 'a rogue ticket is refused by GSSAPI');

# A KDC that is not there: temporary, so daemons say "try later".
$rogue->stop;
($rc, $out, $err) = $sp->run_sealpost('auth', 'test', 'alice', $sp->password('alice'));
is($out, "fail\n", 'no KDC, no login');
like($err, qr/reason=temp /, 'reason temp');
ok($sp->wait_log(qr/auth_fail mech=PLAIN .*status=temp reason="kdc unavailable"/), 'logged');

done_testing;
