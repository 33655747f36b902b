# Routing by DNS: a null MX (RFC 7505) and NXDOMAIN bounce at once; an
# implicit MX (address records only) and an MX behind a CNAME deliver; a
# SERVFAIL defers, a delay notice goes out after delay_warning_time, and
# when maximal_queue_lifetime passes the sender gets one bounce with the
# right codes.  A relayhost in brackets skips MX lookups altogether.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::DNS;
use Sealpost::SMTPServer;

my $srv = Sealpost::SMTPServer->new(ehlo => ['PIPELINING']);
my $dns = Sealpost::DNS->new(records => [
	[ 'nullmx.test', 'MX', 0, '.' ],
	[ 'implicit.test', 'A', '127.0.0.1' ],
	[ 'alias.test', 'CNAME', 'implicit.test' ],
	[ 'broken.test', 'SERVFAIL' ],
]);
my $tx = Sealpost::Test->new(set => {
	local_domains => 'sender.test',
	dns_servers => $dns->server,
	smtp_port => $srv->port,
	minimal_backoff_time => '1s',
	maximal_backoff_time => '1s',
	maximal_queue_lifetime => '4s',
	delay_warning_time => '1s',
});

sub msg { "Subject: $_[0]\r\nMessage-ID: <$_[0]\@sender.test>\r\n\r\nbody\r\n" }
sub inbox { (my ($rc, $out) = $tx->run_sealpost('mailbox', 'show', $_[0], 'INBOX'))[1] }

my $id = $tx->inject(from => 'alice@localhost', rcpts => ['u@nullmx.test'], message => msg('null'));
ok($tx->wait_log(qr/bounced to=u\@nullmx\.test .*556 5\.1\.10 .*qid=$id/), 'null MX: 556 5.1.10 at once');
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@nx.test'], message => msg('nx'));
ok($tx->wait_log(qr/bounced to=u\@nx\.test .*550 5\.1\.2 .*qid=$id/), 'NXDOMAIN: 550 5.1.2 at once');

$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@implicit.test'], message => msg('implicit'));
ok($tx->wait_log(qr/delivered to=u\@implicit\.test .*relay=implicit\.test\[127\.0\.0\.1\].*qid=$id/),
    'no MX: the address records (implicit MX)');
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@alias.test'], message => msg('alias'));
ok($tx->wait_log(qr/delivered to=u\@alias\.test .*relay=implicit\.test\[127\.0\.0\.1\].*qid=$id/),
    'CNAME followed');

# SERVFAIL: deferred, warned once, then bounced once at the lifetime.
$id = $tx->inject(from => 'bob@localhost', rcpts => ['u@broken.test', { to => 'v@broken.test', notify => 'FAILURE' }],
    message => msg('broken'));
ok($tx->wait_log(qr/deferred to=u\@broken\.test .*451 4\.4\.3 Host or domain name lookup failed.*qid=$id/),
    'SERVFAIL: deferred');
ok($tx->wait_log(qr/delay_notice_queued origin=$id/), 'delay notice sent');
ok($tx->wait_log(qr/bounced to=u\@broken\.test .*554 5\.4\.7 .*qid=$id/), 'expired: 5.4.7');
ok($tx->wait_log(qr/bounce_queued origin=$id/), 'bounce sent');
ok($tx->wait_log(qr/queue_removed .*qid=$id/), 'removed');
my $n = 0;
for (1 .. 300) {
	$n = () = $tx->log_text =~ /delivered to=bob\@localhost .*relay=lmtp/g;
	last if $n >= 2;
	select(undef, undef, undef, 0.1);
}
is($n, 2, 'both notices delivered to bob');
my $log = $tx->log_text;
is(scalar(() = $log =~ /delay_notice_queued origin=$id/g), 1, 'one delay notice');
is(scalar(() = $log =~ /bounce_queued origin=$id/g), 1, 'one bounce');
my $box = inbox('bob');
like($box, qr/^Subject: Delayed Mail \(still being retried\)\r?$/m, 'delay notice subject');
like($box, qr/^Action: delayed\r?\nStatus: 4\.4\.3\r?$/m, 'Action: delayed, Status 4.4.3');
like($box, qr/^Will-Retry-Until: /m, 'Will-Retry-Until');
my ($delay) = $box =~ /(Subject: Delayed.*?)(?:Subject: Undelivered|\z)/s;
unlike($delay // '', qr/Final-Recipient: rfc822; v\@broken\.test/, 'NOTIFY=FAILURE: no delay notice for v');
like($box, qr/^Subject: Undelivered Mail Returned to Sender\r?$/m, 'bounce subject');
like($box, qr/^Action: failed\r?\nStatus: 5\.4\.7\r?$/m, 'Action: failed, Status 5.4.7');
like($box, qr/^Final-Recipient: rfc822; v\@broken\.test\r?$/m, 'v is in the bounce');

# A relayhost: no MX lookup, straight to the brackets' address.
$tx->stop;
$tx->{set}{relayhost} = '[127.0.0.1]:' . $srv->port;
$tx->{set}{dns_servers} = '127.0.0.1:9';	# nothing answers there
my $from = $tx->log_size;
$tx->start;
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@nullmx.test'], message => msg('viarelay'));
ok($tx->wait_log(qr/delivered to=u\@nullmx\.test .*relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*qid=$id/, from => $from),
    'relayhost [127.0.0.1]:port, no DNS asked');
ok((grep { /Subject: viarelay/ } $srv->messages), 'the relayhost got it');
done_testing;
