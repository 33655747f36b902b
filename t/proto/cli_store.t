# sealpost user and sealpost mailbox: the postmaster's view of the store.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;

my $sp = Sealpost::Test->new;
sub sp { my @r = $sp->run_sealpost(@_); return @r }

my ($rc, $out, $err) = sp('user', 'list');
is($rc, 0, 'user list');
is($out, "admin\nalice\nbob\ncarol\n", 'dev created the demo users');

($rc, $out, $err) = sp('user', 'add', 'dave');
is($rc, 0, 'user add');
($rc, $out) = sp('mailbox', 'list', 'dave');
is($out, "Archive \\Archive\nDrafts \\Drafts\nINBOX\nJunk \\Junk\nSent \\Sent\nTrash \\Trash\n",
    'a new user gets INBOX and the special-use folders');
($rc, $out, $err) = sp('user', 'add', 'dave');
isnt($rc, 0, 'adding an existing user fails');
like($err, qr/exists/, '... saying so');
for my $bad ('../etc', 'Dave', '.x', 'a/b', 'x' x 65) {
	($rc, $out, $err) = sp('user', 'add', $bad);
	is($rc, 64, "bad user name '$bad' is a usage error");
}

($rc, $out, $err) = sp('mailbox', 'create', 'dave', 'Lists/perl');
is($rc, 0, 'mailbox create');
($rc, $out, $err) = sp('mailbox', 'create', 'dave', 'Lists/perl');
isnt($rc, 0, 'creating it twice fails');
like($err, qr/exists/, '... saying so');
for my $bad ('a//b', '../x', "tab\tname", 'x/..', '/abs') {
	($rc, $out, $err) = sp('mailbox', 'create', 'dave', $bad);
	isnt($rc, 0, "bad mailbox name '$bad' refused");
}
($rc, $out, $err) = sp('mailbox', 'create', 'nobody-here', 'x');
like($err, qr/no user 'nobody-here'/, 'a mailbox for an unknown user is refused');
($rc, $out, $err) = sp('mailbox', 'create', 'dave', 'Lists', '--special-use', 'archive');
is($rc, 0, 'create with a special use');
($rc, $out, $err) = sp('mailbox', 'rename', 'dave', 'Lists', 'Groups');
is($rc, 0, 'rename with children');
($rc, $out) = sp('mailbox', 'list', 'dave');
like($out, qr/^Groups \\Archive\nGroups\/perl\n/m, 'children moved with their parent');
($rc, $out, $err) = sp('mailbox', 'rename', 'dave', 'Groups', 'Groups/sub');
isnt($rc, 0, 'renaming into itself fails');
($rc, $out, $err) = sp('mailbox', 'delete', 'dave', 'Groups/perl');
is($rc, 0, 'delete');
($rc, $out, $err) = sp('mailbox', 'delete', 'dave', 'Groups/perl');
isnt($rc, 0, 'deleting again fails');
($rc, $out, $err) = sp('mailbox', 'create', 'dave', 'Groups/perl');
is($rc, 0, 'the name can be created again at once');
($rc, $out) = sp('mailbox', 'list', '--json', 'dave');
like($out, qr/^\{"name":"INBOX","id":"[0-9a-f]{16}","uidvalidity":\d+,"special_use":\[\]\}$/m,
    'JSON listing');

($rc, $out, $err) = sp('user', 'del', 'dave');
is($rc, 0, 'user del');
($rc, $out) = sp('user', 'list');
unlike($out, qr/dave/, 'gone from the list');
ok(!-e $sp->dir . '/state/store/dave', 'their mail is gone');
($rc, $out, $err) = sp('user', 'frobnicate');
is($rc, 64, 'unknown verb is a usage error');
($rc, $out, $err) = sp('user', '--help');
is($rc, 0, '--help answers');
like($out, qr/usage: sealpost user add/, '... with the usage');
done_testing;
