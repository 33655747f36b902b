# Access, end to end through the protocols a user reaches: mailbox names
# built to escape (.., /, wildcards, NUL, control bytes, very long),
# other users' mailboxes, authorization-identity tricks in PLAIN, principals
# of a foreign realm, commands in the wrong state, and passwords before
# TLS.  Each refusal must look the same whether or not what was asked for
# exists, so nothing about other users leaks; and nothing a refused
# request names appears on disk or in a listing.
use strict;
use warnings;
use Test::More;
use File::Find;
use MIME::Base64 qw(encode_base64);
use Sealpost::Test;
use Sealpost::IMAP;
use Sealpost::Wire;

my $sp = Sealpost::Test->new;
my $alice = Sealpost::IMAP->login_new($sp, 'alice');
my $bob = Sealpost::IMAP->login_new($sp, 'bob');
like($bob->cmd('b1 CREATE Secret'), qr/^b1 OK/m, 'bob has a mailbox Secret');
like($bob->cmd('b2 APPEND Secret {16+}' . "\r\nSubject: s\r\n\r\nx\r\n"), qr/^b2 OK/m,
    'holding a message');

# Strips the tag, so answers to different commands can be compared.
sub untagged { my ($r, $tag) = @_; $r =~ s/^\Q$tag\E //mg; return $r }

# ---- names that try to escape ----
my $before = $alice->cmd('l0 LIST "" "*"');
$before =~ s/^l0 .*//m;
my @bad = ('..', '../bob/INBOX', 'a/../../etc', 'x%y', 'x*y', "ctl\x01name",
    "del\x7fname", 'x' x 2000, '/absolute', 'a//b');
my $n = 0;
for my $name (@bad) {
	$n++;
	my $q = $name =~ /[\x00-\x1f\x7f]/ || length $name > 200
	    ? '{' . length($name) . "+}\r\n$name" : "\"$name\"";
	my $r = $alice->cmd("c$n CREATE $q");
	like($r, qr/^c$n (NO|BAD) /m, 'CREATE ' . (length $name > 40 ? 'a 2000-byte name' : "\"$name\"") . ' is refused')
	    or diag $r;
}
{
	my $nul = "nul\0name";
	like($alice->cmd('c0 CREATE {' . length($nul) . "+}\r\n$nul"), qr/^c0 (NO|BAD) /m,
	    'a name holding NUL is refused');
}
my $list = $alice->cmd('l1 LIST "" "*"');
$list =~ s/^l1 .*//m;
is($list, $before, 'none of them appears in LIST');
# RFC 3501 6.3.3: a trailing separator is dropped, not refused.
like($alice->cmd('c12 CREATE "trailing/"'), qr/^c12 OK/m, 'CREATE "trailing/" creates "trailing"');
like($alice->cmd('l2 LIST "" "trailing*"'), qr/^\* LIST \([^)]*\) "\/" trailing$/m, 'listed without the slash');

# The store keeps names in its database: nothing on disk is named after
# anything a client sent.
my @files;
find({ no_chdir => 1, wanted => sub { push @files, $_ } }, $sp->dir . '/state/store');
is_deeply([grep { /Secret|etc|absolute|name|\.\./ } @files], [], 'no file or folder carries a client\'s name');

# ---- other users' mailboxes look like nothing at all ----
for my $other ('bob/Secret', 'Other Users/bob/Secret', 'user/bob/Secret', '~bob/Secret', '#user/bob/Secret') {
	my $exists = $alice->cmd(qq{s1 SELECT "$other"});
	my $missing = $alice->cmd(qq{s2 SELECT "${other}Nope"});
	like($exists, qr/^s1 NO /m, "SELECT \"$other\" is refused");
	is(untagged($exists, 's1'), untagged($missing, 's2'), "exactly as a mailbox that does not exist");
	is(untagged($alice->cmd(qq{s3 STATUS "$other" (MESSAGES)}), 's3'),
	   untagged($alice->cmd(qq{s4 STATUS "${other}Nope" (MESSAGES)}), 's4'), 'STATUS: the same');
	is(untagged($alice->cmd(qq{s5 DELETE "$other"}), 's5'),
	   untagged($alice->cmd(qq{s6 DELETE "${other}Nope"}), 's6'), 'DELETE: the same');
}
like($alice->cmd('s7 LIST "" "*Secret*"'), qr/^s7 OK/m, 'LIST with a pattern');
unlike($alice->cmd('s8 LIST "" "*Secret*"'), qr/^\* LIST/m, 'shows nothing of bob\'s');
like($bob->cmd('b3 STATUS Secret (MESSAGES)'), qr/MESSAGES 1\)/, 'bob\'s message is still there');

