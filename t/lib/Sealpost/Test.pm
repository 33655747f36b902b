package Sealpost::Test;

# The protocol-test harness: one throwaway sealpost instance per object,
# started with `sealpost dev --detach` in a temporary folder on free
# loopback ports, with its own KDC.  Everything it started is stopped by
# pid when the object goes away or the test exits, pass or fail.  Nothing
# here sleeps to synchronise: it waits for ports, files and log lines.

use strict;
use warnings;
use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Fcntl qw(:flock);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Select;
use IPC::Open3 qw(open3);
use POSIX ();
use Symbol qw(gensym);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

# Deadlines use the monotonic clock: the wall clock may be stepped.
sub now { clock_gettime(CLOCK_MONOTONIC) }

my @live;

# A test file that hangs (a wedged daemon, a client waiting on a reply
# that never comes) must fail on its own, not hold up the whole suite
# until some outer limit kills everything.  A watchdog process waits on a
# pipe whose other end only this test holds: EOF means the test is over.
# After SEALPOST_TEST_TIMEOUT seconds (900 by default; 0 turns it off) it
# sends SIGTERM, whose handler below fails the test and, through END,
# stops its post offices; SIGKILL follows a minute later if that hangs
# too.  The test's own children inherit the pipe but are short-lived;
# programs it runs do not (Perl sets close-on-exec).
my $watchdog_pipe;

sub _start_watchdog {
	my $limit = $ENV{SEALPOST_TEST_TIMEOUT} // 900;
	return unless $limit > 0;
	my $test = $$;
	pipe(my $r, my $w) or return;
	my $pid = fork;
	return unless defined $pid;
	if ($pid == 0) {
		close $w;
		# Not prove's pipe: it reads the test's output to its end.
		open STDOUT, '>', '/dev/null';
		my $over = IO::Select->new($r);
		POSIX::_exit(0) if $over->can_read($limit);
		print STDERR "# the test ran past $limit s (SEALPOST_TEST_TIMEOUT): "
		    . "stopping it\n";
		kill 'TERM', $test;
		POSIX::_exit(0) if $over->can_read(60);
		kill 'KILL', $test;
		POSIX::_exit(0);
	}
	close $r;
	$watchdog_pipe = $w;
	$SIG{TERM} = sub {
		# Only the test process itself: a client it forked that
		# inherited this handler just goes.
		POSIX::_exit(1) if $$ != $test;
		print STDERR "# stopped by SIGTERM\n";
		exit 1;
	};
}
_start_watchdog();

sub top_dir { abs_path(dirname(__FILE__) . '/../../..') }

sub bin_dir {
	return $ENV{SEALPOST_BIN} // top_dir() . '/bin';
}

# The standard ports dev adds to the base, plus the KDC's.
my @PORT_OFFSETS = (25, 88, 110, 143, 465, 587, 993, 995, 1109);

sub _ports_free {
	my ($base) = @_;
	for my $off (@PORT_OFFSETS) {
		my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => $base + $off, Proto => 'tcp', ReuseAddr => 1,
		    Listen => 1) or return 0;
		close $s;
	}
	return 1;
}

# Bases lie below the kernel's range of ephemeral ports: a client's
# outgoing connection there could take one of an instance's ports while
# it is stopped, and its restart would fail to bind.  An instance keeps its
# base reserved by a lock for its whole life, stops and restarts included,
# so that no other test picks the base in between.
my $BASE_FIRST = 10000;
my $BASE_SPAN = 1200;		# the offsets reach 1109

sub _ephemeral_low {
	open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range' or return 32768;
	my ($low) = split ' ', scalar(<$fh>) // '';
	return $low && $low =~ /^\d+$/ ? $low : 32768;
}

sub _pick_base {
	my ($self) = @_;
	my $count = int((_ephemeral_low() - $BASE_FIRST) / $BASE_SPAN);
	$count = 30 if $count < 4;	# an odd range: take our chances above it
	for (1 .. 50) {
		my $base = $BASE_FIRST + $BASE_SPAN * int(rand($count));
		open my $lock, '>>', File::Spec->tmpdir . "/sealpost-test-ports-$base.lock"
		    or croak "port lock: $!";
		next unless flock($lock, LOCK_EX | LOCK_NB) && _ports_free($base);
		$self->{port_lock} = $lock;
		return $base;
	}
	croak "no free port range for a sealpost instance";
}

