# imapd and the store: a header search (and SORT and THREAD) reads each
# message's header fields from the mailbox's fields file, apart from the
# cache, and gives the answers the cache and the message files give: for messages stored
# before the fields file existed (an index of version 1, which is read as
# it is and answered from the cache), for messages stored after, after
# `sealpost reconstruct` (which writes the missing entries) and after
# EXPUNGE.  A fields file that cannot be read sends the search back to
# the cache.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my @fruit = qw(apple banana cherry damson elder fig grape);
sub message {
	my ($n) = @_;
	return "From: sender$n\@example.org\r\n"
	    . "Subject: fruit $fruit[$n - 1]\r\n"
	    . "Date: $n Mar 2026 10:00:00 +0000\r\n"
	    . "Message-ID: <f$n\@example.org>\r\n"
	    . ($n == 6 ? "References: <f1\@example.org>\r\n" : '')
	    . "\r\nbody $n\r\n";
}

like($sp->lmtp_deliver('alice', message($_)), qr/^250 .* uid $_$/,
    "delivered message $_ (before)") for 1 .. 3;
$sp->lmtp_close;
my ($dir) = glob($sp->dir . '/state/store/alice/*/3');
$dir =~ s{/3$}{};
ok(-f "$dir/fields", 'the mailbox has a fields file');

# The mailbox as a store of index version 1 left it: no fields file, and
# no fields offsets in the records (the top 16 bits of each record's
# cache offset at byte 40, and the 16 bits at byte 54).  Made with the
# post office stopped, as an upgrade finds it: a running lmtpd keeps the
# mailbox open and would go on writing to the fields file removed here.
$sp->stop;
sub index_version {
	open my $fh, '<:raw', "$dir/index" or die "index: $!";
	sysread($fh, my $h, 12) == 12 or die 'short index';
	return unpack('V', substr($h, 8, 4));
}
{
	open my $fh, '+<:raw', "$dir/index" or die "index: $!";
	sysread($fh, my $h, 40) == 40 or die 'short index';
	my $count = unpack('V', substr($h, 32, 4));
	is($count, 3, 'three records');
	sysseek($fh, 8, 0);
	syswrite($fh, pack('V', 1));
	for my $i (0 .. $count - 1) {
		my $at = 8192 + 72 * $i;
		sysseek($fh, $at + 46, 0);
		syswrite($fh, "\0\0");
		sysseek($fh, $at + 54, 0);
		syswrite($fh, "\0\0");
	}
	close $fh;
	unlink "$dir/fields" or die "fields: $!";
}
is(index_version(), 1, 'the index says version 1');
$sp->restart;

like($sp->lmtp_deliver('alice', message($_)), qr/^250 .* uid $_$/,
    "delivered message $_ (after)") for 4 .. 6;
$sp->lmtp_close;
is(index_version(), 2, 'the index says version 2 from its first write on');
{
	open my $fh, '<:raw', "$dir/fields" or die "fields: $!";
	sysread($fh, my $magic, 8);
	is($magic, "SPMBFLD\0", 'a new fields file, with its header');
}

# key => UIDs, for the mailbox of messages 1 to 6
my @cases = (
	['SUBJECT fruit' => '1 2 3 4 5 6'],
	['SUBJECT cherry' => '3'],
	['SUBJECT elder' => '5'],
	['FROM sender2@' => '2'],
	['FROM sender5@' => '5'],
	['HEADER Message-ID <f4@' => '4'],
	['SENTON 1-Mar-2026' => '1'],
	['SENTSINCE 5-Mar-2026' => '5 6'],
	['OR SUBJECT apple SUBJECT fig' => '1 6'],
	['NOT SUBJECT banana' => '1 3 4 5 6'],
	['SUBJECT fruit BODY body' => '1 2 3 4 5 6'],
	['SORT (REVERSE SUBJECT)' => '6 5 4 3 2 1'],
	['SORT (REVERSE FROM)' => '6 5 4 3 2 1'],
	['SORT (REVERSE DATE)' => '6 5 4 3 2 1'],
	['THREAD' => '(1 6)(2)(3)(4)(5)'],
);
my $tag = 0;
sub answers {
	my ($c, @keys) = @_;
	my %got;
	for my $key (@keys) {
		$tag++;
		my $cmd = $key =~ /^SORT (.*)/ ? "UID SORT $1 US-ASCII ALL"
		    : $key eq 'THREAD' ? 'UID THREAD REFERENCES US-ASCII ALL'
		    : "UID SEARCH $key";
		my $r = $c->cmd("t$tag $cmd");
		like($r, qr/^t$tag OK/m, "$key completes") or diag $r;
		my ($uids) = $r =~ /^\* (?:SEARCH|SORT|THREAD) ?(.*?)\r?$/m;
		$got{$key} = $uids // 'none';
	}
	return \%got;
}
sub check {
	my ($c, $what, $want) = @_;
	my $got = answers($c, map { $_->[0] } @$want);
	is($got->{$_->[0]}, $_->[1], "$what: $_->[0] finds $_->[1]") for @$want;
}

