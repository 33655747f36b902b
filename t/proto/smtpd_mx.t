# smtpd as an MX (RFC 5321): mail for a local user is taken without
# authentication, queued durably (250 names the queue ID), delivered by
# qmgr over LMTP into the INBOX with a Received header; unknown users are
# refused at RCPT time, and one queue ID tells the message's whole story.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

my $sp = Sealpost::Test->new;
my $port = $sp->env('SEALPOST_SMTP_PORT');
ok($port, 'endpoints.env names the SMTP port');

sub session {
	my $c = Sealpost::Wire->new(host => '127.0.0.1', port => $port);
	like($c->read_reply, qr/^220 localhost ESMTP/, 'greeting');
	return $c;
}

sub inbox {
	my ($user) = @_;
	my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', $user, 'INBOX');
	return $out;
}

my $c = session();
my $ehlo = $c->cmd('EHLO client.example');
like($ehlo, qr/^250-localhost/, 'EHLO');
for my $ext (qw(PIPELINING SIZE 8BITMIME CHUNKING DSN SMTPUTF8 STARTTLS ENHANCEDSTATUSCODES)) {
	like($ehlo, qr/^250[- ]$ext\b/m, "offers $ext");
}
like($ehlo, qr/^250-AUTH GSSAPI$/m, 'only GSSAPI before TLS');
is($c->cmd('MAIL FROM:<sender@example.org>'), '250 2.1.0 Ok', 'MAIL without AUTH');
is($c->cmd('RCPT TO:<alice@sealpost.test>'), '250 2.1.5 Ok', 'local user');
is($c->cmd('RCPT TO:<nosuch@sealpost.test>'), '550 5.1.1 User unknown', 'unknown user refused at RCPT');
is($c->cmd('RCPT TO:<someone@example.com>'), '554 5.7.1 Relay access denied', 'no relaying');
is($c->cmd('DATA'), '354 End data with <CR><LF>.<CR><LF>', 'DATA');
$c->send_raw("From: sender\@example.org\r\nTo: alice\@sealpost.test\r\nSubject: over the MX\r\n"
    . "Message-ID: <mx-1\@example.org>\r\n\r\nHello Alice.\r\n..a dot line\r\n.\r\n");
my $queued = $c->read_reply;
like($queued, qr/^250 2\.0\.0 Ok: queued as ([0-9A-Z]{15})$/, '250 names the queue ID');
my ($qid) = $queued =~ /as (\S+)$/;
is($c->cmd('QUIT'), '221 2.0.0 Bye', 'QUIT');

ok($sp->wait_log(qr/queue_removed .*qid=$qid/), 'delivered and removed from the queue');
my $box = inbox('alice');
like($box, qr/^Subject: over the MX\r?$/m, 'in alice\'s INBOX');
like($box, qr/^Received: from client\.example \(\[127\.0\.0\.1\]\)\r?$/m, 'Received names the client');
like($box, qr/by localhost \(sealpost\) with ESMTP id $qid/, 'Received names protocol and queue ID');
like($box, qr/^\.a dot line\r?$/m, 'dot-stuffing undone once');
unlike($box, qr/^Message-ID: <$qid/mi, 'no Message-ID added on the MX');

my @story = grep { /qid=$qid/ } split /\n/, $sp->log_text;
ok((grep { /smtp_mail from=sender\@example\.org/ } @story), 'log: MAIL');
ok((grep { /smtp_queued/ } @story), 'log: queued');
ok((grep { /delivered to=alice\@sealpost\.test .*relay=lmtp/ } @story), 'log: delivered');
ok((grep { /queue_removed/ } @story), 'log: removed');

# Pipelined transaction (RFC 2920), replies in order.
$c = session();
$c->send_raw("EHLO client.example\r\nMAIL FROM:<>\r\nRCPT TO:<bob\@sealpost.test>\r\n"
    . "RCPT TO:<Bob+lists\@Sealpost.Test>\r\nDATA\r\n");
like($c->read_reply, qr/^250-localhost/, 'pipelined EHLO');
is($c->read_reply, '250 2.1.0 Ok', 'pipelined MAIL (null sender)');
is($c->read_reply, '250 2.1.5 Ok', 'pipelined RCPT');
is($c->read_reply, '250 2.1.5 Ok', 'pipelined RCPT with detail and case');
is($c->read_reply, '354 End data with <CR><LF>.<CR><LF>', 'pipelined DATA');
$c->send_raw("Subject: pipelined\r\nMessage-ID: <mx-2\@example.org>\r\n\r\nbody\r\n.\r\nQUIT\r\n");
like($c->read_reply, qr/^250 2\.0\.0 Ok: queued as/, 'queued');
is($c->read_reply, '221 2.0.0 Bye', 'QUIT');

# BDAT (RFC 3030).
$c = session();
$c->cmd('EHLO client.example');
$c->cmd('MAIL FROM:<sender@example.org>');
$c->cmd('RCPT TO:<carol@sealpost.test>');
my $part1 = "Subject: chunked\r\nMessage-ID: <mx-3\@example.org>\r\n\r\n";
my $part2 = "first chunk\r\n.\r\nstill the body\r\n";
$c->send_raw("BDAT " . length($part1) . "\r\n$part1");
is($c->read_reply, '250 2.0.0 ' . length($part1) . ' octets received', 'BDAT chunk');
$c->send_raw("BDAT " . length($part2) . " LAST\r\n$part2");
like($c->read_reply, qr/^250 2\.0\.0 Ok: queued as/, 'BDAT LAST queues');
ok($sp->wait_log(qr/delivered to=carol\@sealpost\.test/), 'carol got it');
like(inbox('carol'), qr/^still the body\r?$/m, 'a lone dot inside BDAT is data');
ok($sp->wait_log(qr/delivered to=bob\@sealpost\.test/), 'bob got the pipelined one');

done_testing;
