# The relay's happy path, between two real instances: the sender looks up
# the MX records of sealpost.test on a loopback DNS server, skips the
# preferred MX that refuses connections, speaks STARTTLS with a verified
# certificate (smtp_tls_policy verify) to the receiver's smtpd, passes
# DSN parameters on, and the message lands in alice's INBOX there.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::DNS;

my $rx = Sealpost::Test->new;
my $dns = Sealpost::DNS->new(records => [
	# 127.0.0.2 listens on nothing: connection refused.
	[ 'sealpost.test', 'MX', 10, 'mx1.sealpost.test' ],
	[ 'mx1.sealpost.test', 'A', '127.0.0.2' ],
	[ 'sealpost.test', 'MX', 20, 'localhost' ],
	[ 'localhost', 'A', '127.0.0.1' ],
]);
my $tx = Sealpost::Test->new(set => {
	local_domains => 'sender.test',
	dns_servers => $dns->server,
	smtp_port => $rx->env('SEALPOST_SMTP_PORT'),
	smtp_tls_ca_file => $rx->dir . '/tls/ca.pem',
	smtp_tls_policy => 'sealpost.test:verify',
});

sub sendmail {
	my ($stdin, @args) = @_;
	local $ENV{SEALPOST_CONFIG} = $tx->config_path;
	return Sealpost::Test::run_cmd($tx->bin('sendmail'), @args, { stdin => $stdin });
}

my ($rc, $out, $err) = sendmail("Subject: over the relay\nMessage-ID: <r1\@sender.test>\n\n.dot line\nHello Alice.\n",
    '-f', 'carol@sender.test', 'alice@sealpost.test');
is($rc, 0, 'sendmail accepted it') or diag $err;
my $line = $tx->wait_log(qr/delivered to=alice\@sealpost\.test .*relay=localhost\[127\.0\.0\.1\]/);
ok($line, 'relayed through the second MX') or diag $tx->log_text;
my ($qid) = ($line // '') =~ /qid=(\w+)/;
ok($tx->wait_log(qr/relay_attempt relay=mx1\.sealpost\.test\[127\.0\.0\.2\]:\d+ reason="connect to .*refused/),
    'the preferred MX refused and was skipped');
ok($tx->wait_log(qr/smtp_tls relay=localhost\[127\.0\.0\.1\]:\d+ tls="TLSv1\.[23] \S+ verified"/),
    'STARTTLS with a verified certificate');
ok($tx->wait_log(qr/queue_removed .*qid=$qid/), 'removed from the sender\'s queue');
ok($rx->wait_log(qr/delivered to=alice\@sealpost\.test .*relay=lmtp/), 'the receiver delivered it');
my ($r2, $box) = $rx->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
like($box, qr/^Subject: over the relay\r?$/m, 'in alice\'s INBOX');
like($box, qr/^\.dot line\r?$/m, 'dot-stuffing undone once');
like($box, qr/^Received: from localhost .*\r?\n\s.*with ESMTPS/m, 'Received says ESMTPS')
    or diag $box;

my @story = grep { /qid=$qid/ } split /\n/, $tx->log_text;
ok((grep { /queue_active/ } @story) && (grep { /delivered/ } @story), 'one queue ID tells the story');
done_testing;
