# pop3d with real clients: Perl's Net::POP3 (STLS, implicit TLS, SASL
# GSSAPI on KPOP), curl's POP3, and fetchmail with "auth gssapi" after
# kinit against KPOP; and KPOP refusing every password login.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Net::POP3;
use Authen::SASL;
use MIME::Base64 qw(encode_base64);
use Sealpost::Test;
use Sealpost::POP3;

my $sp = Sealpost::Test->new(set => { pop3_auth_fail_delay => '0' });
my $ca = $sp->env('SEALPOST_CA_FILE');
my ($pop3, $pop3s, $kpop) = map { $sp->env($_) }
    qw(SEALPOST_POP3_PORT SEALPOST_POP3S_PORT SEALPOST_KPOP_PORT);
my %pw = map { $_ => $sp->password($_) } qw(alice bob carol);

my $serial = 0;
sub deliver {
	my ($user, $n) = @_;
	for (1 .. $n) {
		$serial++;
		like($sp->lmtp_deliver($user, "Subject: client $serial\r\n"
		    . "Message-ID: <c$serial\@t>\r\n\r\nbody $serial\r\n..leading dot\r\n",
		    from => 's@example.org'),
		    qr/^250 /, "delivered client $serial to $user");
	}
}
deliver($_, 2) for qw(alice bob carol);

# ---- Net::POP3 with STLS ----
my $p = Net::POP3->new('localhost', Port => $pop3, Timeout => 30);
ok($p, 'Net::POP3 connects');
ok($p->starttls(SSL_ca_file => $ca, SSL_verifycn_name => 'localhost'), 'Net::POP3 starttls');
is($p->login('alice', $pw{alice}), 2, 'login returns the message count');
my $list = $p->list;
is(scalar keys %$list, 2, 'list');
my $msg = $p->get(1);
is(join('', map { s/\r\n\z/\n/r } @$msg), "Return-Path: <s\@example.org>\nDelivered-To: alice\@sealpost.test\n"
    . "Subject: client 1\nMessage-ID: <c1\@t>\n\nbody 1\n.leading dot\n", 'get undoes the dot-stuffing');
my $uidl = $p->uidl;
like($uidl->{1}, qr/^\d+\.1$/, 'uidl');
ok($p->delete(1), 'delete');
ok($p->quit, 'quit');
$p = Net::POP3->new('localhost', Port => $pop3s, SSL => 1, SSL_ca_file => $ca,
    SSL_verifycn_name => 'localhost', Timeout => 30);
ok($p, 'Net::POP3 over implicit TLS');
is($p->login('alice', $pw{alice}), 1, 'the deleted message is gone');
is($p->uidl->{1}, "$1.2", 'the other keeps its unique-id') if $uidl->{1} =~ /^(\d+)\./;
$p->quit;

# ---- curl ----
my ($rc, $out, $err) = Sealpost::Test::run_cmd('curl', '-sS', '--cacert', $ca,
    '-u', "bob:$pw{bob}", "pop3s://localhost:$pop3s/");
is($rc, 0, 'curl lists over pop3s') or diag $err;
like($out, qr/\A1 \d+\r\n2 \d+\r\n\z/, 'curl: the LIST lines');
($rc, $out, $err) = Sealpost::Test::run_cmd('curl', '-sS', '--ssl-reqd', '--cacert', $ca,
    '-u', "bob:$pw{bob}", "pop3://localhost:$pop3/2");
is($rc, 0, 'curl retrieves over pop3 with STLS') or diag $err;
like($out, qr/\r\nSubject: client 4\r\n.*\r\n\r\nbody 4\r\n\.leading dot\r\n\z/s,
    'curl: message 2, unstuffed');
($rc, $out, $err) = Sealpost::Test::run_cmd('curl', '-sS', '--cacert', $ca,
    '-u', "bob:wrong", "pop3s://localhost:$pop3s/");
isnt($rc, 0, 'curl with a wrong password fails');

# ---- KPOP refuses passwords, even inside TLS ----
my $c = Sealpost::POP3->new(port => $kpop, ca => $ca);
like($c->read_line, qr/^\+OK localhost POP3 ready/, 'KPOP greeting');
my ($st, $capa) = $c->multi('CAPA');
ok((grep { $_ eq 'SASL GSSAPI' } @$capa) && !(grep { $_ eq 'USER' } @$capa), 'KPOP CAPA: GSSAPI only, no USER');
is($c->cmd('USER alice'), '-ERR [AUTH] KPOP accepts only Kerberos (AUTH GSSAPI)', 'KPOP: USER refused');
is($c->cmd('AUTH PLAIN ' . encode_base64("\0alice\0$pw{alice}", '')),
    '-ERR [AUTH] KPOP accepts only Kerberos (AUTH GSSAPI)', 'KPOP: PLAIN refused');
is($c->cmd('STLS'), '+OK Begin TLS negotiation', 'KPOP offers STLS');
$c->start_tls;
is($c->cmd('USER alice'), '-ERR [AUTH] KPOP accepts only Kerberos (AUTH GSSAPI)', 'KPOP: USER refused inside TLS');
is($c->cmd('AUTH LOGIN'), '-ERR [AUTH] KPOP accepts only Kerberos (AUTH GSSAPI)', 'KPOP: LOGIN refused inside TLS');
$c->cmd('QUIT');

# ---- GSSAPI on KPOP: Net::POP3 with Authen::SASL, then fetchmail ----
ok($sp->kinit('bob'), 'kinit bob');
$p = Net::POP3->new('localhost', Port => $kpop, Timeout => 30);
my $sasl = Authen::SASL->new(mechanism => 'GSSAPI', callback => { user => 'bob' });
ok($p->auth($sasl), 'Net::POP3 AUTH GSSAPI on KPOP') or diag $p->message;
is(scalar keys %{ $p->list }, 2, 'bob sees his messages');
$p->quit;
ok($sp->wait_log(qr/pop3_login user=bob mech=GSSAPI /), 'logged in with GSSAPI');

ok($sp->kinit('carol'), 'kinit carol');
my $home = tempdir(CLEANUP => 1);
my $rc_file = "$home/fetchmailrc";
open my $fh, '>', $rc_file or die $!;
print $fh "poll localhost protocol pop3 port $kpop auth gssapi\n"
    . "  user carol is root here fetchall sslproto ''\n"
    . "  mda \"/bin/sh -c 'cat >> $home/fetched'\"\n";
close $fh;
chmod 0600, $rc_file;
{
	local $ENV{HOME} = $home;
	local $ENV{FETCHMAILHOME} = $home;
	($rc, $out, $err) = Sealpost::Test::run_cmd('fetchmail', '-f', $rc_file, '-N',
	    '--nosyslog', '-v', '--pidfile', "$home/pid");
}
is($rc, 0, 'fetchmail with auth gssapi on KPOP') or diag "$out$err";
my $fetched = do { local (@ARGV, $/) = ("$home/fetched"); <> } // '';
is(() = $fetched =~ /^Subject: client \d+$/mg, 2, 'fetchmail fetched both messages');
like($fetched, qr/^\.leading dot$/m, 'and undid the dot-stuffing');
ok($sp->wait_log(qr/pop3_update user=carol count=2 /), 'fetchmail deleted them at QUIT');
my (undef, $show) = $sp->run_sealpost('mailbox', 'show', 'carol', 'INBOX');
like($show, qr/ messages 0$/m, "carol's INBOX is empty");

done_testing;
