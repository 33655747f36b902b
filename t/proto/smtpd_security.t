# smtpd against hostile clients: open-relay tricks, SMTP smuggling, STARTTLS
# command injection, and the size and session limits.  After all of it the
# queue holds nothing the tricks could have put there.
use strict;
use warnings;
use Test::More;
use IO::Socket::SSL;
use Sealpost::Test;
use Sealpost::Wire;

# The aliases file exists before the instance starts, so no test races
# smtpd's once-a-second check for a changed file.
my $sp = Sealpost::Test->new(no_start => 1);
open my $af, '>', $sp->dir . '/aliases' or die $!;
print $af "# test aliases\npostmaster: admin\nabuse: admin\n";
close $af;
$sp->{set} = {
	message_size_limit => '2k',
	smtpd_recipient_limit => 3,
	smtpd_max_line_length => 1000,
	smtpd_hard_error_limit => 30,
	aliases_file => $sp->dir . '/aliases',
};
$sp->start;
my $port = $sp->env('SEALPOST_SMTP_PORT');

sub session {
	my $c = Sealpost::Wire->new(port => $port);
	$c->read_reply;
	$c->cmd('EHLO client.example');
	return $c;
}

sub inbox {
	my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', $_[0], 'INBOX');
	return $out;
}


# ---- open relay (research/security.md 3) ----
my $c = session();
is($c->cmd('MAIL FROM:<spammer@example.net>'), '250 2.1.0 Ok', 'MAIL');
for my $trick ('victim%example.com@sealpost.test', '"victim@example.com"@sealpost.test',
    '@sealpost.test:victim@example.com', 'example.com!victim@sealpost.test',
    'victim@example.com', 'victim@[192.0.2.1]', 'alice@sealpost.test.example.com') {
	like($c->cmd("RCPT TO:<$trick>"), qr/^55[04] 5\.7\.1 /, "refused: $trick");
}
like($c->cmd('RCPT TO:<victim@example.com@sealpost.test>'), qr/^5\d\d /, 'refused: user@other@local');
like($c->cmd('RCPT TO:<alice@sealpost.test.>'), qr/^5\d\d /, 'refused: trailing dot');
is($c->cmd('RCPT TO:<postmaster>'), '250 2.1.5 Ok', 'bare postmaster accepted (RFC 5321 4.5.1)');
is($c->cmd('RSET'), '250 2.0.0 Ok', 'RSET');
like($c->cmd('VRFY alice'), qr/^252 /, 'VRFY tells nothing');
$c->cmd('QUIT');

# ---- SMTP smuggling (research/security.md 1) ----
my @variants = ("\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r.\r\n", "\r\n\x00.\r\n");
my $n = 0;
for my $v (@variants) {
	$n++;
	(my $name = $v) =~ s/\r/\\r/g;
	$name =~ s/\n/\\n/g;
	$name =~ s/\x00/\\0/g;
	$c = session();
	$c->cmd('MAIL FROM:<sender@example.org>');
	$c->cmd('RCPT TO:<bob@sealpost.test>');
	is($c->cmd('DATA'), '354 End data with <CR><LF>.<CR><LF>', "DATA ($name)");
	$c->send_raw("Subject: outer $n\r\n\r\nouter$v"
	    . "MAIL FROM:<spoof\@victim.example>\r\nRCPT TO:<alice\@sealpost.test>\r\nDATA\r\n"
	    . "Subject: smuggled $n\r\n\r\nsmuggled\r\n.\r\n");
	my $reply = $c->read_reply;
	if ($v =~ /\x00/) {
		like($reply, qr/^250 /, "NUL in a line is data, not an end ($name)");
	} else {
		like($reply, qr/^550 5\.6\.0 Bare CR or LF/, "bare CR/LF refused ($name)");
	}
	is($c->cmd('NOOP'), '250 2.0.0 Ok', "in step after ($name)");
	$c->cmd('QUIT');
}
unlike($sp->log_text, qr/from=spoof\@victim\.example/, 'no smuggled MAIL ever ran');

# Bare LF inside BDAT too.
$c = session();
$c->cmd('MAIL FROM:<sender@example.org>');
$c->cmd('RCPT TO:<bob@sealpost.test>');
my $chunk = "Subject: bdat\r\n\r\nline\n.\nmore\r\n";
$c->send_raw('BDAT ' . length($chunk) . " LAST\r\n$chunk");
like($c->read_reply, qr/^550 5\.6\.0 /, 'bare LF in BDAT refused');
$c->cmd('QUIT');

