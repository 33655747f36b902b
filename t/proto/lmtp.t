# lmtpd: LMTP (RFC 2033) delivery into the store, checked on the wire and
# in the mailboxes.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

my $sp = Sealpost::Test->new(set => {
	quota_default_storage => '20k',
	lmtp_max_message_size => '64k',
	lmtp_max_recipients => 5,
});
my $socket = $sp->env('SEALPOST_LMTP_SOCKET');
ok($socket && -S $socket, 'endpoints.env names the LMTP socket');

sub session {
	my $c = Sealpost::Wire->new(path => $socket);
	like($c->read_reply, qr/^220 localhost LMTP/, 'greeting');
	my $lhlo = $c->cmd('LHLO client.test');
	return ($c, $lhlo);
}

sub messages {
	my ($user, $mailbox) = @_;
	my ($rc, $out, $err) = $sp->run_sealpost('mailbox', 'show', $user, $mailbox);
	return $out;
}

my ($c, $lhlo) = session();
is($lhlo, "250-localhost LMTP\n250-PIPELINING\n250-SIZE 65536\n250-8BITMIME\n250 ENHANCEDSTATUSCODES",
    'LHLO offers PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES');
like($c->cmd('HELO x'), qr/^500 5\.5\.1/, 'HELO is not LMTP');
like($c->cmd('RCPT TO:<alice@sealpost.test>'), qr/^503 5\.5\.1/, 'RCPT before MAIL');
is($c->cmd('MAIL FROM:<sender@example.org> SIZE=100'), '250 2.1.0 Ok', 'MAIL');
like($c->cmd('MAIL FROM:<x@example.org>'), qr/^503 5\.5\.1/, 'nested MAIL');
is($c->cmd('RCPT TO:<alice@sealpost.test>'), '250 2.1.5 Ok', 'known user');
is($c->cmd('RCPT TO:<nosuch@sealpost.test>'), '550 5.1.1 No such user here', 'unknown user');
is($c->cmd('RCPT TO:<Bob@sealpost.test>'), '250 2.1.5 Ok', 'local parts match without case');
is($c->cmd('RCPT TO:<carol+Archive@sealpost.test>'), '250 2.1.5 Ok', '+detail of an existing folder');
is($c->cmd('RCPT TO:<carol+/etc//x@sealpost.test>'), '250 2.1.5 Ok', '+detail that is no valid name');
is($c->cmd('DATA'), '354 Go ahead, end with <CRLF>.<CRLF>', 'DATA');
$c->send_raw("From: Sender <sender\@example.org>\r\nTo: alice\@sealpost.test\r\n"
    . "Subject: first\r\nMessage-ID: <first\@example.org>\r\n\r\nHello.\r\n..dot\r\n.\r\n");
my @replies = map { $c->read_reply } 1 .. 4;
like($replies[0], qr/^250 2\.0\.0 Ok: delivered to INBOX as uid 1$/, 'reply for alice');
like($replies[1], qr/^250 2\.0\.0 Ok: delivered to INBOX as uid 1$/, 'reply for bob');
like($replies[2], qr/^250 2\.0\.0 Ok: delivered to Archive as uid 1$/, 'reply for carol+Archive');
like($replies[3], qr/^250 2\.0\.0 Ok: delivered to INBOX as uid 1$/, 'a bad detail goes to INBOX');

