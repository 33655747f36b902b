# METADATA (RFC 5464): server and mailbox annotations, /private and
# /shared, GETMETADATA with MAXSIZE and DEPTH, the size and count limits,
# annotations following RENAME and going with DELETE.
use strict;
use warnings;
use Test::More;
use MIME::Base64;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_metadata_max_size => '1k', imap_metadata_max_entries => 10 });
my $c = Sealpost::IMAP->login_new($sp, 'alice');
my $b = Sealpost::IMAP->login_new($sp, 'bob');

like($c->cmd('c1 CAPABILITY'), qr/^\* CAPABILITY .* METADATA METADATA-SERVER /m, 'METADATA announced');

is($c->cmd('s1 SETMETADATA INBOX (/private/comment "My comment" /shared/comment "Shared one")'),
    's1 OK SETMETADATA completed', 'SETMETADATA on INBOX');
is($c->cmd('g1 GETMETADATA INBOX (/private/comment /shared/comment)'),
    qq{* METADATA INBOX (/private/comment "My comment" /shared/comment "Shared one")\ng1 OK GETMETADATA completed},
    'GETMETADATA of two entries');
is($c->cmd('g2 GETMETADATA INBOX /Private/Comment'),
    qq{* METADATA INBOX (/private/comment "My comment")\ng2 OK GETMETADATA completed},
    'entry names are case-insensitive');
is($c->cmd('g3 GETMETADATA INBOX /private/nothing'),
    qq{* METADATA INBOX (/private/nothing NIL)\ng3 OK GETMETADATA completed}, 'a missing entry is NIL');
is($b->cmd('g4 GETMETADATA INBOX /private/comment'),
    qq{* METADATA INBOX (/private/comment NIL)\ng4 OK GETMETADATA completed}, "bob's INBOX is his own");

# Values: a multi-line literal; NIL removes.
my $v = "line one\r\nline two";
is($c->cmd('s2 SETMETADATA INBOX (/private/comment {' . length($v) . "+}\r\n$v)"), 's2 OK SETMETADATA completed',
    'a literal value');
is($c->cmd('g5 GETMETADATA INBOX /private/comment'),
    "* METADATA INBOX (/private/comment {" . length($v) . "}\r\n$v)\ng5 OK GETMETADATA completed",
    'comes back as a literal');
is($c->cmd('s3 SETMETADATA INBOX (/private/comment NIL)'), 's3 OK SETMETADATA completed', 'NIL removes');
is($c->cmd('g6 GETMETADATA INBOX /private/comment'),
    qq{* METADATA INBOX (/private/comment NIL)\ng6 OK GETMETADATA completed}, 'removed');

# DEPTH and MAXSIZE.
$c->cmd('s4 SETMETADATA INBOX (/private/f "top" /private/f/a "A" /private/f/b "' . ('x' x 50) . '" /private/f/a/deep "D")');
is($c->cmd('g7 GETMETADATA (DEPTH 1) INBOX /private/f'),
    qq{* METADATA INBOX (/private/f "top" /private/f/a "A" /private/f/b "} . ('x' x 50) . qq{")\ng7 OK GETMETADATA completed},
    'DEPTH 1: the entry and its children');
