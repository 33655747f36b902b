# imapd with mbsync (isync): a two-way sync between alice's account (IMAP
# over implicit TLS, PLAIN) and a local Maildir.  Mail delivered on the
# server reaches the Maildir, mail put into the Maildir reaches the
# server, flag changes and deletions on either side propagate, a folder
# made on either side appears on the other, and a second sync with nothing
# changed changes nothing.
use strict;
use warnings;
use Test::More;
use File::Path qw(make_path);
use Sealpost::Test;
use Sealpost::IMAP;

plan skip_all => 'no mbsync' unless -x '/usr/bin/mbsync';

my $sp = Sealpost::Test->new;
my $top = $sp->dir . '/mbsync';
my $maildir = "$top/mail";
make_path($maildir);

open my $rc, '>', "$top/rc" or die "rc: $!";
print $rc <<"EOF";
IMAPAccount sealpost
Host @{[ $sp->env('SEALPOST_HOST') ]}
Port @{[ $sp->env('SEALPOST_IMAPS_PORT') ]}
User alice
Pass @{[ $sp->password('alice') ]}
SSLType IMAPS
CertificateFile @{[ $sp->env('SEALPOST_CA_FILE') ]}
AuthMechs PLAIN

IMAPStore far
Account sealpost

MaildirStore near
Path $maildir/
Inbox $maildir/INBOX
SubFolders Verbatim

Channel alice
Far :far:
Near :near:
Patterns *
Create Both
Expunge Both
SyncState *
Sync All
CopyArrivalDate yes
EOF
close $rc;

# -D shows the IMAP dialogue (">>>" marks what mbsync sent; the login
# is shown as <authdata>), which the last sync is checked against.
sub mbsync {
	local $ENV{HOME} = $top;
	my ($code, $out, $err) = Sealpost::Test::run_cmd('mbsync', '-c',
	    "$top/rc", '-D', 'alice');
	return ($code, "$out$err");
}

sub sync_ok {
	my ($what) = @_;
	my ($code, $out) = mbsync();
	# Every dialogue is kept in the instance folder (see SEALPOST_KEEP).
	if (open my $log, ">>", "$top/transcript") { print $log "==== $what\n$out" }
	is($code, 0, "mbsync: $what") or diag $out;
	unlike($out, qr/^(?:Error|Warning|IMAP error)\b/mi, "no errors or warnings: $what")
	    or diag $out;
	return $out;
}

my $serial = 0;
sub deliver {
	my ($subject) = @_;
	$serial++;
	like($sp->lmtp_deliver('alice', "From: s\@example.org\r\nSubject: $subject\r\n"
	    . "Message-ID: <d$serial\@t>\r\n\r\nDelivered $subject.\r\n"),
	    qr/^250 /, "delivered '$subject'");
}

