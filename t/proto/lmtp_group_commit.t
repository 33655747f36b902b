# lmtpd's group commit: the transactions that one lmtpd process finishes in
# the same loop round are committed together (one batch, shared syncs), and
# still every recipient gets its own reply and every message lands in its
# mailbox exactly once.  The one worker is stopped while the clients send
# the ends of their messages, so all of them are waiting when it goes on.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

my $sessions = 8;
# A quota so small that each user's first copy takes them past the warning
# level: all three warnings fall due in one batch.
my $sp = Sealpost::Test->new(set => { lmtp_workers => 1,
	quota_default_storage => '10k', quota_warn_percent => 1 });
my $socket = $sp->env('SEALPOST_LMTP_SOCKET');
my @users = qw(alice bob carol);

my ($pid) = $sp->wait_log(qr/lmtpd\[\d+\]: started/) =~ /lmtpd\[(\d+)\]/;
ok($pid && kill(0, $pid), 'the lmtpd worker runs');

sub uids {
	my ($user) = @_;
	my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', $user, 'INBOX');
	return $out;
}

# Opens the sessions, brings each to the end of its DATA (all but the final
# dot sent), stops the worker, sends every final dot, lets it go on, and
# returns each session's replies.  $rcpts->($i) gives session i's
# recipients, $id->($i) its Message-ID, $body->($i) its body (optional).
sub round {
	my ($rcpts, $id, $body) = @_;
	$body //= sub { "body $_[0]\r\n" };
	my @c;
	for my $i (0 .. $sessions - 1) {
		my $c = Sealpost::Wire->new(path => $socket);
		$c->read_reply =~ /^220/ or die "no greeting";
		$c->cmd('LHLO group.test') =~ /^250 /m or die "LHLO";
		$c->cmd('MAIL FROM:<sender@example.org>') eq '250 2.1.0 Ok' or die "MAIL";
		for my $u (@{ $rcpts->($i) }) {
			$c->cmd("RCPT TO:<$u\@sealpost.test>") eq '250 2.1.5 Ok' or die "RCPT $u";
		}
		$c->cmd('DATA') =~ /^354/ or die "DATA";
		$c->send_raw("Message-ID: <" . $id->($i) . ">\r\nSubject: group $i\r\n\r\n" . $body->($i));
		push @c, $c;
	}
	my $mark = $sp->log_size;
	kill 'STOP', $pid or die "cannot stop lmtpd";
	$_->send_raw(".\r\n") for @c;
	kill 'CONT', $pid or die "cannot continue lmtpd";
	my @replies;
	for my $i (0 .. $#c) {
		push @replies, [ map { $c[$i]->read_reply } @{ $rcpts->($i) } ];
		is($c[$i]->cmd('QUIT'), '221 2.0.0 Bye', "session $i goes on after its replies");
	}
	return ($mark, @replies);
}

# Round 1: eight sessions, one or two recipients each, some sharing a
# mailbox.
my $rcpts1 = sub { my ($i) = @_; return $i % 2 ? [ $users[$i % 3] ] : [ $users[$i % 3], $users[($i + 1) % 3] ] };
my ($mark, @replies) = round($rcpts1, sub { "gc1.$_[0]\@example.org" });
my %want;
for my $i (0 .. $sessions - 1) {
	my @r = @{ $rcpts1->($i) };
	for my $k (0 .. $#r) {
		like($replies[$i][$k], qr/^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/,
		    "session $i recipient $r[$k]: 250");
		$want{$r[$k]}{"gc1.$i\@example.org"}++;
	}
}
my $commit = $sp->wait_log(qr/lmtpd\[$pid\]: delivery_commit batch=/, from => $mark);
my ($batch, $count) = ($commit // '') =~ /batch=(\d+) count=(\d+)/;
ok(defined $batch && $batch > 1, "several deliveries shared one commit (batch=" . ($batch // 'none') . ")");
ok(defined $count && $count > 1 && $count <= 3, "over several mailboxes (count=" . ($count // 'none') . ")");
my @batches = substr($sp->log_text, $mark) =~ /delivery_commit batch=(\d+)/g;
my $total = 0;
$total += $_ for @batches;
is($total, 12, 'every copy was in exactly one commit');
my @lines = grep { /lmtpd\[$pid\]: delivered / } split /\n/, substr($sp->log_text, $mark);
is(scalar @lines, 12, 'one delivered line per copy');
is(scalar(grep { /session=\w+/ } @lines), 12, 'each under the session ID of its connection');

for my $u (@users) {
	my $out = uids($u);
	my @uids = $out =~ /^uid (\d+) /mg;
	my @warnings = $out =~ /^Subject: Your mailbox is almost full\r?$/mg;
	is(scalar @warnings, 1, "$u got the quota warning due after the batch");
	is(scalar @uids, 1 + keys %{ $want{$u} }, "$u has one message per delivery, and the warning");
	for my $mid (sort keys %{ $want{$u} }) {
		my @seen = $out =~ /^Message-ID: <\Q$mid\E>\r?$/mg;
		is(scalar @seen, 1, "$u: $mid stored exactly once");
	}
}

# Round 2: the same message (one Message-ID) from every session to alice:
# within one batch it is stored once, and the others are told it already
# was.
($mark, @replies) = round(sub { ['alice'] }, sub { 'gc2.same@example.org' });
my @delivered = grep { $_->[0] =~ /^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/ } @replies;
my @dup = grep { $_->[0] =~ /^250 2\.0\.0 Ok: already delivered to INBOX as uid \d+$/ } @replies;
is(scalar @delivered, 1, 'the repeated message is stored by one session');
is(scalar @dup, $sessions - 1, 'and acknowledged as a duplicate to the others');
my @seen = uids('alice') =~ /^Message-ID: <gc2\.same\@example\.org>\r?$/mg;
is(scalar @seen, 1, 'alice has it once');

# Round 3: every session sends bob a 3 KB message in one batch, more than
# his 10k quota can take: the batch fails for his mailbox as a whole, and
# each copy is then tried alone, so the first few are stored and the rest
# are refused as over quota (never a temporary failure, which would keep
# them queued for ever).  The copies have no names (O_TMPFILE): one the
# failed batch had linked and unlinked again must still be storable.
my $before = () = uids('bob') =~ /^uid \d+ /mg;
($mark, @replies) = round(sub { ['bob'] }, sub { "gc3.$_[0]\@example.org" },
    sub { ("x" x 76 . "\r\n") x 40 });
my @stored = grep { $_->[0] =~ /^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/ } @replies;
my @full = grep { $_->[0] =~ /^[45]52 [45]\.2\.2 Mailbox is full$/ } @replies;
ok(@stored >= 1, 'the copies that fit are stored (' . scalar(@stored) . ')');
ok(@full >= 1, 'the others are refused as over quota (' . scalar(@full) . ')');
is(@stored + @full, $sessions, 'and nothing else: no temporary failure')
    or diag explain \@replies;
my $after = () = uids('bob') =~ /^uid \d+ /mg;
is($after - $before, scalar @stored, 'bob has exactly the copies he was told were stored');

done_testing;
