# make install DESTDIR=...: the tree's own GNUmakefile lays out the daemons
# in libexec/sealpost, the commands as links in sbin and bin, the manual
# pages, the config (never overwriting the site's) and a systemd unit that
# systemd accepts.  Nothing is built: make is told `all` is up to date and
# installs the programs of the build under test.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Sealpost::Test;

my $top = Sealpost::Test::top_dir();
my $bin = Sealpost::Test::bin_dir();
my $dest = tempdir('install-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $prefix = '/usr/local';
my $root = "$dest$prefix";

# Under `make check` the outer make's flags and variables (O=, SAN=, its
# jobserver) would reach this make through the environment.
delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES)};

sub install {
	return Sealpost::Test::run_cmd('make', '-s', '-C', $top, '-o', 'all',
	    'install', "DESTDIR=$dest", "PREFIX=$prefix", "BINDIR=$bin");
}
my ($rc, $out, $err) = install();
is($rc, 0, 'make install DESTDIR=...') or diag $err;

for my $p (qw(sealpost smtpd qmgr lmtpd imapd pop3d authd sendmail mailq)) {
	ok(-f "$root/libexec/sealpost/$p" && -x _, "libexec/sealpost/$p");
}
for ([ 'sbin/sealpost', 'sealpost' ], [ 'sbin/sendmail', 'sendmail' ],
     [ 'bin/mailq', 'mailq' ]) {
	my ($link, $p) = @$_;
	is(readlink("$root/$link"), "../libexec/sealpost/$p", "$link links to libexec");
	ok(-x "$root/$link", '... and resolves');
}
($rc, $out) = Sealpost::Test::run_cmd("$root/sbin/sealpost", '--help');
like($out, qr/^usage: sealpost COMMAND/, 'the installed sealpost runs');
for my $page (qw(man1/sendmail.1 man5/sealpost.conf.5 man5/aliases.5
		 man8/sealpost.8 man8/smtpd.8 man8/imapd.8 man8/pop3d.8
		 man8/lmtpd.8 man8/qmgr.8)) {
	ok(-f "$root/share/man/$page", "man page $page");
}
my $conf = "$dest/etc/sealpost/sealpost.conf";
ok(-f $conf, 'etc/sealpost/sealpost.conf');
ok(-f "$root/share/doc/sealpost/sealpost.conf.example", 'the sample in share/doc');
($rc, $out, $err) = Sealpost::Test::run_cmd("$root/sbin/sealpost", 'config',
    '--check', '--config', $conf);
is($rc, 0, 'the installed config is valid') or diag $err;

my $unit_path = "$root/lib/systemd/system/sealpost.service";
open my $fh, '<', $unit_path or die "$unit_path: $!";
my $unit = do { local $/; <$fh> };
close $fh;
like($unit, qr{^ExecStart=/usr/local/sbin/sealpost master --config /etc/sealpost/sealpost\.conf$}m,
    'the unit starts the installed master with the installed config');
like($unit, qr{^ExecReload=/bin/kill -HUP \$MAINPID$}m, 'reload is SIGHUP');
like($unit, qr{^Type=simple$}m, 'Type=simple: the master stays in the foreground');
like($unit, qr{^CapabilityBoundingSet=.*CAP_NET_BIND_SERVICE}m, 'it may bind low ports');
like($unit, qr{^CapabilityBoundingSet=.*CAP_SETUID.*CAP_SETGID}m, '... and drop privileges');
unlike($unit, qr{^User=}m, 'it starts as root');
unlike($unit, qr{@[A-Z]+@}, 'every placeholder filled in');

# systemd checks the unit (with the paths moved into DESTDIR, since the
# programs are not installed for real).
(my $moved = $unit) =~ s{/usr/local/}{$root/}g;
my $check = "$dest/sealpost.service";
open $fh, '>', $check or die "$check: $!";
print $fh $moved;
close $fh;
($rc, $out, $err) = Sealpost::Test::run_cmd('systemd-analyze', 'verify', '--man=no', $check);
is($rc, 0, 'systemd-analyze verify accepts the unit') or diag "$out$err";

# The site's config survives a second install.
open $fh, '>>', $conf or die;
print $fh "# the site's own line\n";
close $fh;
($rc, $out, $err) = install();
is($rc, 0, 'make install again');
open $fh, '<', $conf or die;
my $text = do { local $/; <$fh> };
close $fh;
like($text, qr/# the site's own line\n\z/, 'the existing config was not overwritten');
done_testing;
