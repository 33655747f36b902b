# The auth protocol on authd's socket, spoken by hand: the handshake and
# its version check, malformed, oversized and leftover input refused with a
# disconnect, and the checks a daemon cannot bypass by lying in START (a
# ticket for another service, garbage GSS tokens, plain text outside TLS).
use strict;
use warnings;
use Test::More;
use IO::Socket::UNIX;
use MIME::Base64;
use GSSAPI;
use Sealpost::Test;

# authd closes on bad input while we may still be writing.
$SIG{PIPE} = "IGNORE";

my $sp = Sealpost::Test->new(set => { auth_max_token_size => '4k' });
my $path = $sp->env('SEALPOST_AUTH_SOCKET');

sub connect_auth {
	my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
	    or die "connect $path: $!";
	return $s;
}

# Sends `text` and returns everything authd says until it closes.
sub talk {
	my ($text) = @_;
	my $s = connect_auth();
	print $s $text;
	shutdown($s, 1);
	local $/;
	my $reply = <$s>;
	return $reply // '';
}

my $reply = talk("HELLO\t1\n");
like($reply, qr/^WELCOME\t1\t4096\tGSSAPI PLAIN LOGIN\n\z/, 'handshake');
is(talk("HELLO\t2\n"), "FAIL\tversion\n", 'other version refused');
is(talk("HELO\t1\n"), '', 'unknown type: disconnect');
is(talk("HELLO\t1\tx\n"), '', 'leftover field: disconnect');
is(talk("HELLO\t1\r\n"), '', 'CR: disconnect');
is(talk("START\tPLAIN\timap\ttls\t-\tS1\t-\n"), '', 'START before HELLO: disconnect');
is(talk(("A" x 10000) . "\n"), '', 'overlong line: disconnect');

my $welcome = "WELCOME\t1\t4096\tGSSAPI PLAIN LOGIN\n";
is(talk("HELLO\t1\nSTART\tPLAIN\timap\ttls\t-\tS1\t" . encode_base64('x' x 4097, '') . "\n"),
    $welcome, 'token over auth_max_token_size: disconnect');
is(talk("HELLO\t1\nSTART\tPLAIN\timap\ttls\t-\tS1\t-\tx\n"), $welcome,
    'START with a leftover field: disconnect');
is(talk("HELLO\t1\nSTART\tCRAM-MD5\timap\ttls\t-\tS1\t-\n"), "${welcome}FAIL\tmech\n",
    'unknown mechanism');
is(talk("HELLO\t1\nSTART\tPLAIN\timap\tplain\t-\tS1\t-\n"), "${welcome}FAIL\tmech\n",
    'PLAIN outside TLS refused by authd');

# PLAIN without an initial response: an empty challenge, then the message.
my $alice = $sp->password('alice');
is(talk("HELLO\t1\nSTART\tPLAIN\timap\ttls\t127.0.0.1\tS2\t-\nRESPONSE\t" .
	encode_base64("\0alice\0$alice", '') . "\n"),
    "${welcome}CONTINUE\t=\nOK\talice\talice\n", 'PLAIN in two steps');
is(talk("HELLO\t1\nSTART\tPLAIN\timap\ttls\t-\tS3\t" .
	encode_base64("\0alice\0$alice\0extra", '') . "\n"),
    "${welcome}FAIL\tproto\n", 'PLAIN with a leftover field refused');
is(talk("HELLO\t1\nSTART\tPLAIN\timap\ttls\t-\tS4\t" .
	encode_base64("alice\0$alice", '') . "\n"),
    "${welcome}FAIL\tproto\n", 'PLAIN with one NUL refused');

# GSSAPI: a token that is not one.
is(talk("HELLO\t1\nSTART\tGSSAPI\timap\tplain\t-\tS5\t" . encode_base64('garbage', '') . "\n"),
    "${welcome}FAIL\tauth\n", 'garbage GSSAPI token refused');
my $line = $sp->wait_log(qr/auth_gss_error step=gss_accept_sec_context/);
ok($line, 'GSS failure logged');
like($line // '', qr/ major=\S.* minor=\S/, 'with major and minor status');

# GSSAPI: a real ticket for smtp presented as a login to imap.
ok($sp->kinit('alice'), 'kinit alice');
sub gss_token {
	my ($service) = @_;
	my ($name, $out);
	my $st = GSSAPI::Name->import($name, "$service\@localhost",
	    GSSAPI::OID::gss_nt_hostbased_service);
	die "import: $st" unless $st;
	my $ctx = GSSAPI::Context->new;
	$st = $ctx->init(GSS_C_NO_CREDENTIAL, $name, GSSAPI::OID::gss_mech_krb5,
	    GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
	    '', undef, $out, undef, undef);
	die "init: $st" unless $st;
	return $out;
}
$reply = talk("HELLO\t1\nSTART\tGSSAPI\timap\tplain\t-\tS6\t" .
    encode_base64(gss_token('smtp'), '') . "\n");
is($reply, "${welcome}FAIL\tauth\n", 'ticket for smtp refused at imap');
ok($sp->wait_log(qr/auth_fail mech=GSSAPI service=imap .*reason="ticket for another service"/),
    'logged as a ticket for another service');
$reply = talk("HELLO\t1\nSTART\tGSSAPI\tsmtp\tplain\t-\tS7\t" .
    encode_base64(gss_token('smtp'), '') . "\n");
like($reply, qr/^\Q$welcome\ECONTINUE\t[A-Za-z0-9+\/]+=*\n\z/,
    'the same ticket at smtp gets the next challenge');

# Silence: the request timeout frees the worker (not waited for here; the
# exchange above proves others are served meanwhile).
my $idle = connect_auth();
is(talk("HELLO\t1\n"), $welcome, 'another worker answers while one waits');
close $idle;

done_testing;