sub new {
	my ($class, %opt) = @_;
	# Only the process that made the instance stops it: a child forked
	# by a test (a client) must not stop it when it exits.
	my $self = bless { set => $opt{set} // {}, started => 0, owner => $$ }, $class;
	# SPF and DMARC ask the DNS about every message on port 25: without
	# a test's own DNS server that would be this host's resolver, whose
	# answers (and speed) a test must not depend on.
	$self->{set}{smtpd_mailauth_verify} //= 'no'
	    unless defined $self->{set}{dns_servers};
	$self->{dir} = $opt{dir} // tempdir('sealpost-test-XXXXXX',
	    TMPDIR => 1, CLEANUP => !$ENV{SEALPOST_KEEP});
	# The daemons run as an unprivileged user when we are root: they
	# must be able to reach the folder.
	chmod 0755, $self->{dir};
	push @live, $self;
	$self->start unless $opt{no_start};
	return $self;
}

sub start {
	my ($self) = @_;
	my $err = '';
	# Tests run in parallel: two instances picking the same free ports at
	# the same moment would share a KDC port, and one instance's clients
	# would talk to the other's KDC (same realm name, other keys).  Starts
	# take turns, so a port found free is still free when it is bound.
	open my $lock, '>>', File::Spec->tmpdir . '/sealpost-test-start.lock'
	    or croak "start lock: $!";
	flock($lock, LOCK_EX) or croak "start lock: $!";
	for my $try (1 .. 3) {
		$self->{port_base} = $self->_pick_base;
		my @set = map { ('--set', "$_=$self->{set}{$_}") }
		    sort keys %{$self->{set}};
		my ($rc, $out, $stderr) = run_cmd($self->bin('sealpost'), 'dev',
		    '--dir', $self->{dir}, '--port-base', $self->{port_base},
		    '--detach', @set);
		if ($rc == 0) {
			$self->{started} = 1;
			$self->_read_env;
			return $self;
		}
		$err = $stderr;
		# Another test may have taken a port between the check and
		# the bind: try another range.
		last unless $self->log_text =~ /Address already in use/ ||
		    $stderr =~ /krb5kdc did not start/;
	}
	croak "sealpost dev failed: $err\n" . $self->log_text;
}

# Starts the post office again in its folder, on its own ports, after a
# test killed it (crash tests kill the master's whole process group).
# The realm, users and mail are kept: `sealpost dev` reuses a folder.
sub restart {
	my ($self) = @_;
	delete $self->{lmtp};
	my @set = map { ('--set', "$_=$self->{set}{$_}") } sort keys %{$self->{set}};
	my ($rc, $out, $err) = run_cmd($self->bin('sealpost'), 'dev',
	    '--dir', $self->{dir}, '--port-base', $self->{port_base}, '--detach', @set);
	croak "sealpost dev (restart) failed: $err\n" unless $rc == 0;
	$self->{started} = 1;
	$self->_read_env;
	return $self;
}

# After a crash test: waits (at most `timeout` seconds, polling the spool
# folders: there is nothing to block on) until the queue holds no message
# in incoming/, active/ or deferred/, and checks that corrupt/ is empty.
# Emits two tests.
sub crash_queue_drained_ok {
	my ($self, $timeout) = @_;
	my $queue = "$self->{dir}/state/queue";
	my $queued = sub {
		my $n = 0;
		for my $folder (qw(incoming active deferred)) {
			opendir my $d, "$queue/$folder" or next;
			$n += grep { /^[0-9A-Z]{15}$/ } readdir $d;
		}
		return $n;
	};
	my $deadline = now() + $timeout;
	my $left;
	select(undef, undef, undef, 0.1)
	    while ($left = $queued->()) > 0 && now() < $deadline;
	Test::More::is($left, 0, 'the queue drained');
	opendir my $corrupt, "$queue/corrupt" or croak "corrupt/: $!";
	my @corrupt = grep { !/^\./ } readdir $corrupt;
	Test::More::is(scalar @corrupt, 0, 'nothing in corrupt/') or Test::More::diag("@corrupt");
}

