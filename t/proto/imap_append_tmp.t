# APPEND writes each message to imap.PID.N in the store's tmp folder, syncs
# it (with group commit, in a commit before the mailbox lock is taken) and
# then links it into the mailbox.  A process killed in between leaves the
# file under that name only, never in a mailbox; an imapd that starts
# removes the files of processes that are gone, and leaves those of live
# ones alone.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_workers => 1,
	restart_backoff_max => '1s' });
my $tmp = $sp->dir . '/state/store/tmp';
ok(-d $tmp, 'the store has its tmp folder');
my ($pid) = ($sp->wait_log(qr/imapd\[\d+\]: started/) // '') =~ /imapd\[(\d+)\]/;
ok($pid, "the imapd worker runs ($pid)");

my $msg = "From: a\@example.org\r\nSubject: tmp\r\n\r\nbody\r\n";
my $a = Sealpost::IMAP->login_new($sp, 'alice');
like($a->cmd("a1 APPEND INBOX {" . length($msg) . "+}\r\n$msg"),
    qr/^a1 OK \[APPENDUID \d+ 1\]/m, 'APPEND stored the message');
is_deeply([ glob("$tmp/imap.*") ], [], 'and left no file in tmp');

# Names of this process already taken (as by a leftover of an earlier
# process with its PID): the next free one is used.
my @taken = map { "$tmp/imap.$pid.$_" } 1 .. 3;
for my $f (@taken) {
	open my $fh, '>', $f or die "$f: $!";
	close $fh;
}
like($a->cmd("a2 APPEND INBOX {" . length($msg) . "+}\r\n$msg"),
    qr/^a2 OK \[APPENDUID \d+ 2\]/m, 'APPEND with its first names taken');
is(scalar(grep { -e } @taken), 3, 'and the files under them left alone');
$a->cmd('a3 LOGOUT');

# A process that is gone: a child that has exited and been reaped.
my $child = fork // die "fork: $!";
exit 0 if $child == 0;
waitpid($child, 0);
my $gone = "$tmp/imap.$child.7";
my $live = "$tmp/imap.$$.3";
my $other = "$tmp/lmtp-in.$child.1";
for my $f ($gone, $live, $other) {
	open my $fh, '>', $f or die "$f: $!";
	print $fh $msg;
	close $fh;
}

my $mark = $sp->log_size;
kill 'KILL', $pid or die "cannot kill imapd";
my $line = $sp->wait_log(qr/imapd\[\d+\]: started/, from => $mark, timeout => 60);
ok($line, 'the master started imapd again');
ok(!-e $gone, "the file of a process that is gone was removed")
    or diag(substr($sp->log_text, $mark));
is(scalar(grep { -e } @taken), 0, 'so were those the killed imapd had');
ok(-e $live, "the file of a live process was left alone");
ok(-e $other, "and a file of another daemon's");
like(substr($sp->log_text, $mark), qr/spool_leftover_removed path=imap\.$child\.7/,
    'the removal is logged');

# The mailbox has only what was acknowledged.
my $b = Sealpost::IMAP->login_new($sp, 'alice');
like($b->cmd('b1 STATUS INBOX (MESSAGES)'), qr/MESSAGES 2\)/, 'INBOX has its two messages');
$b->cmd('b2 LOGOUT');
unlink $live, $other;

done_testing;
