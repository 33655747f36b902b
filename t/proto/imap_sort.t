# imapd: SORT and UID SORT (RFC 5256) with DISPLAYFROM and DISPLAYTO (RFC
# 5957), ESORT's RETURN options (RFC 5267), SAVE and "$" (RFC 5182) with
# SORT, and WITHIN's YOUNGER and OLDER (RFC 5032), on the corpus in
# t/data/sort.  Every expected order is worked out by hand from the
# corpus; the keys of each message are listed below.
use strict;
use warnings;
use Test::More;
use Mail::IMAPClient;
use Sealpost::Test;
use Sealpost::IMAP;

# seq  FROM   DISPLAYFROM        TO    DISPLAYTO         CC   SUBJECT  DATE (UTC)          ARRIVAL       SIZE
#  1   zoe    Zoe Zeta           bob   bob@example.org   -    Budget   02-Mar 10:00        05-Mar 10:00  207
#  2   adam   Émile (RFC 2047)   carl  Carl              zed  budget   02-Mar 11:00 (-0800) 01-Mar 10:00 258
#  3   carl   carl@example.org   amy   Amy               bob  Audit    (none: arrival)     03-Mar 09:00  185
#  4   Bob    bob                team  team@example.org  -    audit    02-Mar 10:00 (GMT)  04-Mar 10:00  183
#  5   -      -                  zed   zed@example.org   amy  -        02-Mar 00:30 (-0100) 02-Mar 00:00 149
#  6   zoe    Zoe Zeta           bob   bob@example.org   -    Budget   (broken: arrival)   06-Mar 00:00  297
#  7   amy    Amy                bob   bob               -    Été      03-Mar 07:00 (+0100) 02-Mar 12:00 164
#
# Subjects as written: 1 "Re: Budget", 2 "Fwd: budget" (encoded), 3
# "[finance] Re: re:" folded before "Audit (fwd)", 4 "audit", 5 none,
# 6 "Re: [fwd: Budget]", 7 "Été" (ISO-8859-1 encoded word).  UIDs are the
# sequence numbers plus one: a first message is expunged before.

my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'alice');
like($c->cmd('c1 CAPABILITY'),
    qr/^\* CAPABILITY .* SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES ESORT WITHIN/m,
    'SORT, SORT=DISPLAY, THREAD, ESORT and WITHIN are advertised');
# UTF8=ACCEPT (RFC 6855): UTF-8 in quoted strings, SORT's included.
is($c->cmd('c1a ENABLE UTF8=ACCEPT'), "* ENABLED UTF8=ACCEPT\nc1a OK ENABLE completed", 'ENABLE UTF8=ACCEPT');
$c->cmd("c2 APPEND INBOX (\\Deleted) {20+}\r\nSubject: gone\r\n\r\nx\r\n");
$c->cmd('c3 SELECT INBOX');
$c->cmd('c4 EXPUNGE');
is($c->append_corpus('INBOX', Sealpost::Test::top_dir() . '/t/data/sort'), 7, 'corpus appended');
is($c->cmd('c5 UID SEARCH ALL'), "* SEARCH 2 3 4 5 6 7 8\nc5 OK SEARCH completed", 'UIDs 2 to 8');

