# imapd: CONDSTORE (RFC 7162 section 3.1): MODSEQ fetch item,
# CHANGEDSINCE, UNCHANGEDSINCE with [MODIFIED], HIGHESTMODSEQ in SELECT and
# STATUS, SEARCH MODSEQ, and the enabling commands that switch MODSEQ on in
# every untagged FETCH.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'alice');
my $other = Sealpost::IMAP->login_new($sp, 'alice');

like($c->cmd('c1 CAPABILITY'), qr/^\* CAPABILITY .* CONDSTORE\b/m, 'CONDSTORE is advertised');

sub status_modseq {
	my $r = $c->cmd("$_[0] STATUS INBOX (HIGHESTMODSEQ)");
	return $r =~ /^\* STATUS INBOX \(HIGHESTMODSEQ (\d+)\)$/m ? $1 : undef;
}

my $m0 = status_modseq('st0');
ok(defined $m0, 'STATUS (HIGHESTMODSEQ)');
for my $n (1 .. 4) {
	my $m = "Subject: m$n\r\n\r\nbody $n\r\n";
	like($c->cmd("a$n APPEND INBOX {" . length($m) . "+}\r\n$m"), qr/^a$n OK/m, "APPEND $n");
}
my $m1 = status_modseq('st1');
cmp_ok($m1, '>', $m0, 'HIGHESTMODSEQ grows with each change');

# SELECT (CONDSTORE) reports HIGHESTMODSEQ.
my $sel = $c->cmd('s1 SELECT INBOX (CONDSTORE)');
like($sel, qr/^\* OK \[HIGHESTMODSEQ $m1\]/m, 'SELECT (CONDSTORE) gives HIGHESTMODSEQ');
like($sel, qr/^s1 OK \[READ-WRITE\]/m, 'SELECT (CONDSTORE) works');

my $f = $c->cmd('f1 FETCH 1:* (MODSEQ)');
my %ms = $f =~ /^\* (\d+) FETCH \(MODSEQ \((\d+)\)\)$/mg;
is(scalar(keys %ms), 4, 'MODSEQ for every message') or diag $f;
ok(!grep({ $_ > $m1 } values %ms), 'no message above HIGHESTMODSEQ');

# A flag change moves the message's modseq above the old HIGHESTMODSEQ.
my $st = $c->cmd('t1 STORE 2 +FLAGS (\\Seen)');
like($st, qr/^\* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \((\d+)\)\)$/m,
    'STORE answers with UID and MODSEQ once CONDSTORE is on');
my ($m2) = $st =~ /MODSEQ \((\d+)\)/;
cmp_ok($m2, '>', $m1, 'the change got a new modseq');

# CHANGEDSINCE returns only what changed after the given modseq.
is($c->cmd("f2 FETCH 1:* (FLAGS) (CHANGEDSINCE $m1)"),
    "* 2 FETCH (FLAGS (\\Seen) MODSEQ ($m2))\nf2 OK FETCH completed", 'FETCH CHANGEDSINCE');
is($c->cmd("f3 UID FETCH 1:* (FLAGS) (CHANGEDSINCE $m2)"), 'f3 OK FETCH completed',
    'nothing changed since the newest');

# UNCHANGEDSINCE: another session changes message 3 in between; our
# conditional STORE leaves it alone and names it in [MODIFIED].
like($other->cmd('o1 SELECT INBOX'), qr/^o1 OK/m, 'other session selects');
like($other->cmd('o2 STORE 3 +FLAGS.SILENT (\\Flagged)'), qr/^o2 OK/m, 'other session flags 3');
my $u = $c->cmd("u1 STORE 1,3 (UNCHANGEDSINCE $m2) +FLAGS (\\Answered)");
like($u, qr/^u1 OK \[MODIFIED 3\]/m, 'UNCHANGEDSINCE conflict gives [MODIFIED 3]') or diag $u;
like($u, qr/^\* 1 FETCH \(UID 1 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)$/m, 'message 1 was changed');
unlike($u, qr/^\* 3 FETCH \(UID 3 FLAGS \([^)]*\\Answered/m, 'message 3 was not');
like($u, qr/^\* 3 FETCH \(UID 3 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/m,
    "the other session's change is reported with MODSEQ");
is($c->cmd('u2 STORE 4 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)'),
    "u2 OK [MODIFIED 4] Conditional STORE failed", 'UNCHANGEDSINCE 0 always fails');

# SEARCH MODSEQ: the matches and their highest modseq.
my $m3 = status_modseq('st2');
cmp_ok($m3, '>', $m2, 'STATUS HIGHESTMODSEQ increased again');
is($c->cmd("q1 SEARCH MODSEQ " . ($m2 + 1)), "* SEARCH 1 3 (MODSEQ $m3)\nq1 OK SEARCH completed",
    'SEARCH MODSEQ gives the matches and (MODSEQ n)');
like($c->cmd("q2 UID SEARCH RETURN (ALL) MODSEQ " . ($m2 + 1)),
    qr/^\* ESEARCH \(TAG "q2"\) UID ALL 1,3 MODSEQ $m3$/m, 'ESEARCH carries MODSEQ');
is($c->cmd("q3 SEARCH MODSEQ " . ($m3 + 1)), "* SEARCH\nq3 OK SEARCH completed", 'no match, no MODSEQ');

# An update from another session while idle carries MODSEQ.
like($other->cmd('o3 STORE 4 +FLAGS.SILENT ($Work)'), qr/^o3 OK/m, 'other session sets a keyword');
my $n = $c->cmd('n1 NOOP');
like($n, qr/^\* 4 FETCH \(UID 4 FLAGS \(\$Work\) MODSEQ \((\d+)\)\)$/m, 'unsolicited FETCH has MODSEQ') or diag $n;

# A session that never used CONDSTORE sees no MODSEQ and no HIGHESTMODSEQ.
my $plain = Sealpost::IMAP->login_new($sp, 'alice');
my $ps = $plain->cmd('p1 SELECT INBOX');
unlike($ps, qr/HIGHESTMODSEQ/, 'no HIGHESTMODSEQ for a client that did not ask');
like($plain->cmd('p2 STORE 1 +FLAGS (\\Draft)'), qr/^\* 1 FETCH \(FLAGS \(\\Answered \\Draft\)\)$/m,
    'plain STORE answer without MODSEQ');
# The first enabling command with a mailbox selected announces HIGHESTMODSEQ.
my $e = $plain->cmd('p3 FETCH 1 (MODSEQ)');
like($e, qr/^\* OK \[HIGHESTMODSEQ \d+\]/m, 'first enabling command sends HIGHESTMODSEQ');
like($e, qr/^\* 1 FETCH \(MODSEQ \(\d+\)\)$/m, 'FETCH MODSEQ');
unlike($plain->cmd('p4 FETCH 1 (MODSEQ)'), qr/HIGHESTMODSEQ/, 'only the first one does');

# A FETCH that sets \Seen reports UID and MODSEQ too (RFC 7162 3.2.4).
like($plain->cmd('p5 FETCH 3 (BODY[TEXT])'), qr/^\* 3 FETCH \(UID 3 FLAGS \(\\Flagged \\Seen\) MODSEQ \(\d+\) BODY\[TEXT\] /m,
    'implicit \\Seen comes with UID and MODSEQ');

$_->cmd('z LOGOUT') for $c, $other, $plain;
done_testing;
