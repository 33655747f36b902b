# sealpost import and export: a 10,000-message mbox into a mailbox while
# the daemons run, checked over IMAP (count, flags, internal dates, bytes);
# export -> import round trips through mbox and Maildir; a hand-made
# Maildir; and an import killed midway then run again, which must end with
# every message exactly once.
use strict;
use warnings;
use Test::More;
use Fcntl;
use File::Temp qw(tempdir);
use Mail::IMAPClient;
use POSIX qw(strftime);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Sealpost::Test;

my $N = 10000;
my $BASE = 1672671845;	# 02-Jan-2023 15:04:05 UTC
my $sp = Sealpost::Test->new;
my $tmp = tempdir('import-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;

sub date_of { $BASE + 61 * $_[0] }
sub imap_date { strftime('%d-%b-%Y %H:%M:%S +0000', gmtime $_[0]) }

# What the store should hold for message $i, and its flags.
sub stored {
	my ($i) = @_;
	# Two messages in a thousand share a Message-ID with the one before:
	# an import must not take them for the same message.
	my $mid = $i % 1000 == 1 ? $i - 1 : $i;
	return "From: Sender $i <s$i\@example.org>\r\nTo: alice\@sealpost.test\r\n"
	    . "Subject: message $i\r\nMessage-ID: <$mid\@gen.example>\r\n\r\n"
	    . "line one of $i\r\nFrom the start of a line\r\n>From quoted once\r\n"
	    . "\r\nend $i\r\n";
}
sub flags_of {
	my ($i) = @_;
	my @f;
	push @f, '\\Answered' if $i % 7 == 0;
	push @f, '\\Flagged' if $i % 5 == 0;
	push @f, '\\Deleted' if $i % 13 == 0;
	push @f, '\\Seen' if $i % 3 == 0;
	push @f, '\\Draft' if $i % 11 == 0;
	push @f, '$Label1' if $i % 17 == 0;
	return join ' ', sort @f;
}

sub mbox_entry {
	my ($i) = @_;
	my $m = stored($i);
	$m =~ s/\r\n/\n/g;
	my ($head, $body) = split /\n\n/, $m, 2;
	my $xs = '';
	$xs .= 'A' if $i % 7 == 0;
	$xs .= 'F' if $i % 5 == 0;
	$xs .= 'D' if $i % 13 == 0;
	$xs .= 'T' if $i % 11 == 0;
	$head .= "\nStatus: " . ($i % 3 == 0 ? 'RO' : 'O');
	$head .= "\nX-Status: $xs" if $xs ne '';
	$head .= "\nX-Keywords: \$Label1" if $i % 17 == 0;
	$body =~ s/^(>*From )/>$1/mg;	# mboxrd
	return "From s$i\@example.org " . strftime('%a %b %e %H:%M:%S %Y', gmtime date_of($i))
	    . "\n$head\n\n$body\n";
}

my $big = "$tmp/big.mbox";
open my $fh, '>', $big or die "$big: $!";
print $fh mbox_entry($_) for 0 .. $N - 1;
close $fh or die "close: $!";

sub sp { return $sp->run_sealpost(@_) }

my $host = $sp->env('SEALPOST_HOST');
# A write to a session the server has closed must fail, not kill the test.
$SIG{PIPE} = 'IGNORE';
sub imap_connect {
	my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
	    Port => $sp->env('SEALPOST_IMAP_PORT'), Starttls => [ SSL_ca_file =>
	    $sp->env('SEALPOST_CA_FILE'), SSL_verifycn_name => $host,
	    SSL_hostname => $host ], User => 'alice',
	    Password => $sp->password('alice'), Uid => 1, Peek => 1, Timeout => 300);
	return $imap if $imap;
	BAIL_OUT("Mail::IMAPClient: $@");
}
my $imap = imap_connect();

