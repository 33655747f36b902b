# imapd: a BODY search of a mailbox whose files are in the page cache
# reads them 32 at a time through io_uring (libmail/file_batch) once it
# has needed the files of 8 messages in a row, and finds what reading
# each file alone finds: across batch boundaries, in a message above the
# batch's size limit (read alone), in the messages a batch leaves out to
# check the page cache, and never in an expunged message.  A search that
# needs one file (`UID n BODY`) reads it alone; it answers the same,
# message by message.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $n = 150;
my @with;
for my $i (1 .. $n) {
	my $has = $i % 7 == 0 || $i == 8 || $i == 33 || $i == 64 || $i == 100;
	push @with, $i if $has;
	my $body = "line $i of the message\r\n" x ($i == 100 ? 2000 : 3);
	$body .= "the word is Quokka here\r\n" if $has;
	my $msg = "From: a$i\@example.org\r\nSubject: m $i\r\n"
	    . "Message-ID: <b$i\@example.org>\r\n\r\n$body";
	like($sp->lmtp_deliver('alice', $msg), qr/^250 /, "message $i")
	    or BAIL_OUT('delivery failed');
}
ok(length("line 100 of the message\r\n" x 2000) > 32 * 1024,
   'message 100 is above the batch limit');

my $c = Sealpost::IMAP->login_new($sp, 'alice');
like($c->cmd('s SELECT INBOX'), qr/^s OK/m, 'selected');
# Twice: the first search may find the files cold and read ahead; the
# second finds them cached and reads them in batches.
for my $pass (1, 2) {
	my $r = $c->cmd("a$pass UID SEARCH BODY quokka");
	my ($uids) = $r =~ /^\* SEARCH ?(.*?)\r?$/m;
	is($uids, join(' ', @with), "pass $pass: every message with the word, "
	    . 'and no other');
}
# One message at a time: the same answer, message by message.
my @alone;
for my $i (1 .. $n) {
	my $r = $c->cmd("o$i UID SEARCH UID $i BODY quokka");
	push @alone, $i if $r =~ /^\* SEARCH $i\r?$/m;
}
is("@alone", "@with", 'read alone, each message answers the same');

# Expunged messages match nothing, and their neighbours still do.
like($c->cmd('d1 UID STORE 14,21,64 +FLAGS.SILENT (\Deleted)'), qr/^d1 OK/m,
    'three flagged');
like($c->cmd('d2 EXPUNGE'), qr/^d2 OK/m, 'and expunged');
my %gone = map { $_ => 1 } 14, 21, 64;
my $r = $c->cmd('a3 UID SEARCH BODY quokka');
my ($uids) = $r =~ /^\* SEARCH ?(.*?)\r?$/m;
is($uids, join(' ', grep { !$gone{$_} } @with), 'the expunged ones are gone');
# NOT BODY: every other live message, so no file left unread counts.
$r = $c->cmd('a4 UID SEARCH NOT BODY quokka');
($uids) = $r =~ /^\* SEARCH ?(.*?)\r?$/m;
my %has = map { $_ => 1 } @with;
is($uids, join(' ', grep { !$has{$_} } 1 .. $n), 'NOT BODY finds the rest');
$c->cmd('z LOGOUT');
done_testing;
