# imapd: CREATE, DELETE, RENAME (with children, and of INBOX), SUBSCRIBE,
# LIST with LIST-EXTENDED, LIST-STATUS, SPECIAL-USE and CHILDREN, LSUB,
# NAMESPACE, and modified UTF-7 names.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $c = Sealpost::IMAP->login_new($sp, 'bob');

is($c->cmd('n1 NAMESPACE'), "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Shared/\" \"/\"))\n"
    . "n1 OK NAMESPACE completed", 'NAMESPACE');
is($c->cmd('l1 LIST "" ""'), "* LIST (\\Noselect) \"/\" \"\"\nl1 OK LIST completed", 'the separator');
is($c->cmd('l2 LIST "" *'), join("\n", '* LIST (\\HasNoChildren \\Archive) "/" Archive',
    '* LIST (\\HasNoChildren \\Drafts) "/" Drafts', '* LIST (\\HasNoChildren) "/" INBOX',
    '* LIST (\\HasNoChildren \\Junk) "/" Junk', '* LIST (\\HasNoChildren \\Sent) "/" Sent',
    '* LIST (\\HasNoChildren \\Trash) "/" Trash', 'l2 OK LIST completed'), 'the default folders');
is($c->cmd('c1 CREATE Projects/2026/'), 'c1 OK CREATE completed', 'CREATE with a trailing separator');
is($c->cmd('c2 CREATE projects/2026'), 'c2 OK CREATE completed', 'names are case-sensitive');
is($c->cmd('c3 CREATE inbox'), 'c3 NO [ALREADYEXISTS] Mailbox exists', 'INBOX exists in any case');
is($c->cmd('c4 CREATE a//b'), 'c4 NO [CANNOT] Invalid mailbox name', 'bad names refused');
is($c->cmd('c5 CREATE "Entw&APw-rfe"'), 'c5 OK CREATE completed', 'modified UTF-7 name');
is($c->cmd('l3 LIST "" %'), join("\n", '* LIST (\\HasNoChildren \\Archive) "/" Archive',
    '* LIST (\\HasNoChildren \\Drafts) "/" Drafts', '* LIST (\\HasNoChildren) "/" Entw&APw-rfe',
    '* LIST (\\HasNoChildren) "/" INBOX', '* LIST (\\HasNoChildren \\Junk) "/" Junk',
    '* LIST (\\Noselect \\HasChildren) "/" Projects', '* LIST (\\HasNoChildren \\Sent) "/" Sent',
    '* LIST (\\HasNoChildren \\Trash) "/" Trash', '* LIST (\\Noselect \\HasChildren) "/" projects',
    'l3 OK LIST completed'), '% with parents that only have children');
is($c->cmd('l4 LIST (SPECIAL-USE) "" * RETURN (STATUS (MESSAGES))'), join("\n",
    '* LIST (\\HasNoChildren \\Archive) "/" Archive', '* STATUS Archive (MESSAGES 0)',
    '* LIST (\\HasNoChildren \\Drafts) "/" Drafts', '* STATUS Drafts (MESSAGES 0)',
    '* LIST (\\HasNoChildren \\Junk) "/" Junk', '* STATUS Junk (MESSAGES 0)',
    '* LIST (\\HasNoChildren \\Sent) "/" Sent', '* STATUS Sent (MESSAGES 0)',
    '* LIST (\\HasNoChildren \\Trash) "/" Trash', '* STATUS Trash (MESSAGES 0)',
    'l4 OK LIST completed'), 'SPECIAL-USE selection with LIST-STATUS');
is($c->cmd('l5 LIST "Projects/" %'), "* LIST (\\HasNoChildren) \"/\" Projects/2026\nl5 OK LIST completed",
    'reference and pattern');

