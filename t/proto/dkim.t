# DKIM (RFC 6376, RFC 8463) end to end, with a loopback DNS server holding
# the key records:
#  - keys made by `sealpost dkim keygen` (RSA and Ed25519, mode 0600);
#  - a message submitted with AUTH and relayed to a loopback SMTP sink
#    carries two signatures that independent verifiers accept: Mail::DKIM
#    (RSA) and dkimpy (RSA and Ed25519), both asking the loopback DNS;
#  - mail arriving on port 25 gets one Authentication-Results field
#    (RFC 8601): pass for Mail::DKIM::Signer's signature and for the RFC
#    8463 example, fail for a changed body, a changed signed header, a
#    wrong key and an expired x=, temperror when the DNS does not answer,
#    none when unsigned; a forged field with our authserv-id is removed;
#  - `sealpost dkim verify` checks the RFC 8463 example.
use strict;
use warnings;
use Test::More;
use Authen::SASL;
use File::Temp qw(tempdir);
use IO::Socket::SSL;
use Mail::DKIM::DNS;
use Mail::DKIM::Signature;
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;
use Net::DNS;
use Net::SMTP;
use Sealpost::Test;
use Sealpost::DNS;
use Sealpost::SMTPServer;

my $top = Sealpost::Test::top_dir();
my $data = "$top/t/data/dkim";
my $work = tempdir('sealpost-dkim-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $work;
my $sealpost = Sealpost::Test::bin_dir() . '/sealpost';

sub slurp { my ($f) = @_; open my $fh, '<:raw', $f or die "$f: $!"; local $/; return <$fh> }
sub spew { my ($f, $t) = @_; open my $fh, '>:raw', $f or die "$f: $!"; print $fh $t; close $fh }
sub record_of { my ($f) = @_; my $r = slurp($f); $r =~ s/\s+\z//; return $r }

# ---- keys ----

sub keygen {
	my ($domain, $sel, $type) = @_;
	my $out = "$work/$domain.$sel.pem";
	my ($rc, $o, $e) = Sealpost::Test::run_cmd($sealpost, 'dkim', 'keygen',
	    $domain, $sel, '--type', $type, '--out', $out);
	is($rc, 0, "keygen $type") or diag $e;
	is((stat $out)[2] & 07777, 0600, "$type key written with mode 0600");
	like($o, qr/^\Q$sel\E\._domainkey\.\Q$domain\E\. IN TXT \(/, 'prints the record to publish');
	my $rec = join '', $o =~ /"([^"]*)"/g;
	like($rec, qr/^v=DKIM1; k=\Q$type\E; p=[A-Za-z0-9+\/=]+$/, "$type record");
	return ($out, $rec);
}

my ($rsa_key, $rsa_rec) = keygen('sender.test', 'rsa1', 'rsa');
my ($ed_key, $ed_rec) = keygen('sender.test', 'ed1', 'ed25519');
my ($ext_key, $ext_rec) = keygen('example.org', 'ext', 'rsa');
my (undef, $other_rec) = keygen('example.org', 'other', 'rsa');
my ($rc0, undef, $err0) = Sealpost::Test::run_cmd($sealpost, 'dkim', 'keygen',
    'sender.test', 'rsa1', '--out', $rsa_key);
isnt($rc0, 0, 'keygen never writes over an existing key');

# qmgr reads the keys as the mail user, and only it may.
if ($> == 0) {
	my (undef, undef, $uid, $gid) = getpwnam('nobody');
	chown $uid, $gid, $rsa_key, $ed_key;
}

my $sink = Sealpost::SMTPServer->new;
my $dns = Sealpost::DNS->new(records => [
	[ 'sink.test', 'MX', 10, 'localhost' ],
	[ 'localhost', 'A', '127.0.0.1' ],
	[ 'rsa1._domainkey.sender.test', 'TXT', $rsa_rec ],
	[ 'ed1._domainkey.sender.test', 'TXT', $ed_rec ],
	[ 'ext._domainkey.example.org', 'TXT', $ext_rec ],
	# Signed with the ext key, published with another: a wrong key.
	[ 'wrong._domainkey.example.org', 'TXT', $other_rec ],
	[ 'brisbane._domainkey.football.example.com', 'TXT', record_of("$data/rfc8463-brisbane.txt") ],
	[ 'test._domainkey.football.example.com', 'TXT', record_of("$data/rfc8463-test.txt") ],
	[ 'slow.test', 'TIMEOUT' ],
]);

# ---- signing on the way out ----

my $tx = Sealpost::Test->new(set => {
	local_domains => 'sender.test',
	dns_servers => $dns->server,
	smtp_port => $sink->port,
	smtp_tls => 'no',
	dkim_sign => "sender.test:rsa1:$rsa_key, sender.test:ed1:$ed_key",
	dkim_signature_expire => '1d',
});
ok($tx->wait_log(qr/dkim_key_loaded domain=sender\.test selector=ed1/), 'qmgr loaded the keys');

my %tls = (SSL_ca_file => $tx->env('SEALPOST_CA_FILE'), SSL_verifycn_name => 'localhost',
    SSL_verify_mode => SSL_VERIFY_PEER);
my $smtp = Net::SMTP->new('localhost', Port => $tx->env('SEALPOST_SUBMISSION_PORT'),
    Hello => 'client.test', Timeout => 30);
ok($smtp && $smtp->starttls(%tls), 'STARTTLS on submission');
ok($smtp->auth(Authen::SASL->new(mechanism => 'PLAIN',
    callback => { user => 'alice', pass => $tx->password('alice') })), 'AUTH PLAIN')
    or diag $smtp->message;
ok($smtp->mail('alice@sender.test') && $smtp->to('bob@sink.test'), 'envelope');
ok($smtp->data("From: Alice <alice\@sender.test>\r\nTo: bob\@sink.test\r\n"
    . "Subject: signed  on the way out\r\nMessage-ID: <out-1\@sender.test>\r\n"
    . "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
    . "Hello Bob.\r\n\r\n.a line with a dot\r\ntrailing space \r\n\r\n\r\n"), 'submitted');
$smtp->quit;
ok($sink->wait_for(qr/^MESSAGE-END$/m), 'the sink got it') or diag $tx->log_text;
my ($out) = $sink->messages;
$out //= '';
$out =~ s/\ARCPTS:[^\n]*\n//;
my @sigs = $out =~ /^DKIM-Signature:/mg;
is(scalar @sigs, 2, 'two signatures');
like($out, qr/a=ed25519-sha256/, 'one Ed25519');
like($out, qr/a=rsa-sha256/, 'one RSA');
unlike($out, qr/^Authentication-Results:/m, 'submission adds no Authentication-Results');
(my $flat = $out) =~ s/\r\n[ \t]+/ /g;
like($flat, qr/h=from:\s*from:\s*to:\s*subject:\s*date:\s*message-id:\s*mime-version:\s*content-type;/,
    'From oversigned, the usual fields signed');
like($flat, qr/ x=\d+;/, 'x= from dkim_signature_expire');
unlike($flat, qr/ l=/, 'no l=');
ok($tx->wait_log(qr/dkim_signed domain=sender\.test selector=rsa1/), 'log: signed');

Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(nameservers => ['127.0.0.1'],
    port => $dns->port, recurse => 1, udp_timeout => 5, retry => 2));
