# sealpost trace: the story of a locally delivered message (SMTP session,
# Message-ID, LMTP delivery with mailbox and UID), of a relayed one
# (remote host and reply) and of a bounced one (the bounce's own queue ID
# and its delivery), found by queue ID, Message-ID or address, as text
# and as JSON; and one outcome line per recipient and attempt.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Sealpost::Test;
use Sealpost::DNS;
use Sealpost::SMTPServer;
use Sealpost::Wire;

my $srv = Sealpost::SMTPServer->new(ehlo => ['PIPELINING'],
	on => { rcpt => sub { $_[1] =~ /^bad@/ ? '550 5.1.1 User unknown' :
			      $_[1] =~ /^later@/ && !$_[0]{later}++ ? '451 4.3.0 Later' : '' } });
my $dns = Sealpost::DNS->new(records => [ [ 'relay.test', 'MX', 10, 'mx.relay.test' ],
	[ 'mx.relay.test', 'A', '127.0.0.1' ] ]);
my $t = Sealpost::Test->new(set => { dns_servers => $dns->server, smtp_port => $srv->port,
	minimal_backoff_time => '1s', maximal_backoff_time => '1s' });
sub trace { my ($rc, $out, $err) = $t->run_sealpost('trace', @_); return ($rc, $out, $err) }

# Local delivery through the MX port.
my $c = Sealpost::Wire->new(host => '127.0.0.1', port => $t->env('SEALPOST_SMTP_PORT'));
$c->read_reply;
$c->cmd('EHLO client.example');
$c->cmd('MAIL FROM:<sender@example.org>');
$c->cmd('RCPT TO:<alice@sealpost.test>');
$c->cmd('DATA');
$c->send_raw("Subject: traced\r\nMessage-ID: <trace-local\@example.org>\r\n\r\nHello.\r\n.\r\n");
my ($local) = $c->read_reply =~ /queued as ([0-9A-Z]{15})/;
ok($local, 'queued over SMTP');
$c->cmd('QUIT');
ok($t->wait_log(qr/queue_removed .*qid=$local/, timeout => 120), 'delivered and removed');

my ($rc, $out, $err) = trace($local);
is($rc, 0, 'trace by queue ID');
like($out, qr/smtpd\s+connection from 127\.0\.0\.1 on smtp$/m, 'the SMTP client');
like($out, qr/^\S+\s+$local\s+smtpd\s+MAIL FROM:<sender\@example\.org>$/m, 'the sender');
like($out, qr/accepted: \d+ bytes, 1 recipient\(s\), Message-ID <trace-local\@example\.org>$/m,
    'acceptance with size and Message-ID');
like($out, qr/$local\s+qmgr\s+delivery attempt/m, 'the attempt');
like($out, qr/delivered to <alice\@sealpost\.test> via lmtp: 250 .* into mailbox INBOX, uid 1$/m,
    'the mailbox and UID');
like($out, qr/done: removed from the queue/m, 'removed');
like($out, qr/^now: $local is not in the queue$/m, 'and no longer queued');
my @times = $out =~ /^(\S+)  /mg;
is_deeply(\@times, [ sort @times ], 'a timeline, in order');

($rc, my $by_msgid) = trace('<trace-local@example.org>');
is($rc, 0, 'trace by Message-ID');
like($by_msgid, qr/delivered to <alice\@sealpost\.test>/, 'finds the same story');

($rc, $out) = trace('--json', $local);
is($rc, 0, 'trace --json');
my $j = decode_json($out);
is($j->{query}, $local, 'json: the query');
my @events = map { $_->{event} } @{ $j->{events} };
ok((grep { $_ eq 'smtp_connect' } @events), 'json: the connection');
ok((grep { $_ eq 'smtp_queued' } @events), 'json: acceptance');
my ($del) = grep { $_->{event} eq 'delivered' && $_->{program} eq 'qmgr' } @{ $j->{events} };
is($del->{fields}{to}, 'alice@sealpost.test', 'json: delivered, with its fields');
is($del->{fields}{qid}, $local, 'json: with the queue ID');
is_deeply($j->{queue}, [ { queue_id => $local, queue => undef } ], 'json: not in the queue');

# Relayed, after one deferral.
my $relayed = $t->inject(from => 'alice@localhost', rcpts => ['later@relay.test'],
    message => "Subject: relayed\r\nMessage-ID: <trace-relay\@localhost>\r\n\r\nx\r\n");