# Header searches only, with neither the cache nor the files to read:
# what the fields file alone answers.  The cache is put back as it was
# (in place: sessions keep their descriptors).
sub fields_only {
	my ($c, $what, $uids, $want) = @_;
	my $cache = do { local $/; open my $fh, '<:raw', "$dir/cache" or die; <$fh> };
	open my $fh, '+<:raw', "$dir/cache" or die "cache: $!";
	print $fh "\0" x length($cache);
	close $fh;
	for my $n (@$uids) {
		rename "$dir/$n", "$dir/$n.away" or die "rename $n: $!";
	}
	check($c, $what, [grep { $_->[0] !~ /BODY/ } @$want]);
	for my $n (@$uids) {
		rename "$dir/$n.away", "$dir/$n" or die "rename back $n: $!";
	}
	open $fh, '+<:raw', "$dir/cache" or die "cache: $!";
	print $fh $cache;
	close $fh;
}

# Only the UIDs in @$keep of each search's answer; no NOT, which a
# message that cannot be read at all matches, and no SORT or THREAD,
# which put such a message first.
sub only {
	my ($keep, @cases) = @_;
	my %k = map { $_ => 1 } @$keep;
	return [map { [$_->[0], join(' ', grep { $k{$_} } split(' ', $_->[1]))] }
	    grep { $_->[0] !~ /NOT|SORT|THREAD/ } @cases];
}

my $c = Sealpost::IMAP->login_new($sp, 'alice');
$c->cmd('s SELECT INBOX');
check($c, 'old and new', \@cases);
fields_only($c, 'fields file alone', [1 .. 6], only([4, 5, 6], @cases));

# A fields file that cannot be read: the cache answers for every message.
{
	my $fields = do { local $/; open my $fh, '<:raw', "$dir/fields" or die; <$fh> };
	open my $fh, '+<:raw', "$dir/fields" or die "fields: $!";
	print $fh "\0" x length($fields);
	close $fh;
	check($c, 'fields file zeroed', \@cases);
	open $fh, '+<:raw', "$dir/fields" or die "fields: $!";
	print $fh $fields;
	close $fh;
}
$c->cmd('z LOGOUT');

# reconstruct writes the entries the old messages lack, and nothing else.
my ($rc, $out) = $sp->run_sealpost('reconstruct', '--check', 'alice/INBOX');
is($rc, 1, '--check: the old messages need entries');
like($out, qr{^alice/INBOX: needs repair: 3 header field entries written$}m,
    '... three of them') or diag $out;
($rc, $out) = $sp->run_sealpost('reconstruct', 'alice/INBOX');
like($out, qr{^alice/INBOX: repaired: 3 header field entries written$}m,
    'reconstruct writes them') or diag $out;
($rc, $out) = $sp->run_sealpost('reconstruct', '--check', 'alice/INBOX');
is($rc, 0, 'and then nothing needs repair') or diag $out;

$c = Sealpost::IMAP->login_new($sp, 'alice');
$c->cmd('s SELECT INBOX');
check($c, 'after reconstruct', \@cases);
fields_only($c, 'after reconstruct, fields file alone', [1 .. 6], \@cases);

# EXPUNGE of messages 2 and 5, then message 7 delivered.
$tag++;
like($c->cmd("t$tag UID STORE 2,5 +FLAGS.SILENT (\\Deleted)"), qr/^t$tag OK/m, 'flagged');
$tag++;
like($c->cmd("t$tag EXPUNGE"), qr/^t$tag OK/m, 'expunged');
like($sp->lmtp_deliver('alice', message(7)), qr/^250 .* uid 7$/,
    'delivered message 7 (after the expunge)');
$sp->lmtp_close;
$tag++;
like($c->cmd("t$tag NOOP"), qr/^\* 5 EXISTS/m, 'the session sees it');
my @after = (
	['SUBJECT fruit' => '1 3 4 6 7'],
	['SUBJECT banana' => ''],
	['SUBJECT grape' => '7'],
	['FROM sender5@' => ''],
	['FROM sender7@' => '7'],
	['HEADER Message-ID <f4@' => '4'],
	['SENTSINCE 5-Mar-2026' => '6 7'],
	['NOT SUBJECT apple' => '3 4 6 7'],
	['SORT (REVERSE SUBJECT)' => '7 6 4 3 1'],
	['SORT (REVERSE DATE)' => '7 6 4 3 1'],
	['THREAD' => '(1 6)(3)(4)(7)'],
);
check($c, 'after expunge', \@after);
fields_only($c, 'after expunge, fields file alone', [1, 3, 4, 6, 7], \@after);
$c->cmd('z LOGOUT');

# A reconstruct after the expunge rebuilds the file of the live messages.
unlink "$dir/fields" or die "fields: $!";
($rc, $out) = $sp->run_sealpost('reconstruct', 'alice/INBOX');
like($out, qr{^alice/INBOX: repaired: 5 header field entries written$}m,
    'reconstruct after the expunge') or diag $out;
$c = Sealpost::IMAP->login_new($sp, 'alice');
$c->cmd('s SELECT INBOX');
fields_only($c, 'after expunge and reconstruct, fields file alone',
    [1, 3, 4, 6, 7], \@after);
$c->cmd('z LOGOUT');
done_testing;
