# Quotas (RFC 9208): one quota root "" per user over their whole hierarchy,
# GETQUOTAROOT/GETQUOTA for everyone, SETQUOTA for admins only, OVERQUOTA on
# APPEND and COPY, usage counters exact after expunge, rename, delete and
# concurrent sessions, reconstruct recounting, LMTP over quota and the
# warning message delivered once per crossing; `sealpost quota`.
use strict;
use warnings;
use Test::More;
use MIME::Base64;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => { quota_warn_percent => 50, imap_workers => 2 });
my $c = Sealpost::IMAP->login_new($sp, 'alice');

like($c->cmd('c1 CAPABILITY'), qr/^\* CAPABILITY .* QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTASET /m,
    'QUOTA capabilities announced');
is($c->cmd('q1 GETQUOTAROOT INBOX'), qq{* QUOTAROOT INBOX ""\n* QUOTA "" ()\nq1 OK GETQUOTAROOT completed},
    'GETQUOTAROOT: root "" without limits');
is($c->cmd('q2 GETQUOTAROOT Nonexistent/child'), qq{* QUOTAROOT Nonexistent/child ""\n* QUOTA "" ()\nq2 OK GETQUOTAROOT completed},
    'GETQUOTAROOT of a mailbox that does not exist');
is($c->cmd('q3 GETQUOTA "#user/bob"'), 'q3 NO [NONEXISTENT] No such quota root', "another user's root is hidden");
is($c->cmd('q4 SETQUOTA "" (STORAGE 100)'), 'q4 NO [NOPERM] Only administrators may change quotas',
    'SETQUOTA refused to a user');
ok($sp->wait_log(qr/quota_refused user=alice/), 'refusal logged');

# The admin logs in as alice (PLAIN with an authorization identity).
my $adm = Sealpost::IMAP->new(port => $sp->env('SEALPOST_IMAP_PORT'), sp => $sp);
$adm->starttls;
my $ir = encode_base64("alice\0admin\0" . $sp->password('admin'), '');
like($adm->cmd("a1 AUTHENTICATE PLAIN $ir"), qr/^a1 OK/m, 'admin logs in as alice');
is($adm->cmd('a2 SETQUOTA "" (STORAGE 10 MESSAGE 5)'), qq{* QUOTA "" (STORAGE 0 10 MESSAGE 0 5)\na2 OK SETQUOTA completed},
    'SETQUOTA by an admin');
is($adm->cmd('a3 SETQUOTA "" (FOO 1)'), 'a3 NO [CANNOT] Only STORAGE and MESSAGE limits up to 2^53 can be set',
    'unknown resource refused');
is($adm->cmd('a4 SETQUOTA "" (STORAGE)'), 'a4 BAD Invalid SETQUOTA arguments', 'odd list is BAD');
is($adm->cmd('a5 GETQUOTA #user/bob'), qq{* QUOTA "#user/bob" ()\na5 OK GETQUOTA completed},
    "an admin may name another user's root");
is($adm->cmd('a6 GETQUOTA "#user/nobody"'), 'a6 NO [NONEXISTENT] No such quota root', 'no such user');

my $m = "Subject: q\r\n\r\n" . ("x" x 998 . "\r\n");	# 1014 bytes
my $len = length $m;
sub append { my ($cl, $tag, $box, $msg) = @_; return $cl->cmd("$tag APPEND $box {" . length($msg) . "+}\r\n$msg") }
sub usage {
	my ($cl) = @_;
	my $r = $cl->cmd('u GETQUOTA ""');
	my ($s, $n) = $r =~ /STORAGE (\d+) \d+ MESSAGE (\d+)/ or return "?$r";
	return "$s/$n";
}

