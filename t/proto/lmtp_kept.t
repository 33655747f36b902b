# lmtpd keeps the mailboxes it delivered to last open between deliveries
# (lmtp_mailboxes_kept): the last ones stay, the one kept longest goes
# first, mail still lands where it belongs when a kept mailbox was deleted
# and made again under its name, and 0 keeps none.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;

# The mailbox folders ("user/id") a process holds a descriptor in.
sub held_mailboxes {
	my ($sp, $pid) = @_;
	my $store = $sp->dir . '/state/store';
	my %held;
	opendir my $d, "/proc/$pid/fd" or die "/proc/$pid/fd: $!";
	for my $fd (readdir $d) {
		my $target = readlink("/proc/$pid/fd/$fd") // next;
		$held{"$1/$2"} = 1 if $target =~ m{^\Q$store\E/([^/]+)/([0-9a-f]{16})(?:/|$)};
	}
	return [sort keys %held];
}

sub users_of { my %u = map { (split m{/})[0] => 1 } @{$_[0]}; return [sort keys %u] }

sub message {
	my ($id) = @_;
	return "Message-ID: <$id\@example.org>\r\nSubject: $id\r\n\r\nbody of $id\r\n";
}

sub lmtpd_pid {
	my ($sp) = @_;
	my $line = $sp->wait_log(qr/lmtpd\[\d+\]: started/) or die "no lmtpd";
	return ($line =~ /lmtpd\[(\d+)\]/)[0];
}

my $sp = Sealpost::Test->new(set => { lmtp_workers => 1, lmtp_mailboxes_kept => 2 });
my $pid = lmtpd_pid($sp);

like($sp->lmtp_deliver('alice', message('k1')), qr/^250 /, 'delivered to alice');
is_deeply(users_of(held_mailboxes($sp, $pid)), ['alice'], "alice's INBOX stays open");
like($sp->lmtp_deliver('bob', message('k2')), qr/^250 /, 'delivered to bob');
like($sp->lmtp_deliver('carol', message('k3')), qr/^250 /, 'delivered to carol');
is_deeply(users_of(held_mailboxes($sp, $pid)), ['bob', 'carol'],
    'two kept: the last two, alice closed');
like($sp->lmtp_deliver('bob', message('k4')), qr/^250 /, 'bob again');
like($sp->lmtp_deliver('alice', message('k5')), qr/^250 /, 'alice again');
is_deeply(users_of(held_mailboxes($sp, $pid)), ['alice', 'bob'],
    'carol, kept longest, went first');

# A kept mailbox deleted and made again: the mail goes to the new one.
my ($rc, $out, $err) = $sp->run_sealpost('mailbox', 'create', 'alice', 'Lists');
is($rc, 0, 'alice has Lists') or diag($err);
like($sp->lmtp_deliver('alice+Lists', message('k6')), qr/^250 /, 'delivered to alice+Lists');
my @before = grep { m{^alice/} } @{held_mailboxes($sp, $pid)};
is(scalar @before, 2, "alice's INBOX and Lists are kept");
($rc) = $sp->run_sealpost('mailbox', 'delete', 'alice', 'Lists');
is($rc, 0, 'Lists deleted');
($rc) = $sp->run_sealpost('mailbox', 'create', 'alice', 'Lists');
is($rc, 0, 'and made again');
# The deleted folder's files are let go without waiting for the mailbox
# to be pushed out (the check runs every second).
my %old = map { $_ => 1 } @before;
my $released = 0;
my $deadline = Sealpost::Test::now() + 30;
while (!$released && Sealpost::Test::now() < $deadline) {
	my @held = grep { m{^alice/} } @{held_mailboxes($sp, $pid)};
	$released = @held == 1 && $old{$held[0]};
	select(undef, undef, undef, 0.05) unless $released;
}
ok($released, "the deleted Lists is closed, alice's INBOX stays");
like($sp->lmtp_deliver('alice+Lists', message('k7')), qr/^250 /, 'delivered to the new Lists');
($rc, $out) = $sp->run_sealpost('mailbox', 'show', 'alice', 'Lists');
like($out, qr/^Message-ID: <k7\@example\.org>\r?$/m, 'the message is in the new Lists');
unlike($out, qr/<k6\@example\.org>/, 'which has none of the old one');
($rc, $out) = $sp->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
like($out, qr/<k5\@example\.org>/, "alice's INBOX has its mail");
unlike($out, qr/<k6\@example\.org>|<k7\@example\.org>/, '... and only its own');

# 0: every delivery closes its mailbox.
my $none = Sealpost::Test->new(set => { lmtp_workers => 1, lmtp_mailboxes_kept => 0 });
my $pid0 = lmtpd_pid($none);
like($none->lmtp_deliver('alice', message('n1')), qr/^250 /, 'delivered with none kept');
is_deeply(held_mailboxes($none, $pid0), [], 'no mailbox stays open');

done_testing;