# A session has the mailbox open while the import runs.
ok($imap->create('Big'), 'CREATE Big');
ok($imap->select('Big'), 'SELECT Big (empty)');

my $t0 = clock_gettime(CLOCK_MONOTONIC);
my ($rc, $out, $err) = sp('import', 'alice:Big', $big);
my $secs = clock_gettime(CLOCK_MONOTONIC) - $t0;
is($rc, 0, "import of $N messages") or diag $err;
like($err, qr/^import: done, $N messages \(0 already there\)/m, '... reports the total');
like($err, qr/^import: 500\/$N messages, 0 already there$/m,
    '... with a plain progress line per commit when stderr is no terminal');
diag(sprintf('imported %d messages in %.2fs (%.0f messages/s)', $N, $secs, $N / $secs));

ok($imap->noop, 'NOOP');
is($imap->message_count('Big'), $N, "the open session sees $N messages");

# Every message's flags, internal date and size; bytes of a sample.
sub check_all {
	my ($box, $what, $no_keywords) = @_;
	ok($imap->select($box), "SELECT $box");
	my $h = $imap->fetch_hash('1:*', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE');
	my @bad;
	for my $i (0 .. $N - 1) {
		my $r = $h->{$i + 1};
		my $flags = join ' ', sort grep { $_ ne '\\Recent' } split ' ', $r->{FLAGS} // '';
		my $want = flags_of($i);
		$want = join ' ', grep { /^\\/ } split ' ', $want if $no_keywords;
		push @bad, "$i: flags '$flags'" if $flags ne $want;
		push @bad, "$i: date $r->{INTERNALDATE}"
		    if ($r->{INTERNALDATE} // '') ne imap_date(date_of($i));
		push @bad, "$i: size" if ($r->{'RFC822.SIZE'} // 0) != length stored($i);
		last if @bad > 5;
	}
	is(scalar(keys %$h), $N, "$what: $N messages");
	is_deeply(\@bad, [], "$what: flags, internal dates and sizes of all");
	my @diff = grep { ($imap->message_string($_ + 1) // '') ne stored($_) }
	    (0, 1, 2, 3, 11, 17, 1001, 4999, $N - 1);
	is_deeply(\@diff, [], "$what: the bytes of a sample (>From unquoted, "
	    . 'Status fields taken out, CRLF)');
}
check_all('Big', 'import');

# Importing it again adds nothing.
($rc, $out, $err) = sp('import', 'alice:Big', $big);
is($rc, 0, 'the same import again');
like($err, qr/^import: done, $N messages \($N already there\)/m, '... finds them all there');
is($imap->message_count('Big'), $N, '... and adds none');

# Round trip through mbox.
($rc, $out, $err) = sp('export', '--format', 'mbox', 'alice:Big', "$tmp/out.mbox");
is($rc, 0, 'export to mbox') or diag $err;
like($err, qr/^export: 500\/$N messages\n/m, '... with plain progress lines');
like($err, qr/^export: done, $N messages in /m, '... and the total');
open $fh, '<', "$tmp/out.mbox" or die "$tmp/out.mbox: $!";
my $text = do { local $/; <$fh> };
close $fh;
like($text, qr/^From MAILER-DAEMON Mon Jan  2 15:04:05 2023\nFrom: Sender 0 /,
    'the mbox starts with a "From " line with the internal date');
like($text, qr/\nX-UID: 1\n\nline one of 0\n>From the start of a line\n>>From quoted once\n/,
    'mboxrd quoting and X-UID');
like($text, qr/\nStatus: RO\nX-Status: AFTD\nX-Keywords: \$Label1\nX-UID: \d+\n/,
    'flags as Status, X-Status and X-Keywords');
($rc, $out, $err) = sp('export', '--format', 'mbox', 'alice:Big', "$tmp/out.mbox");
isnt($rc, 0, 'export never overwrites a file');
($rc, $out, $err) = sp('import', 'alice:Copy', "$tmp/out.mbox");
is($rc, 0, 'import of the export into a new mailbox') or diag $err;
check_all('Copy', 'mbox round trip');

# Round trip through Maildir.
($rc, $out, $err) = sp('export', '--format', 'maildir', 'alice:Big', "$tmp/md");
is($rc, 0, 'export to a Maildir') or diag $err;
opendir my $dh, "$tmp/md/cur" or die "$tmp/md/cur: $!";
my @files = grep { !/^\./ } readdir $dh;
closedir $dh;
is(scalar @files, $N, "$N files in cur/");
my ($f0) = grep { /,U=1:2,/ } @files;
like($f0 // '', qr/,U=1:2,DFRST$/, 'UID 1: ,U=1 and all five flag letters');
is((stat "$tmp/md/cur/$f0")[9], date_of(0), '... its mtime is the internal date') if $f0;
($rc, $out, $err) = sp('import', 'alice:FromMaildir', "$tmp/md");
is($rc, 0, 'import of the Maildir') or diag $err;
# Maildir has no standard place for keywords: export leaves them out.
check_all('FromMaildir', 'Maildir round trip', 1);

# A Maildir written by another program: new/ without flags, LF endings,
# readable by its owner alone (run as root, the import reads it although
# it writes the store as mail_user).
mkdir "$tmp/hand"; mkdir "$tmp/hand/$_" for qw(cur new tmp);
my %hand = ('new/1000.a.host' => [ 1600000000, '' ],
	    'cur/1001.b.host:2,FS' => [ 1600000100, '\\Flagged \\Seen' ],
	    'cur/1002.c.host:2,DRTa' => [ 1600000200, '\\Answered \\Deleted \\Draft' ]);
for my $name (sort keys %hand) {
	open $fh, '>', "$tmp/hand/$name" or die "$name: $!";
	print $fh "Subject: $name\n\nbody\nFrom here\n";
	close $fh;
	utime $hand{$name}[0], $hand{$name}[0], "$tmp/hand/$name";
	chmod 0600, "$tmp/hand/$name";
}
chmod 0700, "$tmp/hand", map { "$tmp/hand/$_" } qw(cur new tmp);
($rc, $out, $err) = sp('import', 'alice:Hand', "$tmp/hand");
is($rc, 0, 'import of a foreign Maildir') or diag $err;
ok($imap->select('Hand'), 'SELECT Hand');
my $h = $imap->fetch_hash('1:*', 'FLAGS', 'INTERNALDATE');
my $uid = 0;
for my $name (sort { $hand{$a}[0] <=> $hand{$b}[0] } keys %hand) {
	$uid++;
	is(join(' ', sort grep { $_ ne '\\Recent' } split ' ', $h->{$uid}{FLAGS}),
	    $hand{$name}[1], "$name: flags");
	is($h->{$uid}{INTERNALDATE}, imap_date($hand{$name}[0]), "$name: date from mtime");
	is($imap->message_string($uid), "Subject: $name\r\n\r\nbody\r\nFrom here\r\n",
	    "$name: bytes, CRLF, nothing unquoted");
}

# On a terminal: one line redrawn, no plain lines.  script(1) gives the
# import a terminal and copies what it writes.
{
	local $ENV{SEALPOST_CONFIG} = $sp->config_path;
	my $cmd = join ' ', map { "'$_'" } $sp->bin('sealpost'), 'import',
	    'alice:Tty', "$tmp/hand";
	($rc, $out, $err) = Sealpost::Test::run_cmd('script', '-qefc', $cmd, '/dev/null');
}
is($rc, 0, 'import on a terminal');
like($out, qr/\rimport \[#{30}\] 3\/3 /, 'a progress bar, redrawn with a carriage return');
like($out, qr/\r\e\[Kimport: done, 3 messages/, 'the bar is cleared for the last line');
unlike($out, qr/import: \d+\/\d+ messages/, 'no plain progress lines');

# Killed midway, then run again.  stderr is a pipe of one page that the
# test stops reading after the first progress line: the importer, one
# line per commit of 10, blocks on it long before the end, so the kill
# always lands in the middle.
pipe(my $r, my $w) or die "pipe: $!";
fcntl($w, 1031, 4096);	# F_SETPIPE_SZ
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	close $r;
	open STDERR, '>&', $w or die "dup: $!";
	open STDOUT, '>', '/dev/null';
	$ENV{SEALPOST_CONFIG} = $sp->config_path;
	exec $sp->bin('sealpost'), 'import', '--batch', '10', 'alice:Resume', $big;
	die "exec: $!";
}
close $w;
my $first = <$r>;
like($first // '', qr/^import: 10\/$N messages/, 'the killed import reported progress');
kill 'KILL', $pid;
waitpid $pid, 0;
is($? & 127, 9, 'killed by SIGKILL');
close $r;
($rc, $out, $err) = sp('import', 'alice:Resume', $big);
is($rc, 0, 'run again') or diag $err;
my ($partial) = $err =~ /^import: done, $N messages \((\d+) already there\)/m;
ok(defined $partial && $partial >= 10 && $partial < $N && $partial % 10 == 0,
    '... it skips exactly what the killed run committed: ' . ($partial // 'none')
    . ', whole batches only');
# A process killed inside the database library makes every daemon
# restart (store.h), so the session of before may be gone: a new one.
$imap = imap_connect();
check_all('Resume', 'resumed import');
my @left = glob($sp->dir . '/state/store/tmp/import.*');
is(scalar @left, 0, 'the killed run left no files in the store once it ran again')
    or diag "@left";

# Keywords IMAP cannot send are dropped; an mbox written with CRLF lines
# reads the same.
open $fh, '>', "$tmp/kw.mbox" or die;
print $fh "From a\@b Sat Jan  1 00:00:00 2000\nX-Keywords: Good, (bad) \\Seen \$Junk\n"
    . "Subject: kw\n\nbody\n\n"
    . "From a\@b Sat Jan  1 00:01:00 2000\r\nSubject: crlf\r\n\r\n>From x\r\n\r\n";
close $fh;
($rc, $out, $err) = sp('import', 'alice:Kw', "$tmp/kw.mbox");
is($rc, 0, 'import with odd keywords and CRLF lines') or diag $err;
ok($imap->select('Kw'), 'SELECT Kw');
$h = $imap->fetch_hash('1:*', 'FLAGS', 'INTERNALDATE');
is(join(' ', sort grep { $_ ne '\\Recent' } split ' ', $h->{1}{FLAGS}), '$Junk Good',
    'only the valid keywords, and no flag from X-Keywords');
is($imap->message_string(1), "Subject: kw\r\n\r\nbody\r\n", 'its bytes');
is($imap->message_string(2), "Subject: crlf\r\n\r\nFrom x\r\n", 'the CRLF message');
is($h->{2}{INTERNALDATE}, '01-Jan-2000 00:01:00 +0000', '... and its date');

# Errors.
($rc, $out, $err) = sp('import', 'nobody-here:X', $big);
is($rc, 1, 'import for an unknown user fails');
like($err, qr/no such user/, '... saying so');
open $fh, '>', "$tmp/not.mbox"; print $fh "Subject: x\n\nbody\n"; close $fh;
($rc, $out, $err) = sp('import', 'alice', "$tmp/not.mbox");
is($rc, 1, 'a file that is not an mbox is refused');
like($err, qr/not an mbox/, '... saying so');
($rc, $out, $err) = sp('export', 'alice', "$tmp/x");
is($rc, 64, 'export without --format is a usage error');
($rc, $out, $err) = sp('export', '--format', 'mbox', 'alice:Nope', "$tmp/nope");
is($rc, 1, 'export of a missing mailbox fails');

$imap->logout;
done_testing;
