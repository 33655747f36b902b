# Negative DNS answers are kept for as long as their zone's SOA says (RFC
# 2308 section 5): two messages on port 25 from a domain with neither an
# SPF nor a DMARC record make one query for each, not two, and both get
# spf=none and dmarc=none as the first did.
use strict;
use warnings;
use Test::More;
use Net::SMTP;
use Sealpost::Test;
use Sealpost::DNS;

# Authoritative for neg.test: "neg.test TXT" is an empty answer and
# "_dmarc.neg.test TXT" NXDOMAIN, both with the zone's SOA.
my $dns = Sealpost::DNS->new(zone => 'neg.test', log_queries => 1,
    records => [ [ 'host.neg.test', 'A', '127.0.0.1' ] ]);
# One smtpd process: the cache is a process's own.
my $t = Sealpost::Test->new(set => {
	dns_servers => $dns->server,
	dns_timeout => '1s',
	spf_timeout => '3s',
	smtpd_workers => 1,
});

for my $n (1, 2) {
	my $c = Net::SMTP->new('127.0.0.1', Port => $t->env('SEALPOST_SMTP_PORT'),
	    Hello => 'host.neg.test', Timeout => 60) or die "connect: $@";
	ok($c->mail('someone@neg.test') && $c->to('alice@sealpost.test'),
	   "message $n: envelope accepted");
	ok($c->data("From: someone\@neg.test\r\nTo: alice\@sealpost.test\r\n"
	    . "Subject: negative $n\r\n\r\nHello.\r\n"), "message $n: queued");
	$c->quit;
}

my @lines = grep { /smtp_mailauth / } split /\n/, $t->log_text;
is(scalar @lines, 2, 'one smtp_mailauth line per message');
is(scalar(grep { /spf=none/ && /dmarc=none/ } @lines), 2,
   'both messages: spf=none, dmarc=none (the second from the cache)')
    or diag explain \@lines;

open(my $fh, "<", $dns->log_path) or die "dnsmasq log: $!";
# Queries inside the zone are logged as auth[TXT].
my @queries = grep { /(?:query|auth)\[TXT\]/ } <$fh>;
close $fh;
unlink $dns->log_path;
is(scalar(grep { /\[TXT\] neg\.test / } @queries), 1,
   'the SPF record of neg.test asked once')
    or diag explain \@queries;
is(scalar(grep { /\[TXT\] _dmarc\.neg\.test / } @queries), 1,
   'its DMARC record asked once')
    or diag explain \@queries;

done_testing;
