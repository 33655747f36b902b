# Submission (RFC 6409) on 587 with STARTTLS and on 465 with implicit TLS
# (RFC 8314): AUTH GSSAPI after kinit and AUTH PLAIN inside TLS, with
# Net::SMTP; the message reaches the INBOX, read back over IMAP with
# Mail::IMAPClient, with a Received header naming the user and ESMTPSA,
# and gets the Message-ID and Date it lacked.
# Without AUTH nothing is accepted, PLAIN is refused outside TLS, and a
# user may only send as themselves.
use strict;
use warnings;
use Test::More;
use Authen::SASL;
use IO::Socket::SSL;
use Mail::IMAPClient;
use Net::SMTP;
use Sealpost::Test;
use Sealpost::Wire;
use Sealpost::DNS;

# example.com fails in DNS, so relayed mail stays in the queue.
my $dns = Sealpost::DNS->new(records => [[ 'example.com', 'SERVFAIL' ]]);
my $sp = Sealpost::Test->new(set => { dns_servers => $dns->server });
my $port = $sp->env('SEALPOST_SUBMISSION_PORT');
my $ca = $sp->env('SEALPOST_CA_FILE');
my %tls = (SSL_ca_file => $ca, SSL_verifycn_name => 'localhost',
    SSL_verify_mode => SSL_VERIFY_PEER);

sub inbox {
	my ($user) = @_;
	my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', $user, 'INBOX');
	return $out;
}

# The whole message with `subject` in `user`'s INBOX, read over IMAP
# (STARTTLS, LOGIN with the password), or undef.
sub imap_message {
	my ($user, $subject) = @_;
	my $host = $sp->env('SEALPOST_HOST');
	my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
	    Port => $sp->env('SEALPOST_IMAP_PORT'), Starttls => [ SSL_ca_file => $ca,
	    SSL_verifycn_name => $host, SSL_hostname => $host ],
	    User => $user, Password => $sp->password($user), Uid => 1)
	    or return undef;
	$imap->select('INBOX') or return undef;
	my ($uid) = $imap->search('HEADER', 'Subject', $subject);
	my $msg = defined $uid ? $imap->message_string($uid) : undef;
	$imap->logout;
	return $msg;
}