# The messages of a Maildir folder: subject => flags (the letters after
# ":2,").
sub maildir_messages {
	my ($folder) = @_;
	my %m;
	for my $sub (qw(cur new)) {
		opendir my $dh, "$maildir/$folder/$sub" or next;
		for my $f (grep { !/^\./ } readdir $dh) {
			open my $fh, '<', "$maildir/$folder/$sub/$f" or next;
			my ($subject) = join('', <$fh>) =~ /^Subject: (.*?)\r?$/m;
			my ($flags) = $f =~ /:2,([A-Z]*)$/;
			$m{$subject // '?'} = $flags // '';
		}
	}
	return \%m;
}

sub maildir_file {
	my ($folder, $subject) = @_;
	for my $sub (qw(cur new)) {
		opendir my $dh, "$maildir/$folder/$sub" or next;
		for my $f (grep { !/^\./ } readdir $dh) {
			open my $fh, '<', "$maildir/$folder/$sub/$f" or next;
			return "$maildir/$folder/$sub/$f"
			    if join('', <$fh>) =~ /^Subject: \Q$subject\E\r?$/m;
		}
	}
	return undef;
}

my $maildir_serial = 0;
sub maildir_add {
	my ($folder, $subject, $flags) = @_;
	$maildir_serial++;
	my $name = "1700000000.$$" . "_$maildir_serial.test";
	my $sub = defined $flags ? 'cur' : 'new';
	$name .= ":2,$flags" if defined $flags;
	open my $fh, '>', "$maildir/$folder/$sub/$name" or die "$name: $!";
	print $fh "From: me\@example.org\nSubject: $subject\n\nWritten locally.\n";
	close $fh;
	# The file's time is the message's arrival date (CopyArrivalDate).
	utime 1700000000, 1700000000, "$maildir/$folder/$sub/$name";
}

# Over IMAP: subject => sorted flags of every message in `folder`.
my $imap = Sealpost::IMAP->login_new($sp, 'alice');
my $tagn = 0;
sub server_messages {
	my ($folder) = @_;
	my %m;
	$tagn++;
	my $r = $imap->cmd("s$tagn EXAMINE \"$folder\"");
	return undef unless $r =~ /^s$tagn OK/m;
	$tagn++;
	$r = $imap->cmd("s$tagn FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
	while ($r =~ /^\* \d+ FETCH \(FLAGS \(([^)]*)\) BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: ([^\r]*)\r\n/mg) {
		$m{$2} = join ' ', sort split ' ', $1;
	}
	$tagn++;
	$imap->cmd("s$tagn UNSELECT");
	return \%m;
}

# Over IMAP: subject => [INTERNALDATE, body] of every message in `folder`.
sub server_details {
	my ($folder) = @_;
	my %m;
	$tagn++;
	$imap->cmd("s$tagn EXAMINE \"$folder\"");
	$tagn++;
	my $r = $imap->cmd("s$tagn FETCH 1:* (INTERNALDATE BODY.PEEK[])");
	while ($r =~ /^\* \d+ FETCH \(INTERNALDATE "([^"]*)" BODY\[\] \{(\d+)\}\r\n/mg) {
		my ($date, $body) = ($1, substr($r, pos($r), $2));
		my ($subject) = $body =~ /^Subject: ([^\r]*)\r$/m;
		$m{$subject} = [ $date, $body ];
	}
	$tagn++;
	$imap->cmd("s$tagn UNSELECT");
	return \%m;
}

sub server_folders {
	$tagn++;
	my $r = $imap->cmd(qq{s$tagn LIST "" "*"});
	return [ sort map { /^\* LIST \([^)]*\) "\/" "?([^"]*)"?$/ ? $1 : () } split /\n/, $r ];
}

# ---- first sync: the server's mail comes down ----
deliver('first');
deliver('second');
sync_ok('first sync');
is_deeply(maildir_messages('INBOX'), { first => '', second => '' },
    'delivered messages are in the Maildir');
ok(-d "$maildir/$_/cur", "folder $_ made locally") for qw(Archive Drafts Junk Sent Trash);

# ---- local changes go up ----
maildir_add('INBOX', 'local one');
maildir_add('INBOX', 'local two', 'FS');
my $f = maildir_file('INBOX', 'first');
(my $seen = $f) =~ s{/new/}{/cur/};
$seen =~ s/(?::2,[A-Z]*)?$/:2,S/;
rename $f, $seen or die "rename: $!";
sync_ok('local additions and a flag change');
is_deeply(server_messages('INBOX'), {
	first => '\\Seen', second => '', 'local one' => '',
	'local two' => '\\Flagged \\Seen' },
    'the local messages and the \\Seen flag reached the server');
my $details = server_details('INBOX');
is($details->{'local one'}[0], '14-Nov-2023 22:13:20 +0000',
    'the file time became the INTERNALDATE');
# mbsync marks each message it uploads with an X-TUID header, to find it
# again should it be interrupted before it learns the new UID.
like($details->{'local one'}[1], qr/\AFrom: me\@example\.org\r\nSubject: local one\r\n(?:X-TUID: \S+\r\n)?\r\nWritten locally\.\r\n\z/,
    'the message arrived whole, with CRLF line ends');

