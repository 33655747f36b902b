# imapd: greeting and capabilities, STARTTLS (and what was pipelined before
# it), LOGINDISABLED, LOGIN and AUTHENTICATE PLAIN inside TLS, implicit TLS,
# and failed logins that all look alike.
use strict;
use warnings;
use Test::More;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_auth_fail_delay => '1s',
    imap_max_auth_failures => 2 });
my $port = $sp->env('SEALPOST_IMAP_PORT');
my $alice = $sp->password('alice');
my $pre = 'IMAP4rev1 IMAP4rev2 LITERAL+ ENABLE ID IDLE SASL-IR UTF8=ACCEPT';

my $c = Sealpost::IMAP->new(port => $port, sp => $sp);
is($c->greeting, "* OK [CAPABILITY $pre STARTTLS LOGINDISABLED AUTH=GSSAPI] "
    . $sp->env('SEALPOST_HOST') . " IMAP server ready\r\n", 'greeting');
is($c->cmd('a1 CAPABILITY'), "* CAPABILITY $pre STARTTLS LOGINDISABLED "
    . "AUTH=GSSAPI\na1 OK CAPABILITY completed", 'no PLAIN before TLS');
is($c->cmd("a2 LOGIN alice $alice"),
    'a2 NO [PRIVACYREQUIRED] LOGIN is disabled until STARTTLS',
    'LOGIN refused in the clear');
is($c->cmd('a3 AUTHENTICATE PLAIN ' . encode_base64("\0alice\0$alice", '')),
    'a3 NO [PRIVACYREQUIRED] Plain-text authentication is disabled until STARTTLS',
    'PLAIN refused in the clear');
is($c->cmd('a4 SELECT INBOX'), 'a4 BAD Log in first', 'SELECT needs a login');
is($c->cmd('a5 FROB'), 'a5 BAD Unknown command', 'unknown command');
unlike($sp->log_text, qr/\Q$alice\E/, 'no password in the log');

# A command pipelined behind STARTTLS must not run (CVE-2011-0411).
$c->send_raw("s1 STARTTLS\r\nx1 NOOP\r\n");
is($c->read_until('s1'), 's1 OK Begin TLS negotiation now', 'STARTTLS');
$c->{buf} = '';
$c->_tls;
is($c->cmd('a6 CAPABILITY'), "* CAPABILITY $pre AUTH=GSSAPI AUTH=PLAIN\n"
    . "a6 OK CAPABILITY completed",
    'PLAIN offered inside TLS, the pipelined NOOP was dropped');
is($c->cmd('a7 STARTTLS'), 'a7 BAD TLS is already active', 'no second STARTTLS');

# Failed logins: the same words and the same delay whatever is wrong.
for my $case ([ 'wrong password', "alice not-$alice" ],
    [ 'unknown user', 'nosuchuser whatever' ]) {
	my $t0 = time;
	is($c->cmd("f1 LOGIN $case->[1]"),
	    'f1 NO [AUTHENTICATIONFAILED] Authentication failed', $case->[0]);
	ok(time - $t0 >= 0.9, "$case->[0]: answered after the delay");
	last if $case->[0] eq 'unknown user';
}
ok($c->closed, 'closed after imap_max_auth_failures');
ok($sp->wait_log(qr/login_failed mech=PLAIN .*count=2/), 'failures logged');

# LOGIN inside TLS.
$c = Sealpost::IMAP->new(port => $port, sp => $sp);
$c->starttls;
like($c->cmd("l1 LOGIN alice {" . length($alice) . "+}\r\n$alice"),
    qr/^l1 OK \[CAPABILITY \Q$pre\E NAMESPACE UNSELECT UIDPLUS MULTIAPPEND MOVE CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE ESEARCH SEARCHRES BINARY STATUS=SIZE QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTASET OBJECTID SAVEDATE METADATA METADATA-SERVER APPENDLIMIT=\d+ ACL RIGHTS=texk CONDSTORE QRESYNC COMPRESS=DEFLATE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES ESORT WITHIN\] Logged in$/,
    'LOGIN with a literal password, capabilities in the OK');
is($c->cmd('l2 LOGIN alice x'), 'l2 BAD Already logged in', 'no second login');
ok($sp->wait_log(qr/login user=alice mech=PLAIN client=127\.0\.0\.1/), 'login logged');
is($c->cmd('l3 LOGOUT'), "* BYE Logging out\nl3 OK LOGOUT completed", 'LOGOUT');
ok($c->closed, 'closed after LOGOUT');

# AUTHENTICATE PLAIN over implicit TLS, with and without SASL-IR.
$c = Sealpost::IMAP->new(port => $sp->env('SEALPOST_IMAPS_PORT'), tls => 1, sp => $sp);
like($c->greeting, qr/^\* OK \[CAPABILITY \Q$pre\E AUTH=GSSAPI AUTH=PLAIN\]/,
    'implicit TLS: PLAIN offered at once');
like($c->cmd('p1 AUTHENTICATE PLAIN ' . encode_base64("\0bob\0" . $sp->password('bob'), '')),
    qr/^p1 OK \[CAPABILITY /, 'AUTHENTICATE PLAIN with an initial response');
$c = Sealpost::IMAP->new(port => $sp->env('SEALPOST_IMAPS_PORT'), tls => 1, sp => $sp);
$c->send_line('p2 AUTHENTICATE PLAIN');
is($c->read_line, "+ \r\n", 'empty challenge without SASL-IR');
$c->send_line(encode_base64("\0carol\0" . $sp->password('carol'), ''));
like($c->read_until('p2'), qr/^p2 OK /, 'logged in as carol');
$c = Sealpost::IMAP->new(port => $sp->env('SEALPOST_IMAPS_PORT'), tls => 1, sp => $sp);
$c->send_line('p3 AUTHENTICATE PLAIN');
$c->read_line;
$c->send_line('*');
is($c->read_until('p3'), 'p3 BAD Authentication cancelled', 'cancelled with "*"');
is($c->cmd('p4 AUTHENTICATE CRAM-MD5'), 'p4 NO Unsupported authentication mechanism',
    'unknown mechanism');

done_testing;