# After a crash test: the deaths in the log that are not our SIGKILL (a
# crash is a bug).  Allowed besides: exit 76, a daemon that found the
# store needing recovery (store.h; the master then kills the others,
# which die of signal 9), and exit 75 from a daemon whose store could not
# be opened while another recovered it, as many as the log announces.
# Emits one test, naming the first deaths and fatal lines when it fails.
sub crash_deaths_ok {
	my ($self) = @_;
	my $log = $self->log_text;
	my $store_exits = () = $log =~ /store_needs_recovery|fatal reason="store: /g;
	my (@deaths, $exits);
	while ($log =~ /worker_died service=(\S+) status="?([^"\s]+(?: [^"\s]+)?)/g) {
		my ($svc, $status) = ($1, $2);
		next if $status eq 'signal 9' || $status eq 'exit 76';
		next if $status eq 'exit 75' && ++$exits <= $store_exits;
		push @deaths, "$svc $status";
	}
	Test::More::is(scalar @deaths, 0,
	    'no worker died but by our SIGKILL (or the store\'s announced exit)')
	    or Test::More::diag(join "\n", "@deaths[0 .. ($#deaths < 9 ? $#deaths : 9)]",
		grep { defined } (($log =~ /^.*\b(?:fatal|panic)\b.*$/mg)[0 .. 9]));
}

# After a crash test: runs `sealpost reconstruct --check` (under a timeout:
# a store wedged by a crash must fail the test, not hang it) and checks
# the three things a crash may and may not leave: no mailbox to repair;
# quota usage counted too high perhaps (a delivery killed between
# counting and storing, see imapd(8)), never too low; and nothing left to
# repair once reconstruct has run.  Emits three tests.
sub crash_reconstruct_ok {
	my ($self) = @_;
	local $ENV{SEALPOST_CONFIG} = $self->config_path;
	my @cmd = ('timeout', '120', $self->bin('sealpost'));
	my ($rc, $out) = run_cmd(@cmd, 'reconstruct', '--check');
	my @boxes = $out =~ m{^(\S+/\S+: .*)$}mg;
	Test::More::is_deeply([grep { !/: ok$/ } @boxes], [],
	    'reconstruct finds every mailbox\'s index in agreement with its files')
	    or Test::More::diag($out);
	my $low = 0;
	while ($out =~ /^\S+: quota: needs repair: (\d+) messages, (\d+) bytes \(counted (\d+), (\d+)\)$/mg) {
		$low++ if $3 < $1 || $4 < $2;
	}
	Test::More::is($low, 0, 'no quota usage was counted too low');
	run_cmd(@cmd, 'reconstruct');
	($rc, $out) = run_cmd(@cmd, 'reconstruct', '--check');
	Test::More::is($rc, 0, 'after reconstruct, nothing to repair') or Test::More::diag($out);
}

sub _read_env {
	my ($self) = @_;
	my %env;
	open my $fh, '<', "$self->{dir}/endpoints.env"
	    or croak "endpoints.env: $!";
	while (<$fh>) {
		chomp;
		next unless /^([A-Za-z0-9_]+)='?(.*?)'?$/;
		$env{$1} = $2;
	}
	$self->{env} = \%env;
}

sub dir { $_[0]{dir} }
sub port_base { $_[0]{port_base} }
sub env { my ($self, $k) = @_; return $self->{env}{$k} }
sub password { my ($self, $u) = @_; return $self->{env}{"SEALPOST_PASSWORD_$u"} }
sub config_path { "$_[0]{dir}/sealpost.conf" }
sub bin { my ($self, $name) = @_; return bin_dir() . "/$name" }
sub log_path { "$_[0]{dir}/log/sealpost.log" }

sub log_text {
	my ($self) = @_;
	open my $fh, '<', $self->log_path or return '';
	local $/;
	return scalar <$fh>;
}

# Runs a command; returns (exit status, stdout, stderr).  `stdin` in the
# options hash (a trailing hashref) is fed to it.  A command still running
# after `timeout` seconds (SEALPOST_CMD_TIMEOUT, 300 by default) is
# killed and reported as exit status 124 with a line on its stderr, as
# timeout(1) would: a wedged store fails the test that asked, instead of
# hanging it.
sub run_cmd {
	my @cmd = @_;
	my $opt = ref $cmd[-1] eq 'HASH' ? pop @cmd : {};
	my $limit = $opt->{timeout} // $ENV{SEALPOST_CMD_TIMEOUT} // 300;
	my $err = gensym;
	my $pid = open3(my $in, my $out, $err, @cmd);
	print $in $opt->{stdin} if defined $opt->{stdin};
	close $in;
	my ($o, $e) = ('', '');
	my $deadline = now() + $limit;
	# Read both to the end without deadlocking on a full pipe.
	my $sel = IO::Select->new($out, $err);
	while ($sel->count) {
		my $left = $deadline - now();
		my @ready = $left > 0 ? $sel->can_read($left) : ();
		if (!@ready && now() >= $deadline) {
			kill 'KILL', $pid;
			waitpid($pid, 0);
			return (124, $o, $e . "run_cmd: @cmd: killed after $limit s\n");
		}
		for my $fh (@ready) {
			my $n = sysread($fh, my $chunk, 65536);
			if (!$n) { $sel->remove($fh); next }
			if ($fh == $out) { $o .= $chunk } else { $e .= $chunk }
		}
	}
	waitpid($pid, 0);
	return ($? >> 8, $o, $e);
}

# Runs a command that prints "field: value" lines (sealpost spf, dmarc);
# returns them as a hash, with the exit status as `rc` and standard error
# as `stderr`.
sub run_fields {
	my ($rc, $out, $err) = run_cmd(@_);
	my %r = map { /^(\w+): (.*)$/ ? ($1, $2) : () } split /\n/, $out;
	$r{rc} = $rc;
	$r{stderr} = $err;
	return \%r;
}

# Whether the fields of run_fields have the wanted values: a string is
# compared as it is, a qr// matched.
sub fields_match {
	my ($fields, $want) = @_;
	for my $k (keys %$want) {
		my $got = $fields->{$k} // return 0;
		return 0 if ref $want->{$k} ? $got !~ $want->{$k} : $got ne $want->{$k};
	}
	return 1;
}

sub run_sealpost {
	my ($self, @args) = @_;
	local $ENV{SEALPOST_CONFIG} = $self->config_path;
	return run_cmd($self->bin('sealpost'), @args);
}

# Gets a ticket for `user` into a ccache of its own and makes it, and this
# instance's krb5.conf, the current ones for the rest of the test.
sub kinit {
	my ($self, $user, $password) = @_;
	$password //= $self->password($user);
	my $cc = "$self->{dir}/ccache-$user";
	$ENV{KRB5_CONFIG} = $self->env('KRB5_CONFIG');
	$ENV{KRB5CCNAME} = "FILE:$cc";
	my ($rc, $out, $err) = run_cmd('kinit', "$user\@" . $self->env('SEALPOST_REALM'),
	    { stdin => "$password\n" });
	return $rc == 0;
}

# Waits until the log has a line matching `re` (after `from`, a byte
# offset), up to `timeout` seconds.  Returns the line, or undef.
sub wait_log {
	my ($self, $re, %opt) = @_;
	my $deadline = now() + ($opt{timeout} // 30);
	my $from = $opt{from} // 0;
	while (now() < $deadline) {
		my $text = $self->log_text;
		for my $line (split /\n/, substr($text, $from)) {
			return $line if $line =~ $re;
		}
		# Nothing to block on for a file: poll it briefly.
		select(undef, undef, undef, 0.02);
	}
	return undef;
}

sub log_size { -s $_[0]->log_path // 0 }

sub master_pid {
	my ($self) = @_;
	open my $fh, '<', "$self->{dir}/state/master.pid" or return undef;
	my $pid = <$fh>;
	chomp $pid if defined $pid;
	return $pid;
}

# Stops the instance (master and KDC) and waits until they are gone.
sub stop {
	my ($self) = @_;
	return unless $self->{started} && $self->{owner} == $$;
	$self->{started} = 0;
	delete $self->{lmtp};
	run_cmd($self->bin('sealpost'), 'dev', '--dir', $self->{dir}, '--stop');
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $@);
	$self->stop;
}

END {
	local $?;
	$_->stop for grep { defined } @live;
}


# Delivers one message to one recipient through lmtpd, as the queue
# manager would, and returns lmtpd's reply to DATA (or to RCPT when it
# refuses the recipient, after which the transaction is reset).  The
# connection stays open for the next call, so deliveries in a row cost one
# greeting and LHLO; lmtp_close drops it (restart does too).  A recipient
# without a domain is a user of sealpost.test.  The message goes on the
# wire as it is: a line that starts with a dot must be written stuffed.
#   $sp->lmtp_deliver('alice', "Subject: x\r\n\r\nbody\r\n",
#       from => 'x@example.org')
sub lmtp_deliver {
	my ($self, $rcpt, $message, %o) = @_;
	require Sealpost::Wire;
	$rcpt .= '@sealpost.test' unless $rcpt =~ /@/;
	my $c = $self->{lmtp};
	if (!$c) {
		$c = Sealpost::Wire->new(path => $self->env('SEALPOST_LMTP_SOCKET'));
		my $r = $c->read_reply;
		croak "lmtpd greeting: $r" unless $r =~ /^220 /;
		$r = $c->cmd('LHLO test.example.org');
		croak "lmtpd LHLO: $r" unless $r =~ /^250 /m;
		$self->{lmtp} = $c;
	}
	my $r = $c->cmd('MAIL FROM:<' . ($o{from} // 'x@example.org') . '>');
	return $r unless $r =~ /^250 /;
	$r = $c->cmd("RCPT TO:<$rcpt>");
	if ($r !~ /^250 /) {
		$c->cmd('RSET');
		return $r;
	}
	$r = $c->cmd('DATA');
	return $r unless $r =~ /^354 /;
	$c->send_raw($message . ".\r\n");
	return $c->read_reply;
}

sub lmtp_close {
	my ($self) = @_;
	my $c = delete $self->{lmtp} or return;
	$c->cmd('QUIT');
	$c->close;
}

# Puts a message straight into the queue (incoming/), as smtpd would, with
# envelope details a test cannot get through sendmail(1): DSN parameters
# (RFC 3461), SMTPUTF8, BODY=8BITMIME.  Returns the queue ID.
#   from => 'a@b', rcpts => [ 'x@y' | { to, notify => 'SUCCESS,DELAY',
#   orcpt => 'rfc822;x@y' } ], message => "...\r\n", ret => 'hdrs',
#   envid => 'X', smtputf8 => 1, body => '8bitmime', arrival => time,
#   file_r => \my $text (the queue file as written)
my @B32 = split //, '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
my %NOTIFY = (NEVER => 1, SUCCESS => 2, FAILURE => 4, DELAY => 8);
sub _xtext {
	my ($s) = @_;
	$s =~ s/([^\x21-\x2a\x2c-\x3c\x3e-\x7e])/sprintf('+%02X', ord $1)/ge;
	return $s;
}
sub inject {
	my ($self, %m) = @_;
	require Time::HiRes;
	my $us = int(Time::HiRes::time() * 1e6);
	my $id = '';
	for (1 .. 11) { $id = $B32[$us % 32] . $id; $us = int($us / 32) }
	$id .= $B32[int rand 32] for 1 .. 4;
	my $msg = $m{message} // "Subject: injected\r\n\r\nbody\r\n";
	my $env = "sealpost-queue 1\nid $id\narrival " . ($m{arrival} // time) . "\n"
	    . 'from ' . _xtext($m{from} // '') . "\n";
	$env .= "ret $m{ret}\n" if $m{ret};
	$env .= 'envid ' . _xtext($m{envid}) . "\n" if defined $m{envid};
	$env .= "body $m{body}\n" if $m{body};
	$env .= "smtputf8\n" if $m{smtputf8};
	for my $r (@{ $m{rcpts} }) {
		$r = { to => $r } unless ref $r;
		my $n = 0;
		$n |= $NOTIFY{uc $_} for split /,/, $r->{notify} // '';
		my $orcpt = '-';
		if ($r->{orcpt}) {
			my ($t, $a) = split /;/, $r->{orcpt}, 2;
			$orcpt = _xtext($t) . ';' . _xtext($a);
		}
		$env .= 'rcpt ' . _xtext($r->{to}) . ' ' . _xtext($r->{to}) . " $n $orcpt -\n";
	}
	$env .= sprintf("message %012d\n", length $msg) . $msg . "end\n";
	# The file as written, for a test that brings it back later.
	${ $m{file_r} } = $env if $m{file_r};
	my $q = "$self->{dir}/state/queue";
	# The queue manager makes its folders when it starts.
	my $deadline = now() + 30;
	select(undef, undef, undef, 0.02) while !-d "$q/incoming" && now() < $deadline;
	open my $fh, '>', "$q/tmp/$id" or croak "$q/tmp/$id: $!";
	print $fh $env;
	close $fh or croak "close: $!";
	# The queue manager runs as the mail user when we are root.
	my @st = stat "$q/incoming";
	chown $st[4], $st[5], "$q/tmp/$id";
	link "$q/tmp/$id", "$q/incoming/$id" or croak "link: $!";
	unlink "$q/tmp/$id";
	return $id;
}

1;
