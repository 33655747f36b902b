# imapd: access control lists (RFC 4314).  For each right and each command
# that needs it: the owner, another user given the right and not, anyone
# given it and not, and an admin; allowed commands succeed, forbidden ones
# fail with the right response code, and a mailbox the user may not look
# up answers exactly as one that does not exist.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my %c = map { ($_ => Sealpost::IMAP->login_new($sp, $_)) } qw(alice bob carol admin);
my $alice = $c{alice};

like($alice->cmd('c1 CAPABILITY'), qr/^\* CAPABILITY .* ACL RIGHTS=texk/m,
    'CAPABILITY announces ACL and RIGHTS=texk');
is($c{bob}->cmd('n1 NAMESPACE'),
    qq{* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Shared/" "/"))\nn1 OK NAMESPACE completed},
    'NAMESPACE: personal, other users, shared');

my $msg = "From: alice\@sealpost.test\r\nSubject: acl\r\n\r\nbody\r\n";
sub append_as {
	my ($c, $box, $flags) = @_;
	$flags = defined $flags ? "($flags) " : '';
	return $c->cmd(qq{ap APPEND "$box" $flags} . '{' . length($msg) . "+}\r\n$msg");
}
sub tagged { my ($r) = @_; my @l = split /\n/, $r; return $l[-1] }

# Fresh state before each run: Proj with one message, Proj/Child; only
# alice's own entry (and anyone p) in the lists.
sub reset_boxes {
	$alice->cmd('r0 UNSELECT');
	$alice->cmd('r1 DELETE Proj/Child');
	$alice->cmd('r1 DELETE Proj/Renamed');
	$alice->cmd('r2 DELETE Proj');
	like($alice->cmd('r3 CREATE Proj'), qr/^r3 OK/m, 'alice creates Proj') or BAIL_OUT('CREATE');
	$alice->cmd('r4 CREATE Proj/Child');
	like(append_as($alice, 'Proj', '\\Deleted'), qr/^ap OK/m, 'one message in Proj');
}

sub grant {
	my ($who, $rights, $box) = @_;
	$box //= 'Proj';
	for my $b ($box eq 'Proj' ? ('Proj', 'Proj/Child') : ($box)) {
		my $r = $rights eq '' ? $alice->cmd(qq{g1 DELETEACL "$b" $who})
		    : $alice->cmd(qq{g1 SETACL "$b" $who $rights});
		like($r, qr/^g1 OK/m, "alice sets $b $who '$rights'");
	}
}

# Each case: the right it needs, what else it needs (prereq), and the
# command sequence; `run` returns the tagged response of the command that
# is checked.  P is the prefix the caller sees the mailbox under.
my @cases = (
	{ right => 'l', prereq => '', name => 'MYRIGHTS',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t MYRIGHTS "${p}Proj"})) },
	  nope => 'NONEXISTENT' },
	{ right => 'r', prereq => 'l', name => 'SELECT',
	  run => sub { my ($c, $p) = @_; my $r = tagged($c->cmd(qq{t SELECT "${p}Proj"})); $c->cmd('u UNSELECT'); $r } },
	{ right => 'r', prereq => 'l', name => 'EXAMINE',
	  run => sub { my ($c, $p) = @_; my $r = tagged($c->cmd(qq{t EXAMINE "${p}Proj"})); $c->cmd('u UNSELECT'); $r } },
	{ right => 'r', prereq => 'l', name => 'STATUS',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t STATUS "${p}Proj" (MESSAGES)})) } },
	{ right => 's', prereq => 'lri', name => 'STORE \\Seen', selected => 1,
	  run => sub { my ($c) = @_; tagged($c->cmd('t STORE 1 +FLAGS (\\Seen)')) } },
	{ right => 'w', prereq => 'lri', name => 'STORE \\Flagged', selected => 1,
	  run => sub { my ($c) = @_; tagged($c->cmd('t STORE 1 +FLAGS (\\Flagged)')) } },
	{ right => 'w', prereq => 'lri', name => 'STORE keyword', selected => 1,
	  run => sub { my ($c) = @_; tagged($c->cmd('t STORE 1 +FLAGS ($Work)')) } },
	{ right => 't', prereq => 'lri', name => 'STORE \\Deleted', selected => 1,
	  run => sub { my ($c) = @_; tagged($c->cmd('t STORE 1 -FLAGS (\\Deleted)')) } },
	{ right => 'e', prereq => 'lri', name => 'EXPUNGE', selected => 1,
	  run => sub { my ($c) = @_; tagged($c->cmd('t EXPUNGE')) } },
	{ right => 'i', prereq => 'l', name => 'APPEND',
	  run => sub { my ($c, $p) = @_; $c->cmd('u UNSELECT'); tagged(append_as($c, "${p}Proj")) } },
	{ right => 'i', prereq => 'l', name => 'COPY into',
	  run => sub { my ($c, $p) = @_;
		       $c->cmd('s SELECT INBOX');
		       my $r = tagged($c->cmd(qq{t COPY 1 "${p}Proj"}));
		       $c->cmd('u UNSELECT'); $r } },
	{ right => 'k', prereq => 'l', name => 'CREATE below',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t CREATE "${p}Proj/New"})) },
	  cleanup => sub { $alice->cmd('x DELETE Proj/New') } },
	{ right => 'x', prereq => 'l', name => 'DELETE',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t DELETE "${p}Proj/Child"})) } },
	{ right => 'x', prereq => 'lk', name => 'RENAME',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t RENAME "${p}Proj/Child" "${p}Proj/Renamed"})) } },
	{ right => 'a', prereq => 'l', name => 'GETACL',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t GETACL "${p}Proj"})) } },
	{ right => 'a', prereq => 'l', name => 'LISTRIGHTS',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t LISTRIGHTS "${p}Proj" carol})) } },
	{ right => 'a', prereq => 'l', name => 'SETACL',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t SETACL "${p}Proj/Child" carol +l})) } },
	{ right => 'a', prereq => 'l', name => 'DELETEACL',
	  run => sub { my ($c, $p) = @_; tagged($c->cmd(qq{t DELETEACL "${p}Proj/Child" carol})) } },
);

