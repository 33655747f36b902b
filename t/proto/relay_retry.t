# The relay against scripted servers that fail on purpose: greylisting,
# a 421 greeting (the destination is suspended, then retried), one
# recipient refused and one taken in the same message (a bounce with
# Remote-MTA and Diagnostic-Code), a connection dropped in the middle of
# DATA (delivered exactly once on retry), a restart of the instance
# between attempts, and what a server lacks: SIZE, SMTPUTF8, 8BITMIME
# (HELO only), DSN ("relayed" notice) and STARTTLS when it is required.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::DNS;
use Sealpost::SMTPServer;

my %srv;
my $port;
# One scripted server per domain, each on its own loopback address and
# the same port (smtp_port is one setting).
my @plan = (
	[ 'greylist.test', '127.0.0.1', ehlo => ['PIPELINING', 'ENHANCEDSTATUSCODES'],
	  # The first try of a triplet is refused, whatever the connection.
	  on => { rcpt => sub { $_[0]{grey}++ ? '' : '450 4.2.0 Greylisted, try again' } } ],
	[ 'mixed.test', '127.0.0.3', ehlo => ['PIPELINING'],
	  on => { rcpt => sub { $_[1] =~ /^bad@/ ? '550 5.1.1 User unknown' : '' } } ],
	[ 'drop.test', '127.0.0.4', ehlo => [],
	  drop_in_data => sub { $_[0]{conn} == 1 } ],
	[ 'greet.test', '127.0.0.5', ehlo => [],
	  on => { greeting => sub { $_[0]{conn} == 1 ? '421 4.3.2 Too busy' : '' } } ],
	[ 'nodsn.test', '127.0.0.6', ehlo => ['8BITMIME'] ],
	[ 'dsn.test', '127.0.0.7', ehlo => ['DSN', 'SIZE 100000', 'SMTPUTF8', '8BITMIME'] ],
	[ 'small.test', '127.0.0.8', ehlo => ['SIZE 100'] ],
	[ 'old.test', '127.0.0.9', no_ehlo => 1 ],
	[ 'restart.test', '127.0.0.10', ehlo => [],
	  on => { rcpt => sub { $_[0]{later}++ ? '' : '451 4.3.0 Try later' } } ],
	[ 'tlsreq.test', '127.0.0.11', ehlo => ['PIPELINING'] ],
);
# One port on every address (the relay connects to port `relay_port` of
# each MX).  The first server picks it; when another program holds it on
# one of the other addresses (an outgoing connection's local port, say),
# all start again on a new one.
for my $attempt (1 .. 5) {
	%srv = ();
	undef $port;
	eval {
		for my $p (@plan) {
			my ($dom, $addr, %opt) = @$p;
			$srv{$dom} = Sealpost::SMTPServer->new(address => $addr,
			    port => $port, %opt);
			$port //= $srv{$dom}->port;
		}
		1;
	} and last;
	die $@ if $@ !~ /^listen: / || $attempt == 5;
	$_->stop for values %srv;
}
my $dns = Sealpost::DNS->new(records => [ map {
	([ $_->[0], 'MX', 10, "mx.$_->[0]" ], [ "mx.$_->[0]", 'A', $_->[1] ]) } @plan ]);
my $tx = Sealpost::Test->new(set => {
	local_domains => 'sender.test',
	dns_servers => $dns->server,
	smtp_port => $port,
	minimal_backoff_time => '1s',
	maximal_backoff_time => '2s',
	smtp_tls_policy => 'tlsreq.test:encrypt',
});

sub msg { "Subject: $_[0]\r\nMessage-ID: <$_[0]\@sender.test>\r\n\r\nbody of $_[0]\r\n" }
sub inbox { (my ($rc, $out) = $tx->run_sealpost('mailbox', 'show', $_[0], 'INBOX'))[1] }

# Greylisting: 450 at RCPT, then taken on a later attempt.
my $id = $tx->inject(from => 'alice@localhost', rcpts => ['u@greylist.test'], message => msg('grey'));
ok($tx->wait_log(qr/deferred to=u\@greylist\.test .*450 4\.2\.0 Greylisted.*qid=$id/), 'greylisted: deferred');
ok($tx->wait_log(qr/delivered to=u\@greylist\.test .*qid=$id/), 'then delivered');
is(scalar(grep { /Subject: grey/ } $srv{'greylist.test'}->messages), 1, 'exactly once');

# 5xx for one recipient, 250 for the other.
$id = $tx->inject(from => 'alice@localhost', rcpts => ['bad@mixed.test', 'good@mixed.test'],
    message => msg('mixed'));
ok($tx->wait_log(qr/bounced to=bad\@mixed\.test .*550 5\.1\.1.*qid=$id/), 'bad recipient bounced');
ok($tx->wait_log(qr/delivered to=good\@mixed\.test .*qid=$id/), 'good recipient delivered');
ok($tx->wait_log(qr/bounce_queued origin=$id/), 'one bounce');
ok($tx->wait_log(qr/delivered to=alice\@localhost .*relay=lmtp/), 'bounce delivered to the sender');
my $box = inbox('alice');
like($box, qr/^Final-Recipient: rfc822; bad\@mixed\.test\r?$/m, 'Final-Recipient');
like($box, qr/^Action: failed\r?$/m, 'Action: failed');
like($box, qr/^Status: 5\.1\.1\r?$/m, 'Status from the remote reply');
like($box, qr/^Remote-MTA: dns; mx\.mixed\.test\r?$/m, 'Remote-MTA');
like($box, qr/^Diagnostic-Code: smtp; 550 5\.1\.1 User unknown\r?$/m, 'Diagnostic-Code');
unlike($box, qr/Final-Recipient: rfc822; good\@/, 'the delivered one is not in it');

