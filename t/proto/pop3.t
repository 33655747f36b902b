# pop3d: the RFC 1939 command set with exact replies, STLS and implicit
# TLS, deletion only at QUIT, a dropped connection deleting nothing, the
# maildrop lock (IN-USE) and the session snapshot.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::POP3;

my $sp = Sealpost::Test->new(set => { pop3_auth_fail_delay => '0' });
my $port = $sp->env('SEALPOST_POP3_PORT');
my $ca = $sp->env('SEALPOST_CA_FILE');
my %pw = map { $_ => $sp->password($_) } qw(alice bob carol);

# Delivers messages over LMTP; lmtpd adds Return-Path and Delivered-To.
my $serial = 0;
sub deliver {
	my ($user, @bodies) = @_;
	for my $body (@bodies) {
		$serial++;
		like($sp->lmtp_deliver($user,
		    "Subject: m$serial\r\nMessage-ID: <m$serial\@t>\r\n\r\n$body",
		    from => 's@example.org'),
		    qr/^250 /, "delivered m$serial to $user");
	}
}

sub plain { Sealpost::POP3->new(port => $port, ca => $ca) }
sub secure {
	my $c = plain();
	$c->read_line;
	$c->cmd('STLS');
	$c->start_tls;
	return $c;
}
sub session {
	my ($user) = @_;
	my $c = secure();
	my $r = $c->login($user, $pw{$user});
	return ($c, $r);
}

deliver('alice', "line one\r\n..dotted\r\nline three\r\n",
    "short\r\n", "a\r\nb\r\nc\r\n");

# ---- AUTHORIZATION in the clear ----
my $c = plain();
like($c->read_line, qr/^\+OK localhost POP3 ready \(session [0-9A-Z]{12}\)$/, 'greeting names the session');
my ($st, $capa) = $c->multi('CAPA');
is($st, '+OK Capability list follows', 'CAPA');
is_deeply($capa, [ 'TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING',
    'SASL GSSAPI', 'STLS', 'IMPLEMENTATION sealpost' ],
    'CAPA in the clear: no USER, only GSSAPI, STLS');
is($c->cmd('USER alice'), '-ERR [AUTH] Plaintext authentication disallowed without TLS (use STLS)',
    'USER refused outside TLS');
is($c->cmd('AUTH PLAIN AGFsaWNlAHg='), '-ERR [AUTH] Plaintext authentication disallowed without TLS (use STLS)',
    'AUTH PLAIN refused outside TLS');
is($c->cmd('AUTH CRAM-MD5'), '-ERR [AUTH] Unsupported authentication mechanism', 'unknown mechanism');
is($c->cmd('APOP alice 0123456789abcdef0123456789abcdef'), '-ERR APOP is not available; use AUTH', 'no APOP');
is($c->cmd('STAT'), '-ERR Command not valid in this state', 'STAT before login');
is($c->cmd('NOOP'), '-ERR Command not valid in this state', 'NOOP before login');
is($c->cmd('XYZZY'), '-ERR Unknown command', 'unknown command');
is($c->cmd('A' x 9000), '-ERR Line too long', 'over-long line refused');
is($c->cmd('QUIT'), '+OK localhost POP3 server signing off', 'QUIT in AUTHORIZATION');
ok($c->closed, 'closed after QUIT');

# ---- STLS: what was pipelined behind it is discarded ----
$c = plain();
$c->read_line;
$c->send_raw("STLS\r\nUSER alice\r\n");
is($c->read_line, '+OK Begin TLS negotiation', 'STLS');
$c->start_tls;
($st, $capa) = $c->multi('CAPA');
is_deeply($capa, [ 'TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING',
    'USER', 'SASL GSSAPI PLAIN LOGIN', 'IMPLEMENTATION sealpost' ],
    'CAPA inside TLS: USER and password mechanisms, no STLS');
is($c->cmd("PASS $pw{alice}"), '-ERR USER first', 'the USER sent before the handshake was dropped');
is($c->cmd('STLS'), '-ERR Command not permitted when TLS active', 'no second STLS');

# ---- failed logins look alike ----
is($c->cmd('USER alice'), '+OK Send your password', 'USER alice');
is($c->cmd('PASS wrong password'), '-ERR [AUTH] Authentication failed', 'wrong password');
is($c->cmd('USER nosuchuser'), '+OK Send your password', 'USER of an unknown name: same answer');
is($c->cmd('PASS whatever'), '-ERR [AUTH] Authentication failed', 'unknown user: same answer');
$c->close;

