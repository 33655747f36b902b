# imapd: LIST over the other users' and the shared namespaces finds
# mailboxes through the store's grants index, not by reading every user's
# list.  After each kind of change (SETACL, DELETEACL, negative rights,
# anyone, RENAME, DELETE, sealpost acl set/delete, sealpost user del,
# boards) every user's LIST "" "*" shows exactly the other mailboxes the
# access control lists let them see, and an admin still sees them all.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
sub sp { my @r = $sp->run_sealpost(@_); return @r }
my %c = map { ($_ => Sealpost::IMAP->login_new($sp, $_)) } qw(alice bob carol admin);

# The names outside the user's own namespace that LIST "" "*" reports
# (the mailboxes, not the \Noselect levels above them), with their
# attributes, one per line in the order sent.
my $n = 0;
sub others {
	my ($who, $pattern) = @_;
	$pattern //= '*';
	my $tag = 'L' . ++$n;
	my $r = $c{$who}->cmd(qq{$tag LIST "" "$pattern"});
	die "LIST failed: $r" unless $r =~ /^$tag OK/m;
	my @l = grep { m{"/" "?(Other Users|Shared)} } split /\n/, $r;
	s/^\* LIST // for @l;
	return join("\n", @l);
}
sub ok_cmd {
	my ($who, $cmd, $name) = @_;
	my $tag = 'C' . ++$n;
	like($c{$who}->cmd("$tag $cmd"), qr/^$tag OK/m, $name);
}
sub run_ok {
	my ($name, @args) = @_;
	my ($rc, $out, $err) = sp(@args);
	is($rc, 0, $name) or diag $err;
}

is(others('bob'), '', 'nothing shared yet: bob sees no other mailbox');
is(others('bob', '%'), '', 'not even the namespace levels');

ok_cmd('alice', 'CREATE Proj', 'alice creates Proj');
ok_cmd('alice', 'CREATE Proj/Child', 'and Proj/Child');
ok_cmd('alice', 'SETACL Proj bob lr', 'SETACL Proj bob lr');
is(others('bob'),
        qq{(\\HasNoChildren) "/" "Other Users/alice/Proj"},
    'bob sees Proj (not Proj/Child, which has no entry for him)');
is(others('carol'), '', 'carol sees nothing');
like(others('bob', '%'), qr{^\(\\Noselect \\HasChildren\) "/" "Other Users"$}m,
    'LIST "" "%" shows the Other Users level to bob');

ok_cmd('alice', 'DELETEACL Proj bob', 'DELETEACL Proj bob');
is(others('bob'), '', 'revoked: bob sees nothing again');

ok_cmd('alice', 'SETACL Proj bob r', 'bob gets r without l');
is(others('bob'), '', 'without l it stays invisible');
ok_cmd('alice', 'SETACL Proj anyone lr', 'SETACL Proj anyone lr');
ok_cmd('alice', 'SETACL Proj/Child anyone l', 'SETACL Proj/Child anyone l');
my $both = qq{(\\HasChildren) "/" "Other Users/alice/Proj"\n} .
    qq{(\\HasNoChildren) "/" "Other Users/alice/Proj/Child"};
is(others('bob'), $both, 'anyone: bob sees both');
is(others('carol'), $both, 'and carol');
is(others('alice'), '', 'alice\'s own mailboxes are not listed twice');

ok_cmd('alice', 'SETACL Proj -bob l', 'a negative entry -bob l on Proj');
is(others('bob'),
    qq{(\\HasNoChildren) "/" "Other Users/alice/Proj/Child"},
    'bob no longer sees Proj, only Proj/Child');
is(others('carol'), $both, 'carol still does');
ok_cmd('alice', 'DELETEACL Proj -bob', 'negative entry removed');
is(others('bob'), $both, 'bob sees Proj again');

ok_cmd('alice', 'RENAME Proj Team', 'RENAME Proj Team');
my $team = $both =~ s{alice/Proj}{alice/Team}gr;
is(others('carol'), $team, 'the grants follow the rename, child too');
ok_cmd('alice', 'DELETE Team/Child', 'DELETE Team/Child');
ok_cmd('alice', 'DELETE Team', 'DELETE Team');
is(others('carol'), '', 'deleted: gone from everyone\'s LIST');

# The postmaster's command changes the same lists.
run_ok('sealpost acl set', 'acl', 'set', 'alice:Sent', 'carol', 'lr');
is(others('carol'),
        qq{(\\HasNoChildren \\Sent) "/" "Other Users/alice/Sent"},
    'carol sees alice\'s Sent');
is(others('bob'), '', 'bob does not');
run_ok('sealpost acl delete', 'acl', 'delete', 'alice:Sent', 'carol');
is(others('carol'), '', 'and after acl delete no longer');

# An owner who is deleted takes their grants along.
run_ok('sealpost user add dave', 'user', 'add', 'dave');
run_ok('dave gets a mailbox', 'mailbox', 'create', 'dave', 'Pub');
run_ok('shared with anyone', 'acl', 'set', 'dave:Pub', 'anyone', 'lr');
is(others('bob'),
        qq{(\\HasNoChildren) "/" "Other Users/dave/Pub"},
    'bob sees dave\'s Pub');
run_ok('sealpost user del dave', 'user', 'del', 'dave');
is(others('bob'), '', 'dave is gone, and so is Pub from bob\'s LIST');
run_ok('a new dave', 'user', 'add', 'dave');
is(others('bob'), '', 'a new user of that name shares nothing');

# Boards: found under anyone's entry; renamed and taken away by admins.
run_ok('a board', 'mailbox', 'create', 'Shared', 'news');
my $news = qq{(\\HasNoChildren) "/" Shared/news};
is(others('bob'), $news, 'bob sees the board');
ok_cmd('admin', 'RENAME Shared/news Shared/notices', 'an admin renames it');
is(others('bob'), $news =~ s/news/notices/r, 'the LIST follows the rename');
ok_cmd('admin', 'SETACL Shared/notices anyone l', 'anyone keeps only l');
ok_cmd('admin', 'SETACL Shared/notices -carol l', 'carol is shut out');
is(others('bob'), $news =~ s/news/notices/r, 'bob still sees it');
is(others('carol'), '', 'carol does not');
ok_cmd('admin', 'DELETEACL Shared/notices anyone', 'DELETEACL anyone');
is(others('bob'), '', 'nobody sees it now');

# An admin may look up everything, with or without entries.
my $all = others('admin');
like($all, qr{"Other Users/alice/INBOX"$}m, 'the admin sees alice\'s INBOX');
like($all, qr{"Other Users/dave/INBOX"$}m, 'and the new dave\'s');
like($all, qr{"/" Shared/notices$}m, 'and the board nobody else sees');

done_testing;
