# The queue manager's outcomes: RFC 3464 bounces (checked by parsing them),
# none to the null sender, alias expansion and alias loops, sendmail(1) -t
# with Bcc, mailq(1), and a corrupt queue file set aside without harm.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

# The aliases file exists before the instance starts, so no test races
# smtpd's once-a-second check for a changed file.
my $sp = Sealpost::Test->new(no_start => 1);
open my $af, '>', $sp->dir . '/aliases' or die $!;
print $af "postmaster: admin\nabuse: admin\nstaff: alice,\n  bob\nloopa: loopb\nloopb: loopa\n";
close $af;
$sp->{set} = { aliases_file => $sp->dir . '/aliases' };
$sp->start;
local $ENV{SEALPOST_CONFIG} = $sp->config_path;

sub inbox {
	my ($rc, $out) = $sp->run_sealpost('mailbox', 'show', $_[0], 'INBOX');
	return $out;
}

sub sendmail {
	my ($stdin, @args) = @_;
	return Sealpost::Test::run_cmd($sp->bin('sendmail'), @args, { stdin => $stdin });
}

# A recipient lmtpd refuses: the bounce goes back to alice.
my ($rc, $out, $err) = sendmail("Subject: to nobody\nMessage-ID: <b1\@x>\n\nlost\n",
    '-f', 'alice@sealpost.test', 'nosuch@sealpost.test');
is($rc, 0, 'sendmail accepted it') or diag $err;
ok($sp->wait_log(qr/bounce_queued origin=\w+ to=alice\@sealpost\.test/), 'bounce queued');
ok($sp->wait_log(qr/delivered to=alice\@sealpost\.test .*relay=lmtp/), 'bounce delivered');
my $box = inbox('alice');
like($box, qr/^From: MAILER-DAEMON\@localhost/m, 'from the mailer daemon');
like($box, qr/^Content-Type: multipart\/report; report-type=delivery-status;/m, 'multipart/report');
my ($report) = $box =~ /Content-Type: message\/delivery-status\r?\n\r?\n(.*?)\r?\n--/s;
ok($report, 'has a delivery-status part');
my @groups = split /\r?\n\r?\n/, $report // '';
my %msg = map { /^([\w-]+): (.*?)\r?$/ ? ($1 => $2) : () } split /\n/, $groups[0] // '';
my %rcpt = map { /^([\w-]+): (.*?)\r?$/ ? ($1 => $2) : () } split /\n/, $groups[1] // '';
is($msg{'Reporting-MTA'}, 'dns; localhost', 'Reporting-MTA');
ok($msg{'Arrival-Date'}, 'Arrival-Date');
is($rcpt{'Final-Recipient'}, 'rfc822; nosuch@sealpost.test', 'Final-Recipient');
is($rcpt{Action}, 'failed', 'Action');
is($rcpt{Status}, '5.1.1', 'Status from lmtpd\'s reply');
like($rcpt{'Diagnostic-Code'}, qr/^smtp; 550 5\.1\.1 /, 'Diagnostic-Code');
like($box, qr/Content-Type: message\/rfc822\r?\n\r?\n(?:.*\n)*?Subject: to nobody/, 'the original returned (RET=FULL)');

# An alias loop, submitted over SMTP with DSN parameters (RFC 3461).
my $c = Sealpost::Wire->new(port => $sp->env('SEALPOST_SMTP_PORT'));
$c->read_reply;
$c->cmd('EHLO client.example');
is($c->cmd('MAIL FROM:<bob@sealpost.test> RET=HDRS ENVID=env+2B42'), '250 2.1.0 Ok', 'MAIL with RET and ENVID');
is($c->cmd('RCPT TO:<loopa@sealpost.test> NOTIFY=FAILURE ORCPT=rfc822;loopa@sealpost.test'),
    '250 2.1.5 Ok', 'RCPT of a looping alias, with NOTIFY and ORCPT');
