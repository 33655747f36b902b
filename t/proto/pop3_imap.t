# pop3d and imapd on one INBOX: an IMAP session with INBOX selected stays
# usable while a POP3 session is open; what POP3 deletes at QUIT reaches
# the IMAP session as EXPUNGE at its next command; IMAP flag changes and
# expunges leave the UIDL of the other messages alone; a message IMAP
# expunges during a POP3 session stays listed there but RETR answers -ERR
# (the POP3 snapshot of pop3_maildrop.h).
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;
use Sealpost::POP3;

my $sp = Sealpost::Test->new(set => { pop3_auth_fail_delay => '0' });

my $serial = 0;
sub deliver {
	for (1 .. $_[0]) {
		$serial++;
		like($sp->lmtp_deliver('alice', "Subject: m$serial\r\n"
		    . "Message-ID: <m$serial\@t>\r\n\r\nbody $serial\r\n"),
		    qr/^250 /, "delivered m$serial");
	}
}

sub pop3 {
	my $c = Sealpost::POP3->new(port => $sp->env('SEALPOST_POP3_PORT'),
	    ca => $sp->env('SEALPOST_CA_FILE'));
	$c->read_line;
	$c->cmd('STLS');
	$c->start_tls;
	like($c->login('alice', $sp->password('alice')), qr/^\+OK/, 'POP3 login');
	return $c;
}

sub uidl {
	my ($c) = @_;
	my ($st, $body) = $c->multi('UIDL');
	return { map { split / / } @$body };
}

deliver(4);
my $imap = Sealpost::IMAP->login_new($sp, 'alice');
my ($uv) = $imap->cmd('i1 SELECT INBOX') =~ /UIDVALIDITY (\d+)/;
ok($uv, 'IMAP selected INBOX');

# ---- POP3 DELE and QUIT while IMAP has the mailbox selected ----
my $pop = pop3();
my $before = uidl($pop);
is_deeply($before, { 1 => "$uv.1", 2 => "$uv.2", 3 => "$uv.3", 4 => "$uv.4" },
    'UIDL is UIDVALIDITY.UID');
is($imap->cmd('i2 STORE 1 +FLAGS (\\Flagged)'),
    "* 1 FETCH (FLAGS (\\Flagged))\ni2 OK STORE completed",
    'IMAP STORE works while POP3 holds the maildrop');
is($imap->cmd('i3 UID FETCH 2 (UID FLAGS)'),
    "* 2 FETCH (UID 2 FLAGS ())\ni3 OK FETCH completed", 'and FETCH');
like($imap->cmd('i4 NOOP'), qr/^i4 OK NOOP completed$/, 'and NOOP');
is($pop->cmd('DELE 2'), '+OK Message 2 deleted', 'POP3 DELE 2');
is($imap->cmd('i5 NOOP'), 'i5 OK NOOP completed', 'nothing happens before QUIT');
like($pop->cmd('QUIT'), qr/^\+OK .* \(3 messages left\)$/, 'POP3 QUIT removes it');
is($imap->cmd('i6 NOOP'), "* 2 EXPUNGE\ni6 OK NOOP completed",
    'IMAP hears EXPUNGE at its next command');
is($imap->cmd('i7 UID SEARCH ALL'), "* SEARCH 1 3 4\ni7 OK SEARCH completed",
    'IMAP sees what is left');

# ---- IMAP changes leave the other UIDLs alone ----
$pop = pop3();
is_deeply(uidl($pop), { 1 => "$uv.1", 2 => "$uv.3", 3 => "$uv.4" },
    'the remaining messages keep their UIDLs');
like($pop->cmd('QUIT'), qr/^\+OK/, 'QUIT without changes');
like($imap->cmd('i8 STORE 1:* +FLAGS.SILENT (\\Seen $Keyword)'), qr/^i8 OK STORE completed$/m,
    'IMAP sets flags and a keyword');
is($imap->cmd('i9 UID STORE 3 +FLAGS.SILENT (\\Deleted)'), 'i9 OK STORE completed',
    'IMAP deletes UID 3');
is($imap->cmd('i10 EXPUNGE'), "* 2 EXPUNGE\ni10 OK EXPUNGE completed", 'and expunges it');
$pop = pop3();
is_deeply(uidl($pop), { 1 => "$uv.1", 2 => "$uv.4" },
    'flag changes and an expunge left the other UIDLs unchanged');
like($pop->cmd('QUIT'), qr/^\+OK/, 'QUIT');

# ---- IMAP expunges during a POP3 session ----
deliver(1);
is($imap->cmd('i11 NOOP'), "* 3 EXISTS\ni11 OK NOOP completed", 'IMAP sees the new message');
$pop = pop3();
is_deeply(uidl($pop), { 1 => "$uv.1", 2 => "$uv.4", 3 => "$uv.5" }, 'POP3 lists three');
is($imap->cmd('i12 UID STORE 4 +FLAGS.SILENT (\\Deleted)'), 'i12 OK STORE completed',
    'IMAP deletes UID 4 during the POP3 session');
is($imap->cmd('i13 UID EXPUNGE 4'), "* 2 EXPUNGE\ni13 OK EXPUNGE completed",
    'and expunges it');
is_deeply(uidl($pop), { 1 => "$uv.1", 2 => "$uv.4", 3 => "$uv.5" },
    'POP3 still lists it: its numbers are fixed for the session');
is($pop->cmd('RETR 2'), '-ERR [SYS/PERM] Message 2 was removed by another session',
    'RETR of the expunged message answers -ERR');
is($pop->cmd('TOP 2 0'), '-ERR [SYS/PERM] Message 2 was removed by another session',
    'and so does TOP');
deliver(1);
my ($st, $body) = $pop->multi('RETR 3');
like($st, qr/^\+OK/, 'RETR of another message still works');
ok((grep { $_ eq 'body 5' } @$body), 'and sends it');
like($pop->cmd('NOOP'), qr/^\+OK/, 'the POP3 session goes on');
is($pop->cmd('DELE 2'), '+OK Message 2 deleted', 'DELE of the expunged message');
like($pop->cmd('QUIT'), qr/^\+OK/, 'QUIT removes what is left to remove');
is($imap->cmd('i14 NOOP'), "* 3 EXISTS\ni14 OK NOOP completed",
    'IMAP hears of the delivery made during the POP3 session');
is($imap->cmd('i15 UID SEARCH ALL'), "* SEARCH 1 5 6\ni15 OK SEARCH completed",
    'nothing else went, and the new message stayed');
$imap->cmd('i16 LOGOUT');
unlike($sp->log_text, qr/panic/, 'no panics logged');
done_testing;
