# sealpost --help lists every command; each one answers --help (and
# "sealpost help COMMAND") with its usage on standard output and status 0;
# no command, or an unknown one, is a usage error on standard error with
# status 2.  The list is read from --help, so a new command is covered
# the moment it is in the table.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;

my $sealpost = Sealpost::Test->bin('sealpost');
sub run { return Sealpost::Test::run_cmd($sealpost, @_) }

my ($rc, $out, $err) = run('--help');
is($rc, 0, 'sealpost --help: status 0');
is($err, '', '... nothing on stderr');
my @commands = $out =~ /^  (\S+) +\S/mg;
cmp_ok(scalar @commands, '>=', 11, 'the command list: ' . join(' ', @commands));
for my $c (qw(master dev user mailbox queue reconstruct config auth import export setup)) {
	ok((grep { $_ eq $c } @commands), "'$c' is listed");
}

for my $c (@commands) {
	($rc, $out, $err) = run($c, '--help');
	is($rc, 0, "sealpost $c --help: status 0");
	like($out, qr/^usage: sealpost $c\b/m, '... usage on stdout');
	is($err, '', '... nothing on stderr');
	my ($rc2, $out2) = run('help', $c);
	is("$rc2 $out2", "$rc $out", "sealpost help $c says the same");
}

($rc, $out, $err) = run('frobnicate');
is($rc, 2, 'an unknown command: status 2');
is($out, '', '... nothing on stdout');
like($err, qr/unknown command 'frobnicate'.*^usage: sealpost COMMAND/ms, '... usage on stderr');
($rc, $out, $err) = run();
is($rc, 2, 'no command: status 2');
like($err, qr/^usage: sealpost COMMAND/m, '... usage on stderr');
($rc, $out, $err) = run('help', 'frobnicate');
is($rc, 2, 'help for an unknown command: status 2');
done_testing;