my $v = Mail::DKIM::Verifier->new;
$v->PRINT($out);
$v->CLOSE;
my @mr = map { $_->result . ' ' . ($_->{Algorithm} // $_->algorithm) } $v->signatures;
ok((grep { /^pass rsa-sha256/ } @mr), 'Mail::DKIM accepts the RSA signature') or diag "@mr";

spew("$work/out.eml", $out);
my $py = `/usr/bin/python3 $top/t/lib/dkim_check.py ${\ $dns->port} $work/out.eml 2>&1`;
is($py, "0 pass\n1 pass\n", 'dkimpy accepts both signatures (Ed25519 and RSA)');

# ---- `make run`'s post office signs out of the box ----
# `sealpost dev` makes a key for sealpost.test (selector dev) and names it
# in dkim_sign; its record is in endpoints.env.  Published on the loopback
# DNS, it lets Mail::DKIM accept what the default configuration relays.
my $dev_sink = Sealpost::SMTPServer->new;
my $dev_dns;
{
	my $probe = Sealpost::Test->new(set => { smtp_tls => 'no' });
	my $rec = $probe->env('SEALPOST_DKIM_RECORD') // '';
	like($rec, qr/^v=DKIM1; k=rsa; p=[A-Za-z0-9+\/=]+$/, 'dev publishes its DKIM key record');
	is($probe->env('SEALPOST_DKIM_SELECTOR'), 'dev', 'under the selector dev');
	is((stat $probe->dir . '/dkim/sealpost.test.dev.pem')[2] & 07777, 0600, 'its key is private');
	$dev_dns = Sealpost::DNS->new(records => [
		[ 'sink.test', 'MX', 10, 'localhost' ],
		[ 'localhost', 'A', '127.0.0.1' ],
		[ 'dev._domainkey.sealpost.test', 'TXT', $rec ],
	]);
	# The same folder again, now with a resolver and the sink: the key
	# made at the first start is kept.
	$probe->stop;
	$probe->{set} = { smtp_tls => 'no', dns_servers => $dev_dns->server,
	    smtp_port => $dev_sink->port };
	$probe->restart;
	is($probe->env('SEALPOST_DKIM_RECORD'), $rec, 'a second start keeps the key');
	my $c = Net::SMTP->new('localhost', Port => $probe->env('SEALPOST_SUBMISSION_PORT'),
	    Hello => 'client.test', Timeout => 30);
	ok($c && $c->starttls(SSL_ca_file => $probe->env('SEALPOST_CA_FILE'),
	    SSL_verifycn_name => 'localhost', SSL_verify_mode => SSL_VERIFY_PEER)
	    && $c->auth(Authen::SASL->new(mechanism => 'PLAIN',
		callback => { user => 'alice', pass => $probe->password('alice') })),
	    'alice submits to the default post office');
	ok($c->mail('alice@sealpost.test') && $c->to('bob@sink.test')
	    && $c->data("From: alice\@sealpost.test\r\nTo: bob\@sink.test\r\n"
		. "Subject: from make run\r\n\r\nHello.\r\n"), 'relayed mail');
	$c->quit;
	ok($dev_sink->wait_for(qr/^MESSAGE-END$/m), 'the sink got it') or diag $probe->log_text;
	my ($m) = $dev_sink->messages;
	$m //= '';
	$m =~ s/\ARCPTS:[^\n]*\n//;
	Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(nameservers => ['127.0.0.1'],
	    port => $dev_dns->port, recurse => 1, udp_timeout => 5, retry => 2));
	my $dv = Mail::DKIM::Verifier->new;
	$dv->PRINT($m);
	$dv->CLOSE;
	is($dv->result, 'pass', 'Mail::DKIM accepts the default post office\'s signature')
	    or diag $dv->result_detail, "\n", $m;
	like($m, qr/^DKIM-Signature:.*\bd=sealpost\.test;/m, 'd=sealpost.test');
}

# ---- verification on the way in ----

my $rx = Sealpost::Test->new(set => {
	dns_servers => $dns->server,
	dns_timeout => '1s',
	authserv_id => 'mx.sealpost.test',
	# DKIM alone here; mailauth.t checks it with SPF and DMARC.
	smtpd_mailauth_verify => 'no',
});
my $mx = $rx->env('SEALPOST_SMTP_PORT');

# Sends a message to alice on port 25; returns its queue ID.
sub deliver {
	my ($msg) = @_;
	my $c = Net::SMTP->new('127.0.0.1', Port => $mx, Hello => 'peer.test', Timeout => 30)
	    or return '';
	$c->mail('someone@example.org');
	$c->to('alice@sealpost.test');
	$c->data($msg);
	my ($qid) = ($c->message // '') =~ /queued as (\w+)/;
	$c->quit;
	return $qid // '';
}

sub results {
	my ($qid) = @_;
	return '' unless $qid && $rx->wait_log(qr/queue_removed .*qid=$qid/);
	my @r = map { /smtp_dkim result=(\w+)/ ? $1 : () }
	    grep { /qid=$qid/ } split /\n/, $rx->log_text;
	return join ' ', @r;
}

sub mdkim_sign {
	my ($msg, %sig) = @_;
	my $signer = Mail::DKIM::Signer->new(KeyFile => $ext_key, Policy => sub {
		my $s = shift;
		$s->add_signature(Mail::DKIM::Signature->new(Algorithm => 'rsa-sha256',
		    Method => 'relaxed', Domain => 'example.org', Selector => 'ext',
		    Headers => $s->headers, Timestamp => time, %sig));
		return;
	});
	(my $crlf = $msg) =~ s/\r?\n/\r\n/g;
	$signer->PRINT($crlf);
	$signer->CLOSE;
	return $signer->signature->as_string . "\r\n" . $crlf;
}

# Each message its own Message-ID: the store drops a second copy.
my $n = 0;
sub plain {
	$n++;
	return "From: Ext <ext\@example.org>\nTo: alice\@sealpost.test\nSubject: from outside\n"
	    . "Message-ID: <in-$n\@example.org>\n\nHello.\n";
}

my $signed = mdkim_sign(plain());
my $q = deliver($signed);
is(results($q), 'pass', 'Mail::DKIM::Signer signature: dkim=pass');

$q = deliver(slurp("$data/rfc8463.eml"));
is(results($q), 'pass pass', 'RFC 8463 example (Ed25519 and RSA): dkim=pass twice');

(my $body = mdkim_sign(plain())) =~ s/Hello\./Hullo./;
$q = deliver($body);
is(results($q), 'fail', 'changed body: dkim=fail');

(my $hdr = mdkim_sign(plain())) =~ s/Subject: from outside/Subject: from inside/;
$q = deliver($hdr);
is(results($q), 'fail', 'changed signed header: dkim=fail');

my $wrong = mdkim_sign(plain(), Selector => 'wrong');
$q = deliver($wrong);
is(results($q), 'fail', 'wrong key: dkim=fail');

my $expired = mdkim_sign(plain(), Timestamp => time - 7200, Expiration => time - 3600);
$q = deliver($expired);
is(results($q), 'fail', 'expired x=: dkim=fail');

my $slow = mdkim_sign(plain(), Domain => 'slow.test', Selector => 'x');
$q = deliver($slow);
is(results($q), 'temperror', 'DNS not answering: dkim=temperror');

$q = deliver("Authentication-Results: mx.sealpost.test; dkim=pass header.d=forged.test\r\n"
    . "Authentication-Results: other.example; dkim=pass header.d=kept.test\r\n"
    . "Authentication-Results: MX.Sealpost.Test (comment);\r\n dkim=pass header.d=folded.test\r\n"
    . "From: x\@example.org\r\nSubject: forged\r\n\r\nbody\r\n");
is(results($q), '', 'unsigned: no signature checked');
ok($rx->wait_log(qr/smtp_authres_removed count=2 .*qid=$q/), 'log: two forged fields removed');

my (undef, $box) = $rx->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
unlike($box, qr/forged\.test|folded\.test/, 'fields claiming our authserv-id are gone');
like($box, qr/^Authentication-Results: other\.example; dkim=pass header\.d=kept\.test\r?$/m,
    'a field of another authserv-id is kept');
like($box, qr/^Authentication-Results: mx\.sealpost\.test;\r?\n\tdkim=none\r?$/m, 'unsigned: dkim=none');
like($box, qr/^Authentication-Results: mx\.sealpost\.test;\r?\n\tdkim=pass\r?\n\t header\.d=example\.org\r?\n\t header\.s=ext\r?\n\t header\.b=(?:"[^"]{8}"|[^"\s]{8})\r?$/m,
    'pass with header.d, header.s and header.b');
