# imapd: FETCH of ENVELOPE and BODYSTRUCTURE over many messages reads the
# mailbox cache a window of many entries at a time, and answers exactly
# what parsing the message files gives: across window boundaries, with the
# message files gone (the cache alone answers), with one entry damaged (that
# message is parsed from its file, its neighbours still come from the
# cache), and in a mailbox the messages were copied into.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $n = 300;

# Long subjects and address lists make each entry about a kilobyte, so
# 300 of them span several 128 KiB windows; every third message is
# multipart, so BODYSTRUCTURE differs from message to message.
sub message {
	my ($i) = @_;
	my $subject = "report $i " . ('x' x (200 + $i % 97));
	my $to = join(', ', map { "\"Person $_\" <p$_.$i\@example.org>" } 1 .. 6);
	my $head = "From: Sender $i <s$i\@example.org>\r\n"
	    . "To: $to\r\nSubject: $subject\r\n"
	    . "Message-ID: <m$i\@example.org>\r\n"
	    . "Date: Mon, 2 Mar 2026 10:00:00 +0100\r\n";
	return $head . "\r\nplain body $i\r\n" if $i % 3;
	return $head . "MIME-Version: 1.0\r\n"
	    . "Content-Type: multipart/mixed; boundary=\"b$i\"\r\n\r\n"
	    . "--b$i\r\nContent-Type: text/plain\r\n\r\npart one $i\r\n"
	    . "--b$i\r\nContent-Type: application/octet-stream; name=\"f$i.bin\"\r\n"
	    . "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b$i--\r\n";
}

my $delivered = 0;
for my $i (1 .. $n) {
	$delivered++ if $sp->lmtp_deliver('alice', message($i)) =~ /^250 /;
}
is($delivered, $n, "$n messages delivered");

my ($dir) = grep { -e "$_/index" } map { (my $d = $_) =~ s{/1$}{}; $d }
    glob($sp->dir . '/state/store/alice/*/1');
ok(defined $dir && -f "$dir/$n", 'the mailbox directory');
ok((-s "$dir/cache") > 3 * 128 * 1024, 'the cache spans several windows');

my $c = Sealpost::IMAP->login_new($sp, 'alice');
$c->cmd('s SELECT INBOX');
my $tag = 0;

# Each message's ENVELOPE and BODYSTRUCTURE, by sequence number.
sub fetch_all {
	my ($conn, $what) = @_;
	$tag++;
	my $r = $conn->cmd("f$tag FETCH 1:* (ENVELOPE BODYSTRUCTURE)");
	like($r, qr/^f$tag OK/m, "$what: FETCH completes") or diag $r;
	my %got = $r =~ /^\* (\d+) FETCH \((.*)\)\r?$/mg;
	return \%got;
}

my $cached = fetch_all($c, 'cache');
is(scalar(keys %$cached), $n, 'one answer for each message');
like($cached->{1}, qr/"report 1 x+"/, 'the first subject');
like($cached->{$n}, qr/"report $n x+"/, 'the last subject');
like($cached->{3}, qr/"application" "octet-stream"/, 'a multipart structure');

# From the files alone: a new session with the cache emptied parses each
# message again.
my $size = -s "$dir/cache";
open my $fh, '<', "$dir/cache" or die "cache: $!";
binmode $fh;
read($fh, my $saved, $size) == $size or die "read cache: $!";
close $fh;
sub write_cache {
	my ($bytes, $at) = @_;
	open my $w, '+<', "$dir/cache" or die "cache: $!";
	binmode $w;
	seek $w, $at // 0, 0;
	print $w $bytes;
	close $w;
}
write_cache("\0" x $size);
my $c2 = Sealpost::IMAP->login_new($sp, 'alice');
$c2->cmd('s SELECT INBOX');
my $parsed = fetch_all($c2, 'files');
is_deeply($parsed, $cached, 'the files give what the cache gave');

# The cache alone: the files moved away, the cache as it was.
write_cache($saved);
rename "$dir/$_", "$dir/$_.away" or die "rename $_: $!" for 1 .. $n;
my $c3 = Sealpost::IMAP->login_new($sp, 'alice');
$c3->cmd('s SELECT INBOX');
my $nofiles = fetch_all($c3, 'no files');
is_deeply($nofiles, $cached, 'without the files, the cache answers alone');
rename "$dir/$_.away", "$dir/$_" or die "rename back $_: $!" for 1 .. $n;

# One entry damaged in the middle of a window: that message alone is
# parsed from its file; with its file gone too, only it is NIL.
write_cache("\xff" x 64, int($size / 2));
my $c4 = Sealpost::IMAP->login_new($sp, 'alice');
$c4->cmd('s SELECT INBOX');
my $damaged = fetch_all($c4, 'one damaged entry');
is_deeply($damaged, $cached, 'a damaged entry is read from its file');
my $c5 = Sealpost::IMAP->login_new($sp, 'alice');
$c5->cmd('s SELECT INBOX');
rename "$dir/$_", "$dir/$_.away" or die "rename $_: $!" for 1 .. $n;
my $nil = fetch_all($c5, 'one damaged entry, no files');
rename "$dir/$_.away", "$dir/$_" or die "rename back $_: $!" for 1 .. $n;
my @differ = grep { $nil->{$_} ne $cached->{$_} } sort { $a <=> $b } keys %$cached;
ok(@differ >= 1 && @differ <= 2, 'only the messages of the damaged bytes '
    . 'need their files') or diag "differ: @differ";
like($nil->{$differ[0] // 0} // '', qr/ENVELOPE NIL/, 'and they are NIL without them');

# COPY takes the entries through a window too: the copies answer the same.
write_cache($saved);
my $c6 = Sealpost::IMAP->login_new($sp, 'alice');
$c6->cmd('s SELECT INBOX');
like($c6->cmd('c1 CREATE Copies'), qr/^c1 OK/m, 'a second mailbox');
like($c6->cmd("c2 COPY 1:* Copies"), qr/^c2 OK/m, 'every message copied');
like($c6->cmd('c3 SELECT Copies'), qr/^c3 OK/m, 'the copies selected');
my $copies = fetch_all($c6, 'copies');
is_deeply($copies, $cached, 'the copies answer the same');
$_->cmd('z LOGOUT') for $c, $c2, $c3, $c4, $c5, $c6;
done_testing;
