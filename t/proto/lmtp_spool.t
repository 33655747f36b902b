# lmtpd holds a message up to lmtp_spool_memory in memory, with no spool
# file, and spools a larger one to a file in the store's tmp folder: both
# land byte for byte in every recipient's mailbox (read back over IMAP),
# and no file stays behind in tmp, also when a transaction has more copies
# than lmtpd makes unnamed (the rest are named files there).
use strict;
use warnings;
use Test::More;
use Mail::IMAPClient;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Sealpost::Test;
use Sealpost::Wire;

my $sp = Sealpost::Test->new(set => { lmtp_spool_memory => '4k',
	lmtp_workers => 1 });
my $socket = $sp->env('SEALPOST_LMTP_SOCKET');
my $tmp = $sp->dir . '/state/store/tmp';
ok(-d $tmp, 'the store has its tmp folder');

sub spool_files { return glob("$tmp/lmtp-in.*") }

# A message of about $size bytes, each line numbered; some lines begin
# with a dot, so the dot-stuffing is undone on both paths.
sub message {
	my ($id, $size) = @_;
	my $m = "Message-ID: <$id\@example.org>\r\nSubject: $id\r\n\r\n";
	my $i = 0;
	while (length $m < $size) {
		$m .= $i % 7 == 0 ? ".dot line $i\r\n" : "line $i of $id, some text\r\n";
		$i++;
	}
	return $m;
}

sub stuffed { my ($m) = @_; $m =~ s/^\./../mg; return $m }

# Polls until $cond holds or 10 seconds have passed.
sub eventually {
	my ($cond) = @_;
	my $end = clock_gettime(CLOCK_MONOTONIC) + 10;
	until ($cond->()) {
		return 0 if clock_gettime(CLOCK_MONOTONIC) > $end;
		select(undef, undef, undef, 0.02);
	}
	return 1;
}

# Sends $m to @rcpts in one transaction, all but the final dot first; calls
# $between then, and returns the replies.
sub deliver {
	my ($m, $between, @rcpts) = @_;
	my $c = Sealpost::Wire->new(path => $socket);
	$c->read_reply =~ /^220/ or die "no greeting";
	$c->cmd('LHLO spool.test') =~ /^250 /m or die "LHLO";
	$c->cmd('MAIL FROM:<sender@example.org>') eq '250 2.1.0 Ok' or die "MAIL";
	for my $u (@rcpts) {
		$c->cmd("RCPT TO:<$u\@sealpost.test>") eq '250 2.1.5 Ok' or die "RCPT $u";
	}
	$c->cmd('DATA') =~ /^354/ or die "DATA";
	$c->send_raw(stuffed($m));
	$between->();
	$c->send_raw(".\r\n");
	my @r = map { $c->read_reply } @rcpts;
	$c->cmd('QUIT');
	return @r;
}

my $small = message('small', 3000);
my $edge = message('edge', 3900);
$edge .= 'x' x (4094 - length $edge) . "\r\n";
my $large = message('large', 200_000);
is(length $edge, 4096, 'one message exactly at the bound');

# The small messages: after DATA and all of the message but the final dot
# there is no spool file (there used to be one from DATA on).
my $files = -1;
my $none = sub { $files = () = spool_files() };
my @r = deliver($small, $none, qw(alice bob));
is($files, 0, 'small: no spool file while it is received');
like($_, qr/^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/, 'small: 250') for @r;
@r = deliver($edge, $none, qw(alice));
is($files, 0, 'at the bound: no spool file while it is received');
like($r[0], qr/^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/, 'at the bound: 250');
unlike($sp->log_text, qr/spool_failed/, 'no spool failure logged');

# The large message: lmtpd spools it to a file while it arrives.
my $seen = 0;
@r = deliver($large, sub { $seen = eventually(sub { scalar spool_files() }) },
    qw(alice bob));
ok($seen, 'a message past lmtp_spool_memory goes to a spool file');
like($_, qr/^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/, 'large: 250') for @r;

# One past the bound up to which lmtpd puts each copy together in memory
# (1 MiB): written in two parts, its cache record parsed from the file.
my $huge = message('huge', 1_200_000);
@r = deliver($huge, sub {}, qw(alice bob));
like($_, qr/^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/, 'huge: 250') for @r;

# And a small one after it, in memory again.
@r = deliver(message('small2', 100), $none, qw(alice));
is($files, 0, 'second small: no spool file while it is received');
like($r[0], qr/^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/, 'second small: 250');

# One transaction with more copies than lmtpd holds open unnamed: the
# rest are named files in tmp; the message is stored once, the others are
# acknowledged as duplicates, and no file stays behind.
my $many = message('many', 200);
@r = deliver($many, sub {}, ('carol') x 300);
is(scalar(grep { /^250 2\.0\.0 Ok: delivered to INBOX as uid \d+$/ } @r), 1,
    'many copies: one stored');
is(scalar(grep { /^250 2\.0\.0 Ok: already delivered to INBOX as uid \d+$/ } @r), 299,
    'many copies: the others acknowledged as duplicates');

ok(eventually(sub { my @f = glob("$tmp/*"); !@f }), 'nothing is left in the store\'s tmp folder')
    or diag(join ' ', glob("$tmp/*"));

my $host = $sp->env('SEALPOST_HOST');
for my $u (qw(alice bob)) {
	my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
	    Port => $sp->env('SEALPOST_IMAP_PORT'), Starttls => [ SSL_ca_file =>
	    $sp->env('SEALPOST_CA_FILE'), SSL_verifycn_name => $host,
	    SSL_hostname => $host ], User => $u,
	    Password => $sp->password($u), Uid => 1, Peek => 1, Timeout => 60)
	    or BAIL_OUT("Mail::IMAPClient: $@");
	ok($imap->select('INBOX'), "$u: SELECT INBOX");
	my @uids = sort { $a <=> $b } @{ $imap->messages };
	my @want = $u eq 'alice' ? ($small, $edge, $large, $huge, message('small2', 100))
	    : ($small, $large, $huge);
	is(scalar @uids, scalar @want, "$u: every message once");
	my $head = "Return-Path: <sender\@example.org>\r\nDelivered-To: $u\@sealpost.test\r\n";
	for my $i (0 .. $#want) {
		my ($subject) = $want[$i] =~ /^Subject: (\S+)/m;
		my $got = $imap->message_string($uids[$i]) // '';
		ok($got eq $head . $want[$i], "$u: $subject byte for byte ("
		    . length($want[$i]) . ' bytes)')
		    or diag('got ' . length($got) . ' bytes');
	}
	$imap->logout;
}

# Every copy's cache record was written, and is what a rebuild makes:
# in memory for the small ones, from the file for the huge one.
my ($rc, $out) = $sp->run_sealpost('reconstruct', '--check', 'alice', 'bob');
is($rc, 0, 'reconstruct --check') or diag($out);
like($out, qr{^$_/INBOX: ok$}m, "$_: every cache entry as a rebuild makes it") for qw(alice bob);

done_testing;
