# imapd: one session's transcript over a mailbox: SELECT, APPEND with flags
# and date (APPENDUID), the FETCH items, STORE, SEARCH and ESEARCH, COPY and
# MOVE (COPYUID), EXPUNGE and UID EXPUNGE, CLOSE and UNSELECT.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'alice');

my $sel = $c->cmd('s1 SELECT INBOX');
my ($uv) = $sel =~ /UIDVALIDITY (\d+)/;
my ($mbid) = $sel =~ /MAILBOXID \(([0-9a-f]{16})\)/;
is($sel, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\n"
    . "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\n"
    . "* 0 EXISTS\n* 0 RECENT\n* OK [UIDVALIDITY $uv] UIDs valid\n"
    . "* OK [UIDNEXT 1] Predicted next UID\n* OK [MAILBOXID ($mbid)] Ok\ns1 OK [READ-WRITE] SELECT completed",
    'SELECT an empty INBOX');

my $m1 = "From: Bob <bob\@sealpost.test>\r\nTo: alice\@sealpost.test\r\n"
    . "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= lunch\r\nDate: Tue, 3 Feb 2026 10:00:00 +0100\r\n"
    . "Message-ID: <m1\@sealpost.test>\r\n\r\nSee you at noon.\r\n";
my $m2 = "From: carol\@sealpost.test\r\nSubject: report\r\nDate: 5 Mar 2026 09:00 -0500\r\n"
    . "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
    . "--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    . "Caf=C3=A9 figures attached.\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
    . "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--XX--\r\n";
is($c->cmd('a1 APPEND INBOX (\\Seen $Work) "03-Feb-2026 10:00:05 +0100" {' . length($m1) . "+}\r\n$m1"),
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \$Work)\n"
    . "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \$Work \\*)] Flags permitted\n"
    . "* 1 EXISTS\na1 OK [APPENDUID $uv 1] APPEND completed",
    'APPEND with flags and date: EXISTS, new keyword, APPENDUID');
$c->send_line('a2 APPEND INBOX {' . length($m2) . '}');
is($c->read_line, "+ Ready for literal data\r\n", 'synchronising literal');
$c->send_raw("$m2 {5+}\r\nhello\r\n");
is($c->read_until('a2'), "* 3 EXISTS\na2 OK [APPENDUID $uv 2:3] APPEND completed",
    'MULTIAPPEND of two messages in one command');

is($c->cmd('f1 FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)'),
    '* 1 FETCH (UID 1 FLAGS (\\Seen $Work) INTERNALDATE "03-Feb-2026 10:00:05 +0100" RFC822.SIZE '
    . length($m1) . ' ENVELOPE ("Tue, 3 Feb 2026 10:00:00 +0100" "=?utf-8?q?Gr=C3=BC=C3=9Fe?= lunch" '
    . '(("Bob" NIL "bob" "sealpost.test")) (("Bob" NIL "bob" "sealpost.test")) '
    . '(("Bob" NIL "bob" "sealpost.test")) ((NIL NIL "alice" "sealpost.test")) NIL NIL NIL '
    . "\"<m1\@sealpost.test>\"))\nf1 OK FETCH completed", 'FETCH simple items');
is($c->cmd('f2 FETCH 2 BODYSTRUCTURE'),
    '* 2 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 27 1 NIL NIL NIL NIL)'
    . '("application" "octet-stream" NIL NIL NIL "base64" 8 NIL NIL NIL NIL) "mixed" ("boundary" "XX") NIL NIL NIL))'
    . "\nf2 OK FETCH completed", 'BODYSTRUCTURE with extension data');
