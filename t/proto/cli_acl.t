# sealpost acl get|set|delete: the postmaster's view of access control
# lists, the same lists imapd enforces.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
sub sp { my @r = $sp->run_sealpost(@_); return @r }

my ($rc, $out, $err) = sp('acl', 'get', 'alice:INBOX');
is($rc, 0, 'acl get');
is($out, "alice lrswipkxtea\nanyone p\n", 'the default list: the owner, and p for anyone');
($rc, $out, $err) = sp('acl', 'get', 'alice:inbox');
is($out, "alice lrswipkxtea\nanyone p\n", 'INBOX in any case');

my $bob = Sealpost::IMAP->login_new($sp, 'bob');
is($bob->cmd('b1 STATUS "Other Users/alice/Sent" (MESSAGES)'), 'b1 NO [NONEXISTENT] No such mailbox',
    'bob cannot see alice\'s Sent');
($rc, $out, $err) = sp('acl', 'set', 'alice:Sent', 'bob', 'lr');
is($rc, 0, 'acl set') or diag $err;
like($bob->cmd('b2 STATUS "Other Users/alice/Sent" (MESSAGES)'), qr/^b2 OK/m, 'imapd follows at once');
($rc) = sp('acl', 'set', 'alice:Sent', 'bob', '+i');
($rc, $out) = sp('acl', 'get', 'alice:Sent');
is($out, "alice lrswipkxtea\nanyone p\nbob lri\n", '+ adds rights');
($rc) = sp('acl', 'set', 'alice:Sent', 'bob', '-r');
($rc, $out) = sp('acl', 'get', 'alice:Sent');
is($out, "alice lrswipkxtea\nanyone p\nbob li\n", '- removes rights');
($rc) = sp('acl', 'set', 'alice:Sent', '-anyone', 'p');
($rc, $out) = sp('acl', 'get', 'alice:Sent');
like($out, qr/^-anyone p$/m, 'negative entries');
($rc, $out, $err) = sp('acl', 'delete', 'alice:Sent', 'bob');
is($rc, 0, 'acl delete');
($rc, $out) = sp('acl', 'get', 'alice:Sent');
is($out, "alice lrswipkxtea\nanyone p\n-anyone p\n", 'entry gone');
is($bob->cmd('b3 STATUS "Other Users/alice/Sent" (MESSAGES)'), 'b3 NO [NONEXISTENT] No such mailbox',
    'and bob lost sight of it');
($rc, $out) = sp('acl', 'set', 'alice:Sent', 'carol', 'cd');
($rc, $out) = sp('acl', 'get', 'alice:Sent');
like($out, qr/^carol kxte$/m, 'obsolete c and d are stored as their members');

($rc, $out, $err) = sp('acl', 'get', 'alice:NoSuch');
is($rc, 1, 'a missing mailbox fails');
like($err, qr/no such mailbox/, '... saying so');
($rc, $out, $err) = sp('acl', 'set', 'alice:Sent', 'Bob', 'l');
is($rc, 1, 'a bad identifier fails');
($rc, $out, $err) = sp('acl', 'set', 'alice:Sent', 'bob', 'lq');
is($rc, 1, 'an unknown right fails');
for my $bad (['get', 'alice'], ['get', 'Alice:INBOX'], ['get'], ['set', 'alice:Sent', 'bob'],
    ['frob', 'alice:Sent'], ['delete', 'alice:Sent']) {
	($rc, $out, $err) = sp('acl', @$bad);
	is($rc, 64, "usage error: acl @$bad");
}
# A list holds at most 32 entries (the record's bound): alice and
# anyone, then 30 more.
my $fails = 0;
for my $i (1 .. 30) {
	($rc) = sp('acl', 'set', 'alice:Drafts', "u$i", 'l');
	$fails++ if $rc != 0;
}
is($fails, 0, '32 entries fit');
($rc, $out, $err) = sp('acl', 'set', 'alice:Drafts', 'u31', 'l');
is($rc, 1, 'a 33rd entry is refused');
like($err, qr/Too many entries/, '... saying so');
($rc) = sp('acl', 'set', 'alice:Drafts', 'u30', '+r');
is($rc, 0, 'an existing entry still changes');
my $imap = Sealpost::IMAP->login_new($sp, 'alice');
is($imap->cmd('l1 SETACL Drafts u31 l'), 'l1 NO [LIMIT] Too many entries in the access control list',
    'SETACL says [LIMIT]');

# acl_max_entries lowers the limit, for the CLI and imapd alike.  alice's
# Drafts, made before the change, keeps its 32 entries and may still change
# and shrink; it may not grow.
$sp->stop;
$sp->{set}{acl_max_entries} = 4;
$sp->restart;
$imap = Sealpost::IMAP->login_new($sp, 'alice');
is($imap->cmd('l2 CREATE Notes'), 'l2 OK CREATE completed', 'a new mailbox: alice and anyone');
($rc, $out, $err) = sp('acl', 'set', 'alice:Notes', 'bob', 'lr');
is($rc, 0, 'acl_max_entries 4: a third entry fits') or diag $err;
($rc, $out, $err) = sp('acl', 'set', 'alice:Notes', 'carol', 'lr');
is($rc, 0, '... and a fourth') or diag $err;
($rc, $out, $err) = sp('acl', 'set', 'alice:Notes', 'dave', 'lr');
is($rc, 1, '... a fifth is refused');
like($err, qr/Too many entries/, '... saying so');
is($imap->cmd('l3 SETACL Notes dave l'), 'l3 NO [LIMIT] Too many entries in the access control list',
    '... and SETACL says [LIMIT]');
is($imap->cmd('l4 SETACL Notes bob +w'), 'l4 OK SETACL completed', '... an existing entry still changes');
is($imap->cmd('l5 SETACL Drafts u30 +w'), 'l5 OK SETACL completed',
    'a list longer than the new limit still changes');
is($imap->cmd('l6 DELETEACL Drafts u30'), 'l6 OK DELETEACL completed', '... and shrinks');
is($imap->cmd('l7 SETACL Drafts u30 l'), 'l7 NO [LIMIT] Too many entries in the access control list',
    '... but does not grow');
($rc, $out) = sp('acl', 'get', 'alice:Notes');
is($out, "alice lrswipkxtea\nanyone p\nbob lrw\ncarol lr\n", 'the list holds what was allowed');

($rc, $out) = sp('acl', '--help');
like($out, qr/USER:NAME/, '--help explains mailbox names');
done_testing;
