# Shared bulletin boards: created by admins (sealpost mailbox create Shared
# NAME, or IMAP CREATE), read under Shared/, posted to over LMTP at
# bb+NAME when anyone has the p right, each reader with their own \Seen.
# Also the p right on a user's +detail folder.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;
use Mail::IMAPClient;

my $sp = Sealpost::Test->new(set => { bb_address_prefix => 'bb' });
sub sp { my @r = $sp->run_sealpost(@_); return @r }
sub tagged { my ($r) = @_; my @l = split /\n/, $r; return $l[-1] }

my ($rc, $out, $err) = sp('mailbox', 'create', 'Shared', 'news');
is($rc, 0, 'sealpost mailbox create Shared news') or diag $err;
($rc, $out) = sp('acl', 'get', 'Shared/news');
is($out, "anyone lrs\n", 'a new board: anyone may look, read and keep \\Seen');
($rc, $out) = sp('mailbox', 'list', 'Shared');
is($out, "news\n", 'sealpost mailbox list Shared');

my %c = map { ($_ => Sealpost::IMAP->login_new($sp, $_)) } qw(bob carol admin);
is($c{admin}->cmd('a1 CREATE Shared/events'), 'a1 OK CREATE completed', 'an admin creates a board over IMAP');
is($c{bob}->cmd('b1 CREATE Shared/mine'), 'b1 NO [NOPERM] Permission denied', 'a user may not');
is($c{bob}->cmd('b1 CREATE Shared'), 'b1 NO [CANNOT] No mailbox can have that name',
    'the namespace itself is no mailbox');
is($c{bob}->cmd('b2 LIST "" "Shared/*"'),
    qq{* LIST (\\HasNoChildren) "/" Shared/events\n* LIST (\\HasNoChildren) "/" Shared/news\nb2 OK LIST completed},
    'every user sees the boards');
like($c{bob}->cmd('b3 LIST "" "%"'), qr{^\* LIST \(\\Noselect \\HasChildren\) "/" Shared$}m,
    'Shared is a \\Noselect parent');
is($c{bob}->cmd('b4 MYRIGHTS Shared/news'), "* MYRIGHTS Shared/news lrs\nb4 OK MYRIGHTS completed",
    'MYRIGHTS of a reader');
is($c{admin}->cmd('b4 MYRIGHTS Shared/news'), "* MYRIGHTS Shared/news lrswipkxteacd\nb4 OK MYRIGHTS completed",
    'admins own the boards');
like($c{bob}->cmd('b5 APPEND Shared/news {3+}' . "\r\nhi\r\n"), qr/^b5 NO \[NOPERM\]/m,
    'a reader may not APPEND without i');

# Posting by mail.
sub post {
	my ($rcpt, $subject) = @_;
	return $sp->lmtp_deliver($rcpt, "From: someone\@example.org\r\nSubject: $subject\r\n"
	    . "Message-ID: <$subject\@example.org>\r\n\r\n$subject\r\n",
	    from => 'someone@example.org');
}
is(post('bb+news@sealpost.test', 'closed'), '550 5.1.1 No such user here',
    'posting refused while anyone lacks p');
is(post('bb+nosuch@sealpost.test', 'nosuch'), '550 5.1.1 No such user here',
    'a missing board answers alike');
($rc, $out, $err) = sp('acl', 'set', 'Shared/news', 'anyone', '+p');
is($rc, 0, 'sealpost acl set Shared/news anyone +p') or diag $err;
like(post('bb+news@sealpost.test', 'first'), qr/^250 2\.0\.0 Ok: delivered to news as uid 1$/,
    'posting accepted with p');
like(post('BB+news@sealpost.test', 'second'), qr/^250 2\.0\.0 Ok: delivered to news as uid 2$/,
    'the prefix matches without case');
is(post('bb@sealpost.test', 'noboard'), '550 5.1.1 No such user here', 'bb alone names no board');
is($c{admin}->cmd('a2 SETACL Shared/news -anyone p'), 'a2 OK SETACL completed', 'a negative entry');
is(post('bb+news@sealpost.test', 'denied'), '550 5.1.1 No such user here', '-anyone p closes the board');
is($c{admin}->cmd('a3 DELETEACL Shared/news -anyone'), 'a3 OK DELETEACL completed', 'open again');