is($c->cmd('g8 GETMETADATA (DEPTH infinity) INBOX /private/f'),
    qq{* METADATA INBOX (/private/f "top" /private/f/a "A" /private/f/a/deep "D" /private/f/b "} . ('x' x 50)
    . qq{")\ng8 OK GETMETADATA completed}, 'DEPTH infinity: everything below');
is($c->cmd('g9 GETMETADATA INBOX /private/f'),
    qq{* METADATA INBOX (/private/f "top")\ng9 OK GETMETADATA completed}, 'no DEPTH is DEPTH 0');
is($c->cmd('g10 GETMETADATA (MAXSIZE 10 DEPTH 1) INBOX /private/f'),
    qq{* METADATA INBOX (/private/f "top" /private/f/a "A")\ng10 OK [METADATA LONGENTRIES 50] GETMETADATA completed},
    'MAXSIZE leaves out the long value and says how long it is');
is($c->cmd('g11 GETMETADATA (DEPTH 2) INBOX /private/f'), 'g11 BAD Invalid GETMETADATA options', 'bad DEPTH');
is($c->cmd('g12 GETMETADATA (FOO 1) INBOX /private/f'), 'g12 BAD Invalid GETMETADATA options', 'unknown option');

# Entry names.
is($c->cmd('b1 GETMETADATA INBOX /other/x'), 'b1 BAD Invalid entry name', 'only /private and /shared');
is($c->cmd('b2 GETMETADATA INBOX /private/a*'), 'b2 BAD Invalid entry name', 'no wildcards');
is($c->cmd('b3 SETMETADATA INBOX (/private//x "v")'), 'b3 BAD Invalid entry or value', 'no empty component');
is($c->cmd('b4 SETMETADATA INBOX (/private/x/ "v")'), 'b4 BAD Invalid entry or value', 'no trailing slash');
is($c->cmd('b5 SETMETADATA INBOX (/private "v")'), 'b5 BAD Invalid entry or value', 'two components at least');
is($c->cmd('b6 GETMETADATA Nonexistent /private/x'), 'b6 NO [NONEXISTENT] No such mailbox', 'no such mailbox');

# Limits: value size and entry count; a failed SETMETADATA changes nothing.
my $big = 'y' x 1025;
is($c->cmd('l1 SETMETADATA INBOX (/private/ok "fine" /private/big {1025+}' . "\r\n$big)"),
    'l1 NO [METADATA MAXSIZE 1024] Value too large', 'value over imap_metadata_max_size');
is($c->cmd('l2 GETMETADATA INBOX /private/ok'),
    qq{* METADATA INBOX (/private/ok NIL)\nl2 OK GETMETADATA completed}, 'nothing of it was set');
# INBOX holds /shared/comment and /private/f with 3 below: 5 entries.
my @set = map { "/private/n$_ \"$_\"" } 1 .. 6;
is($c->cmd("l3 SETMETADATA INBOX (@set)"), 'l3 NO [METADATA TOOMANY] Too many annotations', 'past imap_metadata_max_entries');
is($c->cmd('l4 GETMETADATA INBOX /private/n1'),
    qq{* METADATA INBOX (/private/n1 NIL)\nl4 OK GETMETADATA completed}, 'all or nothing');
pop @set;
is($c->cmd("l5 SETMETADATA INBOX (@set)"), 'l5 OK SETMETADATA completed', 'up to the limit');
is($c->cmd('l6 SETMETADATA INBOX (/private/n1 "changed" /private/n2 NIL)'), 'l6 OK SETMETADATA completed',
    'replacing and removing at the limit works');

# Server annotations: shared ones by admins only.
is($c->cmd('v1 SETMETADATA "" (/shared/comment "hello")'),
    'v1 NO [NOPERM] Only administrators may set shared server annotations', 'a user may not set a shared server entry');
my $adm = Sealpost::IMAP->new(port => $sp->env('SEALPOST_IMAP_PORT'), sp => $sp);
$adm->starttls;
my $ir = encode_base64("alice\0admin\0" . $sp->password('admin'), '');
like($adm->cmd("a1 AUTHENTICATE PLAIN $ir"), qr/^a1 OK/m, 'admin logs in as alice');
is($adm->cmd('a2 SETMETADATA "" (/shared/comment "Server notice")'), 'a2 OK SETMETADATA completed', 'an admin may');
is($b->cmd('v2 GETMETADATA "" /shared/comment'),
    qq{* METADATA "" (/shared/comment "Server notice")\nv2 OK GETMETADATA completed}, 'everyone reads it');
is($b->cmd('v3 SETMETADATA "" (/private/vendor/sealpost/x "mine")'), 'v3 OK SETMETADATA completed',
    'a private server entry');
is($c->cmd('v4 GETMETADATA "" /private/vendor/sealpost/x'),
    qq{* METADATA "" (/private/vendor/sealpost/x NIL)\nv4 OK GETMETADATA completed}, "not visible to others");

# Annotations follow RENAME and go with DELETE.
$c->cmd('r1 CREATE Proj');
is($c->cmd('r2 SETMETADATA Proj (/shared/comment "project box")'), 'r2 OK SETMETADATA completed', 'annotate Proj');
$c->cmd('r3 RENAME Proj Work');
is($c->cmd('r4 GETMETADATA Work /shared/comment'),
    qq{* METADATA Work (/shared/comment "project box")\nr4 OK GETMETADATA completed}, 'follows the rename');
$c->cmd('r5 DELETE Work');
$c->cmd('r6 CREATE Work');
is($c->cmd('r7 GETMETADATA Work /shared/comment'),
    qq{* METADATA Work (/shared/comment NIL)\nr7 OK GETMETADATA completed}, 'gone with the deleted mailbox');
done_testing;
