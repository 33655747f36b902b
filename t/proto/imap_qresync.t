# imapd: QRESYNC (RFC 7162 section 3.2).  A client resynchronises after a
# disconnect during which another client changed flags, expunged and
# appended; the server's VANISHED (EARLIER) and FETCH answer is compared
# with a replay of those operations kept by the test.  Also VANISHED in
# place of EXPUNGE (EXPUNGE, UID EXPUNGE, NOOP, IDLE), UID FETCH
# (CHANGEDSINCE n VANISHED), sequence match data and the BAD cases.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;

like(Sealpost::IMAP->login_new($sp, 'alice')->cmd('c1 CAPABILITY'), qr/^\* CAPABILITY .* QRESYNC\b/m,
    'QRESYNC is advertised');

# ---- the model: uid => { flag => 1 }, and what changed after a modseq ----
my (%flags, @order);
my $ca = Sealpost::IMAP->login_new($sp, 'alice');
is($ca->cmd('e1 ENABLE QRESYNC'), "* ENABLED QRESYNC\ne1 OK ENABLE completed", 'ENABLE QRESYNC');
$ca->cmd('s1 SELECT INBOX');
for my $n (1 .. 10) {
	my $m = "Subject: q$n\r\n\r\nbody $n\r\n";
	$ca->cmd("a$n APPEND INBOX {" . length($m) . "+}\r\n$m");
	$flags{$n} = {};
	push @order, $n;
}
is($ca->cmd('t1 UID STORE 4 +FLAGS.SILENT (\\Seen)'), 't1 OK STORE completed', 'a flag before the disconnect');
$flags{4}{'\\Seen'} = 1;
my $sel = $ca->cmd('s2 SELECT INBOX');
like($sel, qr/^\* OK \[CLOSED\]/m, 'reselecting says [CLOSED]');
my ($uidvalidity) = $sel =~ /\[UIDVALIDITY (\d+)\]/;
my ($known_modseq) = $sel =~ /\[HIGHESTMODSEQ (\d+)\]/;
ok($known_modseq, 'HIGHESTMODSEQ after ENABLE QRESYNC');
$ca->cmd('z LOGOUT');
$ca->close;

# ---- another client works on the mailbox meanwhile ----
my (%changed, %expunged);
my $cb = Sealpost::IMAP->login_new($sp, 'alice');
$cb->cmd('b0 SELECT INBOX');
my $tag = 'b1';
sub b_cmd { my $r = $cb->cmd("$tag $_[0]"); $tag++; like($r, qr/^\S+ OK/m, "other client: $_[0]"); $r }
sub store {
	my ($uids, $op, $flag) = @_;
	b_cmd("UID STORE $uids ${op}FLAGS.SILENT ($flag)");
	for my $u (split /,/, $uids) {
		my $had = $flags{$u}{$flag} ? 1 : 0;
		if ($op eq '+') { $flags{$u}{$flag} = 1 } else { delete $flags{$u}{$flag} }
		# Only a real change gets a new modseq.
		$changed{$u} = 1 if $had != ($op eq '+' ? 1 : 0);
	}
}
sub expunge {
	my ($uids) = @_;
	store($uids, '+', '\\Deleted');
	b_cmd("UID EXPUNGE $uids");
	for my $u (split /,/, $uids) {
		$expunged{$u} = 1;
		delete $flags{$u};
		delete $changed{$u};
		@order = grep { $_ != $u } @order;
	}
}
sub append {
	my $m = "Subject: later\r\n\r\nlater\r\n";
	my $r = b_cmd("APPEND INBOX {" . length($m) . "+}\r\n$m");
	my ($u) = $r =~ /APPENDUID \d+ (\d+)/;
	$flags{$u} = {};
	$changed{$u} = 1;
	push @order, $u;
	return $u;
}
store('2,5', '+', '\\Flagged');
expunge('3,7');
my $u11 = append();
my $u12 = append();
store($u11, '+', '\\Seen');
expunge($u12);
store('5', '-', '\\Flagged');	# changed back: still a change
store('4', '+', '\\Seen');	# already set: no change, no FETCH
store('9', '+', '$Later');
$cb->cmd('bz LOGOUT');

