# imapd: COMPRESS=DEFLATE (RFC 4978) over STARTTLS.  Mail::IMAPClient's
# Compress option (Compress::Zlib) logs in, selects, fetches and idles on
# a compressed connection, which shows the server flushes its compressor
# after each batch (an IDLE update stuck in it would never arrive).  A
# raw client then sends a decompression bomb, which must meet the command
# line limit and end the session, not grow the server.
use strict;
use warnings;
use Test::More;
use Compress::Zlib;
use Mail::IMAPClient;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new;
my $host = $sp->env('SEALPOST_HOST');
my $ca = $sp->env('SEALPOST_CA_FILE');

my $imap = Mail::IMAPClient->new(Server => '127.0.0.1',
    Port => $sp->env('SEALPOST_IMAP_PORT'), Starttls => [ SSL_ca_file => $ca,
    SSL_verifycn_name => $host, SSL_hostname => $host ],
    User => 'bob', Password => $sp->password('bob'), Uid => 1, Compress => 1)
    or BAIL_OUT("Mail::IMAPClient: $@");
ok($imap->IsAuthenticated, 'logged in, then COMPRESS DEFLATE');
ok($sp->wait_log(qr/compress compression=DEFLATE/), 'the server switched compression on');
ok($imap->has_capability('COMPRESS') || grep(/COMPRESS=DEFLATE/, @{ $imap->capability || [] }),
    'COMPRESS=DEFLATE is advertised');
my $body = "From: a\@b\r\nSubject: squeezed\r\n\r\n" . ("all work and no play\r\n" x 2000);
my $uid = $imap->append_string('INBOX', $body);
ok($uid, "append over the compressed link gave UID $uid");
ok($imap->select('INBOX'), 'select');
is($imap->subject($uid), 'squeezed', 'fetch a header field');
is($imap->message_string($uid), $body, 'fetch the whole message, 44 KB, intact');

# A second COMPRESS is refused with the code RFC 4978 gives.
ok(!$imap->tag_and_run('COMPRESS DEFLATE'), 'second COMPRESS refused');
like($imap->LastError, qr/NO \[COMPRESSIONACTIVE\]/, '... with NO [COMPRESSIONACTIVE]');

# IDLE: a delivery by another session must reach us at once.
my $tag = $imap->idle;
ok($tag, 'IDLE started');
my $other = Sealpost::IMAP->login_new($sp, 'bob');
my $m = "Subject: while idle\r\n\r\nhi\r\n";
like($other->cmd("o1 APPEND INBOX {" . length($m) . "+}\r\n$m"), qr/^o1 OK/m, 'another session appends');
my @got;
my $deadline = time + 20;
while (!grep(/^\* \d+ EXISTS/, @got) && time < $deadline) {
	my $res = $imap->idle_data(5) or last;
	push @got, @$res;
}
ok(grep(/^\* 2 EXISTS/, @got), 'the EXISTS came through the compressor during IDLE') or diag explain \@got;
ok($imap->done($tag), 'DONE');
is($imap->message_count('INBOX'), 2, 'both messages seen');
$imap->logout;

# ---- a decompression bomb ----
my $c = Sealpost::IMAP->login_new($sp, 'bob');
my $logpos0 = length $sp->log_text;
is($c->cmd('z1 COMPRESS DEFLATE'), 'z1 OK DEFLATE active', 'raw client: COMPRESS');
# The imapd process serving us, to see what the bomb costs it.
ok($sp->wait_log(qr/imapd\[\d+\]: compress /, from => $logpos0), 'raw client compressed');
my ($pid) = substr($sp->log_text, $logpos0) =~ /imapd\[(\d+)\]: compress /;
sub peak_kb { open my $fh, '<', "/proc/$_[0]/status" or return undef; local $/; (<$fh> =~ /^VmHWM:\s+(\d+)/m)[0] }
my $peak_before = peak_kb($pid);
my ($d) = deflateInit(-WindowBits => -MAX_WBITS, -Level => Z_BEST_COMPRESSION);
my $bomb = scalar $d->deflate('b1 NOOP ');
my $chunk = 'A' x (1024 * 1024);
# 64 MiB of one long command line, about 64 KiB compressed.
$bomb .= scalar $d->deflate($chunk) for 1 .. 64;
# The line ends after the bomb, and a good command follows.
$bomb .= scalar $d->deflate("\r\nb2 NOOP\r\n");
$bomb .= scalar $d->flush(Z_SYNC_FLUSH);
cmp_ok(length $bomb, '<', 1024 * 1024, 'the bomb is small: ' . length($bomb) . ' bytes');
my $logpos = length $sp->log_text;
{
	# The server may close while we send.
	local $SIG{PIPE} = 'IGNORE';
	eval { $c->send_raw($bomb) };
}
# What comes back is compressed: inflate it until b2's answer or the end.
my ($i) = inflateInit(-WindowBits => -MAX_WBITS);
my $reply = '';
my $until = time + 60;
while ($reply !~ /^b2 /m && !$c->{eof} && time < $until) {
	last unless eval { $c->_fill; 1 };
	my $raw = $c->{buf};
	$c->{buf} = '';
	$reply .= scalar $i->inflate($raw) // '';
}
like($reply, qr/^b1 BAD .*$/m, 'the long line was refused: ' . ($reply =~ s/\r\n/ | /gr));
like($reply, qr/^b2 OK/m, 'and the session goes on with the next command');
my $peak_after = peak_kb($pid);
# 64 MiB went through; the peak may grow by buffers, not by the bomb.
cmp_ok($peak_after - $peak_before, '<', 8 * 1024, "imapd's peak memory grew by "
    . ($peak_after - $peak_before) . ' KiB for a 64 MiB bomb');
ok($sp->wait_log(qr/command_refused/, from => $logpos), 'refusal logged')
    or diag join "\n", grep { /imapd/ } split /\n/, substr($sp->log_text, $logpos);
my $after = Sealpost::IMAP->login_new($sp, 'bob');
like($after->cmd('n1 NOOP'), qr/^n1 OK/m, 'the server is fine afterwards');
$after->cmd('z LOGOUT');
done_testing;
