# imapd's group commit: a writing command's syncs run on a thread while
# the imapd process goes on serving, and its tagged OK comes only once its
# change is on disk.  One commit runs at a time: the first command starts
# one alone, those that end while it runs go together in the next.  The
# commit logs "group_commit commands=N" before it answers, and the log is
# written by the process itself before it sends anything, so the line is
# there when the OK arrives.  An APPEND's message files, the folder with
# their new names and the log go to one commit together (a COPY's name
# and log likewise; what the writer hands over is checked by the unit
# test mbox_defer).  The one worker is stopped while the sessions send
# their commands, so all of them are read in one round.
use strict;
use warnings;
use Test::More;
use Mail::IMAPClient;
use Sealpost::Test;
use Sealpost::IMAP;

my $msg = "From: a\@example.org\r\nSubject: group\r\n\r\nbody\r\n";

sub worker_pid {
	my ($sp) = @_;
	my ($pid) = ($sp->wait_log(qr/imapd\[\d+\]: started/) // '') =~ /imapd\[(\d+)\]/;
	return $pid;
}

# The group_commit lines logged after `mark`, as hashes of their fields.
sub commits {
	my ($sp, $mark) = @_;
	my @c;
	for my $line (split /\n/, substr($sp->log_text, $mark)) {
		next unless $line =~ /\bgroup_commit\b/;
		my %f = $line =~ /(\w+)=(\S+)/g;
		push @c, \%f;
	}
	return @c;
}

# Stops the worker, has each session send its command, lets it go on and
# returns each session's answer with the group_commit lines seen at the
# moment each answer was complete.
sub stopped_round {
	my ($sp, $pid, @work) = @_;
	my $mark = $sp->log_size;
	kill 'STOP', $pid or die "cannot stop imapd";
	$_->[0]->send_raw($_->[1]) for @work;
	kill 'CONT', $pid or die "cannot continue imapd";
	my @out;
	for my $w (@work) {
		my ($tag) = $w->[1] =~ /^(\S+)/;
		my $answer = $w->[0]->read_until($tag);
		push @out, [ $answer, [ commits($sp, $mark) ] ];
	}
	return @out;
}

{
	my $sp = Sealpost::Test->new(set => { imap_workers => 1 });
	my $pid = worker_pid($sp);
	ok($pid && kill(0, $pid), 'the one imapd worker runs');

	# A plain client: every writing command is answered, and what it
	# wrote is there.
	my $host = $sp->env('SEALPOST_HOST');
	my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
	    Port => $sp->env('SEALPOST_IMAP_PORT'),
	    Starttls => [ SSL_ca_file => $sp->env('SEALPOST_CA_FILE'),
		SSL_verifycn_name => $host, SSL_hostname => $host ],
	    User => 'alice', Password => $sp->password('alice'), Uid => 1)
	    or BAIL_OUT("Mail::IMAPClient: $@");
	my $mark = $sp->log_size;
	my $uid = $imap->append_string('INBOX', $msg);
	ok($uid, "APPEND answered with UID $uid");
	my @c = commits($sp, $mark);
	ok(@c >= 1 && $c[-1]{commands} >= 1 && $c[-1]{status} eq 'ok',
	    'the APPEND was committed before its OK came');
	# One commit after the record (the `append` line is logged once it
	# is written) syncs the message file, the folder and the log; no
	# commit ran before it.
	my @order = grep { /\b(group_commit|append)\b/ } split /\n/,
	    substr($sp->log_text, $mark);
	like(join("\n", @order), qr/\A[^\n]*\bappend mailbox=INBOX\b[^\n]*\n[^\n]*group_commit commands=1 files=3 failed=0 /,
	    'the file, its folder and the log synced by one commit after the record')
	    or diag explain \@order;
	ok($imap->select('INBOX'), 'SELECT');
	$mark = $sp->log_size;
	ok($imap->set_flag('\\Flagged', $uid), 'STORE +FLAGS answered');
	ok(scalar(commits($sp, $mark)), 'the STORE was committed before its OK');
	my $flags = $imap->flags($uid) // [];
	ok((grep { $_ eq '\\Flagged' } @$flags), 'and the flag is set');
	$mark = $sp->log_size;
	ok($imap->copy('INBOX', $uid), 'COPY answered');
	@c = commits($sp, $mark);
	ok(scalar(@c), 'the COPY was committed before its OK');
	is($c[-1]{files}, 3, 'its file, the folder with the new name and the log, together')
	    or diag explain \@c;
	ok($imap->delete_message($uid) && $imap->expunge('INBOX'), 'EXPUNGE answered');
	is($imap->message_count('INBOX'), 1, 'one message left after the expunge');

	# Three sessions of the one worker, their commands in one round: the
	# first is committed alone, the two others together while it ran;
	# each is answered after its commit, and all are stored.
	my $a = Sealpost::IMAP->login_new($sp, 'alice');
	my $b = Sealpost::IMAP->login_new($sp, 'bob');
	my $d = Sealpost::IMAP->login_new($sp, 'carol');
	my ($uv) = $a->cmd('a1 SELECT INBOX') =~ /UIDVALIDITY (\d+)/;
	like($a->cmd('a2 STORE 1:* +FLAGS (\\Seen)'), qr/^a2 OK/m, 'a stores');
	for my $s ([ $b, 'b' ], [ $d, 'd' ]) {
		like($s->[0]->cmd("$s->[1]0 APPEND INBOX {" . length($msg) . "+}\r\n$msg"),
		    qr/^$s->[1]0 OK \[APPENDUID \d+ \d+\] APPEND completed/m,
		    "$s->[1]'s APPEND is answered OK");
		like($s->[0]->cmd("$s->[1]s SELECT INBOX"), qr/^$s->[1]s OK/m,
		    "$s->[1] selects its INBOX");
	}
	my @r = stopped_round($sp, $pid,
	    [ $a, "a3 STORE 1:* +FLAGS.SILENT (\\Answered)\r\n" ],
	    [ $b, "b1 STORE 1 +FLAGS.SILENT (\\Flagged)\r\n" ],
	    [ $d, "d1 STORE 1 +FLAGS.SILENT (\\Flagged)\r\n" ]);
	like($r[0][0], qr/^a3 OK STORE completed/m, "a's STORE is answered OK");
	like($r[1][0], qr/^b1 OK STORE completed/m, "b's STORE is answered OK");
	like($r[2][0], qr/^d1 OK STORE completed/m, "d's STORE is answered OK");
	my @seen = @{ $r[0][1] };
	ok(@seen && $seen[0]{commands} == 1,
	    "the first command was committed alone, before a's OK")
	    or diag explain \@seen;
	@seen = @{ $r[1][1] };
	ok(@seen >= 2 && $seen[1]{commands} == 2,
	    "the two others together, before b's OK") or diag explain \@seen;
	ok(@{ $r[2][1] } >= 2, "and before d's OK");
	like($a->cmd('a4 FETCH 1:* (FLAGS)'), qr/\\Answered/, "a's flags are stored");
	my $c = Sealpost::IMAP->login_new($sp, 'bob');
	like($c->cmd('c1 STATUS INBOX (MESSAGES)'), qr/MESSAGES 1\)/, "b's message is stored");
	my $e = Sealpost::IMAP->login_new($sp, 'carol');
	like($e->cmd('e1 STATUS INBOX (MESSAGES)'), qr/MESSAGES 1\)/, "d's message is stored");

	# A session's own commands keep their order: pipelined, answered
	# in turn, each after its commit.
	$a->send_raw("a5 STORE 1 +FLAGS (\\Flagged)\r\na6 STORE 1 -FLAGS (\\Flagged)\r\n"
	    . "a7 FETCH 1 (FLAGS)\r\n");
	my $piped = $a->read_until('a7');
	like($piped, qr/a5 OK.*a6 OK.*\* 1 FETCH \(FLAGS \((?![^)]*Flagged)[^)]*\)\)\na7 OK/s,
	    'pipelined writes are answered in order and applied in order');
	$_->cmd('z LOGOUT') for $a, $b, $c, $d, $e;
	$imap->logout;
}