is($c->cmd('f3 FETCH 2 (BODY.PEEK[1] BODY.PEEK[1.MIME] BINARY.PEEK[1] BINARY.SIZE[2] BODY.PEEK[HEADER.FIELDS (Subject From)] BODY.PEEK[TEXT]<0.6>)'),
    "* 2 FETCH (BODY[1] {27}\r\nCaf=C3=A9 figures attached."
    . " BODY[1.MIME] {88}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    . " BINARY[1] {23}\r\nCaf\xc3\xa9 figures attached. BINARY.SIZE[2] 4"
    . " BODY[HEADER.FIELDS (Subject From)] {46}\r\nFrom: carol\@sealpost.test\r\nSubject: report\r\n\r\n"
    . " BODY[TEXT]<0> {6}\r\n--XX\r\n)\nf3 OK FETCH completed", 'section fetches');
is($c->cmd('f4 FETCH 2 BINARY.PEEK[2]'), "* 2 FETCH (BINARY[2] ~{4}\r\n\0\1\2\3)\nf4 OK FETCH completed",
    'BINARY with NUL is a literal8');
is($c->cmd('f5 FETCH 2 (FLAGS BODY[1.HEADER])'), "* 2 FETCH (FLAGS (\\Seen) BODY[1.HEADER] NIL)\nf5 OK FETCH completed",
    'BODY[] sets \\Seen and the response shows it; HEADER of a non-message part is NIL');
is($c->cmd('f6 FETCH 4 FLAGS'), 'f6 BAD Invalid message sequence number', 'past the last message');
is($c->cmd('f7 UID FETCH 2:* (FLAGS)'), "* 2 FETCH (UID 2 FLAGS (\\Seen))\n* 3 FETCH (UID 3 FLAGS ())\nf7 OK FETCH completed",
    'UID FETCH adds UID');

is($c->cmd('t1 STORE 1:3 +FLAGS (\\Flagged)'),
    "* 1 FETCH (FLAGS (\\Flagged \\Seen \$Work))\n* 2 FETCH (FLAGS (\\Flagged \\Seen))\n* 3 FETCH (FLAGS (\\Flagged))\nt1 OK STORE completed",
    'STORE +FLAGS');
is($c->cmd('t2 UID STORE 3 FLAGS.SILENT (\\Deleted)'), 't2 OK STORE completed', 'STORE .SILENT');
is($c->cmd('t3 STORE 2 -FLAGS (\\Flagged \\Seen)'), "* 2 FETCH (FLAGS ())\nt3 OK STORE completed", 'STORE -FLAGS');
is($c->cmd('t4 STORE 1 +FLAGS (\\Recent)'), 't4 BAD Invalid STORE arguments', '\\Recent cannot be set');

is($c->cmd('q1 SEARCH FLAGGED'), "* SEARCH 1\nq1 OK SEARCH completed", 'SEARCH a flag');
is($c->cmd("q2 SEARCH CHARSET UTF-8 SUBJECT \"gr\xc3\xbc\xc3\x9fe\""), "* SEARCH 1\nq2 OK SEARCH completed",
    'SEARCH a decoded subject, ignoring case');
is($c->cmd("q3 SEARCH BODY \"caf\xc3\xa9 figures\""), "* SEARCH 2\nq3 OK SEARCH completed",
    'SEARCH a decoded body');
is($c->cmd('q4 SEARCH OR FROM bob TEXT hello'), "* SEARCH 1 3\nq4 OK SEARCH completed", 'OR, TEXT');
is($c->cmd('q5 SEARCH SENTBEFORE 4-Feb-2026 NOT DELETED'), "* SEARCH 1\nq5 OK SEARCH completed", 'SENTBEFORE, NOT');
is($c->cmd('q6 UID SEARCH RETURN (MIN MAX COUNT ALL) LARGER 10'),
    "* ESEARCH (TAG \"q6\") UID MIN 1 MAX 2 COUNT 2 ALL 1:2\nq6 OK SEARCH completed", 'ESEARCH');
is($c->cmd('q7 SEARCH KEYWORD $work UID 1:2 SINCE 1-Jan-2026'), "* SEARCH 1\nq7 OK SEARCH completed", 'KEYWORD, UID, SINCE');
is($c->cmd('q8 SEARCH CHARSET KOI8-R ALL'), 'q8 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset', 'BADCHARSET');
is($c->cmd('q9 SEARCH RETURN (SAVE) SUBJECT report'), 'q9 OK SEARCH completed', 'RETURN (SAVE) alone says nothing');
is($c->cmd('q10 FETCH $ UID'), "* 2 FETCH (UID 2)\nq10 OK FETCH completed", '$ is the saved result');