# ---- TRANSACTION ----
my $r;
($c, $r) = session('alice');
like($r, qr/^\+OK Logged in, 3 messages \((\d+) octets\)$/, 'PASS logs in');
my ($total) = $r =~ /\((\d+) octets/;
my ($list_st, $list) = $c->multi('LIST');
is($list_st, "+OK 3 messages ($total octets)", 'LIST status');
is(scalar @$list, 3, 'LIST has three lines');
my %size = map { split / / } @$list;
is($size{1} + $size{2} + $size{3}, $total, 'sizes add up');
is($c->cmd('STAT'), "+OK 3 $total", 'STAT');
is($c->cmd('LIST 2'), "+OK 2 $size{2}", 'LIST one message');
is($c->cmd('LIST 4'), '-ERR No such message', 'LIST past the end');
is($c->cmd('LIST 0'), '-ERR Invalid message number', 'LIST 0');
is($c->cmd('LIST x'), '-ERR Invalid message number', 'LIST x');
is($c->cmd('LIST 1 2'), '-ERR Syntax error', 'LIST with two arguments');
my ($uidl_st, $uidl) = $c->multi('UIDL');
is($uidl_st, '+OK', 'UIDL');
like($uidl->[0], qr/^1 \d+\.1$/, 'unique-id is UIDVALIDITY.UID');
like($c->cmd('UIDL 3'), qr/^\+OK 3 \d+\.3$/, 'UIDL one message');
# The listings and the one-message replies are built by different code.
is_deeply([ map { my ($n) = /^(\d+) /; $c->cmd("UIDL $n") } @$uidl ],
    [ map { "+OK $_" } @$uidl ], 'each UIDL line agrees with UIDL n');
is_deeply([ map { my ($n) = /^(\d+) /; $c->cmd("LIST $n") } @$list ],
    [ map { "+OK $_" } @$list ], 'each LIST line agrees with LIST n');

my ($retr_st, $body) = $c->multi('RETR 1');
is($retr_st, "+OK $size{1} octets", 'RETR status gives the size');
is_deeply($body, [ 'Return-Path: <s@example.org>', 'Delivered-To: alice@sealpost.test',
    'Subject: m1', 'Message-ID: <m1@t>', '', 'line one', '..dotted', 'line three' ],
    'RETR sends the message dot-stuffed');
my $unstuffed = join '', map { (my $l = $_) =~ s/^\.//; "$l\r\n" } @$body;
is(length $unstuffed, $size{1}, 'LIST size is the octet count of the CRLF message');
my ($top_st, $top) = $c->multi('TOP 3 0');
is($top_st, '+OK', 'TOP');
is_deeply($top, [ 'Return-Path: <s@example.org>', 'Delivered-To: alice@sealpost.test',
    'Subject: m3', 'Message-ID: <m3@t>', '' ], 'TOP 0: the header and the empty line');
(undef, $top) = $c->multi('TOP 3 2');
is_deeply([ @$top[5 .. $#$top] ], [ 'a', 'b' ], 'TOP 2: two body lines');
(undef, $top) = $c->multi('TOP 3 100');
is_deeply([ @$top[5 .. $#$top] ], [ 'a', 'b', 'c' ], 'TOP past the end: the whole body');
is($c->cmd('TOP 3'), '-ERR Syntax error: TOP msg n', 'TOP needs two arguments');
is($c->cmd('TOP 3 -1'), '-ERR Invalid number of lines', 'TOP with a negative count');

is($c->cmd('DELE 1'), '+OK Message 1 deleted', 'DELE');
is($c->cmd('DELE 1'), '-ERR Message 1 already deleted', 'DELE twice');
is($c->cmd('RETR 1'), '-ERR Message 1 already deleted', 'RETR of a deleted message');
is($c->cmd('LIST 1'), '-ERR Message 1 already deleted', 'LIST of a deleted message');
my $left = $total - $size{1};
is($c->cmd('STAT'), "+OK 2 $left", 'STAT leaves out deleted messages');
(undef, $list) = $c->multi('LIST');
is_deeply($list, [ "2 $size{2}", "3 $size{3}" ], 'LIST leaves out deleted messages');
is($c->cmd('RSET'), "+OK Maildrop has 3 messages ($total octets)", 'RSET unmarks');
is($c->cmd('NOOP'), '+OK', 'NOOP');
is($c->cmd('USER bob'), '-ERR Command not valid in this state', 'USER in TRANSACTION');

# ---- pipelining: replies in order ----
$c->send_raw("STAT\r\nLIST 2\r\nNOOP\r\nUIDL 2\r\n");
is($c->read_line, "+OK 3 $total", 'pipelined STAT');
is($c->read_line, "+OK 2 $size{2}", 'pipelined LIST');
is($c->read_line, '+OK', 'pipelined NOOP');
like($c->read_line, qr/^\+OK 2 \d+\.2$/, 'pipelined UIDL');

# ---- one session per maildrop ----
my ($c2, $r2) = session('alice');
is($r2, '-ERR [IN-USE] Mailbox is locked by another POP3 session', 'second session: IN-USE');
ok($sp->wait_log(qr/pop3_login_refused user=alice reason="in use"/), 'logged');
my ($cb, $rb) = session('bob');
like($rb, qr/^\+OK Logged in, 0 messages \(0 octets\)$/, 'another user is not locked out');
$cb->cmd('QUIT');

# ---- the snapshot: new mail waits for the next session ----
deliver('alice', "late\r\n");
is($c->cmd('STAT'), "+OK 3 $total", 'mail that arrived during the session is not shown');
is($c->cmd('DELE 2'), '+OK Message 2 deleted', 'DELE 2');

# ---- a dropped connection deletes nothing and frees the lock ----
my $log_at = $sp->log_size;
$c->close;
ok($sp->wait_log(qr/pop3_disconnect user=alice /, from => $log_at), 'server saw the drop');
($c, $r) = session('alice');
like($r, qr/^\+OK Logged in, 4 messages /, 'after a drop: nothing deleted, new mail shown, lock free');
my (undef, $uidl2) = $c->multi('UIDL');
is_deeply([ @$uidl2[0 .. 2] ], $uidl, 'UIDL is stable across sessions');

# ---- deletion at QUIT ----
is($c->cmd('DELE 1'), '+OK Message 1 deleted', 'DELE 1');
is($c->cmd('DELE 4'), '+OK Message 4 deleted', 'DELE 4');
is($c->cmd('QUIT'), '+OK localhost POP3 server signing off (2 messages left)', 'QUIT enters UPDATE');
ok($c->closed, 'closed after QUIT');
ok($sp->wait_log(qr/pop3_update user=alice count=2 /), 'UPDATE logged');
my (undef, $show) = $sp->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
like($show, qr/ messages 2$/m, 'the store holds two messages');
unlike($show, qr/^uid 1 /m, 'uid 1 expunged from the store');
unlike($show, qr/^uid 4 /m, 'uid 4 expunged from the store');
($c, $r) = session('alice');
like($r, qr/^\+OK Logged in, 2 messages /, 'next session sees the deletions');
(undef, $uidl2) = $c->multi('UIDL');
(my $u2 = $uidl->[1]) =~ s/^2 //;
(my $u3 = $uidl->[2]) =~ s/^3 //;
is_deeply($uidl2, [ "1 $u2", "2 $u3" ], 'renumbered, same unique-ids');
is($c->cmd('QUIT'), '+OK localhost POP3 server signing off (2 messages left)', 'QUIT without deletions');

# ---- AUTH PLAIN (RFC 5034) ----
use MIME::Base64 qw(encode_base64);
my $plain = encode_base64("\0bob\0$pw{bob}", '');
$c = secure();
is($c->cmd('AUTH PLAIN'), '+ ', 'AUTH PLAIN without initial response: empty challenge');
is($c->cmd('*'), '-ERR Authentication cancelled', '"*" cancels');
is($c->cmd('AUTH PLAIN'), '+ ', 'again');
is($c->cmd('not base64!'), '-ERR [AUTH] Invalid base64 in response', 'bad base64');
is($c->cmd('AUTH PLAIN'), '+ ', 'again');
like($c->cmd($plain), qr/^\+OK Logged in, 0 messages/, 'PLAIN as a response');
$c->cmd('QUIT');
$c = secure();
like($c->cmd("AUTH PLAIN $plain"), qr/^\+OK Logged in/, 'PLAIN as an initial response');
$c->cmd('QUIT');
$c = secure();
is($c->cmd("AUTH PLAIN " . encode_base64("\0bob\0wrong", '')), '-ERR [AUTH] Authentication failed',
    'PLAIN with a wrong password');
$c->close;

# ---- POP3S: implicit TLS ----
$c = Sealpost::POP3->new(port => $sp->env('SEALPOST_POP3S_PORT'), ca => $ca, ssl => 1);
like($c->read_line, qr/^\+OK localhost POP3 ready/, 'greeting after the handshake on 995');
(undef, $capa) = $c->multi('CAPA');
ok((grep { $_ eq 'USER' } @$capa) && !(grep { $_ eq 'STLS' } @$capa), 'USER offered, STLS not');
like($c->login('carol', $pw{carol}), qr/^\+OK Logged in/, 'USER/PASS on 995');
$c->cmd('QUIT');

# ---- too many failures end the session ----
$c = secure();
for my $i (1 .. 2) {
	is($c->login('carol', 'bad'), '-ERR [AUTH] Authentication failed', "failure $i");
}
is($c->login('carol', 'bad'), '-ERR [AUTH] Authentication failed', 'failure 3');
is($c->read_line, '-ERR [AUTH] Too many failed logins, closing', 'then the session ends');
ok($c->closed, 'closed');

unlike($sp->log_text, qr/\Q$pw{alice}\E|\Q$pw{bob}\E/, 'no password in the log');
done_testing;
