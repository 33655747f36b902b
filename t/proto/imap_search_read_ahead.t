# imapd: a SEARCH that reads message files and finds them not in the page
# cache reads the next imap_search_read_ahead files ahead (on helper
# threads through io_uring where the kernel allows it, else
# posix_fadvise), logs it once at its end, and answers exactly as from a
# warm cache; a warm SEARCH reads nothing ahead, and one that is cold only
# in part stops reading ahead where the files turn out cached; with
# imap_search_read_threads 0, or a SEARCH's helpers above
# imap_search_read_threads_max, the process's own thread reads ahead
# through io_uring; with imap_search_read_ahead 0 nothing is read ahead.  The files are dropped from the page cache with
# dd's iflag=nocache (posix_fadvise DONTNEED), so the test folder must be
# on a disk: where $TMPDIR (or /tmp) is a tmpfs, it goes to /var/tmp.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

{
	my $tmp = $ENV{TMPDIR} // '/tmp';
	chomp(my $fs = `stat -f -c %T '$tmp' 2>/dev/null` // '');
	$ENV{TMPDIR} = '/var/tmp' if $fs eq 'tmpfs';
}

my $uring = (`cat /proc/sys/kernel/io_uring_disabled 2>/dev/null` // '') =~ /^0/;

# Appends $n messages to alice's INBOX in one MULTIAPPEND: every 7th has
# "zebra" in its body, every 11th in its subject only.  Returns the UIDs
# of each kind.
sub fill {
	my ($imap, $n) = @_;
	my (@body, @subject);
	my $cmd = 'm APPEND INBOX';
	for my $i (1 .. $n) {
		my $words = $i % 7 == 0 ? 'a striped zebra' : 'a plain horse';
		my $s = $i % 11 == 0 ? 'zebra crossing' : "message $i";
		push @body, $i if $i % 7 == 0;
		push @subject, $i if $i % 11 == 0;
		my $m = "From: x$i\@example.org\r\nSubject: $s\r\n\r\n"
		    . "line one\r\n$words number $i\r\n" . ("filler text\r\n" x ($i % 40));
		$cmd .= ' {' . length($m) . "+}\r\n$m";
	}
	like($imap->cmd($cmd), qr/^m OK/m, "$n messages appended");
	return (\@body, \@subject);
}

# The message files of alice's INBOX (the first $first of them), written
# back and dropped from the page cache; returns how many are out of it.
# The kernel may keep a page it was asked to drop (one still under
# writeback, or not yet on the LRU list, on a busy machine), so what is
# left is asked of fincore(1) and dropped again, a bounded number of
# times; after a few tries, where the test may (as root), the kernel is
# told to drop every clean page it can (vm.drop_caches), which first
# gathers the pages other CPUs hold back.  Every caller checks the count:
# a search of files that are still cached proves nothing.
sub drop_cache {
	my ($sp, $first) = @_;
	my ($dir) = grep { -e "$_/index" } map { (my $d = $_) =~ s{/1$}{}; $d }
	    glob($sp->dir . '/state/store/alice/*/1');
	my @files = sort { ($a =~ m{/(\d+)$})[0] <=> ($b =~ m{/(\d+)$})[0] }
	    grep { m{/\d+$} } glob("$dir/*");
	splice(@files, $first) if defined $first && $first < @files;
	my @left = @files;
	for my $try (1 .. 20) {
		system('sync', @left) == 0 or die "sync failed\n";
		if ($try > 3 && open(my $drop, '>', '/proc/sys/vm/drop_caches')) {
			print $drop "1\n";
			close $drop;
		}
		for my $f (@left) {
			system('dd', "if=$f", 'iflag=nocache', 'count=0', 'status=none') == 0
			    or die "dd failed\n";
		}
		@left = map { /^(\d+)\s+(.*)$/ && $1 > 0 ? ($2) : () }
		    `fincore --raw --noheadings --output PAGES,FILE @left`;
		last unless @left;
	}
	return @files - @left;
}

sub read_ahead_lines { my ($sp) = @_; return () = $sp->log_text =~ /search_read_ahead /g }

my $sp = Sealpost::Test->new(set => { imap_workers => 1,
    imap_search_read_ahead => 8 });
my $n = 400;
my $one = Sealpost::IMAP->login_new($sp, 'alice');
my ($body, $subject) = fill($one, $n);
like($one->cmd('s SELECT INBOX'), qr/^\* $n EXISTS/m, 'selected');

is(drop_cache($sp), $n, 'the message files dropped from the page cache');
is($one->cmd('a1 UID SEARCH BODY zebra'), "* SEARCH @$body\na1 OK SEARCH completed",
    'a cold BODY search finds every match');
my $line = $sp->wait_log(qr/search_read_ahead /, timeout => 5) // '';
my ($count, $method, $kept) = $line =~ /mailbox=INBOX count=(\d+) method=(\S+) kept=(\d+)/;
ok(defined $count && $count > 0 && $count < $n,
    'it read files ahead, once a few came from the disk') or diag($line);
is($method, $uring ? 'threads' : 'fadvise',
    'on helper threads, through io_uring, where allowed');
# Through io_uring the bytes of the small files read ahead are kept for
# their turn: most of those read ahead were never read again.
ok($uring ? $kept > $count / 2 : $kept == 0,
    'the bytes read ahead served the search (' . ($kept // 'none') . " of $count)");

is($one->cmd('a2 UID SEARCH BODY zebra'), "* SEARCH @$body\na2 OK SEARCH completed",
    'warm: the same answer');
is(read_ahead_lines($sp), 1, '... and nothing read ahead');

# Only the first quarter cold: reading ahead stops once the files it
# asks for are found cached (io_uring tells; posix_fadvise cannot).
is(drop_cache($sp, 100), 100, 'the first 100 files dropped');
is($one->cmd('a21 UID SEARCH BODY zebra'), "* SEARCH @$body\na21 OK SEARCH completed",
    'a quarter cold: the same answer');
my $from = index($sp->log_text, $line) + length($line);
my $part = $sp->wait_log(qr/search_read_ahead /, from => $from, timeout => 5) // '';
my ($part_count) = $part =~ /count=(\d+)/;
ok(defined $part_count && $part_count > 0, 'it read ahead') or diag($part);
ok(!$uring || (defined $part_count && $part_count < 200),
    '... and stopped in the warm part') or diag($part);
$line = $part;

# Messages expunged by another session: the search skips their files.
my $two = Sealpost::IMAP->login_new($sp, 'alice');
$two->cmd('s SELECT INBOX');
my @gone = grep { $_ % 5 == 0 } 1 .. $n;
like($two->cmd('b3 UID STORE ' . join(',', @gone) . ' +FLAGS.SILENT (\Deleted)'),
    qr/^b3 OK/m, 'every fifth flagged');
like($two->cmd('b4 EXPUNGE'), qr/^b4 OK/m, 'and expunged');
like($one->cmd('a3 NOOP'), qr/^\* \d+ EXPUNGE/m, 'the searching session learns of it');
is(drop_cache($sp), $n - @gone, 'the files left dropped');
my %gone = map { $_ => 1 } @gone;
my %text = map { $_ => 1 } grep { !$gone{$_} } @$body, @$subject;
my @text = sort { $a <=> $b } keys %text;
is($one->cmd('a4 UID SEARCH TEXT zebra'), "* SEARCH @text\na4 OK SEARCH completed",
    'a cold TEXT search after expunges finds every match');
ok($sp->wait_log(qr/search_read_ahead .*count=/, from => index($sp->log_text, $line)
    + length($line)), 'and read ahead again');
$one->cmd('z LOGOUT');
$two->cmd('z LOGOUT');
unlike($sp->log_text, qr/ panic|imap_error/, 'nothing went wrong in imapd');
$sp->stop;

# A fresh instance with `$set`: $n messages, dropped from the page cache,
# and a cold BODY search that must answer as from a warm cache.  Returns
# the instance and the logged-in session.
sub cold_search {
	my ($set, $n, $label) = @_;
	my $sp = Sealpost::Test->new(set => $set);
	my $imap = Sealpost::IMAP->login_new($sp, 'alice');
	my ($body) = fill($imap, $n);
	$imap->cmd('s SELECT INBOX');
	is(drop_cache($sp), $n, "$label: dropped");
	is($imap->cmd('a1 UID SEARCH BODY zebra'), "* SEARCH @$body\na1 OK SEARCH completed",
	    "$label: the same answer");
	return ($sp, $imap);
}

# imap_search_read_threads 0, or helpers above what
# imap_search_read_threads_max leaves: imapd's own thread reads ahead.
for my $set ({ imap_search_read_threads => 0 },
    { imap_search_read_threads_max => 1 }) {
	my ($key) = keys %$set;
	($sp, $one) = cold_search({ imap_search_read_ahead => 8, %$set }, 200,
	    "$key $set->{$key}");
	$line = $sp->wait_log(qr/search_read_ahead /, timeout => 5) // '';
	($count, $method, $kept) = $line =~ /count=(\d+) method=(\S+) kept=(\d+)/;
	is($method, $uring ? 'io_uring' : 'fadvise', '... read ahead by imapd itself')
	    or diag($line);
	ok(defined $count && ($uring ? $kept > $count / 2 : $kept == 0),
	    '... its bytes kept for their turn (' . ($kept // 'none') . ' of '
	    . ($count // 'none') . ')');
	$one->cmd('z LOGOUT');
	$sp->stop;
}

# imap_search_read_ahead 0: a cold search reads one file at a time.
($sp, $one) = cold_search({ imap_search_read_ahead => 0 }, 60, 'without read-ahead');
is(read_ahead_lines($sp), 0, '... and nothing read ahead');
$one->cmd('z LOGOUT');
done_testing;