# bob's INBOX needs a message to COPY from.
like(append_as($c{bob}, 'INBOX'), qr/^ap OK/m, 'bob has a message to copy');
like(append_as($c{carol}, 'INBOX'), qr/^ap OK/m, 'carol has one too');
like(append_as($c{admin}, 'INBOX'), qr/^ap OK/m, 'admin too');
like(append_as($alice, 'INBOX'), qr/^ap OK/m, 'and alice');

my $other = 'Other Users/alice/';
for my $case (@cases) {
	my ($right, $pre) = ($case->{right}, $case->{prereq});
	my $what = "$case->{name} needs '$right'";
	my $nope = $case->{nope} // 'NOPERM';
	my $run = sub {
		my ($c, $p) = @_;
		if ($case->{selected}) {
			my $s = tagged($c->cmd(qq{t SELECT "${p}Proj"}));
			return $s if $s !~ /^t OK/;
		}
		my $r = $case->{run}->($c, $p);
		$c->cmd('u UNSELECT') if $case->{selected};
		$case->{cleanup}->() if $case->{cleanup};
		return $r;
	};

	reset_boxes();
	like($run->($alice, ''), qr/^\S+ OK/, "$what: the owner may");

	reset_boxes();
	grant('bob', "$pre$right");
	like($run->($c{bob}, $other), qr/^\S+ OK/, "$what: bob with '$pre$right' may");
	reset_boxes();
	if ($pre ne '') {
		grant('bob', $pre);
		like($run->($c{bob}, $other), qr/^\S+ NO \[$nope\]/, "$what: bob with '$pre' may not");
		reset_boxes();
	}
	grant('bob', "$pre$right");
	grant('-bob', $right);
	like($run->($c{bob}, $other), qr/^\S+ NO \[$nope\]/, "$what: -bob takes it away again");

	reset_boxes();
	grant('anyone', "p$pre$right");
	like($run->($c{carol}, $other), qr/^\S+ OK/, "$what: carol under anyone '$pre$right' may");
	reset_boxes();
	if ($pre ne '') {
		grant('anyone', "p$pre");
		like($run->($c{carol}, $other), qr/^\S+ NO \[$nope\]/, "$what: carol under anyone '$pre' may not");
		reset_boxes();
	}
	my $without = $run->($c{carol}, $other);
	like($without, qr/^\S+ NO \[/, "$what: carol without an entry may not");
	reset_boxes();
	grant('anonymous', "$pre$right");
	is($run->($c{carol}, $other), $without, "$what: anonymous never matches a logged-in user");

	# Admins hold l and a on every mailbox, nothing more.
	reset_boxes();
	my $admin_may = ("$pre$right" =~ /^[la]*$/);
	my $r = $run->($c{admin}, $other);
	if ($admin_may) {
		like($r, qr/^\S+ OK/, "$what: an admin may");
	} else {
		like($r, qr/^\S+ NO \[NOPERM\]/, "$what: an admin may not without an entry");
	}
}

# A mailbox bob may not look up answers exactly as one that does not exist.
reset_boxes();
for my $cmd ('SELECT "%s"', 'EXAMINE "%s"', 'STATUS "%s" (MESSAGES)', 'GETACL "%s"',
    'MYRIGHTS "%s"', 'DELETE "%s"', 'LISTRIGHTS "%s" bob', 'SETACL "%s" bob l',
    'RENAME "%s" "Other Users/alice/Zed"') {
	my $real = $c{bob}->cmd('z ' . sprintf($cmd, "${other}Proj"));
	my $none = $c{bob}->cmd('z ' . sprintf($cmd, "${other}NoSuchBox"));
	is($real, $none, "invisible looks nonexistent: $cmd");
	like($real, qr/^z NO \[NONEXISTENT\]/, "and says NONEXISTENT: $cmd");
}
is(append_as($c{bob}, "${other}Proj"), append_as($c{bob}, "${other}NoSuchBox"),
    'APPEND to an invisible mailbox answers as to a missing one');
$c{bob}->cmd('s SELECT INBOX');
is($c{bob}->cmd(qq{z COPY 1 "${other}Proj"}), $c{bob}->cmd(qq{z COPY 1 "${other}NoSuchBox"}),
    'COPY to an invisible mailbox answers as to a missing one');
$c{bob}->cmd('u UNSELECT');
unlike($c{bob}->cmd('z LIST "" "*"'), qr/alice/, 'LIST shows none of alice\'s mailboxes');
unlike($c{bob}->cmd('z LIST "" "Other Users/*"'), qr/Proj/, 'nor under Other Users/');
is($c{bob}->cmd(qq{z STATUS "${other}INBOX" (MESSAGES)}), "z NO [NONEXISTENT] No such mailbox",
    "alice's INBOX is invisible too");

# Given l, the mailbox and its parents appear; SELECT without r is NOPERM.
grant('bob', 'l');
my $list = $c{bob}->cmd('z LIST "" "*"');
like($list, qr{^\* LIST \(\\HasChildren\) "/" "Other Users/alice/Proj"$}m, 'LIST shows Proj with l');
unlike($list, qr{Other Users/alice/INBOX}, 'INBOX still invisible');
like($c{bob}->cmd('z LIST "" "%"'), qr{^\* LIST \(\\Noselect \\HasChildren\) "/" "Other Users"$}m,
    'the namespace is a \\Noselect parent');
like($c{bob}->cmd('z LIST "" "Other Users/%"'),
    qr{^\* LIST \(\\Noselect \\HasChildren\) "/" "Other Users/alice"$}m,
    'and so is the user level');
is(tagged($c{bob}->cmd(qq{z SELECT "${other}Proj"})), 'z NO [NOPERM] Permission denied',
    'SELECT with l but not r: NOPERM');
is($c{bob}->cmd(qq{z MYRIGHTS "${other}Proj"}),
    qq{* MYRIGHTS "${other}Proj" lp\nz OK MYRIGHTS completed}, 'MYRIGHTS: l, and p from anyone');

# EXAMINE with lr is read-only; PERMANENTFLAGS follow the rights.
grant('bob', 'lrs');
my $sel = $c{bob}->cmd(qq{z SELECT "${other}Proj"});
like($sel, qr/^\* OK \[PERMANENTFLAGS \(\\Seen\)\]/m, 'PERMANENTFLAGS: only \\Seen with s');
like($sel, qr/^z OK \[READ-WRITE\]/m, 's makes the mailbox read-write');
like($c{bob}->cmd('z STORE 1 FLAGS (\\Seen)'), qr/^z NO \[NOPERM\]/m,
    'STORE FLAGS (replace) needs every flag right');
like($c{bob}->cmd('z STORE 1 +FLAGS (\\Seen \\Flagged)'), qr/^\* 1 FETCH \(FLAGS \(\\Deleted \\Seen\)\)/m,
    'STORE of \\Seen and \\Flagged with only s changes \\Seen alone');
like($c{bob}->cmd('z FETCH 1 BODY[]'), qr/^z OK/m, 'FETCH BODY[] with s');
$c{bob}->cmd('u UNSELECT');
grant('bob', 'lr');
like($c{bob}->cmd(qq{z SELECT "${other}Proj"}), qr/^z OK \[READ-ONLY\]/m, 'lr alone: READ-ONLY');
like($c{bob}->cmd('z STORE 1 -FLAGS (\\Seen)'), qr/^z NO \[READ-ONLY\]/m, 'and STORE is refused');
like($c{bob}->cmd('z FETCH 1 BODY[]'), qr/^\* 1 FETCH \(.*BODY\[\] /m, 'FETCH BODY[] works');
$c{bob}->cmd('u UNSELECT');

# COPY with i: flags without their rights are dropped (RFC 4314 section 4).
grant('bob', 'li');
$c{bob}->cmd('s SELECT INBOX');
$c{bob}->cmd('s STORE 1 FLAGS (\\Seen \\Flagged \\Deleted)');
like($c{bob}->cmd(qq{z COPY 1 "${other}Proj"}), qr/^z OK \[COPYUID/m, 'COPY with i');
like($c{bob}->cmd(qq{z MOVE 1 "${other}Proj"}), qr/^z OK/m, 'MOVE from a mailbox of one\'s own');
$c{bob}->cmd('u UNSELECT');
$alice->cmd('s SELECT Proj');
like($alice->cmd('z FETCH 2:3 FLAGS'), qr/^\* 2 FETCH \(FLAGS \(\)\)\n\* 3 FETCH \(FLAGS \(\)\)/m,
    'copied and moved messages lost the flags bob had no right to');
$alice->cmd('u UNSELECT');

# MOVE out of a mailbox needs t and e there.
grant('bob', 'lri');
$c{bob}->cmd(qq{s SELECT "${other}Proj"});
like($c{bob}->cmd('z MOVE 1 INBOX'), qr/^z NO \[NOPERM\]/m, 'MOVE without t and e on the source');
$c{bob}->cmd('u UNSELECT');
grant('bob', 'lrite');
$c{bob}->cmd(qq{s SELECT "${other}Proj"});
like($c{bob}->cmd('z MOVE 1 INBOX'), qr/^z OK/m, 'MOVE with t and e on the source');
$c{bob}->cmd('u UNSELECT');

# CLOSE without e closes without expunging.
reset_boxes();
grant('bob', 'lri');
$c{bob}->cmd(qq{s SELECT "${other}Proj"});
is($c{bob}->cmd('z CLOSE'), 'z OK CLOSE completed', 'CLOSE without e');
like($alice->cmd('z STATUS Proj (MESSAGES)'), qr/MESSAGES 1/, 'and the \\Deleted message stays');

# GETACL, LISTRIGHTS, MYRIGHTS on the owner's side; obsolete c and d.
is($alice->cmd('z SETACL Proj carol lrswida'), 'z OK SETACL completed', 'SETACL with the obsolete d');
like($alice->cmd('z GETACL Proj'),
    qr/^\* ACL Proj alice lrswipkxteacd anyone p bob lri carol lrswixtead\nz OK GETACL completed$/,
    'GETACL lists every entry, with c and d');
is($alice->cmd('z SETACL Proj carol -wd'), 'z OK SETACL completed', 'SETACL -rights');
like($alice->cmd('z GETACL Proj'), qr/ carol lrsia\n/, 'rights removed');
is($alice->cmd('z SETACL Proj carol +k'), 'z OK SETACL completed', 'SETACL +rights');
like($alice->cmd('z GETACL Proj'), qr/ carol lrsikac\n/, 'rights added');
is($alice->cmd('z LISTRIGHTS Proj alice'),
    qq{* LISTRIGHTS Proj alice "la" r s w i p k x t e c d\nz OK LISTRIGHTS completed},
    'LISTRIGHTS: the owner always has l and a');
is($alice->cmd('z LISTRIGHTS Proj carol'),
    qq{* LISTRIGHTS Proj carol "" l r s w i p k x t e a c d\nz OK LISTRIGHTS completed},
    'LISTRIGHTS: another user may get any right');
is($alice->cmd('z SETACL Proj carol lz'), 'z BAD Unknown right', 'unknown right: BAD');
is($alice->cmd('z SETACL Proj Carol l'), 'z NO Invalid identifier', 'invalid identifier');
is($alice->cmd('z SETACL Proj -alice lrswipkxtea'), 'z OK SETACL completed', 'owner denies self');
is($alice->cmd('z MYRIGHTS Proj'), "* MYRIGHTS Proj la\nz OK MYRIGHTS completed",
    'the owner keeps l and a whatever the list says');
is($alice->cmd('z DELETEACL Proj -alice'), 'z OK DELETEACL completed', 'and can undo it');
is($alice->cmd('z MYRIGHTS Proj'), "* MYRIGHTS Proj lrswipkxteacd\nz OK MYRIGHTS completed",
    'all rights back');

# An admin may administer any list, so can give themselves more.
is($c{admin}->cmd(qq{z SETACL "${other}Proj" admin +r}), 'z OK SETACL completed', 'admin grants self r');
like($c{admin}->cmd(qq{z EXAMINE "${other}Proj"}), qr/^z OK/m, 'and can then read');

# A new mailbox inherits its parent's list (RFC 4314 section 4).
is($alice->cmd('z CREATE Proj/Kid'), 'z OK CREATE completed', 'create a child');
like($alice->cmd('z GETACL Proj/Kid'), qr/ carol lrsikac/, 'it inherits the parent\'s list');
ok(1, 'finished');
done_testing;
