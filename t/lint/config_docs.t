# The sample config and the key list in sealpost.conf(5) match the option
# tables; every key has documentation.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;

my $top = Sealpost::Test::top_dir();
chdir $top or die;
my $bin = Sealpost::Test::bin_dir();
my ($rc, $out, $err) = Sealpost::Test::run_cmd('perl', 'mk/gendocs', $bin, '--check');
is($rc, 0, 'etc/sealpost.conf and man/sealpost.conf.5 are up to date') or diag $out;

($rc, $out) = Sealpost::Test::run_cmd("$bin/sealpost", 'config', '--sample');
my @keys = $out =~ /^#(\w+) =/mg;
ok(@keys >= 7, 'the sample lists the keys');
my @undocumented;
for my $block (split /\n\n/, $out) {
	my ($key) = $block =~ /^#(\w+) =/m or next;
	my @doc = grep { /^# \S/ && !/^# \(required\)/ } split /\n/, $block;
	push @undocumented, $key unless @doc;
}
is(scalar @undocumented, 0, 'every key has documentation') or diag "@undocumented";

($rc, $out) = Sealpost::Test::run_cmd("$bin/sealpost", 'config', '--defaults');
for my $key (@keys) {
	like($out, qr/^\Q$key\E = /m, "default of $key printed");
}
done_testing;
