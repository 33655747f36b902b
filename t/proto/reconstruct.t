# sealpost reconstruct: message files are the truth; an index, a cache or a
# log that disagrees with them is rebuilt, and the repair is reported.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::Wire;

my $sp = Sealpost::Test->new;
like($sp->lmtp_deliver('alice', "Subject: message $_\r\nMessage-ID: <m$_\@x>\r\n\r\n"
    . "body $_\r\n"), qr/^250 .* uid $_$/, "delivered message $_") for 1 .. 5;
$sp->lmtp_close;

my ($rc, $out) = $sp->run_sealpost('reconstruct', '--check');
is($rc, 0, 'a healthy store needs nothing');
like($out, qr{^alice/INBOX: ok$}m, 'each mailbox reported ok');
like($out, qr/^\d+ mailboxes, 0 need repair$/m, 'summary');

my ($dir) = glob($sp->dir . '/state/store/alice/*/5');
$dir =~ s{/5$}{};
my $show = sub { (($sp->run_sealpost('mailbox', 'show', 'alice', 'INBOX'))[1]) };
my $before = $show->();

# The index lost: rebuilt from the log and the files, nothing lost.
unlink "$dir/index" or die;
($rc, $out) = $sp->run_sealpost('reconstruct', '--check', 'alice/INBOX');
is($rc, 1, '--check says a repair is needed');
like($out, qr{^alice/INBOX: needs repair: index rebuilt$}m, '... and what');
($rc, $out) = $sp->run_sealpost('reconstruct', 'alice/INBOX');
is($rc, 0, 'reconstruct');
like($out, qr{^alice/INBOX: repaired: index rebuilt$}m, 'reports the repair');
(my $strip = $before) =~ s/^uidvalidity .*\n//;
(my $after = $show->()) =~ s/^uidvalidity .*\n//;
$after =~ s/modseq \d+ //g; $strip =~ s/modseq \d+ //g;
is($after, $strip, 'every message back, same UIDs, sizes and structure');

# A message file lost: its record goes.  A stray file: it comes back.
unlink "$dir/3" or die;
rename "$dir/5", "$dir/9" or die;
($rc, $out) = $sp->run_sealpost('reconstruct', 'alice');
like($out, qr{^alice/INBOX: repaired: 1 added, 2 removed}m, 'lost and found files reported');
my $now = $show->();
unlike($now, qr/^uid (3|5) /m, 'records without files dropped');
like($now, qr/^uid 9 .*\nenvelope \(NIL "message 5"/m, 'the stray file is a message again, with its structure');
like($now, qr/^uidvalidity \d+ uidnext 10 /m, 'UIDNEXT moved past it');

# A damaged cache: rebuilt from the messages.
open my $fh, '>', "$dir/cache" or die; close $fh;
($rc, $out) = $sp->run_sealpost('reconstruct', 'alice/INBOX');
like($out, qr{^alice/INBOX: repaired: 4 cache entries rebuilt$}m, "cache rebuilt") or diag $out;
unlike($show->(), qr/not cached/, 'and used again');

($rc, $out) = $sp->run_sealpost('reconstruct', '--check');
is($rc, 0, 'afterwards nothing needs repair');

# Delivery still works on the rebuilt mailbox.
my $c = Sealpost::Wire->new(path => $sp->env('SEALPOST_LMTP_SOCKET'));
$c->read_reply;
$c->cmd('LHLO t');
$c->cmd('MAIL FROM:<>');
$c->cmd('RCPT TO:<alice@sealpost.test>');
$c->cmd('DATA');
$c->send_raw("Subject: after\r\n\r\nx\r\n.\r\n");
like($c->read_reply, qr/^250 .* uid 10$/, 'the next delivery gets the next UID');

($rc, $out, my $err) = $sp->run_sealpost('reconstruct', 'nosuchuser');
isnt($rc, 0, 'an unknown user is an error');
like($err, qr/no user 'nosuchuser'/, '... named');
done_testing;
