# The master: config validation, one master per state folder, reload on
# SIGHUP (a bad new config keeps the old one), clean stop on SIGTERM.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use File::Temp qw(tempdir);
use IO::Socket::INET;

my $tmp = tempdir(CLEANUP => 1);
chmod 0755, $tmp;
my $sealpost = Sealpost::Test->bin('sealpost');

sub write_file {
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "$path: $!";
	print $fh $text;
	close $fh;
}

# Config errors name the file, the line and the key.
write_file("$tmp/bad.conf", "state_dir = $tmp/state\n# comment\nbogus_key = 1\n");
my ($rc, $out, $err) = Sealpost::Test::run_cmd($sealpost, 'master', '--config', "$tmp/bad.conf");
isnt($rc, 0, 'master refuses an unknown key');
like($err, qr{\Q$tmp\E/bad\.conf:3: unknown key 'bogus_key'}, 'error names file, line and key');

write_file("$tmp/bad2.conf", "state_dir = $tmp/state\nshutdown_grace = forever\n");
($rc, $out, $err) = Sealpost::Test::run_cmd($sealpost, 'master', '--config', "$tmp/bad2.conf");
isnt($rc, 0, 'master refuses a bad value');
like($err, qr{bad2\.conf:2: key 'shutdown_grace': 'forever' is not a valid time}, 'error names the key and the value');

write_file("$tmp/bad3.conf", "state_dir = $tmp/state\nlog_target = paper\n");
($rc, $out, $err) = Sealpost::Test::run_cmd($sealpost, 'master', '--config', "$tmp/bad3.conf");
isnt($rc, 0, 'master refuses an unknown log target');

($rc, $out, $err) = Sealpost::Test::run_cmd($sealpost, 'config', '--check', '--config', "$tmp/bad.conf");
isnt($rc, 0, 'config --check fails on the same file');
($rc, $out, $err) = Sealpost::Test::run_cmd($sealpost, 'master', '--config', "$tmp/missing.conf");
like($err, qr{missing\.conf: No such file}, 'a missing config file is named');

# A running instance.
my $sp = Sealpost::Test->new;
my $pid = $sp->master_pid;
ok($pid && kill(0, $pid), 'master running with a pid file');

($rc, $out, $err) = Sealpost::Test::run_cmd($sealpost, 'master', '--config', $sp->config_path);
isnt($rc, 0, 'a second master on the same state folder is refused');
like($err, qr/locked by a running master \(pid $pid\)/, '... naming the running one');

($rc, $out, $err) = $sp->run_sealpost('config');
like($out, qr/^log_target = stderr$/m, 'config prints what the site changed');
unlike($out, qr/^restart_backoff_max/m, '... and not the defaults');

my $mark = $sp->log_size;
kill 'HUP', $pid;
ok($sp->wait_log(qr/\breloaded config=/, from => $mark), 'SIGHUP reloads');

# A broken config on reload is refused and the old one stays.
my $conf = do { local (@ARGV, $/) = ($sp->config_path); <> };
write_file($sp->config_path, $conf . "oops = 1\n");
$mark = $sp->log_size;
kill 'HUP', $pid;
ok($sp->wait_log(qr/reload_failed reason=.*unknown key 'oops'/, from => $mark),
    'a bad config on reload is refused with the reason');
ok(kill(0, $pid), 'the master keeps running');
write_file($sp->config_path, $conf);

$mark = $sp->log_size;
kill 'TERM', $pid;
ok($sp->wait_log(qr/^\S+ master\[$pid\]: stopped$/, from => $mark), 'SIGTERM stops the master');
# The pid file goes away once the master has exited.
my $gone = 0;
for (1 .. 500) {
	if (!kill(0, $pid) || !-e $sp->dir . '/state/master.pid') { $gone = 1; last }
	select(undef, undef, undef, 0.02);
}
ok($gone, 'the master exits and removes its pid file');
my $stop_log = substr($sp->log_text, $mark);
# A worker still starting may die of the SIGTERM itself; none may abort or
# crash on the way out.
unlike($stop_log, qr/worker_stopped service=\S+ status="signal (?:6|11)"/, 'no daemon aborted or crashed on SIGTERM');
unlike($stop_log, qr/\bpanic\b/, 'and none panicked on the way out');

# A master that cannot bind a listener exits at once with the reason; it
# used to stay up with nothing bound, deaf to SIGTERM: `timeout` ends
# such a hang with SIGKILL.
my $port = $sp->env('SEALPOST_SMTP_PORT');
my $squatter = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Proto => 'tcp', ReuseAddr => 1, Listen => 1) or die "port $port: $!";
$mark = $sp->log_size;
($rc, $out, $err) = Sealpost::Test::run_cmd('timeout', '-k', '5', '60', $sealpost, 'master',
    '--config', $sp->config_path);
is($rc, 1, 'a master whose port is taken exits 1');
like($err . substr($sp->log_text, $mark),
    qr/listen_failed service=smtp address=\S+:$port reason=".*Address already in use"/,
    '... naming the address and the reason');
ok(!-e $sp->dir . '/state/master.pid', '... and leaves no pid file');
close $squatter;

done_testing;