# Each reader's own \Seen; the other flags are shared.
is($c{admin}->cmd('a4 SETACL Shared/news anyone lrswp'), 'a4 OK SETACL completed', 'readers may flag');
my $sel = $c{bob}->cmd('b6 SELECT Shared/news');
like($sel, qr/^\* 2 EXISTS$/m, 'bob sees two posts');
like($sel, qr/^b6 OK \[READ-WRITE\]/m, 'read-write with s and w');
like($c{bob}->cmd('b7 FETCH 1 BODY[TEXT]'), qr/^\* 1 FETCH \(FLAGS \(\\Seen\) BODY\[TEXT\]/m,
    'bob reads post 1: \\Seen');
$c{carol}->cmd('c1 SELECT Shared/news');
is($c{carol}->cmd('c2 FETCH 1:2 FLAGS'), "* 1 FETCH (FLAGS ())\n* 2 FETCH (FLAGS ())\nc2 OK FETCH completed",
    'carol has read nothing');
like($c{carol}->cmd('c3 STORE 2 +FLAGS (\\Seen \\Flagged)'), qr/^\* 2 FETCH \(FLAGS \(\\Flagged \\Seen\)\)/m,
    'carol marks post 2 seen and flagged');
is($c{carol}->cmd('c4 SEARCH UNSEEN'), "* SEARCH 1\nc4 OK SEARCH completed", 'carol: 1 is unseen');
like($c{carol}->cmd('c5 STATUS Shared/news (MESSAGES UNSEEN)'),
    qr/^\* STATUS Shared\/news \(MESSAGES 2 UNSEEN 1\)$/m, 'STATUS UNSEEN is carol\'s own');
$c{bob}->cmd('b8 UNSELECT');
$c{bob}->cmd('b9 SELECT Shared/news');
is($c{bob}->cmd('b10 FETCH 1:2 FLAGS'), "* 1 FETCH (FLAGS (\\Seen))\n* 2 FETCH (FLAGS (\\Flagged))\nb10 OK FETCH completed",
    'bob: his own \\Seen on 1, carol\'s \\Flagged on 2, not her \\Seen');
is($c{bob}->cmd('b11 SEARCH UNSEEN'), "* SEARCH 2\nb11 OK SEARCH completed", 'bob: 2 is unseen');
like($c{bob}->cmd('b12 STORE 1 -FLAGS (\\Seen)'), qr/^\* 1 FETCH \(FLAGS \(\)\)/m, 'bob unmarks 1');
like($c{bob}->cmd('b13 STORE 1:2 FLAGS (\\Seen)'), qr/^b13 NO \[NOPERM\]/m,
    'replacing every flag needs t too');
like($c{carol}->cmd('c6 FETCH 1:2 FLAGS'), qr/^\* 2 FETCH \(FLAGS \(\\Flagged \\Seen\)\)$/m,
    'carol\'s \\Seen is untouched by bob');

# Boards are reconstructed with the users' mailboxes.
($rc, $out, $err) = sp('reconstruct', '--check', 'Shared/news');
is($rc, 0, 'reconstruct --check Shared/news') or diag $err;
like($out, qr/^1 mailboxes, 0 need repair$/m, 'one board checked');
($rc, $out, $err) = sp('reconstruct', '--check');
is($rc, 0, 'reconstruct --check of everything') or diag $err;
like($out, qr/^(\d+) mailboxes/m, 'summary');
my ($all) = $out =~ /^(\d+) mailboxes/m;
is($all, 4 * 6 + 2, 'every user\'s six mailboxes and the two boards');

# The p right on a user's +detail folder.
like(post('carol+Archive@sealpost.test', 'detail1'), qr/delivered to Archive as uid 1$/,
    '+detail folder: anyone has p by default');
($rc, $out, $err) = sp('acl', 'delete', 'carol:Archive', 'anyone');
is($rc, 0, 'sealpost acl delete carol:Archive anyone');
like(post('carol+Archive@sealpost.test', 'detail2'), qr/delivered to INBOX as uid \d+$/,
    'without p the mail goes to INBOX instead');
($rc) = sp('acl', 'set', 'carol:Archive', 'anyone', 'p');
like(post('carol+Archive@sealpost.test', 'detail3'), qr/delivered to Archive as uid 2$/,
    'p given back');
# A real client library speaks the same: Mail::IMAPClient's NAMESPACE and
# ACL methods.
sub imapclient {
	my ($user) = @_;
	my $host = $sp->env('SEALPOST_HOST');
	my $client = Mail::IMAPClient->new(Server => '127.0.0.1',
	    Port => $sp->env('SEALPOST_IMAP_PORT'),
	    Starttls => [ SSL_ca_file => $sp->env('SEALPOST_CA_FILE'),
		SSL_verifycn_name => $host, SSL_hostname => $host ],
	    User => $user, Password => $sp->password($user));
	BAIL_OUT("Mail::IMAPClient: $@") unless $client;
	return $client;
}
my $ia = imapclient('alice');
my $ib = imapclient('bob');
is_deeply(scalar $ib->namespace, [ [ [ '', '/' ] ], [ [ 'Other Users/', '/' ] ], [ [ 'Shared/', '/' ] ] ],
    'Mail::IMAPClient reads the three namespaces');
ok($ia->setacl('Sent', 'bob', 'lr'), 'setacl');
is_deeply($ia->getacl('Sent'), { alice => 'lrswipkxteacd', anyone => 'p', bob => 'lr' }, 'getacl');
my @folders = $ib->folders;
ok((grep { $_ eq 'Other Users/alice/Sent' } @folders), 'bob\'s folders include alice\'s Sent');
ok(!(grep { $_ eq 'Other Users/alice/INBOX' } @folders), 'but not her INBOX');
ok($ib->examine('Other Users/alice/Sent'), 'bob examines it');
ok(!$ib->deleteacl('Other Users/alice/Sent', 'bob'), 'bob may not change the list');
like($ib->LastError, qr/NOPERM/, '... NOPERM');
ok($ia->deleteacl('Sent', 'bob'), 'deleteacl');
ok(!$ib->examine('Other Users/alice/Sent'), 'bob lost it');
like($ib->LastError, qr/NONEXISTENT/, '... and it looks as if it did not exist');
$_->logout for $ia, $ib;
done_testing;
