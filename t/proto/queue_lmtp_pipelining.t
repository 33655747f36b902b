# The queue manager's LMTP client against a scripted LMTP server put in
# place of lmtpd's socket: when the server offers PIPELINING (RFC 2920),
# MAIL, every RCPT and DATA arrive in one write, before any reply; without
# it, one command at a time.  Either way each recipient gets the outcome
# of its own reply: delivered, bounced (5xx at RCPT) or deferred (4xx at
# RCPT, or at the end of data).
use strict;
use warnings;
use Test::More;
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Sealpost::Test;
use Sealpost::Wire;

$SIG{PIPE} = "IGNORE";
# A new connection for every message, each ended with QUIT (keeping
# connections open is queue_lmtp_reuse.t's).
my $sp = Sealpost::Test->new(set => { lmtp_connection_idle_timeout => 0 });
my $path = $sp->env('SEALPOST_LMTP_SOCKET');

# qmgr connects by path: a socket of ours at that path takes lmtpd's
# place.
sub fake_lmtpd {
	my ($at) = @_;
	unlink $at or die "unlink $at: $!";
	my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $at,
	    Listen => 5) or die "listen $at: $!";
	chmod 0777, $at;	# qmgr may run as another user
	return $l;
}
my $listen = fake_lmtpd($path);

# Reads from `c` (a hash with sock and buf) until `buf` matches `re`, with
# a deadline; returns the number of reads it took, or dies.
sub read_until {
	my ($c, $re) = @_;
	my $reads = 0;
	my $sel = IO::Select->new($c->{sock});
	while ($c->{buf} !~ $re) {
		$sel->can_read(30) or die "timeout waiting for $re; have: $c->{buf}";
		my $n = sysread($c->{sock}, my $chunk, 65536);
		die "eof waiting for $re; have: $c->{buf}" unless $n;
		$c->{buf} .= $chunk;
		$reads++;
	}
	return $reads;
}

sub take_line {
	my ($c) = @_;
	read_until($c, qr/\n/);
	$c->{buf} =~ s/^(.*?)\r\n//s or die "no CRLF line in $c->{buf}";
	return $1;
}

sub send_text { syswrite($_[0]{sock}, $_[1]) }

sub accept_client {
	IO::Select->new($listen)->can_read(30) or die "qmgr did not connect";
	my $c = { sock => scalar $listen->accept, buf => "" };
	send_text($c, "220 fake LMTP\r\n");
	like(take_line($c), qr/^LHLO /, 'LHLO');
	return $c;
}

sub submit {
	my ($subject) = @_;
	my $s = Sealpost::Wire->new(port => $sp->env('SEALPOST_SMTP_PORT'));
	$s->read_reply;
	$s->cmd('EHLO client.example');
	$s->cmd('MAIL FROM:<>');
	$s->cmd("RCPT TO:<$_\@sealpost.test>") for qw(alice bob carol admin);
	$s->cmd('DATA');
	$s->send_raw("Subject: $subject\r\nMessage-ID: <$subject\@example.org>\r\n\r\n..dot\r\n.\r\n");
	my ($qid) = $s->read_reply =~ /queued as (\w+)/;
	$s->cmd('QUIT');
	return $qid;
}

# Writes the recipients' replies and the message's, in the order of the
# commands; returns the message as received.
sub answer_rcpts_and_data {
	my ($c, $pipelined, $kept) = @_;
	my @replies = ("250 2.1.5 alice ok", "550 5.1.1 no bob here",
	    "452 4.2.2 carol is full", "250 2.1.5 admin ok");
	my @rcpts;
	for my $r (@replies) {
		my $line = take_line($c);
		push @rcpts, $line;
		ok($c->{buf} eq '', "$line: nothing sent before its reply") unless $pipelined;
		send_text($c, "$r\r\n") unless $pipelined;
	}
	is_deeply(\@rcpts, [map { "RCPT TO:<$_\@sealpost.test>" } qw(alice bob carol admin)],
	    'a RCPT for each recipient, in order');
	is(take_line($c), 'DATA', 'then DATA');
	send_text($c, join('', map { "$_\r\n" } @replies) . "354 go on\r\n") if $pipelined;
	send_text($c, "354 go on\r\n") unless $pipelined;
	read_until($c, qr/\r\n\.\r\n\z/);
	my $msg = $c->{buf};
	$c->{buf} = '';
	# One reply per accepted recipient (RFC 2033 4.2): alice, admin.
	send_text($c, "250 2.0.0 alice has it\r\n451 4.3.0 admin later\r\n");
	return $msg if $kept;
	is(take_line($c), 'QUIT', 'QUIT');
	send_text($c, "221 bye\r\n");
	close $c->{sock};
	return $msg;
}

