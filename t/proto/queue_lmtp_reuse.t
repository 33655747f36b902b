# The queue manager keeps its connections to lmtpd and carries message
# after message over them: several messages sent one after the other
# through smtpd reach the real lmtpd over fewer connections than there
# are messages.  A connection lmtpd closes between two messages (its own
# idle timeout) is replaced without deferring the next message, which is
# delivered exactly once.  lmtp_connection_idle_timeout closes an idle
# connection (0: one connection per message), and
# lmtp_connection_reuse_limit bounds the messages one connection carries.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

my $seq = 0;

# Sends one message to `rcpt` through smtpd, waits until lmtpd has it,
# and returns its queue ID.
sub deliver_one {
	my ($sp, $rcpt) = @_;
	my $tag = sprintf 'reuse-%d-%d', $$, ++$seq;
	my $mark = $sp->log_size;
	my $s = Sealpost::Wire->new(port => $sp->env('SEALPOST_SMTP_PORT'));
	$s->read_reply;
	$s->cmd('EHLO client.example');
	$s->cmd('MAIL FROM:<sender@example.org>');
	$s->cmd("RCPT TO:<$rcpt\@sealpost.test>");
	$s->cmd('DATA');
	$s->send_raw("Subject: $tag\r\nMessage-ID: <$tag\@example.org>\r\n\r\nbody $tag\r\n.\r\n");
	my ($qid) = $s->read_reply =~ /queued as (\w+)/;
	$s->cmd('QUIT');
	ok($qid, "$tag queued");
	ok($sp->wait_log(qr/queue_removed .*qid=$qid/, from => $mark),
	    "$tag delivered and removed");
	return $qid;
}

sub count_log {
	my ($sp, $re, $from) = @_;
	return scalar grep { $_ =~ $re } split /\n/, substr($sp->log_text, $from // 0);
}

# The connections that carried messages: the distinct sessions of
# lmtpd's deliveries (a start-up probe connects too, carrying nothing).
sub count_conns {
	my ($sp, $from) = @_;
	my %s;
	for (split /\n/, substr($sp->log_text, $from)) {
		$s{$1} = 1 if /lmtpd\[\d+\]: delivered user=.* session=(\w+)/;
	}
	return scalar keys %s;
}

# Several messages, one after the other: one connection carries them all.
{
	my $sp = Sealpost::Test->new(set => {
	    lmtp_connection_idle_timeout => '300s' });
	my $mark = $sp->log_size;
	my @qids = map { deliver_one($sp, 'alice') } 1 .. 5;
	my $conns = count_conns($sp, $mark);
	cmp_ok($conns, '<', scalar @qids, "5 messages over $conns connection(s)");
	is($conns, 1, 'sent one after the other, they share one connection');
	for my $qid (@qids) {
		is(count_log($sp, qr/qmgr\[\d+\]: delivered .*qid=$qid/, $mark), 1,
		    "$qid delivered once");
	}
	is(count_log($sp, qr/lmtpd\[\d+\]: delivered user=alice/, $mark), 5,
	    'lmtpd stored five messages');
	is(count_log($sp, qr/ deferred /, $mark), 0, 'nothing deferred');
}

# lmtpd drops the idle connection (its lmtp_timeout runs out) between two
# messages: the next message goes over a new connection, at once.
{
	my $sp = Sealpost::Test->new(set => {
	    lmtp_connection_idle_timeout => '300s', lmtp_timeout => '2s' });
	my $mark = $sp->log_size;
	my $first = deliver_one($sp, 'bob');
	ok($sp->wait_log(qr/lmtpd\[\d+\]: disconnected reason=.*timeout/,
	    from => $mark), 'lmtpd closed the idle connection');
	my $second = deliver_one($sp, 'bob');
	is(count_conns($sp, $mark), 2,
	    'the second message went over a new connection');
	is(count_log($sp, qr/qmgr\[\d+\]: delivered .*qid=$second/, $mark), 1,
	    'and was delivered once');
	is(count_log($sp, qr/lmtpd\[\d+\]: delivered user=bob/, $mark), 2,
	    'lmtpd stored each message once');
	is(count_log($sp, qr/ deferred /, $mark), 0, 'nothing deferred');
}

# lmtp_connection_idle_timeout: an idle connection is closed when it runs
# out, and 0 keeps none.
{
	my $sp = Sealpost::Test->new(set => {
	    lmtp_connection_idle_timeout => '1s' });
	my $mark = $sp->log_size;
	deliver_one($sp, 'carol');
	ok($sp->wait_log(qr/qmgr\[\d+\]: lmtp_connection_closed reason=idle count=1/,
	    from => $mark), 'the idle connection was closed after its timeout');
	deliver_one($sp, 'carol');
	is(count_conns($sp, $mark), 2, 'a new one for the next message');
}
{
	my $sp = Sealpost::Test->new(set => {
	    lmtp_connection_idle_timeout => '0' });
	my $mark = $sp->log_size;
	deliver_one($sp, 'carol') for 1 .. 3;
	is(count_conns($sp, $mark), 3,
	    'idle timeout 0: one connection per message');
}

# lmtp_connection_reuse_limit: two messages per connection at most.
{
	my $sp = Sealpost::Test->new(set => {
	    lmtp_connection_idle_timeout => '300s',
	    lmtp_connection_reuse_limit => 2 });
	my $mark = $sp->log_size;
	deliver_one($sp, 'alice') for 1 .. 3;
	is(count_conns($sp, $mark), 2,
	    'reuse limit 2: three messages over two connections');
	ok($sp->wait_log(qr/qmgr\[\d+\]: lmtp_connection_closed reason=done count=2/,
	    from => $mark), 'the first closed after its second message');
}

done_testing;
