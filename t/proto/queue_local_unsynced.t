# A local delivery's outcome is not synced before its queue file is
# removed (qmgr_outcomes_need_sync): after a power loss the file may come
# back as smtpd wrote it, every recipient pending.  Here the test puts
# such a file back itself, after the delivery, and the second delivery
# stores nothing twice: lmtpd answers "already delivered" for every
# recipient and each mailbox holds the message once.  Mail with a
# Message-ID and without one (the same bytes) alike.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;

my $t = Sealpost::Test->new(set => {});
my $q = $t->dir . '/state/queue';
my @owner;

sub put_back {
	my ($id, $text) = @_;
	open my $fh, '>', "$q/tmp/$id" or die "$q/tmp/$id: $!";
	print $fh $text;
	close $fh or die;
	chown @owner, "$q/tmp/$id";
	rename "$q/tmp/$id", "$q/incoming/$id" or die "rename: $!";
}
sub count_in {
	my ($user, $re) = @_;
	my ($rc, $out) = $t->run_sealpost('mailbox', 'show', $user, 'INBOX');
	return scalar(() = $out =~ /$re/g);
}

for my $case ([ 'with a Message-ID', "Subject: back-1\r\nMessage-ID: <back-1\@sender.test>\r\n\r\nbody one\r\n", qr/^Subject: back-1\r?$/m ],
	      [ 'without one', "Subject: back-2\r\n\r\nbody two\r\n", qr/^Subject: back-2\r?$/m ]) {
	my ($what, $msg, $re) = @$case;
	my $from = $t->log_size;
	my $id = $t->inject(from => 'alice@localhost', rcpts => ['bob@localhost', 'carol@localhost'],
	    message => $msg, file_r => \my $text);
	@owner = (stat "$q/incoming")[4, 5];
	ok($t->wait_log(qr/queue_removed .*qid=$id/, from => $from), "$what: delivered and removed");
	ok(!-e "$q/active/$id", "$what: no file left");
	is(count_in($_, $re), 1, "$what: once in $_") for qw(bob carol);

	$from = $t->log_size;
	put_back($id, $text);
	ok($t->wait_log(qr/queue_removed .*qid=$id/, from => $from), "$what: the file that came back is removed");
	my $again = substr($t->log_text, $from);
	for my $user (qw(bob carol)) {
		like($again, qr/delivered to=$user\@localhost .*already delivered.*qid=$id/,
		    "$what: $user: already delivered");
		is(count_in($user, $re), 1, "$what: still once in $user");
	}
}

done_testing;
