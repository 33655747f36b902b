# smtpd's group commit: sessions that end their messages in the same loop
# round share one commit (their files synced off the loop).  Each still
# gets its own 250 with its own queue ID, each message is delivered once,
# and a session that goes away while its group is being committed does
# not hold up or break the others.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

$SIG{PIPE} = "IGNORE";
my $n = 6;
my $sp = Sealpost::Test->new;
my $port = $sp->env('SEALPOST_SMTP_PORT');

# Every session up to the end of its data, less the final dot.
my @s;
for my $i (1 .. $n) {
	my $c = Sealpost::Wire->new(port => $port);
	$c->read_reply;
	$c->cmd('EHLO client.example');
	$c->cmd('MAIL FROM:<sender@example.org>');
	$c->cmd('RCPT TO:<alice@sealpost.test>');
	like($c->cmd('DATA'), qr/^354/, "session $i: DATA");
	$c->send_raw("Subject: group $i\r\nMessage-ID: <group-$i\@example.org>\r\n\r\nbody $i\r\n");
	push @s, $c;
}

# smtpd's processes stopped while every final dot is written, so that
# each wakes to all of its sessions' dots at once; one client leaves at
# once without waiting for its reply.
my @pids = $sp->log_text =~ /smtpd\[(\d+)\]: smtpd_started/g;
ok(@pids && kill('STOP', @pids) == @pids, 'smtpd stopped');
$_->send_raw(".\r\n") for @s;
my $gone = pop @s;
$gone->close;
ok(kill('CONT', @pids) == @pids, 'smtpd continued');

my %qids;
for my $i (1 .. $#s + 1) {
	my $reply = $s[$i - 1]->read_reply;
	like($reply, qr/^250 2\.0\.0 Ok: queued as (\w+)/, "session $i: 250 after the group commit");
	$qids{$1} = $i if $reply =~ /queued as (\w+)/;
	$s[$i - 1]->cmd('QUIT');
}
is(scalar keys %qids, $n - 1, 'each message its own queue ID');

for my $qid (sort keys %qids) {
	ok($sp->wait_log(qr/queue_removed .*qid=$qid/), "$qid delivered and removed");
}
# The one whose client left: queued (its 250 was lost with the client),
# or not queued at all; either way at most once.
my $log = $sp->log_text;
my $sixth = () = $log =~ /smtp_queued [^\n]*message_id=<?group-$n\@example\.org>?/g;
ok($sixth <= 1, 'the departed session\'s message queued at most once');
my %delivered;
$delivered{$1}++ while $log =~ /: delivered [^\n]*qid=(\w+)/g;
is($delivered{$_} // 0, 1, "$_ delivered once") for sort keys %qids;
ok(!grep({ $_ > 1 } values %delivered), 'no message delivered twice');
unlike($log, qr/smtpd\[\d+\]: (?:panic|fatal)/, 'smtpd neither panicked nor died');
unlike($log, qr/worker_died service=smtpd/, 'no smtpd process died');

done_testing;