like(append($c, 'p1', 'INBOX', $m), qr/^p1 OK \[APPENDUID/m, 'append 1') for 1 .. 3;
is($c->cmd('g1 GETQUOTA ""'), qq{* QUOTA "" (STORAGE 3 10 MESSAGE 3 5)\ng1 OK GETQUOTA completed},
    'usage in KiB, rounded up, and messages');
my $big = "Subject: big\r\n\r\n" . ("y" x 998 . "\r\n") x 8;
is(append($c, 'p2', 'INBOX', $big), 'p2 NO [OVERQUOTA] Quota exceeded', 'APPEND over STORAGE refused');
is(usage($c), '3/3', 'usage unchanged by the refused APPEND');
$c->cmd('s1 SELECT INBOX');
is($c->cmd('k1 COPY 1:3 Archive'), 'k1 NO [OVERQUOTA] Quota exceeded', 'COPY over MESSAGE refused');
is(usage($c), '3/3', 'usage unchanged by the refused COPY');
like($c->cmd('k2 COPY 1 Archive'), qr/^k2 OK \[COPYUID/m, 'COPY within the quota');
is(usage($c), '4/4', 'COPY counted');
like(append($c, 'p3', 'Drafts', $m), qr/OK/, 'append 5 (at the MESSAGE limit)');
like($c->cmd('k3 MOVE 2:3 Archive'), qr/k3 OK MOVE completed/, 'MOVE at the limit is allowed: it frees what it takes');
is(usage($c), '5/5', 'MOVE leaves usage as it was');

# Expunge.
like($c->cmd('e1 STORE 1 +FLAGS.SILENT (\\Deleted)'), qr/e1 OK/, 'mark deleted');
my $st = $c->cmd('st1 STATUS INBOX (MESSAGES DELETED DELETED-STORAGE SIZE)');
is($st, "* STATUS INBOX (MESSAGES 1 DELETED 1 SIZE $len DELETED-STORAGE $len)\nst1 OK STATUS completed",
    'STATUS DELETED, DELETED-STORAGE and SIZE');
like($c->cmd('e2 EXPUNGE'), qr/e2 OK/, 'expunge');
is(usage($c), '4/4', 'usage exact after EXPUNGE');

# Rename keeps usage; delete frees it.
$c->cmd('r1 CREATE Box');
like(append($c, 'p4', 'Box', $m), qr/OK/, 'append into Box');
is(usage($c), '5/5', 'counted');
like($c->cmd('r2 RENAME Box Box2'), qr/r2 OK/, 'rename');
is(usage($c), '5/5', 'usage unchanged by RENAME');
like($c->cmd('r3 RENAME INBOX Old'), qr/r3 OK/, 'rename INBOX (moves its messages)');
is(usage($c), '5/5', 'usage unchanged by RENAME INBOX');
$c->cmd('r4 UNSELECT');
like($c->cmd('r5 DELETE Box2'), qr/r5 OK/, 'delete');
is(usage($c), '4/4', 'usage exact after DELETE');
like($c->cmd('r6 DELETE Archive'), qr/r6 OK/, 'delete a mailbox of 3');
is(usage($c), '1/1', 'usage exact after DELETE');

# The CLI shows the same; set changes only what it names.
my ($rc, $out, $err) = $sp->run_sealpost('quota', 'get', 'alice');
is($rc, 0, 'quota get');
is($out, "alice storage 1 KiB of 10 KiB (user)\nalice messages 1 of 5 (user)\n", 'quota get output');
($rc, $out) = $sp->run_sealpost('quota', 'set', 'alice', 'messages=none');
is($out, "alice storage 1 KiB of 10 KiB (user)\nalice messages 1 of unlimited (user)\n", 'quota set messages=none');
is($c->cmd('g2 GETQUOTA ""'), qq{* QUOTA "" (STORAGE 1 10)\ng2 OK GETQUOTA completed}, 'seen by IMAP');
($rc, $out) = $sp->run_sealpost('quota', 'set', 'alice', 'storage=default', 'messages=default');
is($out, "alice storage 1 KiB of unlimited (default)\nalice messages 1 of unlimited (default)\n", 'back to the defaults');
($rc, $out, $err) = $sp->run_sealpost('quota', 'set', 'alice', 'storage=lots');
is($rc, 64, 'bad value: usage error');
like($err, qr/a limit is a number/, 'says why');
($rc, $out, $err) = $sp->run_sealpost('quota', 'set', 'alice', 'disk=1');
is($rc, 64, 'unknown resource: usage error');
($rc, $out, $err) = $sp->run_sealpost('quota', 'get', 'nosuchuser');
is($rc, 1, 'no such user');
($rc, $out, $err) = $sp->run_sealpost('quota', 'frob', 'alice');
is($rc, 64, 'unknown verb');

# Several sessions in two processes append and expunge at once; the
# counters must equal what the mailboxes hold.
my @kids;
for my $k (1 .. 4) {
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my $cl = Sealpost::IMAP->login_new($sp, 'bob');
		my $box = $k % 2 ? 'INBOX' : 'Archive';
		$cl->cmd("x SELECT $box");
		for my $i (1 .. 15) {
			append($cl, "a$i", $box, "Subject: $k $i\r\n\r\n" . ("z" x ($k * 100 + $i)) . "\r\n");
			if ($i % 3 == 0) {
				# Two sessions on one mailbox expunge the same messages.
				$cl->cmd("s$i STORE 1:2 +FLAGS.SILENT (\\Deleted)");
				$cl->cmd("e$i EXPUNGE");
			}
		}
		$cl->cmd('z LOGOUT');
		exit 0;
	}
	push @kids, $pid;
}
waitpid($_, 0) for @kids;
my $bc = Sealpost::IMAP->login_new($sp, 'bob');
my ($bytes, $msgs) = (0, 0);
for my $box (qw(INBOX Drafts Sent Trash Junk Archive)) {
	my ($n, $s) = $bc->cmd("x STATUS $box (MESSAGES SIZE)") =~ /MESSAGES (\d+) SIZE (\d+)/;
	$msgs += $n; $bytes += $s;
}
ok($msgs > 0, "bob has $msgs messages");
($rc, $out) = $sp->run_sealpost('quota', 'get', 'bob');
like($out, qr/^bob messages $msgs of unlimited/m, 'concurrent: message counter equals the sum');
my $kb = int(($bytes + 1023) / 1024);
like($out, qr/^bob storage $kb KiB/m, 'concurrent: storage counter equals the sum');
($rc, $out) = $sp->run_sealpost('reconstruct', '--check', 'bob');
like($out, qr/^bob: quota: ok$/m, 'reconstruct agrees with the counters');

# A counter left wrong (a message file lost behind the store's back) is
# recounted by reconstruct, and IMAP then shows the recount.
my ($id) = $bc->cmd('x STATUS INBOX (MAILBOXID)') =~ /MAILBOXID \((\w+)\)/;
my $dir = $sp->dir . "/state/store/bob/$id";
opendir(my $dh, $dir) or die "$dir: $!";
my ($file) = sort { $a <=> $b } grep { /^\d+$/ } readdir $dh;
my $fsize = -s "$dir/$file";
unlink "$dir/$file" or die "unlink: $!";
($rc, $out) = $sp->run_sealpost('reconstruct', 'bob');
like($out, qr/^bob: quota: repaired: @{[$msgs - 1]} messages, @{[$bytes - $fsize]} bytes \(counted $msgs, $bytes\)$/m,
    'reconstruct recounts from the repaired index');
($rc, $out) = $sp->run_sealpost('quota', 'get', 'bob');
like($out, qr/^bob messages @{[$msgs - 1]} of/m, 'the counters hold the recount');
($rc, $out) = $sp->run_sealpost('reconstruct', '--check', 'bob');
like($out, qr/^bob: quota: ok$/m, 'then agrees');
is($rc, 0, 'nothing left to repair');

# LMTP: the counters decide; the warning comes once per crossing.
($rc) = $sp->run_sealpost('quota', 'set', 'carol', 'messages=6');
is($rc, 0, 'carol gets 6 messages');
sub deliver {
	my ($n) = @_;
	return $sp->lmtp_deliver('carol', "Subject: lmtp $n\r\nMessage-ID: <l$n\@x>\r\n\r\nhello\r\n");
}
like(deliver(1), qr/^250 /, 'delivery 1');
like(deliver(2), qr/^250 /, 'delivery 2');
like(deliver(3), qr/^250 /, 'delivery 3 reaches 50%');
ok($sp->wait_log(qr/quota_warning user=carol mailbox=INBOX/), 'warning delivered');
like(deliver(4), qr/^250 /, 'delivery 4 (with the warning: 5 of 6)');
like(deliver(5), qr/^250 /, 'delivery 5 (6 of 6)');
is(deliver(6), '552 5.2.2 Mailbox is full', 'over quota: 552 5.2.2 from the counters');
my $cc = Sealpost::IMAP->login_new($sp, 'carol');
$cc->cmd('x SELECT INBOX');
is($cc->cmd('w1 SEARCH SUBJECT "almost full"'), "* SEARCH 4\nw1 OK SEARCH completed", 'one warning, after the crossing delivery');
like($cc->cmd('w2 FETCH 4 BODY.PEEK[TEXT]'), qr/50% full:\r\n\r\n  messages: 3 of 6\r\n/, 'the warning tells the usage');
is(() = $sp->log_text =~ /quota_warning user=carol/g, 1, 'logged once');
# Falling below re-arms it.
$cc->cmd('w3 STORE 1:6 +FLAGS.SILENT (\\Deleted)');
$cc->cmd('w4 EXPUNGE');
my $from = $sp->log_size;
like(deliver(7), qr/^250 /, 'delivery 7 (1 of 6)');
like(deliver(8), qr/^250 /, 'delivery 8');
like(deliver(9), qr/^250 /, 'delivery 9 crosses again');
ok($sp->wait_log(qr/quota_warning user=carol/, from => $from), 'a second warning after falling below');
done_testing;