my $alice = messages('alice', 'INBOX');
like($alice, qr/^uid 1 /m, 'alice has the message');
like($alice, qr/^Return-Path: <sender\@example\.org>\r?$/m, 'Return-Path added');
like($alice, qr/^Delivered-To: alice\@sealpost\.test\r?$/m, 'Delivered-To names the recipient');
like($alice, qr/^\.dot\r?$/m, 'dot-stuffing removed');
like(messages('bob', 'INBOX'), qr/^Delivered-To: Bob\@sealpost\.test\r?$/m, 'each recipient its own Delivered-To');
like(messages('alice', 'INBOX'), qr/envelope \(NIL "first" \(\("Sender" NIL "sender" "example\.org"\)\)/,
    'ENVELOPE cached at delivery');
like(messages('alice', 'INBOX'), qr/bodystructure \("TEXT" "PLAIN" \("CHARSET" "US-ASCII"\) NIL NIL "7BIT" \d+ \d+/,
    'BODYSTRUCTURE cached at delivery');

# The same message again (a retry after a lost reply) is acknowledged but
# not stored twice.
is($c->cmd('MAIL FROM:<sender@example.org>'), '250 2.1.0 Ok', 'MAIL again');
is($c->cmd('RCPT TO:<alice@sealpost.test>'), '250 2.1.5 Ok', 'RCPT again');
is($c->cmd('DATA'), '354 Go ahead, end with <CRLF>.<CRLF>', 'DATA again');
$c->send_raw("Subject: first (retried)\r\nMessage-ID: <first\@example.org>\r\n\r\nHello.\r\n.\r\n");
is($c->read_reply, '250 2.0.0 Ok: already delivered to INBOX as uid 1', 'duplicate recognised');
unlike(messages('alice', 'INBOX'), qr/^uid 2 /m, 'and not stored');

# Pipelined transaction, recipient limit.
$c->send_raw(join '', map { "$_\r\n" } 'MAIL FROM:<>', map({ "RCPT TO:<alice\@sealpost.test>" } 1 .. 6), 'DATA');
is($c->read_reply, '250 2.1.0 Ok', 'pipelined MAIL');
is($c->read_reply, '250 2.1.5 Ok', "pipelined RCPT $_") for 1 .. 5;
is($c->read_reply, '452 4.5.3 Too many recipients', 'sixth recipient over lmtp_max_recipients');
is($c->read_reply, '354 Go ahead, end with <CRLF>.<CRLF>', 'pipelined DATA');
$c->send_raw("Subject: to many\r\n\r\nx\r\n.\r\n");
my @five = map { $c->read_reply } 1 .. 5;
like($five[0], qr/^250 2\.0\.0 Ok: delivered to INBOX as uid 2$/, 'one reply per accepted recipient');
like($five[4], qr/^250 2\.0\.0 Ok: already delivered/, 'the same bytes to the same mailbox land once');

# Size limit: SIZE= is refused up front, an over-long body after DATA.
like($c->cmd('MAIL FROM:<x@example.org> SIZE=1000000'), qr/^552 5\.3\.4/, 'SIZE over the limit');
$c->cmd('MAIL FROM:<x@example.org>');
$c->cmd('RCPT TO:<bob@sealpost.test>');
$c->cmd('DATA');
$c->send_raw("Subject: big\r\n\r\n" . ("x" x 998 . "\r\n") x 70 . ".\r\n");
like($c->read_reply, qr/^552 5\.3\.4 Message too big/, 'over-long message refused');

# Bare LF in DATA never ends the message and is refused.
$c->cmd('MAIL FROM:<x@example.org>');
$c->cmd('RCPT TO:<bob@sealpost.test>');
$c->cmd('DATA');
$c->send_raw("Subject: smuggle\r\n\r\nhi\n.\nMAIL FROM:<evil\@x>\r\n.\r\n");
like($c->read_reply, qr/^550 5\.6\.2/, 'bare LF refused, the message ends only at CRLF.CRLF');
is($c->cmd('NOOP'), '250 2.0.0 Ok', 'the session is still in step');

# Quota: bob has 20k; a 15k message fits once, not twice.
for my $n (1, 2) {
	$c->cmd('MAIL FROM:<x@example.org>');
	$c->cmd('RCPT TO:<bob@sealpost.test>');
	$c->cmd('DATA');
	$c->send_raw("Subject: quota $n\r\nMessage-ID: <q$n\@x>\r\n\r\n" . ("y" x 998 . "\r\n") x 15 . ".\r\n");
	my $r = $c->read_reply;
	if ($n == 1) { like($r, qr/^250 /, 'under quota: delivered') }
	else { is($r, '552 5.2.2 Mailbox is full', 'over quota: 552 5.2.2') }
}

like($c->cmd('BDAT 10'), qr/^502 5\.5\.1/, 'unsupported command');
like($c->cmd('FOO'), qr/^500 5\.5\.1/, 'unknown command');
is($c->cmd('QUIT'), '221 2.0.0 Bye', 'QUIT');
ok($c->closed, 'connection closed after QUIT');

# A temporary quota answer when configured so.
my $sp2 = Sealpost::Test->new(set => { quota_default_messages => 1, lmtp_quota_temporary => 'yes' });
my $c2 = Sealpost::Wire->new(path => $sp2->env('SEALPOST_LMTP_SOCKET'));
$c2->read_reply;
$c2->cmd('LHLO x');
for my $n (1, 2) {
	$c2->cmd('MAIL FROM:<>');
	$c2->cmd('RCPT TO:<alice@sealpost.test>');
	$c2->cmd('DATA');
	$c2->send_raw("Subject: $n\r\n\r\nx\r\n.\r\n");
	my $r = $c2->read_reply;
	if ($n == 2) { is($r, '452 4.2.2 Mailbox is full', 'lmtp_quota_temporary gives 452 4.2.2') }
}
done_testing;