# ---- resynchronise and compare with the replay ----
sub parse_resync {
	my ($r) = @_;
	my (%van, %fetch);
	for my $line (split /\n/, $r) {
		if ($line =~ /^\* VANISHED \(EARLIER\) (\S+)$/) {
			for my $part (split /,/, $1) {
				my ($lo, $hi) = split /:/, $part;
				$van{$_} = 1 for $lo .. ($hi // $lo);
			}
		} elsif ($line =~ /^\* (\d+) FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \((\d+)\)\)$/) {
			$fetch{$2} = { seq => $1, flags => join(' ', sort split / /, $3), modseq => $4 };
		}
	}
	return (\%van, \%fetch);
}
sub expect_fetch {
	my ($known) = @_;
	my %want;
	for my $u (grep { $changed{$_} && $known->($_) } keys %changed) {
		my ($seq) = grep { $order[$_ - 1] == $u } 1 .. @order;
		$want{$u} = { seq => $seq, flags => join(' ', sort keys %{ $flags{$u} }) };
	}
	return \%want;
}
sub resync {
	my ($name, $params, $known) = @_;
	my $c = Sealpost::IMAP->login_new($sp, 'alice');
	$c->cmd('e ENABLE QRESYNC');
	my $r = $c->cmd("r SELECT INBOX (QRESYNC ($params))");
	like($r, qr/^r OK \[READ-WRITE\]/m, "$name: SELECT (QRESYNC) works");
	my ($van, $fetch) = parse_resync($r);
	my ($hms) = $r =~ /\[HIGHESTMODSEQ (\d+)\]/;
	my %got_fetch = map { $_ => { seq => $fetch->{$_}{seq}, flags => $fetch->{$_}{flags} } } keys %$fetch;
	is_deeply([sort { $a <=> $b } keys %$van],
	    [sort { $a <=> $b } grep { $known->($_) } keys %expunged],
	    "$name: VANISHED (EARLIER) names exactly the expunged UIDs") or diag $r;
	is_deeply(\%got_fetch, expect_fetch($known), "$name: FETCH of exactly the changed messages, right flags")
	    or diag $r;
	ok(!grep({ $_->{modseq} <= $known_modseq || $_->{modseq} > $hms } values %$fetch),
	    "$name: reported modseqs are new and not above HIGHESTMODSEQ");
	my $idx_van = index($r, 'VANISHED');
	my $idx_fetch = index($r, 'FETCH');
	ok($idx_van < 0 || $idx_fetch < 0 || $idx_van < $idx_fetch, "$name: VANISHED before FETCH");
	return $c;
}