like($box, qr/^\tdkim=fail reason="body hash did not verify"\r?$/m, 'fail says why');
like($box, qr/^\tdkim=temperror reason="key lookup failed"\r?\n\t header\.d=slow\.test\r?$/m,
    'temperror names the domain');
like($box, qr/^\tdkim=pass\r?\n\t header\.d=football\.example\.com\r?\n\t header\.s=brisbane/m,
    'the RFC 8463 Ed25519 signature passed');

# A submission (not the MX) never gets one.
my $sub = Net::SMTP->new('localhost', Port => $rx->env('SEALPOST_SUBMISSION_PORT'),
    Hello => 'client.test', Timeout => 30);
$sub->starttls(SSL_ca_file => $rx->env('SEALPOST_CA_FILE'), SSL_verifycn_name => 'localhost');
$sub->auth(Authen::SASL->new(mechanism => 'PLAIN',
    callback => { user => 'bob', pass => $rx->password('bob') }));
$sub->mail('bob@sealpost.test');
$sub->to('alice@sealpost.test');
$sub->data("From: bob\@sealpost.test\r\nSubject: internal\r\n\r\nhi\r\n");
my ($sq) = ($sub->message // '') =~ /queued as (\w+)/;
$sub->quit;
ok($sq && $rx->wait_log(qr/queue_removed .*qid=$sq/), 'submitted internally');
(undef, $box) = $rx->run_sealpost('mailbox', 'show', 'alice', 'INBOX');
my ($internal) = grep { /^Subject: internal\r?$/m } split /^uid \d+ /m, $box;
ok($internal, 'found the internal message');
unlike($internal // '', qr/^Authentication-Results:/m, 'no Authentication-Results on submission');

# ---- the key cache ----

# One smtpd process, a DNS that gives a TTL and logs the queries: two
# messages signed with the same key cost one lookup.
my @keep;	# the DNS servers outlive lookups()
sub lookups {
	my $d = Sealpost::DNS->new(ttl => 300, log_queries => 1, records => [
		[ 'ext._domainkey.example.org', 'TXT', $ext_rec ],
		[ 'brisbane._domainkey.football.example.com', 'TXT', record_of("$data/rfc8463-brisbane.txt") ],
		[ 'test._domainkey.football.example.com', 'TXT', record_of("$data/rfc8463-test.txt") ],
	]);
	$rx = Sealpost::Test->new(set => {
		dns_servers => $d->server,
		smtpd_workers => 1,
		smtpd_dkim_max_signatures => 1,
	});
	$mx = $rx->env('SEALPOST_SMTP_PORT');
	is(results(deliver(mdkim_sign(plain()))), 'pass', 'first message: pass');
	is(results(deliver(mdkim_sign(plain()))), 'pass', 'second message: pass');
	my @asked = slurp($d->log_path) =~ /query\[TXT\] ext\._domainkey\.example\.org/g;
	push @keep, $d;
	return scalar @asked;
}
is(lookups(), 1, 'the key was asked of the DNS once, then cached');
is(results(deliver(slurp("$data/rfc8463.eml"))), 'pass',
    'smtpd_dkim_max_signatures 1: only the first signature is checked');

# ---- the command line ----

my @keys = ('--key-record', 'brisbane._domainkey.football.example.com=' . record_of("$data/rfc8463-brisbane.txt"),
    '--key-record', 'test._domainkey.football.example.com=' . record_of("$data/rfc8463-test.txt"));
my ($rc, $o, $e) = Sealpost::Test::run_cmd($sealpost, 'dkim', 'verify', "$data/rfc8463.eml", @keys);
is($rc, 0, 'sealpost dkim verify: RFC 8463 example passes') or diag $e;
like($o, qr/^dkim=pass header\.d=football\.example\.com header\.s=brisbane /m, 'Ed25519 pass');
like($o, qr/^dkim=pass header\.d=football\.example\.com header\.s=test /m, 'RSA pass');
($rc, $o) = Sealpost::Test::run_cmd($sealpost, 'dkim', 'verify', "$data/rfc8463.eml", '--dns', $dns->server);
is($rc, 0, 'the same with the keys from the DNS') or diag $o;
($rc, $o) = Sealpost::Test::run_cmd($sealpost, 'dkim', 'verify', "$work/out.eml", '--dns', $dns->server);
is($rc, 0, 'our own signatures pass our verifier too') or diag $o;
spew("$work/bad.eml", $body);
($rc, $o) = Sealpost::Test::run_cmd($sealpost, 'dkim', 'verify', "$work/bad.eml", '--dns', $dns->server);
is($rc, 1, 'a broken one fails');
like($o, qr/^dkim=fail .*body hash/m, 'and says why');

done_testing;
