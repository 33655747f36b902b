# Every message of the MIME corpus (t/data/mime), delivered over LMTP, is
# stored whole, and its ENVELOPE and BODYSTRUCTURE are computed once at
# delivery, into the cache IMAP answers from.  The two header lines lmtpd
# adds change neither: they are outside every part's body.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

my $sp = Sealpost::Test->new(set => { lmtp_dedup_window => 0 });
my $c = Sealpost::Wire->new(path => $sp->env('SEALPOST_LMTP_SOCKET'));
$c->read_reply;
$c->cmd('LHLO corpus');

my $dir = Sealpost::Test::top_dir() . '/t/data/mime';
my @files = sort glob("$dir/*.eml");
ok(@files >= 10, 'the corpus is there');
my %uid;
for my $file (@files) {
	my $text = do { local (@ARGV, $/) = ($file); <> };
	$text =~ s/(?<!\r)\n/\r\n/g;
	$text .= "\r\n" unless $text =~ /\r\n\z/;
	(my $stuffed = $text) =~ s/^\./../mg;
	$c->cmd('MAIL FROM:<corpus@example.org>');
	$c->cmd('RCPT TO:<carol@sealpost.test>');
	$c->cmd('DATA');
	$c->send_raw($stuffed . ".\r\n");
	my $reply = $c->read_reply;
	(my $name = $file) =~ s{.*/}{};
	like($reply, qr/^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/, "$name delivered");
	($uid{$name}) = $reply =~ /uid (\d+)$/;
}
$c->cmd('QUIT');

my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', 'carol', 'INBOX');
my %msg;
for my $block (split /(?=^uid \d+ )/m, $out) {
	my ($uid) = $block =~ /^uid (\d+) / or next;
	$msg{$uid} = $block;
}
is(scalar keys %msg, scalar @files, 'every message is in the mailbox');
unlike($out, qr/not cached/, 'every structure came from the cache');

my %bodystructure = (
	'plain.eml' => '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 87 6 NIL NIL NIL NIL)',
	'mixed-attach.eml' => '(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 40 1 NIL NIL "en" NIL)'
	    . '("application" "pdf" ("name" "hw3.pdf") "<hw3pdf@cs.example.edu>" "Homework 3" "base64" 82 '
	    . '"Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename" "hw3.pdf" "size" "48")) ("en" "de") '
	    . '"https://cs.example.edu/cs101/hw3.pdf")("text" "csv" ("charset" "utf-8" "name" "rubric.csv") '
	    . 'NIL NIL "7BIT" 37 3 NIL ("inline" NIL) NIL NIL) "mixed" ("boundary" "----=_Part_0_1234567.890") NIL NIL NIL)',
);
my %envelope = (
	'plain.eml' => '("Tue, 5 Mar 2024 09:13:58 -0500" "Lunch on Thursday?" (("Alice Liddell" NIL "alice" "example.edu")) '
	    . '(("Alice Liddell" NIL "alice" "example.edu")) (("Alice Liddell" NIL "alice" "example.edu")) '
	    . '((NIL NIL "bob" "example.edu")) NIL NIL NIL "<20240305141358.GA1234@example.edu>")',
	'rfc822-nested.eml' => '("Fri, 8 Mar 2024 10:00:00 +0100" "Fwd: Room change" (("Erin" NIL "erin" "example.edu")) '
	    . '(("Erin" NIL "erin" "example.edu")) (("Erin" NIL "erin" "example.edu")) '
	    . '(("Frank" NIL "frank" "example.edu")) NIL NIL NIL "<fwd-1@example.edu>")',
);
for my $name (sort keys %bodystructure) {
	my ($got) = ($msg{$uid{$name}} // '') =~ /^bodystructure (.*)$/m;
	is($got, $bodystructure{$name}, "BODYSTRUCTURE of $name");
}
for my $name (sort keys %envelope) {
	my ($got) = ($msg{$uid{$name}} // '') =~ /^envelope (.*)$/m;
	is($got, $envelope{$name}, "ENVELOPE of $name");
}
for my $file (@files) {
	(my $name = $file) =~ s{.*/}{};
	my $text = do { local (@ARGV, $/) = ($file); <> };
	$text =~ s/(?<!\r)\n/\r\n/g;
	$text .= "\r\n" unless $text =~ /\r\n\z/;
	my ($body) = ($msg{$uid{$name}} // '') =~ /\n\nReturn-Path: <corpus\@example\.org>\r\nDelivered-To: carol\@sealpost\.test\r\n(.*)\n\.\n\z/s;
	is($body, $text, "$name stored byte for byte");
}
done_testing;
