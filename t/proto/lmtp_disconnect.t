# lmtpd: a client that goes away in the middle of DATA (a queue manager
# killed while it sends a message) ends only its own session.  The worker
# goes on serving: the next client's delivery is taken by the same one
# process, and nothing died.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

my $sp = Sealpost::Test->new(set => { lmtp_workers => 1 });
my $socket = $sp->env('SEALPOST_LMTP_SOCKET');

sub start_data {
	my $c = Sealpost::Wire->new(path => $socket);
	$c->read_reply;
	$c->cmd('LHLO client.test');
	$c->cmd('MAIL FROM:<sender@example.org>');
	$c->cmd('RCPT TO:<alice@sealpost.test>');
	is($c->cmd('DATA'), '354 Go ahead, end with <CRLF>.<CRLF>', 'DATA');
	return $c;
}

my $c = start_data();
$c->send_raw("Subject: cut off\r\n\r\nhalf a mess");
$c->close;
ok($sp->wait_log(qr/disconnected reason="in DATA"/), 'lmtpd saw the client go');

$c = start_data();
$c->send_raw("Subject: whole\r\nMessage-ID: <whole\@example.org>\r\n\r\nall of it\r\n.\r\n");
like($c->read_reply, qr/^250 2\.0\.0 Ok: delivered to INBOX/, 'the next delivery works');
$c->cmd('QUIT');
unlike($sp->log_text, qr/worker_died service=lmtp/, 'and lmtpd did not die on the way');
my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
unlike($out, qr/cut off/, 'the cut-off message was not delivered');
like($out, qr/^Subject: whole\r?$/m, 'the whole one was');
done_testing;
