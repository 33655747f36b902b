package Sealpost::DNS;

# A private DNS server on loopback for tests: dnsmasq with the records a
# test gives, NXDOMAIN for every other name, and names that fail on
# purpose.  See the POD at the end.

use strict;
use warnings;

use Carp qw(croak);
use Errno qw(EINTR);
use File::Temp qw(tempfile);
use IO::Socket::INET;
use Net::DNS;
use POSIX qw(WNOHANG _exit);
use Scalar::Util qw(weaken);
use Socket ();
use Time::HiRes qw(time);

our $DNSMASQ = $ENV{SEALPOST_DNSMASQ} // '/usr/sbin/dnsmasq';
my $ADDRESS = '127.0.0.1';
my $START_ATTEMPTS = 5;		# ports tried when another process wins one
my $READY_SECONDS = 10;		# bound on waiting for the first answer

# Every live server, so END can stop any a test forgot or a die skipped.
my %LIVE;

sub new {
	my ($class, %args) = @_;
	my $self = bless {
		owner => $$,
		ttl => $args{ttl} // 0,
		zone => $args{zone},
		log_queries => $args{log_queries} // $ENV{SEALPOST_DNS_DEBUG},
		records => [],
		failures => [],
	}, $class;

	croak "ttl must be a number of seconds" if $self->{ttl} !~ /^\d+$/;
	for my $record (@{ $args{records} // [] }) {
		$self->_add_record($record);
	}
	$self->_start_helpers;
	$self->_start;
	$LIVE{"$self"} = $self;
	weaken($LIVE{"$self"});
	return $self;
}

sub port { $_[0]{port} }
sub address { $ADDRESS }
# "127.0.0.1:PORT", the form the relay's DNS setting and c-ares take.
sub server { "$ADDRESS:$_[0]{port}" }
sub pid { $_[0]{pid} }
# With log_queries, the file dnsmasq logs every query to (kept after stop).
sub log_path { $_[0]{log_path} }

# A resolver pointed at this server, for tests that check answers.
sub resolver {
	my ($self, %opts) = @_;
	return Net::DNS::Resolver->new(
		nameservers => [$ADDRESS], port => $self->{port},
		recurse => 1, retrans => 1, retry => 2, udp_timeout => 2,
		tcp_timeout => 2, persistent_udp => 0, %opts);
}

# Stops the server and its helpers.  Safe to call twice, and a no-op in a
# child of fork(): only the process that started the server may stop it.
sub stop {
	my ($self) = @_;
	local ($?, $!, $@);

	return if $self->{owner} != $$;
	_reap(delete $self->{pid}, 'TERM') if $self->{pid};
	_reap(delete $self->{servfail_pid}, 'KILL') if $self->{servfail_pid};
	delete $self->{blackhole};
	delete $self->{log};
	delete $LIVE{"$self"};
	return;
}

sub DESTROY { $_[0]->stop }

END {
	$_->stop for grep { defined } values %LIVE;
}

# --- records ---------------------------------------------------------------

sub _check_name {
	my ($name) = @_;

	# dnsmasq options are comma- and slash-separated lists.
	croak "bad DNS name '" . ($name // '(undef)') . "'"
		if !defined $name || $name !~ /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\.?$/
		|| $name =~ /\.\./;
	$name =~ s/\.$//;
	return $name;
}

sub _check_ip {
	my ($type, $ip) = @_;
	my $ok = $type eq 'A'
		? defined $ip && $ip =~ /^\d{1,3}(?:\.\d{1,3}){3}$/
		: defined $ip && $ip =~ /^[0-9A-Fa-f:.]+$/ && $ip =~ /:/;

	croak "bad $type address '" . ($ip // '(undef)') . "'" if !$ok;
	return $ip;
}

# TXT data as the wire format: each string at most 255 bytes, longer ones
# split (RFC 7208 section 3.3 joins them again), so SPF and DKIM records of
# any length work, and commas or quotes need no escaping on a command line.
sub _txt_hex {
	my (@strings) = @_;
	my $wire = '';

	@strings = ('') if !@strings;
	for my $s (@strings) {
		croak "TXT strings are bytes, not wide characters"
			if utf8::is_utf8($s) && $s =~ /[^\x00-\xff]/;
		my @chunks = length $s ? unpack('(a255)*', $s) : ('');
		$wire .= chr(length $_) . $_ for @chunks;
	}
	return unpack('H*', $wire);
}

# The name a PTR record lives at: an address becomes its in-addr.arpa or
# ip6.arpa name, anything else is taken as that name already.
sub _reverse_name {
	my ($name) = @_;

	if ($name =~ /^\d{1,3}(?:\.\d{1,3}){3}$/) {
		return join('.', reverse split /\./, $name) . '.in-addr.arpa';
	}
	if ($name =~ /:/) {
		my $bin = Socket::inet_pton(Socket::AF_INET6(), $name)
			or croak "bad IPv6 address '$name'";
		return join('.', reverse split //, unpack('H32', $bin)) . '.ip6.arpa';
	}
	return $name;
}

sub _add_record {
	my ($self, $record) = @_;
	croak "a record is an array: [name, TYPE, ...]"
		if ref $record ne 'ARRAY' || @$record < 2;
	my ($name, $type, @data) = @$record;

	$type = uc $type;
	$name = _check_name($type eq 'PTR' ? _reverse_name($name) : $name);
	my $args = $self->{records};
	if ($type eq 'MX') {
		my ($pref, $host) = @data;
		croak "MX needs a preference and a host: [name, 'MX', 10, 'mx.example.test']"
			if @data != 2 || $pref !~ /^\d+$/ || $pref > 65535;
		# RFC 7505 null MX is "MX 0 .": dnsmasq writes "." as the root
		# name, which t/proto/dns_server.t checks on the wire.
		$host = $host eq '.' ? '.' : _check_name($host);
		push @$args, "--mx-host=$name,$host,$pref";
	} elsif ($type eq 'A' || $type eq 'AAAA') {
		croak "$type takes one address per record" if @data != 1;
		push @$args, "--host-record=$name," . _check_ip($type, $data[0]);
	} elsif ($type eq 'TXT') {
		push @$args, "--dns-rr=$name,16," . _txt_hex(@data);
	} elsif ($type eq 'PTR') {
		croak "PTR takes one target" if @data != 1;
		push @$args, "--ptr-record=$name,"
			. _check_name($data[0]);
	} elsif ($type eq 'CNAME') {
		croak "CNAME takes one target" if @data != 1;
		push @$args, "--cname=$name," . _check_name($data[0]);
	} elsif ($type eq 'SERVFAIL' || $type eq 'TIMEOUT' || $type eq 'REFUSED') {
		croak "$type takes no data" if @data;
		push @{ $self->{failures} }, [$name, $type];
	} else {
		croak "record type '$type' is not supported "
			. "(MX, A, AAAA, TXT, PTR, CNAME, SERVFAIL, TIMEOUT, REFUSED)";
	}
	return;
}

# --- helpers for failing names ----------------------------------------------

# A name fails by being forwarded (dnsmasq --server=/name/addr#port) to an
# upstream that misbehaves: a bound socket nobody reads gives a timeout, a
# small responder gives SERVFAIL.  REFUSED needs nothing: with no upstream
# servers at all dnsmasq refuses.
sub _start_helpers {
	my ($self) = @_;
	my %want = map { $_->[1] => 1 } @{ $self->{failures} };

	if ($want{TIMEOUT}) {
		$self->{blackhole} = IO::Socket::INET->new(
			LocalAddr => $ADDRESS, LocalPort => 0, Proto => 'udp')
			or croak "binding a silent UDP socket: $!";
	}
	if ($want{SERVFAIL}) {
		my $sock = IO::Socket::INET->new(
			LocalAddr => $ADDRESS, LocalPort => 0, Proto => 'udp')
			or croak "binding the SERVFAIL responder: $!";
		$self->{servfail_port} = $sock->sockport;
		my $parent = $$;
		my $pid = fork;
		croak "fork: $!" if !defined $pid;
		if ($pid == 0) {
			_die_with_parent($parent);
			_servfail_loop($sock);
		}
		$self->{servfail_pid} = $pid;
	}
	return;
}

# Answers every query with its own header turned into a SERVFAIL response
# (QR set, RCODE 2).  Runs in a child that never returns into the test.
sub _servfail_loop {
	my ($sock) = @_;

	while (1) {
		my $peer = $sock->recv(my $query, 4096);
		if (!defined $peer) {
			next if $! == EINTR;
			_exit(0);
		}
		next if length $query < 12;
		my ($id, $flags) = unpack('n n', $query);
		$flags = ($flags | 0x8080) & ~0x000f | 2;   # QR, RA, SERVFAIL
		substr($query, 2, 2) = pack('n', $flags);
		$sock->send($query, 0, $peer);
	}
}

# Asks the kernel to kill this child when the test process dies, however it
# dies (prctl PR_SET_PDEATHSIG), so no server outlives a killed test.
sub _die_with_parent {
	my ($parent) = @_;
	my $prctl = eval { require 'syscall.ph'; &SYS_prctl() };

	syscall($prctl, 1, 9) if defined $prctl;    # PR_SET_PDEATHSIG, SIGKILL
	_exit(0) if getppid() != $parent;           # it died before prctl
	return;
}

# --- dnsmasq ----------------------------------------------------------------

sub _free_port {
	for (1 .. 20) {
		my $udp = IO::Socket::INET->new(LocalAddr => $ADDRESS,
			LocalPort => 0, Proto => 'udp') or next;
		my $port = $udp->sockport;
		my $tcp = IO::Socket::INET->new(LocalAddr => $ADDRESS,
			LocalPort => $port, Proto => 'tcp', ReuseAddr => 1,
			Listen => 1) or next;
		return $port;
	}
	croak "no free port on $ADDRESS";
}

sub _dnsmasq_args {
	my ($self, $port) = @_;
	my @args = (
		'--keep-in-foreground', '--conf-file=/dev/null',
		"--port=$port", "--listen-address=$ADDRESS",
		'--bind-interfaces', '--no-resolv', '--no-hosts',
		'--pid-file=', '--log-facility=-', "--local-ttl=$self->{ttl}",
		# Every name not configured here is NXDOMAIN: nothing leaks out
		# to real DNS, and a typo in a test fails loudly.
		'--local=/#/',
	);
	# dnsmasq drops to an unprivileged user when started as root, and
	# changing user clears the parent-death signal that cleans up after
	# a killed test; it listens on loopback only, so it keeps our user.
	push @args, '--user=root', '--group=' . (getgrgid(0) // 'root')
		if $> == 0;
	push @args, '--log-queries=extra' if $self->{log_queries};
	# Authoritative for one zone: its negative answers carry its SOA.
	if (my $zone = $self->{zone}) {
		push @args, "--auth-server=ns.$zone,$ADDRESS", "--auth-zone=$zone",
		    "--auth-soa=1,hostmaster.$zone";
	}
	for my $f (@{ $self->{failures} }) {
		my ($name, $how) = @$f;
		push @args, $how eq 'REFUSED' ? "--server=/$name/#"
			: $how eq 'TIMEOUT'
			? "--server=/$name/$ADDRESS#" . $self->{blackhole}->sockport
			: "--server=/$name/$ADDRESS#$self->{servfail_port}";
	}
	return (@args, @{ $self->{records} });
}

# dnsmasq's output goes to a temporary file removed as soon as it is
# created, so not even a killed test leaves one behind; we read it through
# our handle when dnsmasq fails.  With log_queries the file stays, for the
# developer to read (log_path).
sub _log_file {
	my ($self) = @_;
	my ($fh, $path) = tempfile('sealpost-dnsmasq-XXXXXX', TMPDIR => 1);

	if ($self->{log_queries}) {
		$self->{log_path} = $path;
	} else {
		unlink $path;
	}
	return $fh;
}

sub _start {
	my ($self) = @_;

	for my $attempt (1 .. $START_ATTEMPTS) {
		my $port = _free_port();
		my @args = $self->_dnsmasq_args($port);
		my $log = $self->{log} = $self->_log_file;
		my $parent = $$;
		my $pid = fork;
		croak "fork: $!" if !defined $pid;
		if ($pid == 0) {
			_die_with_parent($parent);
			open(STDIN, '<', '/dev/null');
			open(STDOUT, '>&', $log);
			open(STDERR, '>&', $log);
			exec { $DNSMASQ } $DNSMASQ, @args
				or print STDERR "exec $DNSMASQ: $!\n";
			_exit(127);
		}
		$self->{pid} = $pid;
		$self->{port} = $port;
		return if $self->_wait_ready;

		# It exited: another process took the port between our check
		# and its bind, or something is really wrong.
		my $text = $self->_log_text;
		delete $self->{pid};
		next if $text =~ /Address already in use/ && $attempt < $START_ATTEMPTS;
		croak "dnsmasq did not start on port $port:\n$text";
	}
	croak "dnsmasq did not start after $START_ATTEMPTS ports";
}

# Polls with real queries until one is answered; returns false if dnsmasq
# exited, dies (after stopping it) if it neither answers nor exits in time.
sub _wait_ready {
	my ($self) = @_;
	my $deadline = time + $READY_SECONDS;
	# Each try waits up to 50 ms for its answer, which is the pause
	# between polls: before dnsmasq binds, the query just goes unanswered.
	my $res = $self->resolver(udp_timeout => 0.05, retrans => 0.05,
				  retry => 1);

	while (time < $deadline) {
		return 0 if waitpid($self->{pid}, WNOHANG) == $self->{pid};
		# Any answer means it is listening: the name is not
		# configured, so it is NXDOMAIN.
		return 1 if $res->send('ready.sealpost.invalid', 'A');
	}
	my $text = $self->_log_text;
	$self->stop;
	croak "dnsmasq gave no answer within $READY_SECONDS s:\n$text";
}

# What dnsmasq wrote so far.
sub _log_text {
	my ($self) = @_;
	my $fh = $self->{log} or return '';
	local $/;

	seek($fh, 0, 0) or return '';
	return <$fh> // '';
}

sub _reap {
	my ($pid, $signal) = @_;
	my $deadline = time + 5;

	kill $signal, $pid;
	while (time < $deadline) {
		my $r = waitpid($pid, WNOHANG);
		return if $r == $pid || $r < 0;
		select(undef, undef, undef, 0.01);
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
	return;
}

1;

__END__

=head1 NAME

Sealpost::DNS - a private dnsmasq on loopback for tests

=head1 SYNOPSIS

    use Sealpost::DNS;

    my $dns = Sealpost::DNS->new(records => [
        [ 'example.test', 'MX', 10, 'mx1.example.test' ],
        [ 'mx1.example.test', 'A', '127.0.0.1' ],
        [ 'mx1.example.test', 'AAAA', '::1' ],
        [ 'example.test', 'TXT', 'v=spf1 -all' ],
        [ 'www.example.test', 'CNAME', 'mx1.example.test' ],
        [ '192.0.2.7', 'PTR', 'mx1.example.test' ],  # or the .arpa name
        [ 'nomail.test', 'MX', 0, '.' ],          # RFC 7505 null MX
        [ 'broken.test', 'SERVFAIL' ],
        [ 'slow.test', 'TIMEOUT' ],
        [ 'closed.test', 'REFUSED' ],
    ]);
    $dns->port;      # the UDP and TCP port
    $dns->address;   # "127.0.0.1"
    $dns->server;    # "127.0.0.1:PORT"
    $dns->stop;      # also on DESTROY and at END

=head1 DESCRIPTION

Starts C</usr/sbin/dnsmasq> (or C<$SEALPOST_DNSMASQ>) in the foreground on a
free port of 127.0.0.1, with no configuration file, no F</etc/hosts>, no
F</etc/resolv.conf> and no upstream servers, and returns once it answers a
query.  Names with records get them (TTL C<ttl>, default 0); a name that has
records but not of the type asked gets an empty NOERROR answer; every other
name is NXDOMAIN.

Record types: C<MX> (preference, host; host C<.> is a null MX), C<A> and
C<AAAA> (one address per record, repeat the record for more), C<TXT> (one or
more strings of bytes, each split at 255 bytes, sent as raw data so commas
and quotes are fine), C<PTR> (named by an IPv4 or IPv6 address or by its
F<.arpa> name; repeat for more names), C<CNAME>.  dnsmasq also answers
the reverse lookup of every C<A> and C<AAAA> record with its name.  C<SERVFAIL>, C<TIMEOUT> and C<REFUSED> make
the name and every name under it fail that way, for temporary-failure tests.

The server runs as the test's user (as root it stays root instead of
dropping to C<nobody>, because changing user would clear the parent-death
signal below).  It is stopped by C<stop>, when the object is destroyed, in
an C<END> block, and, if the test process is killed outright, by the kernel
(C<PR_SET_PDEATHSIG>).  A child of C<fork> never stops its parent's server.
With C<< zone => NAME >> the server is authoritative for that zone: its
NXDOMAIN and empty answers carry the zone's SOA record, from which a
resolver learns how long to keep them (RFC 2308); names outside the zone
are then REFUSED.

What dnsmasq prints is shown when it fails to start.  Set C<log_queries>
(or C<SEALPOST_DNS_DEBUG>) to have it log every query to a file that stays
after the test, named by C<log_path>.

=cut