$c->cmd('DATA');
$c->send_raw("Subject: looping\r\nMessage-ID: <b2\@x>\r\n\r\nsecret body\r\n.\r\n");
like($c->read_reply, qr/^250 /, 'queued');
$c->cmd('QUIT');
ok($sp->wait_log(qr/bounced to=loopa\@sealpost\.test .*5\.4\.6/), 'loop bounced');
ok($sp->wait_log(qr/delivered to=bob\@sealpost\.test/), 'bounce delivered to bob');
$box = inbox('bob');
like($box, qr/^Original-Envelope-Id: env\+42\r?$/m, 'ENVID returned');
like($box, qr/^Original-Recipient: rfc822; loopa\@sealpost\.test\r?$/m, 'ORCPT returned');
like($box, qr/^Status: 5\.4\.6\r?$/m, 'Status 5.4.6');
like($box, qr/Content-Type: text\/rfc822-headers/, 'RET=HDRS: headers only');
unlike($box, qr/secret body/, 'and not the body');

# No bounce to the null sender.
($rc) = sendmail("Subject: from nobody\nMessage-ID: <b3\@x>\n\nx\n", '-f', '<>', 'nosuch2@sealpost.test');
is($rc, 0, 'null-sender message accepted');
my $line = $sp->wait_log(qr/bounced to=nosuch2\@sealpost\.test/);
ok($line, 'its recipient failed');
my ($qid) = $line =~ /qid=(\w+)/;
ok($sp->wait_log(qr/queue_removed .*qid=$qid/), 'and it was removed');
unlike($sp->log_text, qr/bounce_queued origin=$qid/, 'without a bounce');

# sendmail -t: recipients from the header, Bcc removed; an alias.
($rc, $out, $err) = sendmail("To: staff\@sealpost.test\nBcc: carol\@sealpost.test\nSubject: team\nMessage-ID: <b4\@x>\n\n.\nstill here\n",
    '-t', '-i', '-F', 'The Admin', '-f', 'admin@sealpost.test');
is($rc, 0, 'sendmail -t -i') or diag $err;
ok($sp->wait_log(qr/delivered to=carol\@sealpost\.test .*orig_to=carol/), 'Bcc recipient got it');
ok($sp->wait_log(qr/delivered to=alice\@sealpost\.test orig_to=staff\@sealpost\.test/), 'alias expanded to alice');
ok($sp->wait_log(qr/delivered to=bob\@sealpost\.test orig_to=staff\@sealpost\.test/), 'and bob');
my $carol = inbox('carol');
like($carol, qr/^Subject: team\r?$/m, 'carol has it');
unlike($carol, qr/^Bcc:/m, 'without the Bcc field');
like($carol, qr/^From: The Admin <admin\@sealpost\.test>\r?$/m, '-F made a From field');
like($carol, qr/^\.\r?\nstill here/m, '-i: a lone dot is text');
like($carol, qr/^Received: by localhost \(sealpost, from userid \d+\)/m, 'Received names the local user id');

# A corrupt file is set aside; the queue manager carries on.
my $bad = $sp->dir . '/state/queue/incoming/0000000000000ZZ';
open my $bf, '>', $bad or die $!;
print $bf "sealpost-queue 1\nid 0000000000000ZZ\nfrom \nrcpt garbage\n";
close $bf;
ok($sp->wait_log(qr/queue_corrupt .*qid=0000000000000ZZ/), 'corrupt file logged');
ok(-e $sp->dir . '/state/queue/corrupt/0000000000000ZZ', 'moved to corrupt/');
my $from = $sp->log_size;
($rc) = sendmail("Subject: after\nMessage-ID: <b5\@x>\n\nx\n", '-f', 'admin@sealpost.test', 'carol');
$line = $sp->wait_log(qr/delivered to=carol\@sealpost\.test orig_to=carol\@sealpost\.test/, from => $from);
ok($line, 'still delivering (bare name gets the domain)');
($qid) = ($line // '') =~ /qid=(\w+)/;
ok($sp->wait_log(qr/queue_removed .*qid=$qid/), 'and done with it');

($rc, $out, $err) = Sealpost::Test::run_cmd($sp->bin("mailq"));
is($out, "Mail queue is empty\n", "mailq: empty queue") or diag "mailq said: [$out] err: [$err]";
done_testing;