# ---- server changes come down ----
$imap->cmd('t1 SELECT INBOX');
my $r = $imap->cmd('t2 UID SEARCH SUBJECT second');
my ($second) = $r =~ /^\* SEARCH (\d+)$/m;
ok($second, 'found "second" over IMAP');
is($imap->cmd("t3 UID STORE $second +FLAGS.SILENT (\\Flagged \\Answered)"),
    't3 OK STORE completed', 'flag "second" on the server');
($r) = $imap->cmd('t4 UID SEARCH SUBJECT "local one"') =~ /^\* SEARCH (\d+)$/m;
is($imap->cmd("t5 UID STORE $r +FLAGS.SILENT (\\Deleted)"), 't5 OK STORE completed',
    'delete "local one" on the server');
like($imap->cmd("t6 UID EXPUNGE $r"), qr/^t6 OK/m, 'and expunge it');
$imap->cmd('t7 UNSELECT');
deliver('third');
sync_ok('server changes');
is_deeply(maildir_messages('INBOX'), {
	first => 'S', second => 'FR', third => '', 'local two' => 'FS' },
    'the flag change, the expunge and the new delivery reached the Maildir');

# ---- a local deletion goes up ----
unlink maildir_file('INBOX', 'first') or die "unlink: $!";
$f = maildir_file('INBOX', 'third');
($seen = $f) =~ s{/new/}{/cur/};
$seen =~ s/(?::2,[A-Z]*)?$/:2,T/;
rename $f, $seen or die "rename: $!";
sync_ok('local deletions');
is_deeply(server_messages('INBOX'), { second => '\\Answered \\Flagged',
	'local two' => '\\Flagged \\Seen' },
    'a removed file and a trashed (T) one are expunged on the server');
is_deeply(maildir_messages('INBOX'), { second => 'FR', 'local two' => 'FS' },
    'and stay gone locally');

# ---- new folders, both ways ----
like($imap->cmd('t8 CREATE Projects'), qr/^t8 OK/m, 'CREATE Projects on the server');
my $msg = "From: a\@b\r\nSubject: plan\r\n\r\nThe plan.\r\n";
like($imap->cmd("t9 APPEND Projects (\\Seen) \"01-Jan-2020 10:00:00 +0100\" {" . length($msg) . "+}\r\n$msg"),
    qr/^t9 OK/m, 'APPEND to it');
like($imap->cmd('t10 CREATE Projects/2024'), qr/^t10 OK/m, 'and a folder below it');
make_path(map { ("$maildir/Local/$_", "$maildir/Local/Sub/$_") } qw(cur new tmp));
maildir_add('Local', 'kept here', 'S');
maildir_add('Local/Sub', 'deeper', 'R');
sync_ok('new folders');
is_deeply(maildir_messages('Projects'), { plan => 'S' }, 'the server folder came down with its mail');
is((stat maildir_file('Projects', 'plan'))[9], 1577869200, 'its INTERNALDATE became the file time');
ok(-d "$maildir/Projects/2024/cur", 'the folder below it came down too');
my @folders = @{ server_folders() };
ok((grep { $_ eq 'Local' } @folders), 'the local folder went up');
ok((grep { $_ eq 'Local/Sub' } @folders), 'and the one below it');
is_deeply(server_messages('Local'), { 'kept here' => '\\Seen' }, 'with its mail');
is_deeply(server_messages('Local/Sub'), { deeper => '\\Answered' }, 'both');

# ---- nothing changed: nothing happens ----
my %before = (folders => server_folders(),
	      map { ($_ => [ server_messages($_), maildir_messages($_) ]) }
	      qw(INBOX Projects Projects/2024 Local Local/Sub));
my $out = sync_ok('a sync with nothing to do');
unlike($out, qr/^(?:[FN]: >>> \d+ (?:APPEND|UID STORE|EXPUNGE|CREATE)|Creating )/m,
    'mbsync sent no changes');
my %after = (folders => server_folders(),
	     map { ($_ => [ server_messages($_), maildir_messages($_) ]) }
	     qw(INBOX Projects Projects/2024 Local Local/Sub));
is_deeply(\%after, \%before, 'both sides are as they were');

$imap->cmd('z LOGOUT');
unlike($sp->log_text, qr/imap_error|panic/, 'no server errors logged');
done_testing;