# Bare LF in a command line.
$c = session();
$c->send_raw("NOOP\nNOOP\r\n");
like($c->read_reply, qr/^500 5\.5\.2 Bare CR or LF/, 'bare LF ends no command');
$c->cmd('QUIT');

# ---- STARTTLS injection (research/security.md 2, CVE-2011-0411) ----
$c = session();
$c->send_raw("STARTTLS\r\nMAIL FROM:<injected\@example.org>\r\n");
is($c->read_reply, '220 2.0.0 Ready to start TLS', 'STARTTLS');
IO::Socket::SSL->start_SSL($c->sock, SSL_ca_file => $sp->env('SEALPOST_CA_FILE'),
    SSL_verifycn_name => 'localhost', SSL_hostname => 'localhost') or die "TLS: $SSL_ERROR";
like($c->cmd('RCPT TO:<alice@sealpost.test>'), qr/^503 5\.5\.1 /,
    'the pipelined MAIL was dropped, not run inside TLS');
like($c->cmd('EHLO client.example'), qr/^250-localhost/, 'EHLO again after TLS');
like($c->cmd('EHLO client.example'), qr/^250 ENHANCEDSTATUSCODES$/m, 'no STARTTLS offered inside TLS');
$c->cmd('QUIT');
unlike($sp->log_text, qr/from=injected/, 'injected MAIL never logged');

# ---- limits ----
$c = session();
like($c->cmd('MAIL FROM:<s@example.org> SIZE=999999'), qr/^552 5\.3\.4 /, 'SIZE over the limit');
is($c->cmd('MAIL FROM:<s@example.org>'), '250 2.1.0 Ok', 'MAIL');
is($c->cmd('RCPT TO:<alice@sealpost.test>'), '250 2.1.5 Ok', 'rcpt 1');
is($c->cmd('RCPT TO:<bob@sealpost.test>'), '250 2.1.5 Ok', 'rcpt 2');
is($c->cmd('RCPT TO:<carol@sealpost.test>'), '250 2.1.5 Ok', 'rcpt 3');
is($c->cmd('RCPT TO:<admin@sealpost.test>'), '452 4.5.3 Too many recipients', 'rcpt 4 over the limit');
$c->cmd('DATA');
$c->send_raw("Subject: big\r\n\r\n" . ("x" x 70 . "\r\n") x 50 . ".\r\n");
like($c->read_reply, qr/^552 5\.3\.4 Message size exceeds fixed limit/, 'message over the size limit');
$c->cmd('MAIL FROM:<s@example.org>');
$c->cmd('RCPT TO:<alice@sealpost.test>');
$c->cmd('DATA');
$c->send_raw("Subject: long\r\n\r\n" . ("y" x 1200) . "\r\n.\r\n");
like($c->read_reply, qr/^554 5\.6\.0 Message line too long/, 'line over the limit');
like($c->cmd('NOOP ' . ('z' x 600)), qr/^500 5\.5\.2 /, 'command line too long');
$c->cmd('MAIL FROM:<s@example.org>');
$c->cmd('RCPT TO:<alice@sealpost.test>');
$c->cmd('DATA');
$c->send_raw("Subject: loop\r\n" . ("Received: x\r\n" x 51) . "\r\nloop\r\n.\r\n");
like($c->read_reply, qr/^554 5\.4\.6 /, 'too many Received fields: a loop');
$c->cmd('QUIT');

$c = session();
$c->send_raw("BOGUS\r\n" x 30);
my $last = '';
for (1 .. 31) {
	$last = $c->read_reply // last;
	last if $last =~ /^421/;
}
like($last, qr/^421 4\.7\.0 .*Too many errors/, 'hard error limit closes the session');
ok($c->closed, 'and the connection');

# Nothing the tricks sent was delivered.  The one good message is delivered
# first, so the queue is looked at only once it has had time to drain.
my $delivered = $sp->wait_log(qr/delivered to=bob\@sealpost\.test/);
ok($delivered, 'the NUL-line message was delivered');
my ($qid) = ($delivered // '') =~ /qid=(\S+)/;
ok($qid && $sp->wait_log(qr/queue_removed .*qid=\Q$qid\E/), 'and left the queue');
my ($rc, $queue) = $sp->run_sealpost('queue');
is($queue, "Mail queue is empty\n", 'queue empty');
unlike(inbox('alice'), qr/smuggled|injected/, 'nothing smuggled or injected reached alice');
my @uids = inbox('bob') =~ /^uid (\d+) /mg;
is(scalar @uids, 1, 'bob has one message: the NUL line did not split it');

done_testing;
