# imapd: CREATE-SPECIAL-USE (RFC 6154 section 3): CREATE name (USE (...))
# makes a mailbox with special-use attributes, which LIST shows; an
# attribute the store cannot give is refused with [USEATTR].
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'alice');
like($c->cmd('c0 CAPABILITY'), qr/^\* CAPABILITY .* SPECIAL-USE CREATE-SPECIAL-USE /m,
    'CREATE-SPECIAL-USE is advertised');
is($c->cmd('c1 CREATE Old/2023 (USE (\\Archive))'), 'c1 OK CREATE completed', 'CREATE with USE');
is($c->cmd('c2 CREATE Outbox-copies (USE (\\Sent \\drafts))'), 'c2 OK CREATE completed',
    'two attributes, in any case');
is($c->cmd('c3 CREATE Plain (USE ())'), 'c3 OK CREATE completed', 'an empty USE list');
is($c->cmd('c4 CREATE Everything (USE (\\All))'), 'c4 NO [USEATTR] Unsupported special-use attribute',
    '\\All (a virtual mailbox) is refused');
is($c->cmd('c5 CREATE Starred (USE (\\Flagged))'), 'c5 NO [USEATTR] Unsupported special-use attribute',
    'and so is \\Flagged');
is($c->cmd('c6 CREATE Odd (USE (\\Whatever))'), 'c6 NO [USEATTR] Unsupported special-use attribute',
    'an unknown attribute');
is($c->cmd('c7 CREATE Odd (COLOR (red))'), 'c7 BAD Unknown CREATE parameter', 'an unknown parameter');
is($c->cmd('c8 CREATE Odd (USE)'), 'c8 BAD Invalid CREATE parameters', 'USE without a list');
is($c->cmd('c9 CREATE Odd (USE (Archive))'), 'c9 BAD Invalid USE attribute', 'an attribute without "\\"');
is($c->cmd('c10 CREATE Old/2023 (USE (\\Trash))'), 'c10 NO [ALREADYEXISTS] Mailbox exists', 'an existing name');
is($c->cmd('c11 LIST "" "Old/*" RETURN (SPECIAL-USE)'),
    "* LIST (\\HasNoChildren \\Archive) \"/\" Old/2023\nc11 OK LIST completed",
    'LIST shows the attribute');
is($c->cmd('c12 LIST (SPECIAL-USE) "" "*"'),
    join("\n", '* LIST (\\HasNoChildren \\Archive) "/" Archive',
	'* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
	'* LIST (\\HasNoChildren \\Junk) "/" Junk',
	'* LIST (\\HasNoChildren \\Archive) "/" Old/2023',
	'* LIST (\\HasNoChildren \\Drafts \\Sent) "/" Outbox-copies',
	'* LIST (\\HasNoChildren \\Sent) "/" Sent',
	'* LIST (\\HasNoChildren \\Trash) "/" Trash',
	'c12 OK LIST completed'),
    'LIST (SPECIAL-USE) has the new ones');
unlike($c->cmd('c13 LIST "" Plain'), qr/\\(?:Archive|Sent|Drafts|Junk|Trash)/, 'USE () gives none');
is($c->cmd('c14 LIST "" "Odd*"'), 'c14 OK LIST completed', 'nothing was made for the refused ones');
$c->cmd('z LOGOUT');
done_testing;