sub submit {
	my ($smtp, $from, $to, $subject, $extra) = @_;
	$smtp->mail($from) or return $smtp->code . ' ' . $smtp->message;
	$smtp->to($to) or return $smtp->code . ' ' . $smtp->message;
	$smtp->data or return $smtp->code . ' ' . $smtp->message;
	$smtp->datasend("From: <$from>\nTo: <$to>\nSubject: $subject\n" . ($extra // '') . "\nHello.\n");
	$smtp->dataend;
	return $smtp->code . ' ' . $smtp->message;
}

# Nothing without AUTH.
my $c = Sealpost::Wire->new(port => $port);
$c->read_reply;
my $ehlo = $c->cmd('EHLO client.test');
like($ehlo, qr/^250-STARTTLS$/m, 'STARTTLS offered');
like($ehlo, qr/^250-AUTH GSSAPI$/m, 'only GSSAPI before TLS');
is($c->cmd('MAIL FROM:<alice@sealpost.test>'), '530 5.7.0 Authentication required',
    'MAIL without AUTH refused');
is($c->cmd('AUTH PLAIN ' . 'AGFsaWNlAHg='), '538 5.7.11 Encryption required for requested authentication mechanism',
    'PLAIN refused outside TLS');
$c->cmd('QUIT');

# GSSAPI over STARTTLS with a ticket.
ok($sp->kinit('alice'), 'kinit alice');
my $smtp = Net::SMTP->new('localhost', Port => $port, Hello => 'client.test', Timeout => 30);
ok($smtp, 'connected');
ok($smtp->starttls(%tls), 'STARTTLS, certificate verified');
ok(grep({ $_ eq 'PLAIN' } split ' ', $smtp->supports('AUTH')), 'PLAIN offered inside TLS');
my $sasl = Authen::SASL->new(mechanism => 'GSSAPI', callback => { user => 'alice' });
ok($smtp->auth($sasl), 'AUTH GSSAPI') or diag $smtp->message;
like(submit($smtp, 'alice@sealpost.test', 'bob@sealpost.test', 'by kerberos'),
    qr/^250 2\.0\.0 Ok: queued as \w+/, 'queued');
like(submit($smtp, 'bob@sealpost.test', 'bob@sealpost.test', 'forged'),
    qr/^553 5\.7\.1 /, 'another user\'s address refused');
like(submit($smtp, 'alice+list@sealpost.test', 'bob@sealpost.test', 'detail', "Message-ID: <detail\@x>\n"),
    qr/^250 /, 'own address with +detail allowed');
$smtp->quit;
ok($sp->wait_log(qr/delivered to=bob\@sealpost\.test .*relay=lmtp/), 'delivered');
# Both messages to bob, whichever order they were delivered in.
for (1 .. 600) {
	my @n = $sp->log_text =~ /delivered to=bob\@sealpost\.test/g;
	last if @n >= 2;
	select(undef, undef, undef, 0.05);	# polling the log, as wait_log does
}
my $msg = imap_message('bob', 'by kerberos');
ok(defined $msg, 'the GSSAPI message is in bob\'s INBOX over IMAP');
like($msg // '', qr/^Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n\t\(Authenticated sender: alice\)\r\n\tby localhost \(sealpost\) with ESMTPSA id \w+\r\n/m,
    'read over IMAP, its Received header names alice and ESMTPSA');
my $box = inbox('bob');
like($box, qr/^Subject: by kerberos\r?$/m, 'in bob\'s INBOX');
like($box, qr/\(Authenticated sender: alice\)/, 'Received names the user');
like($box, qr/with ESMTPSA id/, 'Received says ESMTPSA (RFC 3848)');
like($box, qr/\(using TLSv1\.[23] with cipher/, 'Received names the TLS cipher');
like($box, qr/^Message-ID: <\w+\.\w+\@localhost>\r?$/m, 'Message-ID added');
like($box, qr/^Date: \w{3}, \d+ \w{3} \d{4} /m, 'Date added');
like($box, qr/^Message-ID: <detail\@x>\r?$/m, 'an existing Message-ID is kept');

# PLAIN with the password, on the implicit-TLS port.
my $s465 = Net::SMTP->new('localhost', Port => $sp->env('SEALPOST_SUBMISSIONS_PORT'),
    Hello => 'client.test', SSL => 1, %tls, Timeout => 30);
ok($s465, 'implicit TLS on submissions');
sub plain {
	my ($user, $pass) = @_;
	return Authen::SASL->new(mechanism => 'PLAIN',
	    callback => { user => $user, pass => $pass });
}
ok($s465->auth(plain('carol', $sp->password('carol'))), 'AUTH PLAIN') or diag $s465->message;
like(submit($s465, 'carol@sealpost.test', 'alice@sealpost.test', 'by password',
    "Message-ID: <plain\@x>\n"), qr/^250 /, 'queued');
$s465->quit;
ok($sp->wait_log(qr/delivered to=alice\@sealpost\.test/), 'delivered to alice');
like(inbox('alice'), qr/\(Authenticated sender: carol\)/, 'Received names carol');
$msg = imap_message('alice', 'by password');
ok(defined $msg, 'the PLAIN message is in alice\'s INBOX over IMAP');
like($msg // '', qr/^Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n\t\(Authenticated sender: carol\)\r\n\tby localhost \(sealpost\) with ESMTPSA id \w+\r\n/m,
    'read over IMAP, its Received header names carol and ESMTPSA');
like($msg // '', qr/^Message-ID: <plain\@x>\r$/m, 'the message as sent');
my $bad = Net::SMTP->new('localhost', Port => $sp->env('SEALPOST_SUBMISSIONS_PORT'),
    Hello => 'client.test', SSL => 1, %tls, Timeout => 30);
ok(!$bad->auth(plain('carol', 'wrong password')), 'wrong password refused');
is($bad->code, 535, 'with 535');
$bad->quit;

# Authenticated users may relay (queued, and deferred here since the
# destination's DNS fails), unlike anyone else.
$smtp = Net::SMTP->new('localhost', Port => $port, Hello => 'client.test', Timeout => 30);
$smtp->starttls(%tls);
$smtp->auth(Authen::SASL->new(mechanism => 'GSSAPI', callback => { user => 'alice' }));
like(submit($smtp, 'alice@sealpost.test', 'friend@example.com', 'outbound',
    "Message-ID: <out\@x>\n"), qr/^250 /, 'relay for an authenticated user');
$smtp->quit;
ok($sp->wait_log(qr/deferred to=friend\@example\.com .*reason="451 4\.4\.3/), 'deferred with a reason');
my ($rc, $out) = $sp->run_sealpost('queue');
like($out, qr/^-Queue ID-/m, 'sealpost queue lists it');
like($out, qr/\(451 4\.4\.3 Host or domain name lookup failed/, 'with the reason');
like($out, qr/^\s+friend\@example\.com$/m, 'and the recipient');
like($out, qr/^-- \d+ Kbytes in 1 Request\.$/m, 'Postfix trailer');

done_testing;
