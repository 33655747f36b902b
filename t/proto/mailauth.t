# SPF (RFC 7208) and DMARC (RFC 7489) of mail arriving on port 25, with a
# loopback DNS server holding the SPF, DKIM key and DMARC records:
#  - spf=pass, fail, softfail and none for MAIL FROM domains whose records
#    allow or refuse the loopback client, and fail for the same domain
#    from another loopback address; the null sender is checked as
#    postmaster@HELO and reported as smtp.helo;
#  - dmarc=pass through aligned SPF (strict and relaxed), through an
#    aligned DKIM signature
#    (Mail::DKIM::Signer), fail with unaligned identities, none without a
#    policy, permerror for a message with two From domains;
#  - p=reject with dmarc_reject=no is only marked, with dmarc_reject=yes
#    refused with 550 5.7.1 and not queued; p=quarantine only marked;
#  - a DNS server that does not answer gives temperror, and the session
#    goes on;
#  - clients in smtpd_trusted_networks are not checked;
#  - one smtp_mailauth log line per message, and one Authentication-Results
#    field read back from the delivered message.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Mail::DKIM::Signature;
use Mail::DKIM::Signer;
use Net::SMTP;
use Sealpost::Test;
use Sealpost::DNS;

my $work = tempdir('sealpost-mailauth-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $sealpost = Sealpost::Test::bin_dir() . '/sealpost';

my $key = "$work/signed.test.pem";
my ($rc, $o, $e) = Sealpost::Test::run_cmd($sealpost, 'dkim', 'keygen',
    'signed.test', 'sel', '--type', 'rsa', '--out', $key);
is($rc, 0, 'dkim keygen') or diag $e;
my $key_rec = join '', $o =~ /"([^"]*)"/g;

my $dns = Sealpost::DNS->new(records => [
	[ 'pass.test', 'TXT', 'v=spf1 ip4:127.0.0.1 -all' ],
	[ 'fail.test', 'TXT', 'v=spf1 -all' ],
	[ 'soft.test', 'TXT', 'v=spf1 ~all' ],
	[ '_dmarc.pass.test', 'TXT', 'v=DMARC1; p=reject' ],
	[ '_dmarc.signed.test', 'TXT', 'v=DMARC1; p=reject; adkim=s' ],
	[ 'sel._domainkey.signed.test', 'TXT', $key_rec ],
	[ '_dmarc.reject.test', 'TXT', 'v=DMARC1; p=reject' ],
	[ '_dmarc.quar.test', 'TXT', 'v=DMARC1; p=quarantine' ],
	[ 'slow.test', 'TIMEOUT' ],
	[ '_dmarc.slow.test', 'TIMEOUT' ],
]);

sub start {
	my (%set) = @_;
	return Sealpost::Test->new(set => {
		dns_servers => $dns->server,
		dns_timeout => '1s',
		spf_timeout => '3s',
		authserv_id => 'mx.sealpost.test',
		smtpd_trusted_networks => '127.0.0.9/32',
		%set,
	});
}

