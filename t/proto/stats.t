# sealpost stats: queue sizes by folder, accepted/delivered/deferred/
# bounced counts for the last hour and day with the top deferral reasons
# (from the log), sessions open per service, as text and JSON; and the
# Prometheus endpoint of stats_listen, fetched with curl: /metrics in the
# text exposition format, 404 for anything else.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use IO::Socket::INET;
use Sealpost::Test;
use Sealpost::DNS;
use Sealpost::SMTPServer;
use Sealpost::Wire;

my $srv = Sealpost::SMTPServer->new(ehlo => ['PIPELINING'],
	on => { rcpt => sub { $_[1] =~ /^bad@/ ? '550 5.1.1 User unknown' :
			      $_[1] =~ /^slow@/ ? '451 4.7.1 Greylisted' : '' } });
my $dns = Sealpost::DNS->new(records => [ [ 'relay.test', 'MX', 10, 'mx.relay.test' ],
	[ 'mx.relay.test', 'A', '127.0.0.1' ] ]);
# A free loopback port for the endpoint.
my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
    or die "probe: $!";
my $mport = $probe->sockport;
close $probe;
my $t = Sealpost::Test->new(set => { dns_servers => $dns->server, smtp_port => $srv->port,
	stats_listen => "127.0.0.1:$mport" });
ok($t->wait_log(qr/stats_listening address=127\.0\.0\.1:$mport/, timeout => 120), 'the endpoint listens');

# Traffic: one message over SMTP delivered locally, one relayed, one
# deferred, one bounced.
my $c = Sealpost::Wire->new(host => '127.0.0.1', port => $t->env('SEALPOST_SMTP_PORT'));
$c->read_reply;
$c->cmd('EHLO client.example');
$c->cmd('MAIL FROM:<sender@example.org>');
$c->cmd('RCPT TO:<alice@sealpost.test>');
$c->cmd('DATA');
$c->send_raw("Subject: counted\r\n\r\nHello.\r\n.\r\n");
my ($local) = $c->read_reply =~ /queued as ([0-9A-Z]{15})/;
ok($t->wait_log(qr/queue_removed .*qid=$local/, timeout => 120), 'local delivery');
my $ok = $t->inject(from => 'alice@localhost', rcpts => ['good@relay.test']);
ok($t->wait_log(qr/queue_removed .*qid=$ok/, timeout => 120), 'relayed');
my $slow = $t->inject(from => 'alice@localhost', rcpts => ['slow@relay.test']);
ok($t->wait_log(qr/queue_deferred .*qid=$slow/, timeout => 120), 'deferred');
my $bad = $t->inject(from => 'alice@localhost', rcpts => ['bad@relay.test']);
ok($t->wait_log(qr/queue_removed .*qid=$bad/, timeout => 120), 'bounced');
my ($bounce) = $t->wait_log(qr/bounce_queued origin=$bad/, timeout => 120) =~ /qid=(\S+)/;
ok($t->wait_log(qr/queue_removed .*qid=$bounce/, timeout => 120), 'the bounce delivered');
$t->run_sealpost('queue', 'hold', $slow);

# The SMTP session $c is still open: one session of smtp.
my ($rc, $out) = $t->run_sealpost('stats', '--json');
is($rc, 0, 'stats --json');
my $s = decode_json($out);
is($s->{queue}{hold}, 1, 'one message on hold');
is($s->{queue}{deferred}, 0, 'none deferred (it is held)');
is($s->{queue}{incoming}, 0, 'none incoming');
is($s->{last_hour}{accepted}, 1, 'accepted in the last hour (SMTP)');
is($s->{last_hour}{delivered}, 3, 'delivered: local, relayed, the bounce');
is($s->{last_hour}{deferred}, 1, 'deferred');
is($s->{last_hour}{bounced}, 1, 'bounced');
is($s->{last_day}{delivered}, 3, 'the day counts them too');
is_deeply($s->{top_deferral_reasons}, [ { reason => '451 4.7.1 Greylisted', count => 1 } ],
    'the top deferral reason');
is($s->{sessions}{smtp}, 1, 'one open SMTP session');
ok(exists $s->{sessions}{imap}, 'every configured service is counted');
is($s->{since_qmgr_start}{held}, 1, 'qmgr counted the hold');

($rc, $out) = $t->run_sealpost('stats');
is($rc, 0, 'stats as text');
like($out, qr/^queue:.*\bhold 1\b/m, 'text: the queue');
like($out, qr/^delivered\s+3\s+3$/m, 'text: delivered, hour and day');
like($out, qr/^\s+1  451 4\.7\.1 Greylisted$/m, 'text: the reason');
like($out, qr/^sessions:.*\bsmtp 1\b/m, 'text: sessions');

# The Prometheus endpoint.
my $metrics = `curl -sS --max-time 10 http://127.0.0.1:$mport/metrics`;
is($? >> 8, 0, 'curl /metrics');
my %m;
for my $line (split /\n/, $metrics) {
	next if $line =~ /^# (HELP|TYPE) \w+ /;
	like($line, qr/^[a-z_]+(\{[a-z_]+="[a-z0-9_]+"\})? \d+$/, "a sample line: $line");
	my ($name, $value) = $line =~ /^(\S+) (\d+)$/;
	$m{$name} = $value;
}
is($m{'sealpost_queue_messages{queue="hold"}'}, 1, 'metrics: hold gauge');
is($m{'sealpost_queue_messages{queue="deferred"}'}, 0, 'metrics: deferred gauge');
is($m{sealpost_recipients_delivered_total}, 3, 'metrics: delivered counter');
is($m{sealpost_recipients_bounced_total}, 1, 'metrics: bounced counter');
is($m{sealpost_recipients_deferred_total}, 1, 'metrics: deferred counter');
is($m{'sealpost_sessions{service="smtp"}'}, 1, 'metrics: sessions');
like($metrics, qr/^# TYPE sealpost_recipients_delivered_total counter$/m, 'TYPE lines');
my $head = `curl -sS --max-time 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:$mport/other`;
is($head, '404', 'another path: 404');
$head = `curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:$mport/metrics`;
is($head, '404', 'another method: 404');
$c->cmd('QUIT');

done_testing;
