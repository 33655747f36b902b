# OBJECTID (RFC 8474) and SAVEDATE (RFC 8514): MAILBOXID in SELECT and
# STATUS, kept by RENAME and new after DELETE and CREATE; EMAILID kept by
# COPY and MOVE and searchable; THREADID NIL; SAVEDATE in FETCH and the
# SAVED* search keys.
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'alice');

like($c->cmd('c1 CAPABILITY'), qr/^\* CAPABILITY .* OBJECTID SAVEDATE /m, 'OBJECTID and SAVEDATE announced');

sub append { my ($tag, $box, $msg) = @_; return $c->cmd("$tag APPEND $box {" . length($msg) . "+}\r\n$msg") }
sub mailboxid {
	my ($box) = @_;
	my ($id) = $c->cmd("m STATUS $box (MAILBOXID MESSAGES)") =~ /^\* STATUS \S+ \(MESSAGES \d+ MAILBOXID \(([A-Za-z0-9_-]+)\)\)$/m;
	return $id;
}

$c->cmd('x1 CREATE Projects');
my $pid = mailboxid('Projects');
ok(defined $pid, 'STATUS MAILBOXID gives an object ID');
isnt($pid, mailboxid('INBOX'), 'each mailbox has its own');
like($c->cmd('x2 SELECT Projects'), qr/^\* OK \[MAILBOXID \(\Q$pid\E\)\] Ok$/m, 'SELECT gives MAILBOXID');
$c->cmd('x3 UNSELECT');
$c->cmd('x4 RENAME Projects Work');
is(mailboxid('Work'), $pid, 'RENAME keeps MAILBOXID');
$c->cmd('x5 DELETE Work');
$c->cmd('x6 CREATE Work');
my $new = mailboxid('Work');
ok(defined $new && $new ne $pid, 'a mailbox created again gets a new MAILBOXID');

like(append('a1', 'INBOX', "Subject: one\r\n\r\nfirst\r\n"), qr/a1 OK/, 'append one');
like(append('a2', 'INBOX', "Subject: two\r\n\r\nsecond\r\n"), qr/a2 OK/, 'append two');
$c->cmd('s1 SELECT INBOX');
my $f = $c->cmd('f1 FETCH 1:2 (EMAILID THREADID)');
my @ids = $f =~ /EMAILID \(([A-Za-z0-9_-]{1,255})\) THREADID NIL/g;
is(scalar @ids, 2, 'EMAILID is an object ID, THREADID is NIL') or diag $f;
isnt($ids[0], $ids[1], 'two messages, two EMAILIDs');
is($c->cmd('f2 FETCH 1 (EMAILID)'), "* 1 FETCH (EMAILID ($ids[0]))\nf2 OK FETCH completed", 'EMAILID is stable');
is($c->cmd("se1 SEARCH EMAILID $ids[1]"), "* SEARCH 2\nse1 OK SEARCH completed", 'SEARCH EMAILID');
is($c->cmd('se2 SEARCH THREADID T1'), "* SEARCH\nse2 OK SEARCH completed", 'SEARCH THREADID matches nothing');

like($c->cmd('k1 COPY 1 Work'), qr/k1 OK/, 'COPY');
like($c->cmd('k2 MOVE 2 Work'), qr/k2 OK/, 'MOVE');
$c->cmd('s2 SELECT Work');
my $w = $c->cmd('f3 FETCH 1:2 (UID EMAILID)');
is($w, "* 1 FETCH (UID 1 EMAILID ($ids[0]))\n* 2 FETCH (UID 2 EMAILID ($ids[1]))\nf3 OK FETCH completed",
    'COPY and MOVE keep EMAILID');

# SAVEDATE: when the message arrived in this mailbox, in UTC.
my $sd = $c->cmd('f4 FETCH 1 (SAVEDATE INTERNALDATE)');
my ($saved) = $sd =~ /SAVEDATE "([^"]+)"/;
like($saved // '', qr/^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d \+0000$/, 'SAVEDATE is a date-time in UTC');
my $today = strftime('%d-%b-%Y', gmtime);
my $tomorrow = strftime('%d-%b-%Y', gmtime(time + 86400));
my $yesterday = strftime('%d-%b-%Y', gmtime(time - 86400));
# A test run across midnight UTC can see two days: accept either.
my $on = $c->cmd("d1 SEARCH SAVEDON $today");
ok($on eq "* SEARCH 1 2\nd1 OK SEARCH completed" || strftime('%d-%b-%Y', gmtime) ne $today,
    'SAVEDON today finds both');
is($c->cmd("d2 SEARCH SAVEDSINCE $yesterday"), "* SEARCH 1 2\nd2 OK SEARCH completed", 'SAVEDSINCE yesterday');
is($c->cmd("d3 SEARCH SAVEDBEFORE $yesterday"), "* SEARCH\nd3 OK SEARCH completed", 'SAVEDBEFORE yesterday: none');
is($c->cmd("d4 SEARCH SAVEDBEFORE $tomorrow"), "* SEARCH 1 2\nd4 OK SEARCH completed", 'SAVEDBEFORE tomorrow: both');
is($c->cmd('d5 SEARCH SAVEDATESUPPORTED'), "* SEARCH 1 2\nd5 OK SEARCH completed", 'SAVEDATESUPPORTED matches all');
like($c->cmd('d6 SEARCH SAVEDON'), qr/^d6 BAD /, 'SAVEDON needs a date');

# An old INTERNALDATE does not change the save date.
like($c->cmd('a3 APPEND Work "01-Jan-2001 10:00:00 +0000" {10+}' . "\r\nSubject: x"), qr/^\* 3 EXISTS\na3 OK/,
    'append with an old date');
is($c->cmd('d7 SEARCH BEFORE 1-Jan-2002'), "* SEARCH 3\nd7 OK SEARCH completed", 'INTERNALDATE is 2001');
is($c->cmd("d8 SEARCH SAVEDSINCE $yesterday"), "* SEARCH 1 2 3\nd8 OK SEARCH completed", 'but it was saved now');
done_testing;
