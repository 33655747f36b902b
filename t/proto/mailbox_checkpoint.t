# Mailbox checkpoints (mailbox_checkpoint_log_bytes): lmtpd and imapd make
# one on their own once a mailbox's change log has grown that much since
# the last, so a mailbox opened after a machine crash replays only the log
# after it; the index drops the records of expunged messages once they
# are 30% of it; and when expunged messages left much in the cache, every
# file of the mailbox is written again, with a new log.  Read from the
# index file's header on disk and from the log; the sessions of other
# clients (one in IDLE), and QRESYNC, go on across the rewrites.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

# The header fields of a mailbox index (libmail/mbox_format.h).
sub index_header {
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "$path: $!";
	read($fh, my $raw, 56) == 56 or die "$path: short header";
	my ($magic, $version, $rsize, $uidvalidity, $uidnext, $modseq, $count,
	    $keywords, $applied, $checkpoint) = unpack 'a8 L L L L Q L L Q Q', $raw;
	return { magic => $magic, count => $count, applied => $applied,
	    checkpoint => $checkpoint };
}

# alice's INBOX folder: of her mailboxes, the only one with messages.
sub inbox_index {
	my ($sp) = @_;
	my @idx = grep { index_header($_)->{count} > 0 }
	    glob($sp->dir . '/state/store/alice/*/index');
	die "alice has messages in @{[scalar @idx]} mailboxes" unless @idx == 1;
	return $idx[0];
}

sub message {
	my ($n) = @_;
	return "Message-ID: <cp$n\@example.org>\r\nSubject: checkpoint $n\r\n\r\nbody $n\r\n";
}

# Log records are a multiple of 8 bytes: a delivery's APPEND and COMMIT
# take 120, one message's expunge 24 (and 24 for the batch's COMMIT), so
# expunging 60 messages writes 1,464 bytes of log: past this limit.
my $limit = 1024;
my $sp = Sealpost::Test->new(set => { mailbox_checkpoint_log_bytes => $limit });

# ---- deliveries: every ninth or so passes the limit ----
my $delivered = 0;
for my $n (1 .. 60) {
	$delivered++ if $sp->lmtp_deliver('alice', message($n)) =~ /^250 /;
}
is($delivered, 60, 'sixty deliveries');
ok($sp->wait_log(qr/lmtpd\[\d+\]: mbox_checkpoint path=\S+ size=\d+/),
    'lmtpd made a checkpoint');
my $path = inbox_index($sp);
my $h = index_header($path);
is($h->{magic}, "SPMBIDX\0", 'the index header reads');
is($h->{count}, 60, 'sixty records');
ok($h->{checkpoint} > 64, "the checkpoint moved past the log's start ($h->{checkpoint})");
ok($h->{applied} - $h->{checkpoint} < $limit,
    'less than the limit of log is left after it');

# Ten more with 8 KB subjects, which stay: the cache the mailbox's live
# messages use stays large, so dropping the small ones' records below
# rewrites the index alone, not every file (see the rewrite further on).
my $subject8 = join("\r\n", map { ' ' . ('s' x 799) } 1 .. 10);
for my $n (61 .. 70) {
	$delivered++ if $sp->lmtp_deliver('alice',
	    "Message-ID: <cp$n\@example.org>\r\nSubject: checkpoint $n\r\n$subject8\r\n\r\nbody\r\n") =~ /^250 /;
}
is($delivered, 70, 'ten big ones');

# ---- a watcher selected before the expunge, and one with QRESYNC ----
my $watch = Sealpost::IMAP->login_new($sp, 'alice');
like($watch->cmd('w1 SELECT INBOX'), qr/^\* 70 EXISTS$/m, 'the watcher sees 70');
my $q = Sealpost::IMAP->login_new($sp, 'alice');
$q->cmd('q0 ENABLE QRESYNC');
my $sel = $q->cmd('q1 SELECT INBOX');
my ($uidvalidity) = $sel =~ /\[UIDVALIDITY (\d+)\]/;
my ($modseq) = $sel =~ /\[HIGHESTMODSEQ (\d+)\]/;
ok($uidvalidity && $modseq, 'QRESYNC client knows the mailbox');
$q->cmd('q2 LOGOUT');

# ---- expunge the 60 small ones: the expunge's checkpoint compacts ----
my $c = Sealpost::IMAP->login_new($sp, 'alice');
$c->cmd('c1 SELECT INBOX');
like($c->cmd('c2 STORE 1:60 +FLAGS.SILENT (\\Deleted)'), qr/^c2 OK/m, '60 marked deleted');
my $log_at = $sp->log_size;
my $exp = $c->cmd('c3 EXPUNGE');
is(scalar(() = $exp =~ /^\* \d+ EXPUNGE$/mg), 60, "EXPUNGE reports 60");
ok($sp->wait_log(qr/imapd\[\d+\]: mbox_compacted path=\S+ count=60 /, from => $log_at),
    'imapd compacted the index, dropping 60 records');
$h = index_header(inbox_index($sp));
is($h->{count}, 10, 'the index holds the ten live messages alone');
is($h->{checkpoint}, $h->{applied}, 'and is checkpointed');

