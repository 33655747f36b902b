# The queue manager records the outcomes of the attempts that end in one
# loop round together (one group commit): several LMTP deliveries whose
# last replies arrive at once are each recorded, each queue file removed
# exactly once, and none of them is delivered again after a restart.
# With the default lmtp_destination_concurrency_limit (64), more than the
# old four messages are handed to lmtpd at once.
use strict;
use warnings;
use Test::More;
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Sealpost::Test;
use Sealpost::Wire;

$SIG{PIPE} = "IGNORE";
my $n = 6;
# Without de-duplication every outcome is synced: the local deliveries
# here go through the group commit (with it, they skip the sync).
my $sp = Sealpost::Test->new(set => {
	lmtp_connection_idle_timeout => '300s',
	lmtp_dedup_window => '0',
});
my $path = $sp->env('SEALPOST_LMTP_SOCKET');

# A socket of ours in lmtpd's place (qmgr connects by path).
unlink $path or die "unlink $path: $!";
my $listen = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path,
    Listen => 16) or die "listen $path: $!";
chmod 0777, $path;

sub read_until {
	my ($c, $re) = @_;
	my $sel = IO::Select->new($c->{sock});
	while ($c->{buf} !~ $re) {
		$sel->can_read(30) or die "timeout waiting for $re; have: $c->{buf}";
		my $got = sysread($c->{sock}, my $chunk, 65536);
		die "eof waiting for $re; have: $c->{buf}" unless $got;
		$c->{buf} .= $chunk;
	}
}

sub submit {
	my ($subject) = @_;
	my $s = Sealpost::Wire->new(port => $sp->env('SEALPOST_SMTP_PORT'));
	$s->read_reply;
	$s->cmd('EHLO client.example');
	$s->cmd('MAIL FROM:<sender@example.org>');
	$s->cmd('RCPT TO:<alice@sealpost.test>');
	$s->cmd('DATA');
	$s->send_raw("Subject: $subject\r\nMessage-ID: <$subject\@example.org>\r\n\r\nbody\r\n.\r\n");
	my ($qid) = $s->read_reply =~ /queued as (\w+)/;
	$s->cmd('QUIT');
	return $qid;
}

# Each message on its own connection, held at the end of its data: all
# of them at once, within the default limit.
my (@qids, @conns);
for my $i (1 .. $n) {
	push @qids, submit("group-$i");
	ok(IO::Select->new($listen)->can_read(30),
	    "message $i: a connection while the others are held") or last;
	my $c = { sock => scalar $listen->accept, buf => '' };
	syswrite($c->{sock}, "220 fake LMTP\r\n");
	read_until($c, qr/^LHLO .*\r\n/m);
	$c->{buf} = '';
	syswrite($c->{sock}, "250-fake\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n");
	read_until($c, qr/^DATA\r\n/m);
	syswrite($c->{sock}, "250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go on\r\n");
	read_until($c, qr/\r\n\.\r\n\z/);
	push @conns, $c;
}
is(scalar(grep { defined } @qids), $n, "$n messages queued");

# qmgr stopped while every last reply is written, so that one wake-up
# finds them all and the attempts end in the same loop round.
my ($qmgr) = $sp->log_text =~ /qmgr\[(\d+)\]: queue_active/;
ok($qmgr && kill('STOP', $qmgr), 'qmgr stopped');
syswrite($_->{sock}, "250 2.0.0 stored\r\n") for @conns;
ok(kill('CONT', $qmgr), 'qmgr continued');

for my $qid (@qids) {
	ok($sp->wait_log(qr/queue_removed .*qid=$qid/), "$qid removed");
}
my $log = $sp->log_text;
for my $qid (@qids) {
	my $delivered = () = $log =~ /: delivered .*qid=$qid|qid=$qid.*: delivered /g;
	my $removed = () = $log =~ /queue_removed [^\n]*qid=$qid/g;
	is($delivered, 1, "$qid: delivered once");
	is($removed, 1, "$qid: removed once");
	ok(!-e "$_/$qid", "$qid: no file in " . ($_ =~ m{([^/]+)$})[0])
	    for map { $sp->dir . "/state/queue/$_" } qw(incoming active deferred);
}

# After a restart nothing comes back: no attempt, no second delivery.
close $_->{sock} for @conns;
$sp->stop;
my $mark = $sp->log_size;
$sp->restart;
ok($sp->wait_log(qr/qmgr\[\d+\]: qmgr_started|qmgr\[\d+\]: \w+_started/, from => $mark),
    'qmgr running again');
$sp->crash_queue_drained_ok(10);
my $after = substr($sp->log_text, $mark);
for my $qid (@qids) {
	unlike($after, qr/qid=$qid/, "$qid: not seen again after the restart");
}

done_testing;