# ---- authorization identities ----
my $port = $sp->env('SEALPOST_IMAP_PORT');
sub plain_login {
	my ($authzid, $user, $pass) = @_;
	my $c = Sealpost::IMAP->new(port => $port, sp => $sp);
	$c->starttls;
	my $r = $c->cmd('p AUTHENTICATE PLAIN ' . encode_base64("$authzid\0$user\0$pass", ''));
	return $r;
}
my $pw = $sp->password('alice');
my $wrong = plain_login('', 'alice', 'wrong password');
like($wrong, qr/^p NO /m, 'a wrong password fails');
for my $case (['bob', 'another user'], ['admin', 'an admin'], ['bob@SEALPOST.TEST', 'another user with realm'],
    ['../bob', 'a path'], ['bob@ELSEWHERE.TEST', 'a foreign principal']) {
	my ($authzid, $what) = @$case;
	is(plain_login($authzid, 'alice', $pw), $wrong, "alice acting as $what is refused like a wrong password");
}
is(plain_login('', 'alice@ELSEWHERE.TEST', $pw), $wrong, 'a principal of a foreign realm is refused alike');
like(plain_login('alice', 'alice', $pw), qr/^p OK/m, 'authzid equal to the user is fine');

# ---- commands in the wrong state ----
sub pop_cmd { my ($c, $l) = @_; $c->send_line($l); my $r = $c->read_line // ''; $r =~ s/\r?\n\z//; $r }
{
	my $c = Sealpost::IMAP->new(port => $port, sp => $sp);
	like($c->cmd('w1 SELECT INBOX'), qr/^w1 BAD /m, 'IMAP SELECT before login: BAD');
	like($c->cmd('w2 FETCH 1 BODY[]'), qr/^w2 BAD /m, 'IMAP FETCH before login: BAD');
	like($c->cmd('w3 LOGIN alice ' . $pw), qr/^w3 NO \[PRIVACYREQUIRED\]/m, 'LOGIN before STARTTLS is refused');
	like($c->cmd('w4 AUTHENTICATE PLAIN ' . encode_base64("\0alice\0$pw", '')),
	    qr/^w4 NO \[PRIVACYREQUIRED\]/m, 'AUTHENTICATE PLAIN before STARTTLS is refused');
}
like($alice->cmd('w5 FETCH 1 FLAGS'), qr/^w5 BAD /m, 'FETCH with no mailbox selected: BAD');
like($alice->cmd('w6 EXPUNGE'), qr/^w6 BAD /m, 'EXPUNGE with no mailbox selected: BAD');

{
	my $c = Sealpost::Wire->new(port => $sp->env('SEALPOST_POP3_PORT'));
	like($c->read_line, qr/^\+OK/, 'POP3 greeting');
	like(pop_cmd($c, 'RETR 1'), qr/^-ERR/, 'POP3 RETR before login: -ERR');
	like(pop_cmd($c, 'USER alice'), qr/^-ERR/, 'POP3 USER before STLS is refused');
}
{
	my $c = Sealpost::Wire->new(port => $sp->env('SEALPOST_SUBMISSION_PORT'));
	$c->read_reply;
	$c->cmd('EHLO client.example');
	like($c->cmd('DATA'), qr/^5\d\d 5\.5\.1 /, 'SMTP DATA before MAIL: 5.5.1');
	like($c->cmd('RCPT TO:<bob@sealpost.test>'), qr/^5\d\d 5\.5\.1 |^530 /, 'RCPT before MAIL refused');
	like($c->cmd('AUTH PLAIN ' . encode_base64("\0alice\0$pw", '')), qr/^538 5\.7\.11 /,
	    'AUTH PLAIN before STARTTLS: 538 5.7.11');
	like($c->cmd('MAIL FROM:<alice@sealpost.test>'), qr/^530 5\.7\.0 /, 'MAIL without AUTH on submission: 530');
}
{
	my $c = Sealpost::Wire->new(port => $sp->env('SEALPOST_SMTP_PORT'));
	$c->read_reply;
	like($c->cmd('EHLO client.example'), qr/^250/, 'MX port');
	like($c->cmd('AUTH PLAIN ' . encode_base64("\0alice\0$pw", '')), qr/^538 5\.7\.11 /,
	    'AUTH PLAIN without TLS is refused on the MX port too');
}

done_testing;