resync('with known UIDs', "$uidvalidity $known_modseq 1:10", sub { $_[0] <= 10 })->close;
resync('without known UIDs', "$uidvalidity $known_modseq", sub { 1 })->close;
# Sequence match data: message 4 still has UID 4 (no expunge at or
# below it), message 6 no longer has UID 6 (3 went): the floor is 4, and
# 3 is not reported (RFC 7162 section 3.2.5.2).
{
	my $c = Sealpost::IMAP->login_new($sp, 'alice');
	$c->cmd('e ENABLE QRESYNC');
	my $r = $c->cmd("r SELECT INBOX (QRESYNC ($uidvalidity $known_modseq 1:10 (2,4,6 2,4,6)))");
	my ($van) = parse_resync($r);
	# Message 2 has UID 2 and message 3 now has UID 4, so only the pair
	# 2/2 matches: the floor is 2 and 3 (above it) is still reported.
	is_deeply([sort { $a <=> $b } keys %$van], [3, 7], 'seq match data with a mismatch: floor at the last match');
	$r = $c->cmd("r2 SELECT INBOX (QRESYNC ($uidvalidity $known_modseq 1:10 (1,2,5 1,2,6)))");
	($van) = parse_resync($r);
	is_deeply([sort { $a <=> $b } keys %$van], [7], 'seq match data: nothing at or below UID 6 reported');
	like($r, qr/^\* OK \[CLOSED\]/m, 'CLOSED when a SELECT replaces the selected mailbox');
	# A wrong UIDVALIDITY: no resynchronisation at all.
	$r = $c->cmd('r3 SELECT INBOX (QRESYNC (1 1 1:100))');
	unlike($r, qr/VANISHED|FETCH/, 'UIDVALIDITY mismatch: no VANISHED, no FETCH');

	# UID FETCH (CHANGEDSINCE n VANISHED).
	my $f = $c->cmd("f1 UID FETCH 1:8 (FLAGS) (CHANGEDSINCE $known_modseq VANISHED)");
	my ($v2, $fe2) = parse_resync($f =~ s/ MODSEQ \((\d+)\) FLAGS/ FLAGS/gr);
	like($f, qr/^\* VANISHED \(EARLIER\) 3,7$/m, 'UID FETCH VANISHED: the expunged UIDs of the set') or diag $f;
	like($f, qr/^\* \d+ FETCH \(UID 5 FLAGS \(\) MODSEQ \(\d+\)\)$/m, 'UID FETCH CHANGEDSINCE: changed ones');
	unlike($f, qr/UID 9\b/, 'only within the set');
	like($c->cmd("f2 FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)"), qr/^f2 BAD/m,
	    'VANISHED with FETCH (not UID FETCH) is BAD');
	like($c->cmd("f3 UID FETCH 1:* (FLAGS) (VANISHED)"), qr/^f3 BAD/m, 'VANISHED without CHANGEDSINCE is BAD');

	# VANISHED instead of EXPUNGE: our own EXPUNGE, with HIGHESTMODSEQ.
	$c->cmd('x0 SELECT INBOX');
	$c->cmd('x1 UID STORE 1,2 +FLAGS.SILENT (\\Deleted)');
	my $x = $c->cmd('x2 EXPUNGE');
	like($x, qr/^\* VANISHED 1:2\r?\nx2 OK \[HIGHESTMODSEQ \d+\] EXPUNGE completed$/m, 'EXPUNGE answers VANISHED')
	    or diag $x;
	unlike($x, qr/^\* \d+ EXPUNGE/m, 'and no EXPUNGE responses');
	$c->cmd('x3 UID STORE 4 +FLAGS.SILENT (\\Deleted)');
	like($c->cmd('x4 UID EXPUNGE 4'), qr/^\* VANISHED 4\nx4 OK \[HIGHESTMODSEQ \d+\]/m, 'UID EXPUNGE answers VANISHED');

	# Expunges by another session reach us as VANISHED on NOOP and IDLE.
	my $o = Sealpost::IMAP->login_new($sp, 'alice');
	$o->cmd('o1 SELECT INBOX');
	$o->cmd('o2 UID STORE 5 +FLAGS.SILENT (\\Deleted)');
	$o->cmd('o3 UID EXPUNGE 5');
	like($c->cmd('n1 NOOP'), qr/^\* VANISHED 5\nn1 OK/m, 'NOOP reports VANISHED');
	$c->send_line('i1 IDLE');
	like($c->read_line, qr/^\+ /, 'IDLE started');
	$o->cmd('o4 UID STORE 6 +FLAGS.SILENT (\\Deleted)');
	$o->cmd('o5 UID EXPUNGE 6');
	# The \Deleted flag comes first as a FETCH, then the expunge.
	my $line = $c->read_line;
	$line = $c->read_line while defined $line && $line =~ /^\* \d+ FETCH /;
	is($line, "* VANISHED 6\r\n", 'IDLE reports VANISHED as it happens');
	$c->send_line('DONE');
	like($c->read_until('i1'), qr/^i1 OK/m, 'IDLE ended');
	$o->cmd('oz LOGOUT');
	$c->cmd('z LOGOUT');
}

# QRESYNC without ENABLE QRESYNC is BAD, and nothing is selected.
{
	my $c = Sealpost::IMAP->login_new($sp, 'alice');
	like($c->cmd("r SELECT INBOX (QRESYNC ($uidvalidity 1))"), qr/^r BAD/m, 'QRESYNC before ENABLE is BAD');
	like($c->cmd('r2 FETCH 1 (FLAGS)'), qr/^r2 BAD/m, 'and no mailbox is selected');
	like($c->cmd('r3 SELECT INBOX (QRESYNC (x))'), qr/^r3 BAD/m, 'bad QRESYNC syntax is BAD');
	$c->cmd('e ENABLE QRESYNC');
	like($c->cmd('r4 SELECT INBOX (QRESYNC (1))'), qr/^r4 BAD/m, 'missing modseq is BAD');
	like($c->cmd('r5 SELECT INBOX (QRESYNC (1 2 1:* (1:2)))'), qr/^r5 BAD/m, 'half of the match data is BAD');
	$c->cmd('z LOGOUT');
}
done_testing;
