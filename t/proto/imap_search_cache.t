# imapd: SEARCH answers FROM, TO, CC, BCC, SUBJECT, SENT* and HEADER of the
# fields the mailbox cache stores from the cache, without the message
# file, and the answers are the ones reading the file gives: encoded
# words decoded, folded fields unfolded, every occurrence of a field
# searched, the raw text of address fields (group syntax, comments,
# brackets) matched as written.
use strict;
use warnings;
use utf8;
use Encode qw(encode_utf8);
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my @msgs = (
	"From: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg\@example.org>\r\n"
	. "To: Friends: ann\@example.org, bob\@example.net;\r\n"
	. "Subject: =?ISO-8859-1?Q?Caf=E9?= au lait\r\n"
	. "Date: Mon, 2 Mar 2026 10:00:00 +0100\r\n"
	. "Message-ID: <m1\@example.org>\r\n\r\nfirst body\r\n",

	"From: first\@example.org\r\n"
	. "From: second\@example.com\r\n"
	. "Subject: quarterly\r\n report for =?UTF-8?Q?Z=C3=BCrich?=\r\n"
	. "Date: 3 Mar 2026 09:00:00 GMT\r\n"
	. "X-Other: findme\r\n\r\nsecond body\r\n",

	"From: carol\@example.org\r\n"
	. "Cc: carol\@example.org (Carol Smith)\r\n"
	. "Bcc: hidden\@example.org\r\n"
	. "Subject: =?UTF-8?Q?split?=\r\n =?UTF-8?Q?_word?=\r\n"
	. "Message-ID: <m3\@example.org>\r\n"
	. "In-Reply-To: <m1\@example.org>\r\n\r\nthird body\r\n",

	encode_utf8("From: \"Doe, Jane\" <jane\@example.org>\r\n"
	. "Subject: Grüße aus Köln\r\n"
	. "To: undisclosed-recipients:;\r\n\r\nfourth body\r\n"),

	"from: lower\@example.org\r\n"
	. "Date: Wed, 4 Mar 2026 12:00:00 -0500\r\n\r\nno subject here\r\n",

	# ASCII with an encoded word inside a word, and an "=" that starts
	# none: only the first needs decoding.
	"Subject: lec=?UTF-8?Q?ture?= notes, a=b\r\n\r\nsixth body\r\n",
);

like($sp->lmtp_deliver('alice', $msgs[$_ - 1]), qr/^250 .* uid $_$/,
    "delivered message $_") for 1 .. @msgs;

my ($dir) = grep { -e "$_/index" } map { (my $d = $_) =~ s{/1$}{}; $d }
    glob($sp->dir . '/state/store/alice/*/1');
ok(defined $dir && -f "$dir/5", 'the mailbox directory');

# key => the UIDs a careful reading of the messages gives
my @cases = (
	['SUBJECT "café"' => '1'],
	['SUBJECT "au lait"' => '1'],
	['SUBJECT "quarterly report"' => '2'],
	['SUBJECT "report for zürich"' => '2'],
	['SUBJECT "split word"' => '3'],
	['SUBJECT "grüße aus köln"' => '4'],
	['SUBJECT ""' => '1 2 3 4 6'],
	['SUBJECT "lecture notes"' => '6'],
	['SUBJECT "a=b"' => '6'],
	['SUBJECT "=?"' => ''],
	['NOT SUBJECT ""' => '5'],
	['FROM "jörg müller"' => '1'],
	['FROM "<joerg@example.org>"' => '1'],
	['FROM first' => '2'],
	['FROM second@example.com' => '2'],
	['FROM "doe, jane"' => '4'],
	['FROM lower' => '5'],
	['FROM example.org' => '1 2 3 4 5'],
	['TO "friends:"' => '1'],
	['TO bob@example.net' => '1'],
	['TO undisclosed' => '4'],
	['CC "(carol smith)"' => '3'],
	['CC carol' => '3'],
	['BCC hidden' => '3'],
	['BCC carol' => ''],
	['HEADER Message-ID "<m3@"' => '3'],
	['HEADER message-id example' => '1 3'],
	['HEADER In-Reply-To m1' => '3'],
	['HEADER X-Other findme' => '2'],
	['SENTON 3-Mar-2026' => '2'],
	['SENTBEFORE 3-Mar-2026' => '1'],
	['SENTSINCE 3-Mar-2026' => '2 5'],
	['OR FROM first TO bob' => '1 2'],
	['FROM carol NOT CC smith' => ''],
);

my $c = Sealpost::IMAP->login_new($sp, 'alice');
$c->cmd('s SELECT INBOX');
my $tag = 0;
sub search_all {
	my ($what) = @_;
	my %got;
	for my $case (@cases) {
		my $key = encode_utf8($case->[0]);
		my @lits;
		# Non-ASCII strings go as literals (RFC 9051 section 6.4.4).
		$key =~ s{"([^"]*[\x80-\xff][^"]*)"}{'{' . length($1) . "+}\r\n$1"}ge;
		$tag++;
		my $r = $c->cmd("t$tag UID SEARCH CHARSET UTF-8 $key");
		my ($uids) = $r =~ /^\* SEARCH ?(.*)$/m;
		like($r, qr/^t$tag OK/m, "$what: $case->[0] completes") or diag $r;
		$got{$case->[0]} = $uids // 'none';
	}
	return \%got;
}

my $cached = search_all('cache');
is($cached->{$_->[0]}, $_->[1], "cache: $_->[0] finds $_->[1]") for @cases;

# Without the message files: every header key above but X-Other is still
# answered, so none of them opened a file.  BODY shows the files are gone.
for my $n (1 .. @msgs) {
	rename "$dir/$n", "$dir/$n.away" or die "rename $n: $!";
}
$tag++;
like($c->cmd("t$tag UID SEARCH BODY body"), qr/^\* SEARCH\r?\n/m, 'BODY finds nothing without the files');
my $nofile = search_all('no files');
for my $case (@cases) {
	next if $case->[0] =~ /X-Other/;
	is($nofile->{$case->[0]}, $case->[1], "without files: $case->[0]");
}
is($nofile->{'HEADER X-Other findme'}, '', 'a field the cache lacks needs the file');
for my $n (1 .. @msgs) {
	rename "$dir/$n.away", "$dir/$n" or die "rename back $n: $!";
}

# A damaged cache: every answer read from the files, and the same.
my $size = -s "$dir/cache";
ok($size, 'the cache has entries');
open my $fh, '+<', "$dir/cache" or die "cache: $!";
print $fh "\0" x $size;
close $fh;
my $fromfile = search_all('files');
is_deeply($fromfile, $cached, 'the files give the same answers as the cache');
$tag++;
like($c->cmd("t$tag UID SEARCH BODY body"), qr/^\* SEARCH 1 2 3 4 6\r?\n/m, 'and BODY reads them again');
$c->cmd('z LOGOUT');
done_testing;
