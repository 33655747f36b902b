# imapd: THREAD and UID THREAD (RFC 5256), ORDEREDSUBJECT and REFERENCES,
# on the corpus in t/data/thread.  The expected answers are worked out by
# hand; the comments give the reasoning for the tricky parts.
use strict;
use warnings;
use Test::More;
use Mail::IMAPClient;
use Sealpost::Test;
use Sealpost::IMAP;

# seq  Message-ID   References / In-Reply-To    Subject             sent (UTC)
#  1   a1           -                           Picnic              01-Mar 10:00
#  2   a2           a1                          Re: Picnic          01-Mar 11:00
#  3   b1           IRT gone (not here)         Re: Café (RFC 2047) 01-Mar 09:00
#  4   a3           a1 a2                       Re: Re: Picnic      01-Mar 12:00
#  5   c1           -                           Minutes             02-Mar 08:00
#  6   a4           a2 (truncated)              RE: Picnic          01-Mar 11:30 (12:30 +0100)
#  7   c2           -                           Re: Minutes         02-Mar 09:00
#  8   d1           -                           Café (ISO-8859-1)   28-Feb 18:00
#  9   (none)       -                           Budget              03-Mar 09:00
# 10   e1           -                           [finance] Budget    03-Mar 10:00
# 11   f1           missing                     Plans               04-Mar 00:00
# 12   f2           missing                     Re: Plans           04-Mar 01:00
# 13   g1           a1 a4                       Picnic photos       no Date: arrival 05-Mar 00:00
# 14   h1           h1 (itself)                 Loop                05-Mar 12:00
# 15   "c1" (dup)   -                           Minutes (fwd)       02-Mar 07:00
#
# UIDs are the sequence numbers plus one: a first message is expunged.

# No corpus message has more than two References, so a cap of two changes
# none of the answers below; the last test shows the cap at work.
my $sp = Sealpost::Test->new(set => { imap_thread_max_references => 2 });
my $c = Sealpost::IMAP->login_new($sp, 'alice');
like($c->cmd('c1 CAPABILITY'), qr/ THREAD=ORDEREDSUBJECT THREAD=REFERENCES /, 'THREAD is advertised');
$c->cmd("c2 APPEND INBOX (\\Deleted) {20+}\r\nSubject: gone\r\n\r\nx\r\n");
$c->cmd('c3 SELECT INBOX');
$c->cmd('c4 EXPUNGE');
is($c->append_corpus('INBOX', Sealpost::Test::top_dir() . '/t/data/thread'), 15, 'corpus appended');
is($c->cmd('c5 SEARCH ALL'), "* SEARCH " . join(' ', 1 .. 15) . "\nc5 OK SEARCH completed", '15 messages');

