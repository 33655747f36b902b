# The queue manager's start-up scan and its message index: files left in
# active/, incoming/, deferred/ (due and not yet due) and hold/ while the
# post office was down are taken up at the next start, the due ones
# oldest first whatever order the folders list them in, the others left
# alone; the listing is in arrival order; a requeue and a release of
# messages not yet due are taken up at once; a message that arrives after
# the start is delivered too.
use strict;
use warnings;
use Test::More;
use List::Util qw(shuffle);
use Sealpost::Test;

my $t = Sealpost::Test->new(set => {});
my $q = $t->dir . '/state/queue';
select(undef, undef, undef, 0.05) until -d "$q/hold";
my @owner = (stat "$q/incoming")[4, 5];
$t->stop;

# IDs in arrival order; each folder gets some of them, written in a
# shuffled order.
my $base = '1K1D0000000';
my @B32 = split //, '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
my @ids = map { my $n = $_; $base . join('', map { $B32[($n >> (5 * $_)) & 31] } reverse 0 .. 3) } 1 .. 120;
my %folder;
for my $i (0 .. $#ids) {
	$folder{$ids[$i]} = $i % 5 == 0 ? 'deferred-later' : $i % 5 == 1 ? 'deferred'
	    : $i % 5 == 2 ? 'active' : $i % 5 == 3 ? 'incoming' : 'hold';
}
my @order = shuffle(@ids);
my $now = time;
for my $id (@order) {
	my $msg = "Subject: $id\r\nMessage-ID: <$id\@sender.test>\r\n\r\nbody\r\n";
	my $env = "sealpost-queue 1\nid $id\narrival $now\nfrom alice\@localhost\n"
	    . "rcpt bob\@localhost bob\@localhost 0 - -\n"
	    . sprintf("message %012d\n", length $msg) . $msg . "end\n";
	(my $dir = $folder{$id}) =~ s/-later//;
	open my $fh, '>', "$q/$dir/$id" or die "$q/$dir/$id: $!";
	print $fh $env;
	close $fh or die;
	chown @owner, "$q/$dir/$id";
	my $when = $folder{$id} eq 'deferred-later' ? $now + 86400 : $now - 10;
	utime $when, $when, "$q/$dir/$id";
}
my @due = grep { $folder{$_} =~ /^(deferred|active|incoming)$/ } @ids;
my @later = grep { $folder{$_} eq 'deferred-later' } @ids;
my @held = grep { $folder{$_} eq 'hold' } @ids;

my $from = $t->log_size;
$t->restart;
for my $id (@due) {
	ok($t->wait_log(qr/queue_removed .*qid=$id/, from => $from, timeout => 60), "due at the start: $id delivered");
}
# All of them fit the active limit: the first schedule took them in
# the order of the ready queue.
my @activated = substr($t->log_text, $from) =~ /queue_active .*qid=(\S+)/g;
is_deeply(\@activated, \@due, 'taken up oldest first');

my ($rc, $out) = $t->run_sealpost('queue', 'list');
is($rc, 0, 'list');
my @listed = $out =~ /^([0-9A-Z]{15})[ *!]/mg;
is_deeply(\@listed, [ sort(@later, @held) ], 'the rest listed in arrival order');
unlike(substr($t->log_text, $from), qr/queue_active .*qid=(\Q$_\E)/, "not due: $_ left alone")
    for @later[0, -1], @held[0, -1];

# Requeue one not yet due, release one held: both taken up at once.
($rc, $out) = $t->run_sealpost('queue', 'requeue', $later[3]);
is($rc, 0, 'requeue');
($rc, $out) = $t->run_sealpost('queue', 'release', $held[5]);
is($rc, 0, 'release');
ok($t->wait_log(qr/queue_removed .*qid=$later[3]/, from => $from), 'the requeued message delivered');
ok($t->wait_log(qr/queue_removed .*qid=$held[5]/, from => $from), 'the released message delivered');

# And new mail, after all that.
my $new = $t->inject(from => 'alice@localhost', rcpts => ['bob@localhost']);
ok($t->wait_log(qr/queue_removed .*qid=$new/, from => $from), 'new mail delivered');
($rc, $out) = $t->run_sealpost('queue', 'list');
@listed = $out =~ /^([0-9A-Z]{15})[ *!]/mg;
is(scalar @listed, @later + @held - 2, 'the rest still queued');

done_testing;