# imap_commit_max_commands: one command per commit; the two that waited
# for the first go one after the other.
{
	my $sp = Sealpost::Test->new(set => { imap_workers => 1,
		imap_commit_max_commands => 1 });
	my $pid = worker_pid($sp);
	my @s = map { Sealpost::IMAP->login_new($sp, $_) } qw(alice bob carol);
	my $mark = $sp->log_size;
	my @r = stopped_round($sp, $pid, map {
	    [ $s[$_], "s$_ APPEND INBOX {" . length($msg) . "+}\r\n$msg\r\n" ] } 0 .. 2);
	like($r[$_][0], qr/^s$_ OK/m, "APPEND $_ answered") for 0 .. 2;
	my @c = commits($sp, $mark);
	is(join(',', map { $_->{commands} } @c), '1,1,1', 'in three commits of one command each');
	is(scalar(grep { $_->{files} == 3 } @c), 3,
	    'each with its file, folder and log') or diag explain \@c;
}

# imap_group_commit = no: each command syncs in place, no commit runs.
{
	my $sp = Sealpost::Test->new(set => { imap_workers => 1,
		imap_group_commit => 'no' });
	my $a = Sealpost::IMAP->login_new($sp, 'alice');
	my $mark = $sp->log_size;
	like($a->cmd("a1 APPEND INBOX {" . length($msg) . "+}\r\n$msg"),
	    qr/^a1 OK \[APPENDUID/m, 'APPEND without group commit');
	$a->cmd('a2 SELECT INBOX');
	like($a->cmd('a3 STORE 1 +FLAGS (\\Seen)'), qr/^a3 OK/m, 'STORE');
	is(scalar(commits($sp, $mark)), 0, 'and no group commit ran');
}

done_testing;