sub outcomes {
	my ($qid) = @_;
	ok($sp->wait_log(qr/queue_deferred .*qid=$qid/), "$qid: attempt over");
	my %out;
	for (grep { /qid=$qid/ } split /\n/, $sp->log_text) {
		$out{$2} = $1 if /: (delivered|bounced|deferred) to=(\w+)\@/;
	}
	return \%out;
}
my %expect = (alice => 'delivered', bob => 'bounced', carol => 'deferred', admin => 'deferred');

# With PIPELINING: everything up to DATA in one write.
my $qid = submit('pipelined');
my $c = accept_client();
send_text($c, "250-fake\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n");
my $reads = read_until($c, qr/^DATA\r\n/m);
is($reads, 1, 'MAIL, the RCPTs and DATA came in one write');
like(take_line($c), qr/^MAIL FROM:<>/, 'MAIL first');
send_text($c, "250 2.1.0 ok\r\n");
my $msg = answer_rcpts_and_data($c, 1);
like($msg, qr/^\.\.dot\r\n/m, 'the message, dot-stuffed');
is_deeply(outcomes($qid), \%expect, 'each recipient got its own outcome');

# Without it: one command at a time, and the same outcomes.
$qid = submit('lockstep');
$c = accept_client();
send_text($c, "250-fake\r\n250 ENHANCEDSTATUSCODES\r\n");
like(take_line($c), qr/^MAIL FROM:<>/, 'MAIL');
ok($c->{buf} eq '', 'nothing sent before the MAIL reply');
send_text($c, "250 2.1.0 ok\r\n");
answer_rcpts_and_data($c, 0);
is_deeply(outcomes($qid), \%expect, 'the same outcomes one command at a time');

# A post office that keeps its connections: the next message comes over
# the same one.  When that connection fails before the first reply (the
# server closed it, or says 421), the message starts again at once on a
# new connection instead of being deferred.
$sp = Sealpost::Test->new(set => { lmtp_connection_idle_timeout => '300s' });
$listen = fake_lmtpd($sp->env('SEALPOST_LMTP_SOCKET'));

sub pipelined_message {
	my ($c, $qid) = @_;
	read_until($c, qr/^DATA\r\n/m);
	like(take_line($c), qr/^MAIL FROM:<>/, "$qid: MAIL");
	send_text($c, "250 2.1.0 ok\r\n");
	answer_rcpts_and_data($c, 1, 1);
	is_deeply(outcomes($qid), \%expect, "$qid: each recipient got its outcome");
}

$qid = submit('kept-1');
$c = accept_client();
send_text($c, "250-fake\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n");
pipelined_message($c, $qid);

$qid = submit('kept-2');
pipelined_message($c, $qid);
ok(!IO::Select->new($listen)->can_read(0), 'the second message came over the same connection');

for my $how ('close', '421') {
	my $mark = $sp->log_size;
	$qid = submit("kept-$how");
	like(take_line($c), qr/^MAIL FROM:<>/, "$how: MAIL on the kept connection");
	send_text($c, "421 4.3.2 Shutting down\r\n") if $how eq '421';
	close $c->{sock};
	$c = accept_client();
	send_text($c, "250-fake\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n");
	pipelined_message($c, $qid);
	ok($sp->wait_log(qr/qmgr\[\d+\]: lmtp_connection_retry reason=/, from => $mark),
	    "$how: started again on a new connection");
	unlike(substr($sp->log_text, $mark), qr/4\.4\.1 lmtp:/,
	    "$how: no recipient deferred for the lost connection");
}

done_testing;
