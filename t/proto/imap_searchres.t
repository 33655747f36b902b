# imapd: SEARCHRES (RFC 5182): SEARCH RETURN (SAVE) keeps a result that
# "$" names in FETCH, STORE, COPY, SEARCH and UID EXPUNGE; it follows
# expunges and ends with the selection.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'alice');
like($c->cmd('c1 CAPABILITY'), qr/^\* CAPABILITY .* SEARCHRES /m, 'SEARCHRES is advertised');
$c->cmd('c2 SELECT INBOX');
for my $n (1 .. 5) {
	my $m = "Subject: " . ($n % 2 ? 'odd' : 'even') . " $n\r\n\r\nbody\r\n";
	like($c->cmd("a$n APPEND INBOX {" . length($m) . "+}\r\n$m"), qr/^a$n OK/m, "APPEND $n");
}
$c->cmd('c3 NOOP');

is($c->cmd('s1 UID SEARCH RETURN (SAVE) SUBJECT odd'), 's1 OK SEARCH completed', 'save the odd ones');
is($c->cmd('s2 FETCH $ (UID)'), "* 1 FETCH (UID 1)\n* 3 FETCH (UID 3)\n* 5 FETCH (UID 5)\ns2 OK FETCH completed",
    'FETCH $');
is($c->cmd('s3 SEARCH $ SUBJECT 3'), "* SEARCH 3\ns3 OK SEARCH completed", 'SEARCH $ as a key');
is($c->cmd('s4 STORE $ +FLAGS.SILENT (\\Deleted)'), 's4 OK STORE completed', 'STORE $');
is($c->cmd('s5 UID EXPUNGE 1:2'), "* 1 EXPUNGE\ns5 OK EXPUNGE completed",
    'UID EXPUNGE with a set takes only the deleted ones in it');
is($c->cmd('s6 FETCH $ (UID)'), "* 2 FETCH (UID 3)\n* 4 FETCH (UID 5)\ns6 OK FETCH completed",
    'an expunged message leaves $');
is($c->cmd('s7 UID STORE 3 -FLAGS.SILENT (\\Deleted)'), 's7 OK STORE completed', 'keep UID 3');
is($c->cmd('s8 UID EXPUNGE $'), "* 4 EXPUNGE\ns8 OK EXPUNGE completed",
    'UID EXPUNGE $ expunges the deleted messages of the saved result');
is($c->cmd('s9 UID SEARCH ALL'), "* SEARCH 2 3 4\ns9 OK SEARCH completed", 'what is left');
$c->cmd('c4 CREATE Kept');
like($c->cmd('s10 COPY $ Kept'), qr/^s10 OK \[COPYUID \d+ 3 1\] COPY completed$/m, 'COPY $');

# SAVE with MIN or MAX keeps only those (RFC 5182 section 2.4).
is($c->cmd('s11 SEARCH RETURN (SAVE MIN) ALL'), "* ESEARCH (TAG \"s11\") MIN 1\ns11 OK SEARCH completed",
    'SAVE MIN');
is($c->cmd('s12 FETCH $ (UID)'), "* 1 FETCH (UID 2)\ns12 OK FETCH completed", '$ is the minimum only')
    or diag 'RFC 5182 section 2.4';

# RFC 5182 section 2.1: a SEARCH with SAVE answered NO empties "$"; one
# without SAVE leaves it alone.
$c->cmd('s14 SEARCH RETURN (SAVE) ALL');
like($c->cmd('s15 SEARCH CHARSET KOI8-R ALL'), qr/^s15 NO \[BADCHARSET/m, 'NO without SAVE');
is($c->cmd('s16 SEARCH $'), "* SEARCH 1 2 3\ns16 OK SEARCH completed", '$ is kept');
like($c->cmd('s17 SEARCH RETURN (SAVE) CHARSET KOI8-R ALL'), qr/^s17 NO \[BADCHARSET/m, 'NO with SAVE');
is($c->cmd('s18 SEARCH $'), "* SEARCH\ns18 OK SEARCH completed", '$ is empty');

$c->cmd('c5 UNSELECT');
$c->cmd('c6 SELECT INBOX');
is($c->cmd('s13 FETCH $ (UID)'), 's13 OK FETCH completed', '$ is empty in a new selection');
$c->cmd('z LOGOUT');
done_testing;
