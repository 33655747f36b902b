# Mailbox checkpoints (mailbox_checkpoint_log_bytes): lmtpd and imapd make
# one on their own once a mailbox's change log has grown that much since
# the last, so a mailbox opened after a machine crash replays only the log
# after it; and the index drops the records of expunged messages once they
# are 30% of it.  Read from the index file's header on disk; the sessions
# of other clients, and QRESYNC, go on across the rewrite.
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
# expunging 50 messages writes 1,224 bytes of log: past this limit.
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

# ---- a watcher selected before the expunge, and one with QRESYNC ----
my $watch = Sealpost::IMAP->login_new($sp, 'alice');
like($watch->cmd('w1 SELECT INBOX'), qr/^\* 60 EXISTS$/m, 'the watcher sees 60');
my $q = Sealpost::IMAP->login_new($sp, 'alice');
$q->cmd('q0 ENABLE QRESYNC');
my $sel = $q->cmd('q1 SELECT INBOX');
my ($uidvalidity) = $sel =~ /\[UIDVALIDITY (\d+)\]/;
my ($modseq) = $sel =~ /\[HIGHESTMODSEQ (\d+)\]/;
ok($uidvalidity && $modseq, 'QRESYNC client knows the mailbox');
$q->cmd('q2 LOGOUT');

# ---- expunge 50 of the 60: the expunge's checkpoint compacts ----
my $c = Sealpost::IMAP->login_new($sp, 'alice');
$c->cmd('c1 SELECT INBOX');
like($c->cmd('c2 STORE 1:50 +FLAGS.SILENT (\\Deleted)'), qr/^c2 OK/m, '50 marked deleted');
my $log_at = $sp->log_size;
my $exp = $c->cmd('c3 EXPUNGE');
is(scalar(() = $exp =~ /^\* \d+ EXPUNGE$/mg), 50, "EXPUNGE reports 50");
ok($sp->wait_log(qr/imapd\[\d+\]: mbox_compacted path=\S+ count=50 /, from => $log_at),
    'imapd compacted the index, dropping 50 records');
$h = index_header(inbox_index($sp));
is($h->{count}, 10, 'the index holds the ten live messages alone');
is($h->{checkpoint}, $h->{applied}, 'and is checkpointed');

# The watcher, selected before, follows across the rewrite.
my $noop = $watch->cmd('w2 NOOP');
is(scalar(() = $noop =~ /^\* \d+ EXPUNGE$/mg), 50, 'the watcher is told of the 50 expunges');
my $fetch = $watch->cmd('w3 FETCH 1:* (UID)');
is_deeply([ $fetch =~ /^\* \d+ FETCH \(UID (\d+)\)$/mg ], [ 51 .. 60 ],
    'and sees UIDs 51 to 60');

# QRESYNC from before the expunge: the expunged UIDs are VANISHED.
$q = Sealpost::IMAP->login_new($sp, 'alice');
$q->cmd('q3 ENABLE QRESYNC');
my $resync = $q->cmd("q4 SELECT INBOX (QRESYNC ($uidvalidity $modseq))");
like($resync, qr/^\* VANISHED \(EARLIER\) 1:50$/m, 'QRESYNC reports 1:50 vanished');
like($resync, qr/^q4 OK /m, 'and selects');

# A delivery after the compaction lands and is seen.
like($sp->lmtp_deliver('alice', message(61)), qr/^250 /, 'a delivery after the compaction');
like($watch->cmd('w4 NOOP'), qr/^\* 11 EXISTS$/m, 'the watcher sees it');
like($watch->cmd('w5 FETCH 11 (UID BODY[HEADER.FIELDS (SUBJECT)])'), qr/checkpoint 61/,
    'with its own header');

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
