# imapd with real clients: Perl's Mail::IMAPClient over STARTTLS, curl's
# IMAP over implicit TLS, and Cyrus imtest with GSSAPI after kinit.
use strict;
use warnings;
use Test::More;
use Mail::IMAPClient;
use Sealpost::Test;

my $sp = Sealpost::Test->new;
my $host = $sp->env('SEALPOST_HOST');
my $ca = $sp->env('SEALPOST_CA_FILE');

# Mail::IMAPClient: STARTTLS, LOGIN, APPEND, SELECT, SEARCH, FETCH, MOVE.
my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
    Port => $sp->env('SEALPOST_IMAP_PORT'), Starttls => [ SSL_ca_file => $ca,
    SSL_verifycn_name => $host, SSL_hostname => $host ],
    User => 'bob', Password => $sp->password('bob'), Uid => 1)
    or BAIL_OUT("Mail::IMAPClient: $@");
ok($imap->IsAuthenticated, 'Mail::IMAPClient logged in over STARTTLS');
my $uid = $imap->append_string('INBOX', "From: a\@b\r\nSubject: via IMAPClient\r\n\r\nhi\r\n", '\\Flagged');
ok($uid, "append_string gave UID $uid");
ok($imap->select('INBOX'), 'select');
is_deeply([ $imap->search('SUBJECT', 'IMAPClient') ], [ $uid ], 'search');
is($imap->subject($uid), 'via IMAPClient', 'fetch the subject');
ok(grep({ $_ eq '\\Flagged' } @{ $imap->flags($uid) }), 'flags');
ok($imap->create('Kept'), 'create');
ok($imap->move('Kept', $uid), 'move');
ok($imap->select('Kept') && $imap->message_count == 1, 'moved message is there');
my @folders = $imap->folders;
ok((grep { $_ eq 'Kept' } @folders) && (grep { $_ eq 'INBOX' } @folders), 'folders');
$imap->logout;

# curl: implicit TLS, fetch by UID from a mailbox URL.
my $url = "imaps://$host:" . $sp->env('SEALPOST_IMAPS_PORT') . '/Kept;UID=1';
my ($rc, $out, $err) = Sealpost::Test::run_cmd('curl', '-sS', '--cacert', $ca,
    '--resolve', "$host:" . $sp->env('SEALPOST_IMAPS_PORT') . ':127.0.0.1',
    '-u', 'bob:' . $sp->password('bob'), $url);
is($rc, 0, 'curl fetched a message') or diag $err;
like($out, qr/^Subject: via IMAPClient\r?$/m, 'curl got the message');
($rc, $out, $err) = Sealpost::Test::run_cmd('curl', '-sS', '--cacert', $ca,
    '--resolve', "$host:" . $sp->env('SEALPOST_IMAPS_PORT') . ':127.0.0.1',
    '-u', 'bob:' . $sp->password('bob'),
    "imaps://$host:" . $sp->env('SEALPOST_IMAPS_PORT') . '/');
like($out, qr/^\* LIST \(\\HasNoChildren\) "\/" Kept\r?$/m, 'curl LIST');

# imtest: GSSAPI with a ticket from the test KDC (no password at all).
SKIP: {
	skip 'no imtest', 3 unless -x '/usr/lib/cyrus/bin/imtest';
	ok($sp->kinit('carol'), 'kinit carol');
	($rc, $out, $err) = Sealpost::Test::run_cmd('/usr/lib/cyrus/bin/imtest',
	    '-m', 'GSSAPI', '-u', 'carol', '-a', 'carol', '-p',
	    $sp->env('SEALPOST_IMAP_PORT'), '-t', '', $host,
	    { stdin => "x1 SELECT INBOX\r\nx2 LOGOUT\r\n" });
	like("$out$err", qr/Authenticated/, 'imtest authenticated with GSSAPI')
	    or diag "$out$err";
	like($out, qr/x1 OK \[READ-WRITE\]/, 'and selected INBOX');
}
ok($sp->wait_log(qr/login user=carol mech=GSSAPI/), 'GSSAPI login logged');
done_testing;