is($c->cmd('u1 SUBSCRIBE Projects/2026'), 'u1 OK SUBSCRIBE completed', 'SUBSCRIBE');
is($c->cmd('u2 SUBSCRIBE Gone'), 'u2 OK SUBSCRIBE completed', 'SUBSCRIBE a name that does not exist');
is($c->cmd('u3 LSUB "" %'), "* LSUB () \"/\" Gone\n* LSUB (\\Noselect) \"/\" Projects\nu3 OK LSUB completed",
    'LSUB % shows the parent as \\Noselect');
is($c->cmd('u4 LIST (SUBSCRIBED) "" *'), "* LIST (\\NonExistent \\HasNoChildren \\Subscribed) \"/\" Gone\n"
    . "* LIST (\\HasNoChildren \\Subscribed) \"/\" Projects/2026\nu4 OK LIST completed",
    'LIST (SUBSCRIBED)');
is($c->cmd('u5 LIST (SUBSCRIBED RECURSIVEMATCH) "" %'),
    "* LIST (\\NonExistent \\HasNoChildren \\Subscribed) \"/\" Gone\n"
    . "* LIST (\\NonExistent \\HasChildren) \"/\" Projects (\"CHILDINFO\" (\"SUBSCRIBED\"))\nu5 OK LIST completed",
    'RECURSIVEMATCH gives CHILDINFO');
is($c->cmd('u6 UNSUBSCRIBE Gone'), 'u6 OK UNSUBSCRIBE completed', 'UNSUBSCRIBE');
is($c->cmd('u7 UNSUBSCRIBE Gone'), 'u7 NO [NONEXISTENT] Not subscribed', 'not subscribed');

is($c->cmd('r1 RENAME Projects Work'), 'r1 NO [NONEXISTENT] No such mailbox', 'a parent only is no mailbox');
$c->cmd('r2 CREATE Projects');
is($c->cmd('r3 RENAME Projects Work'), 'r3 OK RENAME completed', 'RENAME with children');
like($c->cmd('r4 LIST "" Work*'), qr/^\* LIST \(\\HasChildren\) "\/" Work\n\* LIST \(\\HasNoChildren\) "\/" Work\/2026\n/,
    'children moved');
is($c->cmd('r5 RENAME Work Sent'), 'r5 NO [ALREADYEXISTS] Target mailbox exists', 'onto an existing name');
is($c->cmd('r6 RENAME Work Work/Sub'), 'r6 NO [CANNOT] Cannot rename a mailbox into itself', 'into itself');

my $m = "Subject: in inbox\r\n\r\nx\r\n";
$c->cmd("a1 APPEND INBOX {" . length($m) . "+}\r\n$m");
is($c->cmd('r7 RENAME INBOX Old'), 'r7 OK RENAME completed', 'RENAME INBOX');
like($c->cmd('r8 STATUS Old (MESSAGES)'), qr/^\* STATUS Old \(MESSAGES 1\)/, 'its messages moved');
like($c->cmd('r9 STATUS INBOX (MESSAGES)'), qr/^\* STATUS INBOX \(MESSAGES 0\)/, 'INBOX is empty and still there');

is($c->cmd('d1 DELETE INBOX'), 'd1 NO [CANNOT] INBOX cannot be deleted', 'INBOX stays');
is($c->cmd('d2 DELETE Work'), 'd2 OK DELETE completed', 'DELETE a mailbox with children');
is($c->cmd('d3 LIST "" Work%'), "* LIST (\\Noselect \\HasChildren) \"/\" Work\nd3 OK LIST completed",
    'its child is left, the name is a parent only');
is($c->cmd('d4 DELETE Work'), 'd4 NO [NONEXISTENT] No such mailbox', 'gone');
is($c->cmd('d5 CREATE Work'), 'd5 OK CREATE completed', 'and can be created again at once');
is($c->cmd('e1 ENABLE UTF8=ACCEPT'), "* ENABLED UTF8=ACCEPT\ne1 OK ENABLE completed", 'ENABLE UTF8=ACCEPT');
like($c->cmd('e2 LIST "" Entw*'), qr/^\* LIST \(\\HasNoChildren\) "\/" "Entw\xc3\xbcrfe"$/m, 'names in UTF-8 now');
done_testing;
