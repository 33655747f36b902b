# imapd: UTF8=ACCEPT's APPEND data extension (RFC 6855 section 4):
# APPEND mailbox UTF8 (~{n}) stores a message with UTF-8 headers, alone or
# in a MULTIAPPEND; anything but one literal8 in the list is BAD.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'alice');
like($c->cmd('c1 CAPABILITY'), qr/ UTF8=ACCEPT /, 'UTF8=ACCEPT is advertised');
is($c->cmd('c2 ENABLE UTF8=ACCEPT'), "* ENABLED UTF8=ACCEPT\nc2 OK ENABLE completed", 'ENABLE');
my ($uv) = $c->cmd('c3 STATUS INBOX (UIDVALIDITY)') =~ /UIDVALIDITY (\d+)/;
my $m = "From: J\xc3\xbcrgen <j\@example.org>\r\nSubject: caf\xc3\xa9\r\n\r\nbody\r\n";
my $n = length $m;
is($c->cmd("a1 APPEND INBOX (\\Seen) UTF8 (~{$n+}\r\n$m)"), "a1 OK [APPENDUID $uv 1] APPEND completed",
    'APPEND UTF8 (~{n+})');
is($c->cmd("a2 APPEND INBOX UTF8 (~{$n+}\r\n$m) {$n+}\r\n$m"), "a2 OK [APPENDUID $uv 2:3] APPEND completed",
    'MULTIAPPEND with a UTF8 message and a plain one');
is($c->cmd("a3 APPEND INBOX UTF8 ({$n+}\r\n$m)"), 'a3 BAD Expected a message literal',
    'UTF8 wants a literal8');
$c->cmd('c4 SELECT INBOX');
is($c->cmd('f1 FETCH 1 (FLAGS BODY.PEEK[])'), "* 1 FETCH (FLAGS (\\Seen) BODY[] {$n}\r\n$m)\nf1 OK FETCH completed",
    'the message is stored as sent');
is($c->cmd("f2 UID SEARCH SUBJECT \"caf\xc3\xa9\""), "* SEARCH 1 2 3\nf2 OK SEARCH completed",
    'and found by its UTF-8 subject');
$c->cmd('z LOGOUT');
done_testing;