my $n = 0;
# Sends one message to alice on port 25; returns the final reply code, its
# text and the Subject used to find the message again.
sub send_msg {
	my ($t, %a) = @_;
	$n++;
	my $subject = "mailauth $n";
	my $msg = $a{msg} ? $a{msg}->($subject) : "From: $a{from}\r\nTo: alice\@sealpost.test\r\n"
	    . "Subject: $subject\r\nMessage-ID: <m$n\@mailauth.test>\r\n\r\nHello.\r\n";
	$msg = $a{sign}->($msg) if $a{sign};
	my $c = Net::SMTP->new('127.0.0.1', Port => $t->env('SEALPOST_SMTP_PORT'),
	    Hello => $a{helo} // 'peer.test', Timeout => 60,
	    ($a{local} ? (LocalAddr => $a{local}) : ()))
	    or return (0, 'connect failed', $subject);
	$c->mail($a{mail});
	$c->to('alice@sealpost.test');
	$c->data($msg);
	my ($code, $text) = ($c->code, $c->message // '');
	# The session is still usable afterwards.
	my $ok = $c->reset;
	$c->quit;
	return ($code, $text, $subject, $ok);
}

# The log line and the Authentication-Results field of a delivered message.
sub outcome {
	my ($t, $text, $subject) = @_;
	my ($qid) = $text =~ /queued as (\w+)/;
	return ('', '') unless $qid && $t->wait_log(qr/queue_removed .*qid=$qid/);
	my ($line) = grep { /smtp_mailauth .*qid=$qid/ } split /\n/, $t->log_text;
	my (undef, $box) = $t->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
	my ($m) = grep { /^Subject: \Q$subject\E\r?$/m } split /^uid \d+ /m, $box;
	my @f = ($m // '') =~ /^(Authentication-Results:.*(?:\r?\n[ \t].*)*)/mg;
	return ($line // '', join("\n", @f));
}

sub sign {
	my ($msg) = @_;
	my $signer = Mail::DKIM::Signer->new(KeyFile => $key, Policy => sub {
		my $s = shift;
		$s->add_signature(Mail::DKIM::Signature->new(Algorithm => 'rsa-sha256',
		    Method => 'relaxed', Domain => 'signed.test', Selector => 'sel',
		    Headers => $s->headers, Timestamp => time));
		return;
	});
	$signer->PRINT($msg);
	$signer->CLOSE;
	return $signer->signature->as_string . "\r\n" . $msg;
}

my $t = start();

my @cases = (
	[ 'SPF pass, DMARC pass through aligned SPF',
	  { mail => 'x@pass.test', from => 'a@pass.test' },
	  qr/spf=pass spf_domain=pass\.test dkim=none dmarc=pass from_domain=pass\.test policy=none/,
	  [ qr/\tspf=pass\r?\n\t smtp\.mailfrom=x\@pass\.test;/,
	    qr/\tdmarc=pass\r?\n\t header\.from=pass\.test\r?\n\t policy\.dmarc=reject\r?$/m ] ],
	[ 'SPF pass from 127.0.0.1 is fail from 127.0.0.2',
	  { mail => 'x@pass.test', from => 'a@pass.test', local => '127.0.0.2' },
	  qr/spf=fail spf_domain=pass\.test dkim=none dmarc=fail from_domain=pass\.test policy=reject/,
	  [ qr/\tspf=fail\r?\n\t smtp\.mailfrom=x\@pass\.test;/, qr/\tdmarc=fail\r?\n\t header\.from=pass\.test/ ] ],
	[ 'SPF fail', { mail => 'x@fail.test', from => 'a@fail.test' },
	  qr/spf=fail spf_domain=fail\.test .* dmarc=none from_domain=fail\.test/,
	  [ qr/\tspf=fail\r?\n/, qr/\tdmarc=none\r?\n\t header\.from=fail\.test\r?$/m ] ],
	[ 'SPF softfail', { mail => 'x@soft.test', from => 'a@soft.test' },
	  qr/spf=softfail spf_domain=soft\.test /, [ qr/\tspf=softfail\r?\n/ ] ],
	[ 'SPF none', { mail => 'x@none.test', from => 'a@none.test' },
	  qr/spf=none spf_domain=none\.test /, [ qr/\tspf=none\r?\n\t smtp\.mailfrom=x\@none\.test;/ ] ],
	[ 'null sender: postmaster@HELO, reported as smtp.helo',
	  { mail => '', helo => 'pass.test', from => 'a@pass.test' },
	  qr/spf=pass spf_domain=pass\.test .*dmarc=pass/,
	  [ qr/\tspf=pass\r?\n\t smtp\.helo=pass\.test;/ ] ],
	[ 'DMARC pass through relaxed SPF alignment, policy of the organizational domain',
	  { mail => 'x@pass.test', from => 'a@news.pass.test' },
	  qr/spf=pass spf_domain=pass\.test dkim=none dmarc=pass from_domain=news\.pass\.test/,
	  [ qr/\tdmarc=pass\r?\n\t header\.from=news\.pass\.test\r?\n\t policy\.dmarc=reject\r?$/m ] ],
	[ 'DMARC pass through an aligned DKIM signature',
	  { mail => 'bounce@none.test', from => 'a@signed.test', sign => \&sign },
	  qr/spf=none spf_domain=none\.test dkim=pass dmarc=pass from_domain=signed\.test/,
	  [ qr/\tdkim=pass\r?\n\t header\.d=signed\.test/, qr/\tdmarc=pass\r?\n\t header\.from=signed\.test/ ] ],
	[ 'DMARC fail: SPF passes for another domain, no signature (dmarc_reject=no: marked)',
	  { mail => 'x@pass.test', from => 'ceo@reject.test' },
	  qr/spf=pass spf_domain=pass\.test dkim=none dmarc=fail from_domain=reject\.test policy=reject/,
	  [ qr/\tdmarc=fail\r?\n\t header\.from=reject\.test\r?\n\t policy\.dmarc=reject\r?$/m ] ],
	[ 'DMARC fail: DKIM passes for another domain',
	  { mail => 'x@fail.test', from => 'ceo@reject.test', sign => \&sign },
	  qr/spf=fail .*dkim=pass dmarc=fail from_domain=reject\.test/,
	  [ qr/\tdkim=pass\r?\n\t header\.d=signed\.test/, qr/\tdmarc=fail\r?\n/ ] ],
	[ 'p=quarantine is only marked', { mail => 'x@none.test', from => 'a@quar.test' },
	  qr/dmarc=fail from_domain=quar\.test policy=quarantine/,
	  [ qr/\tdmarc=fail\r?\n\t header\.from=quar\.test\r?\n\t policy\.dmarc=quarantine\r?$/m ] ],
	[ 'two From domains: permerror',
	  { mail => 'x@pass.test', from => 'a@pass.test, b@reject.test' },
	  qr/dmarc=permerror from_domain="" policy=none/,
	  [ qr/\tdmarc=permerror reason="several From domains"\r?$/m ] ],
	[ 'no From: permerror',
	  { mail => 'x@pass.test', msg => sub { "To: alice\@sealpost.test\r\nSubject: $_[0]\r\n"
	    . "Message-ID: <nofrom\@mailauth.test>\r\n\r\nHi.\r\n" } },
	  qr/spf=pass .*dmarc=permerror from_domain="" /,
	  [ qr/\tdmarc=permerror reason="no From domain"\r?$/m ] ],
	[ 'a DNS server that does not answer: temperror',
	  { mail => 'x@slow.test', from => 'a@slow.test' },
	  qr/spf=temperror spf_domain=slow\.test dkim=none dmarc=temperror from_domain=slow\.test/,
	  [ qr/\tspf=temperror reason="[^"]+"\r?\n\t smtp\.mailfrom=x\@slow\.test;/, qr/\tdmarc=temperror/ ] ],
);

for my $c (@cases) {
	my ($name, $args, $log, $fields) = @$c;
	my ($code, $text, $subject, $ok) = send_msg($t, %$args);
	is($code, 250, "$name: accepted") or diag $text;
	ok($ok, "$name: the session goes on");
	my ($line, $ar) = outcome($t, $text, $subject);
	like($line, $log, "$name: log") or diag $t->log_text;
	my @count = $ar =~ /^Authentication-Results:/mg;
	is(scalar @count, 1, "$name: one Authentication-Results field");
	like($ar, qr/^Authentication-Results: mx\.sealpost\.test;\r?\n\tdkim=/, "$name: our authserv-id, DKIM first");
	like($ar, $_, "$name: field") or diag $ar for @$fields;
}

# A trusted client (our own host) is not checked: DKIM only.
my ($code, $text, $subject) = send_msg($t, mail => 'x@fail.test', from => 'a@reject.test',
    local => '127.0.0.9');
is($code, 250, 'trusted client: accepted');
my ($line, $ar) = outcome($t, $text, $subject);
is($line, '', 'trusted client: no SPF or DMARC check');
like($ar, qr/^Authentication-Results: mx\.sealpost\.test;\r?\n\tdkim=none\r?$/, 'trusted client: DKIM only');

# dmarc_reject = yes: p=reject failing is refused, the others are not.
my $r = start(dmarc_reject => 'yes');
my $ok;
($code, $text, undef, $ok) = send_msg($r, mail => 'x@pass.test', from => 'ceo@reject.test');
is($code, 550, 'dmarc_reject=yes: p=reject failure refused');
like($text, qr/^5\.7\.1 /, '5.7.1');
ok($ok, 'the session goes on after the refusal');
ok($r->wait_log(qr/smtp_message_refused reason=dmarc from_domain=reject\.test/), 'log: refused');
ok($r->wait_log(qr/smtp_mailauth spf=pass .*dmarc=fail from_domain=reject\.test policy=reject/),
    'log: the results of the refused message');
unlike($r->log_text, qr/smtp_queued/, 'nothing queued');
($code, $text, $subject) = send_msg($r, mail => 'x@none.test', from => 'a@quar.test');
is($code, 250, 'dmarc_reject=yes: p=quarantine failure accepted');
($line) = outcome($r, $text, $subject);
like($line, qr/dmarc=fail from_domain=quar\.test policy=quarantine/, 'and marked');
($code, $text, $subject) = send_msg($r, mail => 'x@pass.test', from => 'a@pass.test');
is($code, 250, 'dmarc_reject=yes: pass accepted');

# smtpd_mailauth_verify = no: DKIM alone, as before.
my $off = start(smtpd_mailauth_verify => 'no');
($code, $text, $subject) = send_msg($off, mail => 'x@fail.test', from => 'a@reject.test');
is($code, 250, 'smtpd_mailauth_verify=no: accepted');
($line, $ar) = outcome($off, $text, $subject);
is($line, '', 'smtpd_mailauth_verify=no: no check');
like($ar, qr/^Authentication-Results: mx\.sealpost\.test;\r?\n\tdkim=none\r?$/, 'DKIM only');

done_testing;