# The watcher, selected before, follows across the rewrite.
my $noop = $watch->cmd('w2 NOOP');
is(scalar(() = $noop =~ /^\* \d+ EXPUNGE$/mg), 60, 'the watcher is told of the 60 expunges');
my $fetch = $watch->cmd('w3 FETCH 1:* (UID)');
is_deeply([ $fetch =~ /^\* \d+ FETCH \(UID (\d+)\)$/mg ], [ 61 .. 70 ],
    'and sees UIDs 61 to 70');

# QRESYNC from before the expunge: the expunged UIDs are VANISHED.
$q = Sealpost::IMAP->login_new($sp, 'alice');
$q->cmd('q3 ENABLE QRESYNC');
my $resync = $q->cmd("q4 SELECT INBOX (QRESYNC ($uidvalidity $modseq))");
like($resync, qr/^\* VANISHED \(EARLIER\) 1:60$/m, 'QRESYNC reports 1:60 vanished');
like($resync, qr/^q4 OK /m, 'and selects');

# A delivery after the compaction lands and is seen.
like($sp->lmtp_deliver('alice', message(71)), qr/^250 /, 'a delivery after the compaction');
like($watch->cmd('w4 NOOP'), qr/^\* 11 EXISTS$/m, 'the watcher sees it');
like($watch->cmd('w5 FETCH 11 (UID BODY[HEADER.FIELDS (SUBJECT)])'), qr/checkpoint 71/,
    'with its own header');

# ---- a rewrite: what expunged messages left in the cache goes ----
# bob gets 50 messages with 32 KB subjects (each cache entry holds its
# ENVELOPE), and expunges 48: the expunge's checkpoint finds 1.5 MB of
# cache the two live messages do not use, and writes the mailbox's files
# again, with a new log.  An idle session hears of it all and of the next
# delivery, which goes to the new log.
my $subject = join("\r\n", map { ' ' . ('w' x 799) } 1 .. 40);
for my $n (1 .. 50) {
	$delivered = $sp->lmtp_deliver('bob',
	    "Message-ID: <big$n\@example.org>\r\nSubject: big $n\r\n$subject\r\n\r\nbody $n\r\n");
	last unless $delivered =~ /^250 /;
}
like($delivered, qr/^250 /, 'fifty messages with 32 KB subjects for bob');
my $idle = Sealpost::IMAP->login_new($sp, 'bob');
like($idle->cmd('i1 SELECT INBOX'), qr/^\* 50 EXISTS$/m, 'an idle session selects them');
$idle->send_line('i2 IDLE');
is($idle->read_line, "+ idling\r\n", 'and idles');
my $b = Sealpost::IMAP->login_new($sp, 'bob');
$b->cmd('b1 SELECT INBOX');
$b->cmd('b2 STORE 1:48 +FLAGS.SILENT (\\Deleted)');
$log_at = $sp->log_size;
like($b->cmd('b3 EXPUNGE'), qr/^b3 OK/m, '48 expunged');
my $line = $sp->wait_log(qr/mbox_rewritten path=\S+ count=2 size=\d+/, from => $log_at);
ok($line, "the mailbox's files are written again for the two left");
my ($freed) = ($line // '') =~ /size=(\d+)/;
ok(($freed // 0) > 1_000_000, "freeing more than a megabyte ($freed bytes)");
my $expunges = 0;
while ($expunges < 48) {
	my $l = $idle->read_line // last;
	$expunges++ if $l =~ /^\* \d+ EXPUNGE\r\n$/;
}
is($expunges, 48, 'the idle session hears of the 48 expunges');
like($sp->lmtp_deliver('bob', message(99)), qr/^250 /, 'a delivery after the rewrite');
my $exists;
while (defined(my $l = $idle->read_line)) {
	if ($l =~ /^\* (\d+) EXISTS\r\n$/) { $exists = $1; last }
}
is($exists, 3, 'reaches the idle session');
$idle->send_line('DONE');
like($idle->read_until('i2'), qr/^i2 OK/m, 'IDLE ends');
my $f = $idle->cmd('i3 FETCH 1:* (UID ENVELOPE)');
is(scalar(() = $f =~ /^\* \d+ FETCH /mg), 3, 'three messages');
like($f, qr/big 50/, "the last big one's ENVELOPE");
like($f, qr/checkpoint 99/, "and the new one's");

# ---- the limit is a setting: 0 makes no checkpoints ----
my $none = Sealpost::Test->new(set => { mailbox_checkpoint_log_bytes => 0 });
for my $n (1 .. 60) {
	$none->lmtp_deliver('alice', message($n));
}
$h = index_header(inbox_index($none));
is($h->{count}, 60, 'sixty delivered without checkpoints');
is($h->{checkpoint}, 64, 'the checkpoint stays at the start of the log');
unlike($none->log_text, qr/mbox_checkpoint /, 'and none is logged');

# Out of range is refused by the config check (and so at start).
my $conf = $none->dir . '/big.conf';
open my $cf, '>', $conf or die "$conf: $!";
print $cf "mailbox_checkpoint_log_bytes = 2g\n";
close $cf;
my ($rc, $out, $err) = $none->run_sealpost('config', '-c', $conf, '--check');
isnt($rc, 0, 'a limit above 1 GiB is refused');
like("$out$err", qr/mailbox_checkpoint_log_bytes.*outside 0\.\.1073741824/,
    '... naming the key and its range');

done_testing;
