# SELECT of a mailbox its imapd process already holds starts from the
# process's snapshot and shares its message list with the sessions that
# selected it, copying it only when one of them changes; the snapshot
# keeps how many of its first messages are \Seen so UNSEEN need not walk
# them (imapd(8), "Several sessions on one mailbox").  Each SELECT must
# still answer EXISTS, UNSEEN, UIDNEXT and HIGHESTMODSEQ as the mailbox
# is at that moment, whatever other sessions and lmtpd changed since, and
# a session that has not yet heard of a change keeps its own picture.
# Spoken through Mail::IMAPClient.
use strict;
use warnings;
use Test::More;
use Mail::IMAPClient;
use Sealpost::Test;

my $sp = Sealpost::Test->new(set => { imap_workers => 1 });
my $host = $sp->env('SEALPOST_HOST');

sub session {
	my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
	    Port => $sp->env('SEALPOST_IMAP_PORT'),
	    Starttls => [ SSL_ca_file => $sp->env('SEALPOST_CA_FILE'),
		SSL_verifycn_name => $host, SSL_hostname => $host ],
	    User => 'alice', Password => $sp->password('alice'))
	    or BAIL_OUT("Mail::IMAPClient: $@");
	return $imap;
}

# The responses of one command, as one string of lines without CRLF.
sub run {
	my ($imap, $cmd) = @_;
	my $r = $imap->tag_and_run($cmd) or return "failed: " . $imap->LastError;
	return join "\n", map { s/\r?\n\z//r } @$r;
}

# What a SELECT (with CONDSTORE) tells: "EXISTS UNSEEN UIDNEXT MODSEQ",
# UNSEEN "-" when there is none.
sub select_state {
	my ($imap) = @_;
	my $r = run($imap, 'SELECT INBOX (CONDSTORE)');
	my ($exists) = $r =~ /^\* (\d+) EXISTS$/m;
	my ($unseen) = $r =~ /^\* OK \[UNSEEN (\d+)\]/m;
	my ($next) = $r =~ /^\* OK \[UIDNEXT (\d+)\]/m;
	my ($modseq) = $r =~ /^\* OK \[HIGHESTMODSEQ (\d+)\]/m;
	return join ' ', $exists // '?', $unseen // '-', $next // '?',
	    $modseq // '?';
}

# The highest MODSEQ of any message, as FETCH tells it.
sub max_modseq {
	my ($imap) = @_;
	my $max = 0;
	for (run($imap, 'FETCH 1:* (MODSEQ)') =~ /MODSEQ \((\d+)\)/g) {
		$max = $_ if $_ > $max;
	}
	return $max;
}

sub deliver { $sp->lmtp_deliver('alice', "Subject: $_[0]\r\n\r\nbody\r\n") }

my $b = session();
for my $i (1 .. 6) {
	ok($b->append_string('INBOX', "Subject: m$i\r\n\r\nbody $i\r\n",
	    '\Seen'), "message $i appended, seen");
}

# A first SELECT reads the index; later ones start from the snapshot.
my $a = session();
is(select_state($a), '6 - 7 ' . max_modseq($a), 'a: six, all seen');
my $c = session();
is(select_state($c), '6 - 7 ' . max_modseq($c), 'c, from the snapshot: the same');

# A flag change by another session lowers the first unseen message.
like(run($b, 'SELECT INBOX'), qr/OK \[READ-WRITE\]/, 'b selects');
like(run($b, 'STORE 4 -FLAGS.SILENT (\Seen)'), qr/OK/, 'b marks 4 unseen');
my $s = select_state($c);
is($s, '6 4 7 ' . max_modseq($c), 'c selects again: UNSEEN 4');
my ($m1) = $s =~ / (\d+)$/;

# The same from a new session, after a look at the whole list.
my $d = session();
is(select_state($d), "6 4 7 $m1", 'd: UNSEEN 4 too');

# An expunge before the first unseen message moves it down.
like(run($b, 'STORE 2 +FLAGS.SILENT (\Deleted)'), qr/OK/, 'b marks 2 deleted');
like(run($b, 'EXPUNGE'), qr/^\* 2 EXPUNGE$/m, 'b expunges 2');
$s = select_state($d);
like($s, qr/^5 3 7 (\d+)$/, 'd selects again: five, UNSEEN 3');
my ($m2) = $s =~ / (\d+)$/;
cmp_ok($m2, '>', $m1, 'HIGHESTMODSEQ grew with the expunge');

# Session a selected before all this and has not heard of the expunge:
# its list is its own, whatever the snapshot did since.
like(run($a, 'FETCH 2 (UID)'), qr/^\* 2 FETCH \(UID 2\)$/m,
    'a still has message 2 as UID 2');
like(run($a, 'FETCH 5 (UID)'), qr/^\* 5 FETCH \(UID 5\)$/m,
    'and message 5 as UID 5');
like(run($a, 'NOOP'), qr/^\* 2 EXPUNGE$/m, 'a hears of the expunge at NOOP');
like(run($a, 'FETCH 2 (UID)'), qr/^\* 2 FETCH \(UID 3\)$/m,
    'then message 2 is UID 3');

# A delivery by lmtpd (another process) while the first unseen is
# marked seen again: the new message is the first unseen one.
like(run($b, 'STORE 3 +FLAGS.SILENT (\Seen)'), qr/OK/, 'b marks 4 (now 3) seen');
is(select_state($c), '5 - 7 ' . max_modseq($c), 'c: all seen again');
like(deliver('seven'), qr/^250/, 'lmtpd delivers a seventh');
$s = select_state($c);
is($s, '6 6 8 ' . max_modseq($c), 'c: six, UNSEEN 6, UIDNEXT 8');
my ($m3) = $s =~ / (\d+)$/;
cmp_ok($m3, '>', $m2, 'HIGHESTMODSEQ grew with the delivery');

# Every session sees every message's flags as they are now.
my $want = '1:\Seen 3:\Seen 4:\Seen 5:\Seen 6:\Seen 7:';
for ([ a => $a ], [ b => $b ], [ c => $c ], [ d => $d ]) {
	my ($name, $imap) = @$_;
	run($imap, 'NOOP');
	my $r = run($imap, 'FETCH 1:* (UID FLAGS)');
	my @pairs;
	while ($r =~ /^\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\)\)$/mg) {
		push @pairs, "$1:$2";
	}
	is("@pairs", $want, "$name: every message and its flags");
}

# Everybody leaves; the process keeps the mailbox, and a session that
# comes later still gets it as it is.
$_->logout for $a, $b, $c, $d;
like(deliver('eight'), qr/^250/, 'an eighth while nobody has it selected');
my $e = session();
is(select_state($e), '7 6 9 ' . max_modseq($e), 'e: seven, UNSEEN 6, UIDNEXT 9');
cmp_ok(max_modseq($e), '>', $m3, 'HIGHESTMODSEQ grew with it');
$e->logout;
done_testing;
