# imapd: sessions on one mailbox see each other's appends, flag changes and
# expunges as untagged EXISTS, FETCH and EXPUNGE, only where RFC 9051
# section 7.5.1 allows them (no EXPUNGE during FETCH, STORE or SEARCH);
# IDLE hears of a change at once, from any process; UIDs and UIDVALIDITY
# survive a restart.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_workers => 2 });
my $a = Sealpost::IMAP->login_new($sp, 'alice');
my $b = Sealpost::IMAP->login_new($sp, 'alice');
my $msg = "Subject: one\r\n\r\nbody\r\n";

sub append { my ($c, $tag) = @_; return $c->cmd("$tag APPEND INBOX {" . length($msg) . "+}\r\n$msg") }

my ($uv) = $a->cmd('a1 SELECT INBOX') =~ /UIDVALIDITY (\d+)/;
$b->cmd('b1 SELECT INBOX');
is(append($b, 'b2'), "* 1 EXISTS\nb2 OK [APPENDUID $uv 1] APPEND completed", 'b appends');
is($a->cmd('a2 NOOP'), "* 1 EXISTS\na2 OK NOOP completed", 'a hears EXISTS at NOOP');
append($b, 'b3');
append($b, 'b4');
is($a->cmd('a3 STORE 1 +FLAGS (\\Seen)'),
    "* 1 FETCH (FLAGS (\\Seen))\n* 3 EXISTS\na3 OK STORE completed", 'EXISTS after a STORE');
is($b->cmd('b5 NOOP'), "* 1 FETCH (UID 1 FLAGS (\\Seen))\nb5 OK NOOP completed", 'b hears the flag change');

# b expunges message 2; a must not hear EXPUNGE during FETCH, STORE or
# SEARCH, and keeps its numbers until then.
is($b->cmd('b6 STORE 2 +FLAGS.SILENT (\\Deleted)'), 'b6 OK STORE completed', 'b deletes 2');
is($b->cmd('b7 EXPUNGE'), "* 2 EXPUNGE\nb7 OK EXPUNGE completed", 'b expunges');
is($a->cmd('a4 FETCH 3 (UID)'), "* 3 FETCH (UID 3)\na4 OK FETCH completed",
    'a: no EXPUNGE during FETCH, message 3 is still 3');
is($a->cmd('a5 SEARCH ALL'), "* SEARCH 1 2 3\na5 OK SEARCH completed",
    'a: no EXPUNGE during SEARCH');
is($a->cmd('a6 FETCH 2 (BODY.PEEK[])'), 'a6 NO [EXPUNGEISSUED] Some of the requested messages no longer exist',
    'a: the expunged message has no body');
is($a->cmd('a7 UID FETCH 3 (FLAGS)'), "* 3 FETCH (UID 3 FLAGS ())\n* 2 EXPUNGE\na7 OK FETCH completed",
    'UID FETCH may carry the EXPUNGE');
is($a->cmd('a8 FETCH 2 (UID)'), "* 2 FETCH (UID 3)\na8 OK FETCH completed", 'renumbered after it');

# IDLE: a change by the other session arrives without a command.
$a->send_line('a9 IDLE');
is($a->read_line, "+ idling\r\n", 'IDLE');
$a->{timeout} = 5;
append($b, 'b8');
is($a->read_line, "* 3 EXISTS\r\n", 'the new message arrives during IDLE');
$b->cmd('b9 STORE 1 -FLAGS (\\Seen)');
is($a->read_line, "* 1 FETCH (UID 1 FLAGS ())\r\n", 'a flag change arrives during IDLE');
$b->cmd('b10 STORE 2 +FLAGS.SILENT (\\Deleted)');
$b->cmd('b11 EXPUNGE');
my $l = $a->read_line;
$l = $a->read_line if $l =~ /FETCH/;
is($l, "* 2 EXPUNGE\r\n", 'an expunge arrives during IDLE');
$a->send_line('DONE');
is($a->read_until('a9'), 'a9 OK IDLE terminated', 'DONE ends IDLE');
$a->{timeout} = 30;
is($a->cmd('a10 UID SEARCH ALL'), "* SEARCH 1 4\na10 OK SEARCH completed", 'what is left');

# Everything stays the same across a restart of the whole post office.
$a->cmd('a11 LOGOUT');
$b->cmd('b12 LOGOUT');
$sp->stop;
$sp->start;
my $c = Sealpost::IMAP->login_new($sp, 'alice');
my $sel = $c->cmd('c1 SELECT INBOX');
like($sel, qr/\* OK \[UIDVALIDITY $uv\]/, 'UIDVALIDITY unchanged after a restart');
like($sel, qr/\* OK \[UIDNEXT 5\]/, 'UIDNEXT unchanged after a restart');
is($c->cmd('c2 FETCH 1:* (UID FLAGS)'), "* 1 FETCH (UID 1 FLAGS ())\n* 2 FETCH (UID 4 FLAGS ())\nc2 OK FETCH completed",
    'UIDs unchanged after a restart');
done_testing;