sub thread_is {
	my ($cmd, $want, $name) = @_;
	my ($tag) = $cmd =~ /^(\S+)/;
	is($c->cmd($cmd), '* THREAD' . ($want eq '' ? '' : " $want") . "\n$tag OK THREAD completed",
	    $name // $cmd);
}

# ORDEREDSUBJECT: one thread per base subject (Café in two charsets is one
# subject, "[finance] Budget" is "Budget", "Minutes (fwd)" is "Minutes"),
# messages in date order, the later ones siblings under the first; the
# threads in the order of their first messages' dates.
my $ordered = '(8 3)(1 (2)(6)(4))(15 (5)(7))(9 10)(11 12)(13)(14)';
thread_is('t1 THREAD ORDEREDSUBJECT UTF-8 ALL', $ordered, 'ORDEREDSUBJECT');

# REFERENCES:
# - 1 <- 2 <- {4, 6}: 6's References name only a2, 4's name a1 and a2 (a2
#   already has its parent, kept).  6 was sent at 11:30 UTC, before 4.
#   13 names a1 and a4, so it is 6's child (a4 keeps its parent a2).
# - 3 answers a message not in the mailbox: the dummy "gone" has one
#   child and is pruned.  By subject, "Re: Café" then joins "Café" (8) as
#   its child, since 3 is a reply and 8 is not.
# - 15 has 5's Message-ID (once quoted): a duplicate, so an ID of its own.
#   Subject "Minutes (fwd)" is a forward, 5 is not: 15 goes under 5; so
#   does 7, a reply by subject alone.  5's children by date: 15, 7.
# - 9 and 10: the same subject, neither a reply: a dummy holds both.
# - 11 and 12 answer the unknown "missing": a dummy with two children
#   stays at the top.
# - 14 references itself: no parent.
my $refs = '(8 3)(1 2 (6 13)(4))(5 (15)(7))((9)(10))((11)(12))(14)';
thread_is('t2 THREAD REFERENCES UTF-8 ALL', $refs, 'REFERENCES');
# Without message 1, a1 is a dummy with the single child 2, promoted to
# the top (a dummy stays there only with several children).
thread_is('t3 THREAD REFERENCES UTF-8 NOT 1',
    '(8 3)(2 (6 13)(4))(5 (15)(7))((9)(10))((11)(12))(14)', 'a missing thread root');
thread_is('t4 THREAD REFERENCES US-ASCII SUBJECT picnic', '(1 2 (6 13)(4))', 'with search keys');
# Only the replies to 5: 15 and 7 share the subject "Minutes"; both are
# replies, so a dummy holds them.
thread_is('t5 THREAD REFERENCES UTF-8 SUBJECT minutes NOT FROM eve', '((15)(7))',
    'two replies without their original');
thread_is('t6 thread orderedsubject utf-8 subject nothing-like-this', '', 'no match');

(my $uid_ordered = $ordered) =~ s/(\d+)/$1 + 1/ge;
(my $uid_refs = $refs) =~ s/(\d+)/$1 + 1/ge;
thread_is('u1 UID THREAD ORDEREDSUBJECT UTF-8 ALL', $uid_ordered, 'UID THREAD ORDEREDSUBJECT');
thread_is('u2 UID THREAD REFERENCES UTF-8 ALL', $uid_refs, 'UID THREAD REFERENCES');

# "$" from a saved SEARCH works in THREAD's criteria.
is($c->cmd('r1 SEARCH RETURN (SAVE) FROM ann'), 'r1 OK SEARCH completed', 'save a result');
thread_is('r2 THREAD REFERENCES UTF-8 $', '(1 4)(12)', '$ in THREAD criteria');

is($c->cmd('b1 THREAD REFERENCES BIG5 ALL'), 'b1 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset',
    'other charsets: NO [BADCHARSET]');
like($c->cmd('b2 THREAD JWZ UTF-8 ALL'), qr/^b2 BAD /m, 'unknown algorithm');
like($c->cmd('b3 THREAD REFERENCES UTF-8'), qr/^b3 BAD /m, 'no search keys');

# imap_thread_max_references: k2 reaches k1 only through its first
# reference, beyond the last two, so it is a thread of its own.
$c->cmd('k1 CREATE Capped');
for my $m ("Message-ID: <k1\@x>\r\nSubject: first\r\n\r\nx\r\n",
    "Message-ID: <k2\@x>\r\nReferences: <k1\@x> <n1\@x> <n2\@x>\r\nSubject: second\r\n\r\nx\r\n") {
	like($c->cmd('k2 APPEND Capped {' . length($m) . "+}\r\n$m"), qr/^k2 OK/m, 'append to Capped');
}
$c->cmd('k3 SELECT Capped');
thread_is('k4 THREAD REFERENCES UTF-8 ALL', '(1)(2)', 'only the last two references link');

$c->cmd('c6 UNSELECT');
like($c->cmd('b4 THREAD REFERENCES UTF-8 ALL'), qr/^b4 BAD /m, 'only in the selected state');
$c->cmd('z LOGOUT');

# A real client library parses the answer (Mail::IMAPClient::Thread).
my $host = $sp->env('SEALPOST_HOST');
my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
    Port => $sp->env('SEALPOST_IMAP_PORT'), Starttls => [ SSL_ca_file => $sp->env('SEALPOST_CA_FILE'),
    SSL_verifycn_name => $host, SSL_hostname => $host ],
    User => 'alice', Password => $sp->password('alice'), Uid => 0)
    or BAIL_OUT("Mail::IMAPClient: $@");
ok($imap->select('INBOX'), 'Mail::IMAPClient select');
my $tree = $imap->thread('REFERENCES', 'UTF-8', 'ALL');
ok(ref $tree eq 'ARRAY' && @$tree == 6, 'Mail::IMAPClient sees six threads') or diag explain $tree;
sub flat { map { ref $_ ? flat(@$_) : $_ } @_ }
is(join(' ', flat($tree)), '8 3 1 2 6 13 4 5 15 7 9 10 11 12 14', 'in the expected order');
$imap->logout;
done_testing;
