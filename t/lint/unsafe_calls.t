# House rule: no strcpy, strcat, sprintf, vsprintf, gets, and no strncpy as a
# "safe" copy.  Use struct buf, str_copy() or str_format().
use strict;
use warnings;
use Test::More;
use File::Find;
use Sealpost::Test;

my $top = Sealpost::Test::top_dir();
my @files;
find(sub { push @files, $File::Find::name if /\.[ch]$/ && $File::Find::name !~ m{/build/} },
    map { "$top/$_" } grep { -d "$top/$_" } qw(libmail master smtpd queue imapd pop3d t bench));
ok(@files > 0, 'found C sources');
my @bad;
for my $f (@files) {
	open my $fh, '<', $f or die "$f: $!";
	while (my $line = <$fh>) {
		next if $line =~ m{^\s*(?:/?\*|//)};
		push @bad, "$f:$.: $1" if $line =~ /\b(strcpy|strcat|sprintf|vsprintf|gets|strncpy)\s*\(/;
	}
}
is(scalar @bad, 0, 'no unsafe string calls') or diag join "\n", @bad;
done_testing;
