# pop3d: LIST and UIDL of a maildrop larger than one piece of a listing
# (pop3d produces it some hundred lines at a time), with deleted messages
# left out and the numbers kept; every line the same as the one-message
# reply.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::POP3;

my $n = 700;
my $sp = Sealpost::Test->new;
my $delivered = 0;
for my $i (1 .. $n) {
	# Sizes of one to four digits' worth of body.
	$delivered++ if $sp->lmtp_deliver('bob',
	    "Subject: m$i\r\n\r\n" . ('x' x ($i % 10 ** (1 + $i % 4))) . "\r\n") =~ /^250 /;
}
is($delivered, $n, "$n messages delivered");

my $p = Sealpost::POP3->login_new($sp, 'bob');
my @gone = (1, 256, 257, 512, $n);
like($p->cmd("DELE $_"), qr/^\+OK/, "DELE $_") for @gone;
my %gone = map { $_ => 1 } @gone;
my @live = grep { !$gone{$_} } 1 .. $n;

my ($st, $list) = $p->multi('LIST');
like($st, qr/^\+OK ${\ scalar @live} messages /, 'LIST status counts the live ones');
is_deeply([ map { (split / /)[0] } @$list ], \@live,
    'LIST: every live message once, in order, numbers kept');
my ($ust, $uidl) = $p->multi('UIDL');
is($ust, '+OK', 'UIDL');
is_deeply([ map { (split / /)[0] } @$uidl ], \@live, 'UIDL: the same numbers');
my $bad = grep { !/^(\d+) \d+\.\1$/ } @$uidl;
is($bad, 0, 'UIDL: each unique-id is UIDVALIDITY.UID (the UID is the number here)');
my @one_list = map { $p->cmd("LIST $_") } @live;
is_deeply(\@one_list, [ map { "+OK $_" } @$list ], 'each LIST line agrees with LIST n');
my @one_uidl = map { $p->cmd("UIDL $_") } @live;
is_deeply(\@one_uidl, [ map { "+OK $_" } @$uidl ], 'each UIDL line agrees with UIDL n');
like($p->cmd('RSET'), qr/^\+OK Maildrop has $n messages/, 'RSET undoes the deletions');
like($p->cmd('QUIT'), qr/^\+OK/, 'QUIT');

done_testing;