is($c->cmd('c1 CREATE Work'), 'c1 OK CREATE completed', 'CREATE');
my ($wuv) = $c->cmd('c2 STATUS Work (UIDVALIDITY)') =~ /UIDVALIDITY (\d+)/;
is($c->cmd('c3 COPY 1:2 Work'), "c3 OK [COPYUID $wuv 1:2 1:2] COPY completed", 'COPY with COPYUID');
is($c->cmd('c4 COPY 1 Nowhere'), 'c4 NO [TRYCREATE] No such mailbox', 'COPY to a missing mailbox');
is($c->cmd('c5 MOVE 2 Work'), "* OK [COPYUID $wuv 2 3] Moved\n* 2 EXPUNGE\nc5 OK MOVE completed", 'MOVE');
is($c->cmd('c6 STATUS Work (MESSAGES UIDNEXT UNSEEN SIZE)'),
    '* STATUS Work (MESSAGES 3 UIDNEXT 4 UNSEEN 2 SIZE ' . (length($m1) + 2 * length($m2))
    . ")\nc6 OK STATUS completed", 'STATUS with SIZE');

is($c->cmd('e1 UID EXPUNGE 1'), 'e1 OK EXPUNGE completed', 'UID EXPUNGE leaves undeleted messages');
is($c->cmd('e2 EXPUNGE'), "* 2 EXPUNGE\ne2 OK EXPUNGE completed", 'EXPUNGE removes \\Deleted');
my ($wid) = $c->cmd('e0 STATUS Work (MAILBOXID)') =~ /MAILBOXID \(([0-9a-f]{16})\)/;
is($c->cmd('e3 EXAMINE Work'), "* OK [CLOSED] Previous mailbox closed\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \$Work)\n"
    . "* OK [PERMANENTFLAGS ()] Flags permitted\n* 3 EXISTS\n* 0 RECENT\n* OK [UNSEEN 2] First unseen\n"
    . "* OK [UIDVALIDITY $wuv] UIDs valid\n* OK [UIDNEXT 4] Predicted next UID\n* OK [MAILBOXID ($wid)] Ok\ne3 OK [READ-ONLY] EXAMINE completed",
    'EXAMINE: read-only, [CLOSED] for the old one');
is($c->cmd('e4 STORE 1 +FLAGS (\\Deleted)'), 'e4 NO [READ-ONLY] The mailbox is read-only', 'no STORE in EXAMINE');
is($c->cmd('e5 FETCH 3 BODY[TEXT]'), "* 3 FETCH (BODY[TEXT] {" . (length($m2) - index($m2, "\r\n\r\n") - 4)
    . "}\r\n" . substr($m2, index($m2, "\r\n\r\n") + 4) . ")\ne5 OK FETCH completed",
    'EXAMINE: BODY[] does not set \\Seen');
is($c->cmd('e6 UNSELECT'), 'e6 OK UNSELECT completed', 'UNSELECT');
is($c->cmd('e7 FETCH 1 FLAGS'), 'e7 BAD Select a mailbox first', 'nothing selected');
$c->cmd('e8 SELECT Work');
is($c->cmd('e9 STORE 1 +FLAGS.SILENT (\\Deleted)'), 'e9 OK STORE completed', 'mark deleted');
is($c->cmd('e10 CLOSE'), 'e10 OK CLOSE completed', 'CLOSE expunges silently');
like($c->cmd('e11 STATUS Work (MESSAGES)'), qr/^\* STATUS Work \(MESSAGES 2\)/, 'one gone');
is($c->cmd('z LOGOUT'), "* BYE Logging out\nz OK LOGOUT completed", 'LOGOUT');
done_testing;