sub sort_is {
	my ($cmd, $want, $name) = @_;
	my ($tag) = $cmd =~ /^(\S+)/;
	is($c->cmd($cmd), '* SORT' . ($want eq '' ? '' : " $want") . "\n$tag OK SORT completed",
	    $name // $cmd);
}

# Base subjects "", audit x2, budget x3, Été (0xC3 sorts after ASCII);
# equal keys keep sequence order.
sort_is('s1 SORT (SUBJECT) UTF-8 ALL', '5 3 4 1 2 6 7');
# REVERSE turns the key round but not the implicit sequence order.
sort_is('s2 SORT (REVERSE SUBJECT) UTF-8 ALL', '7 1 2 6 3 4 5');
sort_is('s3 SORT (SUBJECT DATE) UTF-8 ALL', '5 4 3 1 2 6 7');
# 1 and 4 were sent at the same instant (10:00 UTC): sequence order, in
# both directions.  3 has no Date and 6 an unreadable one: their
# arrival times count.
sort_is('s4 SORT (DATE) UTF-8 ALL', '5 1 4 2 7 3 6');
sort_is('s5 SORT (REVERSE DATE) UTF-8 ALL', '6 3 7 2 1 4 5');
sort_is('s6 SORT (ARRIVAL) UTF-8 ALL', '2 5 7 3 4 1 6');
# addr-mailbox compared with i;ascii-casemap: "" adam amy Bob carl zoe zoe.
sort_is('s7 SORT (FROM) UTF-8 ALL', '5 2 7 4 3 1 6');
sort_is('s8 SORT (FROM REVERSE DATE) UTF-8 ALL', '5 2 7 4 3 6 1');
# Display names: "" Amy bob carl@example.org (no name) Zoe Zoe Émile.
sort_is('s9 SORT (DISPLAYFROM) UTF-8 ALL', '5 7 4 3 1 6 2');
sort_is('s10 SORT (TO) UTF-8 ALL', '3 1 6 7 2 4 5');
# "bob" (7, no domain) is a prefix of "bob@example.org", so it comes first.
sort_is('s11 SORT (DISPLAYTO) UTF-8 ALL', '3 7 1 6 2 4 5');
# An absent Cc is the empty string, before any other.
sort_is('s12 SORT (CC) UTF-8 ALL', '1 4 6 7 5 3 2');
sort_is('s13 SORT (SIZE) UTF-8 ALL', '5 7 4 3 1 2 6');
sort_is('s14 sort (reverse size) us-ascii all', '6 2 1 3 4 7 5', 'keywords in any case');
sort_is('s15 UID SORT (ARRIVAL) UTF-8 ALL', '3 6 8 4 5 2 7', 'UID SORT');
sort_is('s16 SORT (DATE) UTF-8 FROM zoe', '1 6', 'with search keys');
sort_is("s17 SORT (DATE) UTF-8 SUBJECT {5+}\r\n\xc3\x89t\xc3\xa9", '7',
    'a UTF-8 search string matches a decoded subject');
sort_is("s17b SORT (DATE) UTF-8 SUBJECT \"\xc3\x89t\xc3\xa9\"", '7', 'a quoted UTF-8 string under UTF8=ACCEPT');
# RFC 6855 section 3: SEARCH takes no CHARSET after ENABLE UTF8=ACCEPT;
# SORT and THREAD must name one, as their grammar says.
is($c->cmd('s17d SEARCH CHARSET UTF-8 ALL'), 's17d BAD No CHARSET after ENABLE UTF8=ACCEPT',
    'SEARCH CHARSET under UTF8=ACCEPT is BAD');
like($c->cmd('s17e SEARCH RETURN (COUNT) CHARSET KOI8-R ALL'), qr/^s17e BAD /m, 'any charset');
is($c->cmd('s17f SEARCH RETURN (COUNT) FROM zoe'), "* ESEARCH (TAG \"s17f\") COUNT 2\ns17f OK SEARCH completed",
    'without CHARSET it works');
# Matching ignores ASCII case only: "été" is not "Été".
sort_is("s17c SORT (DATE) UTF-8 SUBJECT \"\xc3\xa9t\xc3\xa9\"", '', 'no case folding beyond ASCII');
sort_is('s18 SORT (SIZE) US-ASCII CC amy', '5', 'US-ASCII');
sort_is('s19 SORT (SUBJECT) UTF-8 TEXT "not in mailbox"', '', 'no match');
is($c->cmd('s20 SORT (DATE) KOI8-R ALL'), 's20 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset',
    'other charsets: NO [BADCHARSET]');
for my $bad ('SORT DATE UTF-8 ALL', 'SORT () UTF-8 ALL', 'SORT (REVERSE) UTF-8 ALL',
    'SORT (DATE COLOUR) UTF-8 ALL', 'SORT (DATE) UTF-8', 'SORT RETURN (FOO) (DATE) UTF-8 ALL') {
	like($c->cmd("b1 $bad"), qr/^b1 BAD /m, "BAD: $bad");
}

# ESORT: ESEARCH answers; MIN and MAX are the first and last in sort
# order, ALL keeps the order and uses only ascending ranges (RFC 5267
# section 3.2).
is($c->cmd('e1 SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 ALL'),
    "* ESEARCH (TAG \"e1\") MIN 5 MAX 6 COUNT 7\ne1 OK SORT completed", 'ESORT MIN MAX COUNT');
is($c->cmd('e2 UID SORT RETURN (ALL) (ARRIVAL) UTF-8 ALL'),
    "* ESEARCH (TAG \"e2\") UID ALL 3,6,8,4:5,2,7\ne2 OK SORT completed", 'ESORT ALL with a range');
is($c->cmd('e3 SORT RETURN () (REVERSE ARRIVAL) UTF-8 ALL'),
    "* ESEARCH (TAG \"e3\") ALL 6,1,4,3,7,5,2\ne3 OK SORT completed", 'RETURN () is ALL');
is($c->cmd('e4 SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 FROM nobody'),
    "* ESEARCH (TAG \"e4\") COUNT 0\ne4 OK SORT completed", 'no MIN or MAX for no match');

# SEARCHRES with SORT: SAVE alone answers nothing but sets "$".
is($c->cmd('r1 SORT RETURN (SAVE) (SUBJECT) UTF-8 FROM zoe'), 'r1 OK SORT completed', 'SAVE alone');
is($c->cmd('r2 FETCH $ (UID)'), "* 1 FETCH (UID 2)\n* 6 FETCH (UID 7)\nr2 OK FETCH completed", '$ after SORT');
sort_is('r3 SORT (REVERSE DATE) UTF-8 $', '6 1', '$ in SORT criteria');
sort_is('r4 UID SORT (DISPLAYFROM) UTF-8 OR $ FROM amy', '8 2 7', '$ inside OR in UID SORT');
is($c->cmd('r5 SORT RETURN (SAVE MIN COUNT) (ARRIVAL) UTF-8 NOT FROM zoe'),
    "* ESEARCH (TAG \"r5\") MIN 2 COUNT 5\nr5 OK SORT completed", 'SAVE MIN COUNT');
is($c->cmd('r6 SEARCH $'), "* SEARCH 2 3 4 5 7\nr6 OK SEARCH completed", 'with COUNT the whole result is saved');
# RFC 5182 section 2.4: MAX without ALL or COUNT saves just that one,
# the last in sort order (4 arrived last of those not from zoe).
is($c->cmd('r7 SORT RETURN (SAVE MAX) (ARRIVAL) UTF-8 NOT FROM zoe'),
    "* ESEARCH (TAG \"r7\") MAX 4\nr7 OK SORT completed", 'SAVE MAX');
is($c->cmd('r8 FETCH $ (UID)'), "* 4 FETCH (UID 5)\nr8 OK FETCH completed", '$ is the maximum only');
# RFC 5182 section 2.1: a SAVE answered NO empties "$".
like($c->cmd('r9 SORT RETURN (SAVE) (DATE) KOI8-R ALL'), qr/^r9 NO \[BADCHARSET/m, 'SAVE with a bad charset');
is($c->cmd('r10 FETCH $ (UID)'), 'r10 OK FETCH completed', '$ is empty after it');

# CONDSTORE (RFC 7162 sections 3.1.9 and 3.1.10): MODSEQ in the criteria
# adds the highest mod-sequence of the result, to SORT and to ESEARCH.
like($c->cmd('m1 SORT (REVERSE SIZE) UTF-8 MODSEQ 1'), qr/^\* SORT 6 2 1 3 4 7 5 \(MODSEQ [1-9]\d*\)\r?$/m,
    'SORT with MODSEQ');
like($c->cmd('m2 SORT RETURN (MIN COUNT) (SIZE) UTF-8 MODSEQ 1'),
    qr/^\* ESEARCH \(TAG "m2"\) MIN 5 COUNT 7 MODSEQ [1-9]\d*\r?$/m, 'ESORT with MODSEQ');
like($c->cmd('m3 SORT (SIZE) UTF-8 MODSEQ 1 FROM nobody'), qr/^\* SORT\r?$/m, 'no MODSEQ for no match');

# WITHIN (RFC 5032): the corpus arrived in 2020, this one now.
my $fresh = "Subject: fresh\r\n\r\nnew\r\n";
like($c->cmd('w0 APPEND INBOX {' . length($fresh) . "+}\r\n$fresh") . $c->cmd('w1 NOOP'),
    qr/^\* 8 EXISTS/m, 'a message arriving now');
sort_is('w2 SORT (ARRIVAL) UTF-8 YOUNGER 86400', '8', 'YOUNGER');
sort_is('w3 SORT (REVERSE ARRIVAL) UTF-8 OLDER 86400', '6 1 4 3 7 5 2', 'OLDER');
is($c->cmd('w4 SEARCH OLDER 86400 YOUNGER 86400'), "* SEARCH\nw4 OK SEARCH completed", 'never both');
like($c->cmd('w5 SEARCH YOUNGER 0'), qr/^w5 BAD /m, 'an interval of 0 is BAD');
$c->cmd('z LOGOUT');

# A real client library sorts too (UID SORT through Mail::IMAPClient).
my $host = $sp->env('SEALPOST_HOST');
my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
    Port => $sp->env('SEALPOST_IMAP_PORT'), Starttls => [ SSL_ca_file => $sp->env('SEALPOST_CA_FILE'),
    SSL_verifycn_name => $host, SSL_hostname => $host ],
    User => 'alice', Password => $sp->password('alice'), Uid => 1)
    or BAIL_OUT("Mail::IMAPClient: $@");
ok($imap->select('INBOX'), 'Mail::IMAPClient select');
is_deeply([ $imap->sort('(REVERSE DATE)', 'UTF-8', 'OLDER', 86400) ], [ 7, 4, 8, 3, 2, 5, 6 ],
    'Mail::IMAPClient sort');
$imap->logout;
done_testing;
