package Sealpost::SMTPServer;

# A scripted SMTP server on loopback for relay tests: it speaks just
# enough SMTP (greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT,
# pipelined input) and lets the test choose each reply, per connection,
# to make faults on purpose: refusals, 4xx then 250, a drop in the middle
# of DATA.  It runs in a child process and serves connections one after
# another; what happened goes to a transcript file the test reads.

use strict;
use warnings;
use Carp qw(croak);
use File::Temp qw(tempfile);
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time);

my %LIVE;

# Options:
#   ehlo     => [ 'PIPELINING', 'SIZE 1000', ... ]  extensions offered
#   no_ehlo  => 1                         refuse EHLO (502): HELO only
#   on       => { greeting|mail|rcpt|data|dot => sub { REPLY } }
#               each sub gets ($state, @args) and returns the reply line
#               ("" for the default); $state has conn (1-based), msgs
#               (messages accepted so far) and, for rcpt, the address
#   drop_in_data => sub { ($state) -> true to close the socket after the
#               first part of the message, without a reply }
#   address  => '127.0.0.1' (the address to listen on)
#   port     => the port (default: any free one)
sub new {
	my ($class, %opt) = @_;
	my $self = bless { %opt, owner => $$ }, $class;
	my ($fh, $path) = tempfile('sealpost-smtp-XXXXXX', TMPDIR => 1);
	close $fh;
	$self->{transcript} = $path;
	my $sock = IO::Socket::INET->new(LocalAddr => $opt{address} // '127.0.0.1',
	    LocalPort => $opt{port} // 0, Proto => 'tcp', Listen => 16, ReuseAddr => 1)
	    or croak "listen: $!";
	$self->{port} = $sock->sockport;
	my $pid = fork;
	croak "fork: $!" unless defined $pid;
	if ($pid == 0) {
		$self->_serve($sock);
		_exit(0);
	}
	close $sock;
	$self->{pid} = $pid;
	$LIVE{"$self"} = $self;
	return $self;
}

sub port { $_[0]{port} }

sub transcript {
	my ($self) = @_;
	open my $fh, '<', $self->{transcript} or return '';
	local $/;
	return scalar <$fh>;
}

# The messages the server accepted (250 after the dot), in order.
sub messages {
	my ($self) = @_;
	my @m = $self->transcript =~ /^MESSAGE-BEGIN\n(.*?)^MESSAGE-END\n/msg;
	return @m;
}

# Waits until the transcript matches `re`; returns the match or undef.
sub wait_for {
	my ($self, $re, $timeout) = @_;
	my $deadline = time + ($timeout // 30);
	while (time < $deadline) {
		my $t = $self->transcript;
		return $1 // 1 if $t =~ $re;
		select(undef, undef, undef, 0.05);
	}
	return undef;
}

sub stop {
	my ($self) = @_;
	local ($?, $!);
	return if $self->{owner} != $$ || !$self->{pid};
	kill 'KILL', $self->{pid};
	waitpid($self->{pid}, 0);
	delete $self->{pid};
	unlink $self->{transcript} unless $ENV{SEALPOST_KEEP};
	delete $LIVE{"$self"};
}

sub DESTROY { local ($?, $@); $_[0]->stop }
END { $_->stop for grep { defined } values %LIVE }

# ---- the child ----

sub _log {
	my ($self, $text) = @_;
	open my $fh, '>>', $self->{transcript} or return;
	print $fh $text;
	close $fh;
}

sub _reply {
	my ($self, $name, $default, $state, @args) = @_;
	my $sub = $self->{on}{$name};
	my $r = $sub ? $sub->($state, @args) : '';
	return (defined $r && $r ne '') ? $r : $default;
}

sub _serve {
	my ($self, $listen) = @_;
	my $state = { conn => 0, msgs => 0 };
	while (my $c = $listen->accept) {
		$state->{conn}++;
		$self->_session($c, $state);
		close $c;
	}
}

sub _send {
	my ($self, $c, $state, $line) = @_;
	$self->_log("$state->{conn} S: $line\n");
	print $c "$line\r\n";
}

sub _session {
	my ($self, $c, $state) = @_;
	$c->autoflush(1);
	binmode $c;
	my $greet = $self->_reply('greeting', '220 fake.test ESMTP', $state);
	$self->_send($c, $state, $greet);
	return if $greet !~ /^2/;
	my ($in_mail, @rcpts);
	while (defined(my $line = <$c>)) {
		$line =~ s/\r?\n\z//;
		$self->_log("$state->{conn} C: $line\n");
		if ($line =~ /^EHLO /i) {
			if ($self->{no_ehlo}) {
				$self->_send($c, $state, '502 5.5.1 EHLO not implemented');
				next;
			}
			my @ext = ('fake.test', @{ $self->{ehlo} // [] });
			for my $i (0 .. $#ext) {
				my $sep = $i == $#ext ? ' ' : '-';
				$self->_send($c, $state, "250$sep$ext[$i]");
			}
		} elsif ($line =~ /^HELO /i) {
			$self->_send($c, $state, '250 fake.test');
		} elsif ($line =~ /^MAIL FROM:<(.*?)>(.*)$/i) {
			my $r = $self->_reply('mail', '250 2.1.0 Ok', $state, $1, $2);
			$in_mail = $r =~ /^2/;
			@rcpts = ();
			$self->_send($c, $state, $r);
		} elsif ($line =~ /^RCPT TO:<(.*?)>(.*)$/i) {
			my ($addr, $params) = ($1, $2);
			my $r = $self->_reply('rcpt', '250 2.1.5 Ok', $state, $addr, $params);
			push @rcpts, $addr if $r =~ /^2/;
			$self->_send($c, $state, $r);
		} elsif ($line =~ /^DATA$/i) {
			if (!$in_mail || !@rcpts) {
				$self->_send($c, $state, '554 5.5.1 No valid recipients');
				next;
			}
			$self->_send($c, $state, $self->_reply('data',
			    '354 End data with <CR><LF>.<CR><LF>', $state));
			my $msg = '';
			my $drop = $self->{drop_in_data} && $self->{drop_in_data}->($state);
			while (defined(my $l = <$c>)) {
				last if $l eq ".\r\n";
				$l =~ s/^\.//;
				$msg .= $l;
				if ($drop && length $msg > 10) {
					$self->_log("$state->{conn} DROPPED\n");
					return;
				}
			}
			my $r = $self->_reply('dot', '250 2.0.0 Ok: queued', $state,
			    $msg, [@rcpts]);
			if ($r =~ /^2/) {
				$state->{msgs}++;
				$self->_log("MESSAGE-BEGIN\nRCPTS: @rcpts\n${msg}MESSAGE-END\n");
			}
			$in_mail = 0;
			$self->_send($c, $state, $r);
		} elsif ($line =~ /^RSET$/i) {
			$in_mail = 0;
			$self->_send($c, $state, '250 2.0.0 Ok');
		} elsif ($line =~ /^NOOP/i) {
			$self->_send($c, $state, '250 2.0.0 Ok');
		} elsif ($line =~ /^QUIT$/i) {
			$self->_send($c, $state, '221 2.0.0 Bye');
			return;
		} else {
			$self->_send($c, $state, '502 5.5.2 Command not recognized');
		}
	}
}

1;
