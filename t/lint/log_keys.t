# Every key=value key in a log call comes from libmail/log_keys.txt, so logs
# stay parseable with one vocabulary.  Unknown keys fail here.
use strict;
use warnings;
use Test::More;
use File::Find;
use Sealpost::Test;

my $top = Sealpost::Test::top_dir();
my %known;
open my $kf, '<', "$top/libmail/log_keys.txt" or die "log_keys.txt: $!";
while (<$kf>) {
	next if /^\s*(#|$)/;
	my ($key) = /^(\w+)/;
	$known{$key} = 1;
}
ok(keys %known > 10, 'the key list is there');

my @files;
find(sub { push @files, $File::Find::name if /\.c$/ && $File::Find::name !~ m{/(build|t)/} },
    map { "$top/$_" } grep { -d "$top/$_" } qw(libmail master smtpd queue imapd pop3d));
my (%used, @bad);
for my $f (@files) {
	my $text = do { local (@ARGV, $/) = ($f); <> };
	while ($text =~ /\blog_(?:debug|info|warn|error|event)\s*\(\s*(?:LOG_LEVEL_\w+\s*,\s*)?"(\w+)"\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)/g) {
		my ($event, $fmt) = ($1, $2);
		$fmt =~ s/"\s*"//g;
		while ($fmt =~ /(\w+)=%/g) {
			$used{$1}++;
			push @bad, "$f: event $event uses unknown key '$1'" unless $known{$1};
		}
	}
}
ok(keys %used > 5, 'found log calls with keys');
is(scalar @bad, 0, 'every log key is registered') or diag join "\n", @bad;
done_testing;