# Dropped in the middle of DATA: stays queued, delivered once later.
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@drop.test'], message => msg('drop') . ("x" x 100) . "\r\n");
ok($tx->wait_log(qr/deferred to=u\@drop\.test .*lost connection.*qid=$id/), 'drop: deferred');
ok($tx->wait_log(qr/delivered to=u\@drop\.test .*qid=$id/), 'drop: delivered on retry');
ok($tx->wait_log(qr/queue_removed .*qid=$id/), 'and removed');
is(scalar(grep { /Subject: drop/ } $srv{'drop.test'}->messages), 1, 'exactly once');

# 421 greeting: every host failed, the destination rests, then works.
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@greet.test'], message => msg('greet'));
ok($tx->wait_log(qr/relay_suspended relay=greet\.test .*421 4\.3\.2/), 'destination suspended');
ok($tx->wait_log(qr/delivered to=u\@greet\.test .*qid=$id/), 'delivered after the pause');

# DSN: passed on to a server that offers it, "relayed" notice otherwise.
$id = $tx->inject(from => 'alice@localhost', envid => 'E42', ret => 'hdrs',
    rcpts => [{ to => 'u@dsn.test', notify => 'SUCCESS,FAILURE', orcpt => 'rfc822;orig@dsn.test' }],
    message => msg('dsn'));
ok($tx->wait_log(qr/delivered to=u\@dsn\.test .*qid=$id/), 'delivered to a DSN server');
my $t = $srv{'dsn.test'}->transcript;
like($t, qr/C: MAIL FROM:<alice\@localhost> SIZE=\d+ RET=HDRS ENVID=E42/, 'MAIL carries SIZE, RET, ENVID');
like($t, qr/C: RCPT TO:<u\@dsn\.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig\@dsn\.test/, 'RCPT carries NOTIFY and ORCPT');
$id = $tx->inject(from => 'alice@localhost', rcpts => [{ to => 'u@nodsn.test', notify => 'SUCCESS' }],
    message => msg('nodsn'));
ok($tx->wait_log(qr/success_notice_queued origin=$id/), '"relayed" notice for a server without DSN');
unlike($srv{'nodsn.test'}->transcript, qr/NOTIFY=/, 'no NOTIFY to a server that did not offer DSN');
ok($tx->wait_log(qr/Successful Mail|delivered to=alice\@localhost .*relay=lmtp/), 'notice delivered');

# What a server lacks.
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@small.test'], message => msg('big') . ("y" x 300) . "\r\n");
ok($tx->wait_log(qr/bounced to=u\@small\.test .*552 5\.3\.4.*qid=$id/), 'over the SIZE limit: 552 5.3.4');
unlike($srv{'small.test'}->transcript, qr/MAIL FROM/, 'without sending MAIL');
$id = $tx->inject(from => 'alice@localhost', smtputf8 => 1, rcpts => ['u@nodsn.test'], message => msg('utf8'));
ok($tx->wait_log(qr/bounced to=u\@nodsn\.test .*550 5\.6\.7 SMTPUTF8.*qid=$id/), 'SMTPUTF8 needed: 5.6.7');
$id = $tx->inject(from => 'alice@localhost', body => '8bitmime', rcpts => ['u@old.test'], message => msg('eight'));
ok($tx->wait_log(qr/bounced to=u\@old\.test .*554 5\.6\.3 8BITMIME.*qid=$id/), '8BITMIME needed: 5.6.3');
like($srv{'old.test'}->transcript, qr/C: EHLO .*\n.*S: 502.*\n.*C: HELO /, 'EHLO refused, HELO used');
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@old.test'], message => msg('seven'));
ok($tx->wait_log(qr/delivered to=u\@old\.test .*qid=$id/), 'plain mail over HELO');

# TLS required, not offered: deferred, never sent in the clear.
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@tlsreq.test'], message => msg('tlsreq'));
ok($tx->wait_log(qr/deferred to=u\@tlsreq\.test .*TLS is required, but was not offered.*qid=$id/), 'required TLS missing: deferred');
unlike($srv{'tlsreq.test'}->transcript, qr/MAIL FROM/, 'no MAIL in the clear');

# A restart between attempts loses and duplicates nothing.
$id = $tx->inject(from => 'alice@localhost', rcpts => ['u@restart.test'], message => msg('restart'));
ok($tx->wait_log(qr/deferred to=u\@restart\.test .*451 4\.3\.0.*qid=$id/), 'deferred before the restart');
$tx->stop;
ok(-e $tx->dir . "/state/queue/deferred/$id" || -e $tx->dir . "/state/queue/active/$id", 'still queued while stopped');
my $from = $tx->log_size;
$tx->start;
ok($tx->wait_log(qr/delivered to=u\@restart\.test .*qid=$id/, from => $from), 'delivered after the restart');
ok($tx->wait_log(qr/queue_removed .*qid=$id/, from => $from), 'and removed');
is(scalar(grep { /Subject: restart/ } $srv{'restart.test'}->messages), 1, 'exactly once');
done_testing;
