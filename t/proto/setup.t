# sealpost setup against the test realm's KDC: a complete keytab passes;
# one without pop/HOST, one with a key the KDC does not have, a realm
# whose KDC does not answer, a user that does not exist and a config that
# names another host are each reported, with how to fix it, and exit 1.
# The state folder is made with mail_user's ownership and mode 0750.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Sealpost::Test;

my $sp = Sealpost::Test->new;
my $realm = $sp->env('SEALPOST_REALM');
my $host = $sp->env('SEALPOST_HOST');
my $keytab = $sp->dir . '/keytab';
my %pr = map { $_ => "$_/$host\@$realm" } qw(smtp imap pop);
my $tmp = tempdir('setup-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;
$ENV{KRB5_CONFIG} = $sp->env('KRB5_CONFIG');

sub setup {
	my ($conf, $kt, %o) = @_;
	return Sealpost::Test::run_cmd($sp->bin('sealpost'), 'setup', '--config', $conf,
	    '--realm', $o{realm} // $realm, '--hostname', $o{host} // $host,
	    '--keytab', $kt);
}

# A config like the instance's, with some keys changed.
my $n = 0;
sub config {
	my (%set) = @_;
	open my $in, '<', $sp->config_path or die "config: $!";
	my $text = '';
	while (my $l = <$in>) {
		my ($k) = $l =~ /^(\w+)\s*=/;
		$text .= $l unless defined $k && exists $set{$k};
	}
	close $in;
	$text .= "$_ = $set{$_}\n" for sort keys %set;
	my $path = "$tmp/sealpost-" . $n++ . '.conf';
	open my $out, '>', $path or die "$path: $!";
	print $out $text;
	close $out;
	return $path;
}

# A copy of the keytab without the entries of `drop` (a service name),
# plus `add` (ktutil commands).
sub keytab_without {
	my ($drop, $name, @add) = @_;
	my ($rc, $list) = Sealpost::Test::run_cmd('klist', '-k', $keytab);
	my @entries = grep { /^\s*\d+\s+\S+\@/ } split /\n/, $list;
	my @slots = grep { $entries[$_ - 1] =~ /\s\Q$drop\E\// } 1 .. @entries;
	my $cmds = "rkt $keytab\n" . join('', map { "delent $_\n" } reverse @slots)
	    . join('', map { "$_\n" } @add) . "wkt $tmp/$name\n";
	Sealpost::Test::run_cmd('ktutil', { stdin => $cmds });
	chmod 0600, "$tmp/$name";
	return "$tmp/$name";
}

my $state = "$tmp/state";
my $conf = config(state_dir => $state);
my ($rc, $out, $err) = setup($conf, $keytab);
is($rc, 0, 'setup with the complete keytab succeeds') or diag "$out$err";
for my $svc (qw(smtp imap pop)) {
	like($out, qr/^ok +keytab: \Q$pr{$svc}\E \(/m, "$svc key found");
	like($out, qr/^ok +kdc: \Q$pr{$svc}\E: the KDC issued a ticket and the keytab decrypts it$/m,
	    "$svc key verified with the KDC");
}
like($out, qr/^sealpost setup: ready/m, 'it says it is ready');
ok(-d $state, 'state_dir made');
is((stat $state)[2] & 07777, 0750, '... mode 0750');
($rc, $out) = $sp->run_sealpost('config', '--changed');
my ($mail_user) = $out =~ /^mail_user = (\S+)/m;
is((stat $state)[4], scalar getpwnam($mail_user), "... owned by mail_user ($mail_user)");

# No pop/HOST.
my $no_pop = keytab_without('pop', 'no-pop.keytab');
$conf = config(state_dir => $state, auth_keytab => $no_pop);
($rc, $out, $err) = setup($conf, $no_pop);
is($rc, 1, 'a keytab without pop/HOST: exit 1');
like($out, qr/^MISSING +keytab: \Q$no_pop\E has no usable key for \Q$pr{pop}\E$/m,
    '... names the missing principal');
like($out, qr/^ +fix: kadmin -r \Q$realm\E -q 'addprinc -randkey \Q$pr{pop}\E'/m,
    '... and how to add it');
like($out, qr/^ok +kdc: \Q$pr{imap}\E/m, '... the others still pass');
like($out, qr/^sealpost setup: 1 thing missing$/m, '... one thing missing');

# imap/HOST with a key the KDC does not know.
my $stale = keytab_without('imap', 'stale.keytab',
    "addent -password -p imap/$host\@$realm -k 2 -e aes256-cts-hmac-sha1-96",
    'not-the-password');
$conf = config(state_dir => $state, auth_keytab => $stale);
($rc, $out, $err) = setup($conf, $stale);
is($rc, 1, 'a keytab with a wrong imap key: exit 1');
like($out, qr/^ok +keytab: \Q$pr{imap}\E/m, '... the key is there');
like($out, qr/^MISSING +kdc: \Q$pr{imap}\E: no ticket with the keytab's key/m,
    '... but the KDC does not take it');

# A KDC that does not answer.
my $krb5 = "$tmp/dead-krb5.conf";
open my $fh, '>', $krb5 or die;
print $fh "[libdefaults]\n default_realm = $realm\n dns_lookup_kdc = false\n"
    . " udp_preference_limit = 1\n"
    . "[realms]\n $realm = {\n  kdc = tcp/127.0.0.1:9\n }\n";
close $fh;
$conf = config(state_dir => $state, auth_krb5_config => $krb5);
($rc, $out, $err) = setup($conf, $keytab);
is($rc, 1, 'no KDC: exit 1');
like($out, qr/^MISSING +kdc: \Q$pr{smtp}\E: no ticket with the keytab's key: .*KDC/m,
    '... says the KDC cannot be reached');

# Wrong host name in the config, and a user that does not exist.
$conf = config(state_dir => $state, hostname => 'mail.example.edu',
    auth_user => 'no-such-user-here');
($rc, $out, $err) = setup($conf, $keytab);
is($rc, 1, 'config for another host and a missing user: exit 1');
like($out, qr/^MISSING +config: hostname is 'mail\.example\.edu', not \Q$host\E$/m,
    '... the host name');
like($out, qr/^MISSING +user: auth_user = no-such-user-here does not exist\n +fix: useradd /m,
    '... the user, with the useradd line');

# Bad usage.
($rc, $out, $err) = Sealpost::Test::run_cmd($sp->bin('sealpost'), 'setup', '--realm', $realm);
is($rc, 64, 'without --hostname and --keytab: usage error');
like($err, qr/^usage: sealpost setup/, '... with the usage');
done_testing;
