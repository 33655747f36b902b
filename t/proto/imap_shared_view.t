# Sessions of one imapd worker that select the same mailbox share one
# open mailbox (its descriptors and header) and the worker's snapshot of
# it, which a later SELECT brings up to date from the log instead of
# reading the index.  Each session still sees exactly its own picture:
# expunges, flag changes, new messages and keywords made by one session,
# by another process (lmtpd) or while nobody had the mailbox selected.
# See imapd(8).
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { imap_workers => 1 });

sub deliver {
	my ($subject) = @_;
	return $sp->deliver_lmtp('alice@sealpost.test',
	    "Subject: $subject\r\n\r\nbody\r\n");
}

sub uids_flags {
	my ($c, $tag) = @_;
	my $r = $c->cmd("$tag FETCH 1:* (UID FLAGS)");
	my @out;
	while ($r =~ /^\* (\d+) FETCH \(UID (\d+) FLAGS \(([^)]*)\)\)$/mg) {
		push @out, "$1:$2:$3";
	}
	return join ' ', @out;
}

# The descriptors of the one imapd worker that name a file `name` of a
# mailbox folder (readable by root only: the worker runs as the mail user).
sub worker_fds {
	my ($name) = @_;
	my $conf = $sp->config_path;
	my $n = 0;
	for my $pid (grep { /^\d+$/ } map { s{^/proc/}{}r } glob '/proc/[0-9]*') {
		open my $fh, '<', "/proc/$pid/cmdline" or next;
		my $cmd = do { local $/; <$fh> } // '';
		next unless $cmd =~ /^imapd\0/ && index($cmd, $conf) >= 0;
		for my $fd (glob "/proc/$pid/fd/*") {
			my $to = readlink($fd) // next;
			$n++ if $to =~ m{/\Q$name\E$};
		}
	}
	return $n;
}

my $a = Sealpost::IMAP->login_new($sp, 'alice');
for my $i (1 .. 3) {
	my $m = "Subject: m$i\r\n\r\nbody $i\r\n";
	like($a->cmd("p$i APPEND INBOX {" . length($m) . "+}\r\n$m"), qr/^p$i OK/m, "message $i");
}
like($a->cmd('a1 SELECT INBOX'), qr/^\* 3 EXISTS$/m, 'a selects INBOX');
my $b = Sealpost::IMAP->login_new($sp, 'alice');
like($b->cmd('b1 SELECT INBOX'), qr/^\* 3 EXISTS$/m, 'b selects it too');

SKIP: {
	skip 'the worker\'s descriptors are readable by root only', 1 if $> != 0;
	is(worker_fds('lock'), 1, 'both sessions hold one open mailbox');
}

# One session expunges; the other hears of it at its next command.
like($b->cmd('b2 STORE 2 +FLAGS.SILENT (\Deleted)'), qr/^b2 OK/m, 'b marks 2');
like($b->cmd('b3 EXPUNGE'), qr/^\* 2 EXPUNGE$/m, 'b expunges 2');
my $r = $a->cmd('a2 NOOP');
like($r, qr/^\* 2 EXPUNGE$/m, 'a hears the expunge');
is(uids_flags($a, 'a3'), '1:1: 2:3:', 'a has UIDs 1 and 3');

# A delivery by another process reaches both.
like(deliver('four'), qr/^250/, 'lmtpd delivers a fourth');
like($a->cmd('a4 NOOP'), qr/^\* 3 EXISTS$/m, 'a hears of it');
like($b->cmd('b4 NOOP'), qr/^\* 3 EXISTS$/m, 'b hears of it');

# A new session's SELECT starts from the worker's snapshot.
like($b->cmd('b5 STORE 1 +FLAGS.SILENT (\Flagged $Work)'), qr/^b5 OK/m,
    'b flags 1 with a new keyword');
my $c = Sealpost::IMAP->login_new($sp, 'alice');
$r = $c->cmd('c1 SELECT INBOX');
like($r, qr/^\* 3 EXISTS$/m, 'c sees three');
like($r, qr/^\* FLAGS \(.*\$Work\)$/m, 'and the new keyword');
like($r, qr/^\* OK \[UIDNEXT 5\]/m, 'and UIDNEXT');
is(uids_flags($c, 'c2'), '1:1:\Flagged $Work 2:3: 3:4:', 'and every message as it is now');

# Selecting again in the same session, and while nobody has it selected.
like($a->cmd('a5 SELECT INBOX'), qr/^\* 3 EXISTS$/m, 'a selects INBOX again');
is(uids_flags($a, 'a6'), '1:1:\Flagged $Work 2:3: 3:4:', 'a sees the same');
$_->cmd('z LOGOUT') for $a, $b, $c;
like(deliver('five'), qr/^250/, 'a fifth while nobody has it selected');
my $d = Sealpost::IMAP->login_new($sp, 'alice');
like($d->cmd('d0 STORE 1 -FLAGS (\Flagged)'), qr/^d0 BAD|^d0 NO/m, 'd has nothing selected yet');
$r = $d->cmd('d1 SELECT INBOX');
like($r, qr/^\* 4 EXISTS$/m, 'd sees four');
is(uids_flags($d, 'd2'), '1:1:\Flagged $Work 2:3: 3:4: 4:5:', 'with the fifth');
like($d->cmd('d3 STORE 3 +FLAGS.SILENT (\Seen)'), qr/^d3 OK/m, 'd marks 3 seen');
like($d->cmd('d4 EXAMINE INBOX'), qr/^\* 4 EXISTS$/m, 'd examines INBOX');
is(uids_flags($d, 'd5'), '1:1:\Flagged $Work 2:3: 3:4:\Seen 4:5:', 'its own change is there');

# Another mailbox in between: each has its own picture.
like($d->cmd('d6 CREATE Other'), qr/^d6 OK/m, 'another mailbox');
like($d->cmd('d7 SELECT Other'), qr/^\* 0 EXISTS$/m, 'selected, empty');
like($d->cmd('d8 SELECT INBOX'), qr/^\* 4 EXISTS$/m, 'INBOX again');
$d->cmd('z LOGOUT');
done_testing;