ok($t->wait_log(qr/queue_removed .*qid=$relayed/, timeout => 120), 'relayed');
($rc, $out) = trace('later@relay.test');
is($rc, 0, 'trace by address');
like($out, qr/$relayed\s+qmgr\s+deferred <later\@relay\.test> via mx\.relay\.test\[127\.0\.0\.1\]:\d+: 451 4\.3\.0 Later$/m,
    'the deferral with host and reply');
like($out, qr/kept in the queue; next attempt in \d+s/, 'the retry');
like($out, qr/$relayed\s+qmgr\s+delivered to <later\@relay\.test> via mx\.relay\.test\[127\.0\.0\.1\]:\d+: 250 2\.0\.0 Ok: queued$/m,
    'the remote host and its reply');
my $log = $t->log_text;
is(scalar(() = $log =~ /qmgr\[\d+\]: deferred to=later\@relay\.test .*qid=$relayed/g), 1, 'one line for the deferral');
is(scalar(() = $log =~ /qmgr\[\d+\]: delivered to=later\@relay\.test .*qid=$relayed/g), 1, 'one line for the delivery');
is(scalar(() = $log =~ /queue_active .*qid=$relayed/g), 2, 'two attempts');

# Bounced: the bounce's queue ID, and its own delivery.
my $bounced = $t->inject(from => 'alice@localhost', rcpts => ['bad@relay.test'],
    message => "Subject: bounced\r\nMessage-ID: <trace-bounce\@localhost>\r\n\r\nx\r\n");
ok($t->wait_log(qr/queue_removed .*qid=$bounced/, timeout => 120), 'bounced and removed');
my ($bounce) = $t->wait_log(qr/bounce_queued origin=$bounced/, timeout => 120) =~ /qid=([0-9A-Z]{15})/;
ok($bounce, 'the bounce has its own queue ID');
ok($t->wait_log(qr/queue_removed .*qid=$bounce/, timeout => 120), 'the bounce is delivered');
($rc, $out) = trace($bounced);
is($rc, 0, 'trace of the bounced message');
like($out, qr/failed <bad\@relay\.test> via mx\.relay\.test\S+: 550 5\.1\.1 User unknown$/m, 'the failure');
like($out, qr/bounce $bounce queued to <alice\@localhost> about $bounced$/m, 'the bounce, by queue ID');
like($out, qr/^\S+\s+$bounce\s+qmgr\s+delivered to <alice\@localhost> via lmtp: .* uid \d+$/m,
    'and where the bounce went');
is(scalar(() = $t->log_text =~ /qmgr\[\d+\]: bounced to=bad\@relay\.test .*qid=$bounced/g), 1,
    'one line for the bounce');

# Every outcome line is one per recipient per attempt: as many outcome
# lines in the log as status records the attempts wrote.
my %outcomes;
my $text = $t->log_text;
$outcomes{$2}++ while $text =~ /qmgr\[\d+\]: (delivered|deferred|bounced) .*qid=([0-9A-Z]{15})/g;
is($outcomes{$local}, 1, 'local: one outcome line');
is($outcomes{$relayed}, 2, 'relayed: deferral and delivery');
is($outcomes{$bounced}, 1, 'bounced: one outcome line');

($rc, undef, $err) = trace('nobody@nowhere.test');
is($rc, 1, 'nothing found: status 1');
like($err, qr/nothing in the log about nobody\@nowhere\.test/, 'and says so');

# sendmail(1) without a Message-ID: the one added is logged and found.
{
	local $ENV{SEALPOST_CONFIG} = $t->config_path;
	my $from = $t->log_size;
	my ($src, undef, $serr) = Sealpost::Test::run_cmd($t->bin('sendmail'), '-i',
	    'bob@sealpost.test', { stdin => "Subject: picked up\n\nx\n" });
	is($src, 0, 'sendmail') or diag $serr;
	my ($msgid, $picked) = ($t->wait_log(qr/pickup .*message_id=\S+ .*qid=/, from => $from,
	    timeout => 120) // '') =~ /message_id=(\S+) .*qid=(\S+)/;
	ok($msgid && $msgid =~ /\@/, 'pickup logs the Message-ID it added');
	ok($t->wait_log(qr/queue_removed .*qid=$picked/, timeout => 120), 'delivered');
	($rc, $out) = trace("<$msgid>");
	is($rc, 0, 'trace by the added Message-ID');
	like($out, qr/^\S+\s+$picked\s+qmgr\s+accepted from sendmail: 1 recipient\(s\), Message-ID <\Q$msgid\E>$/m,
	    'the acceptance');
	like($out, qr/delivered to <bob\@sealpost\.test> via lmtp: .* uid \d+$/m, 'and the delivery');
}

done_testing;
