# pop3d's login limits and policies: the per-user login rate limit (shared
# by all workers, the same for names that do not exist), the delay after a
# failed login, LOGIN-DELAY and EXPIRE 0 (RFC 2449 sections 6.5, 6.7).
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Sealpost::Test;
use Sealpost::POP3;

my $sp = Sealpost::Test->new(set => {
	pop3_login_rate_limit => 3,
	pop3_login_rate_window => '1h',
	pop3_auth_fail_delay => '1s',
	pop3_login_delay => '1h',
	pop3_expire => '0',
});
my $port = $sp->env('SEALPOST_POP3_PORT');
my $ca = $sp->env('SEALPOST_CA_FILE');
my %pw = map { $_ => $sp->password($_) } qw(alice bob carol);

like($sp->lmtp_deliver('alice', "Subject: $_\r\n\r\nbody\r\n"), qr/^250 /,
    "delivered $_") for 1 .. 2;

sub secure {
	my $p = Sealpost::POP3->new(port => $port, ca => $ca);
	$p->read_line;
	$p->cmd('STLS');
	$p->start_tls;
	return $p;
}

my $p = secure();
my (undef, $capa) = $p->multi('CAPA');
ok((grep { $_ eq 'EXPIRE 0' } @$capa), 'CAPA announces EXPIRE 0');
ok((grep { $_ eq 'LOGIN-DELAY 3600' } @$capa), 'CAPA announces LOGIN-DELAY');

# A failed login is answered only after pop3_auth_fail_delay.
is($p->cmd('USER carol'), '+OK Send your password', 'USER');
my $t0 = time;
is($p->cmd('PASS wrong'), '-ERR [AUTH] Authentication failed', 'wrong password');
cmp_ok(time - $t0, '>=', 0.9, 'answered after the failure delay');
$p->close;

# Three attempts per name per window, whatever their outcome and
# whichever worker takes them; then even the right password is refused
# without being checked.
for my $i (2 .. 3) {
	$p = secure();
	is($p->login('Carol', 'wrong'), '-ERR [AUTH] Authentication failed', "attempt $i");
	$p->close;
}
$p = secure();
is($p->login('carol@SEALPOST.TEST', $pw{carol}), '-ERR [LOGIN-DELAY] Too many logins, try again later',
    'fourth attempt refused, however the name is spelt');
$p->close;
ok($sp->wait_log(qr/pop3_login_refused user=carol\@SEALPOST.TEST reason="rate limit"/), 'logged');
for my $i (1 .. 3) {
	$p = secure();
	$p->login('nosuchuser', 'x');
	$p->close;
}
$p = secure();
is($p->login('nosuchuser', 'x'), '-ERR [LOGIN-DELAY] Too many logins, try again later',
    'an unknown name is limited the same way');
$p->close;

# EXPIRE 0: what was retrieved goes at QUIT like DELE.
$p = secure();
like($p->login('alice', $pw{alice}), qr/^\+OK Logged in, 2 messages /, 'alice logs in');
my ($st) = $p->multi('RETR 1');
like($st, qr/^\+OK \d+ octets$/, 'RETR 1');
$p->multi('TOP 2 0');
is($p->cmd('QUIT'), '+OK localhost POP3 server signing off (1 messages left)',
    'QUIT removes the retrieved message');
my (undef, $show) = $sp->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
like($show, qr/ messages 1$/m, 'one message left in the store');
like($show, qr/^uid 2 /m, 'the one only read with TOP');

# LOGIN-DELAY: the next login of the same user within the delay.
$p = secure();
is($p->login('alice', $pw{alice}), '-ERR [LOGIN-DELAY] Logged in less than 3600 seconds ago',
    'second login within LOGIN-DELAY refused');
$p->close;
$p = secure();
like($p->login('bob', $pw{bob}), qr/^\+OK Logged in/, 'other users are not delayed');
$p->cmd('QUIT');

done_testing;
