package Sealpost::POP3;

# A POP3 client for transcript tests: exact lines out, exact replies in,
# with STLS and implicit TLS.  Every read has a deadline, so a server that
# stays silent fails the test instead of hanging it.  Replies come back
# without their CRLF; multi-line bodies are returned undone (dot-stuffing
# kept) so tests can check the bytes on the wire.

use strict;
use warnings;
use Carp qw(croak);
use IO::Socket::INET;
use IO::Socket::SSL;

sub new {
	my ($class, %opt) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $opt{port}, Proto => 'tcp')
	    or croak "connect to $opt{port}: $!";
	binmode $sock;
	my $self = bless { sock => $sock, timeout => $opt{timeout} // 30,
	    ca => $opt{ca} }, $class;
	$self->start_tls if $opt{ssl};
	return $self;
}

sub sock { $_[0]{sock} }

# Makes the connection TLS now (after STLS, or at once for port 995).
sub start_tls {
	my ($self) = @_;
	IO::Socket::SSL->start_SSL($self->{sock}, SSL_ca_file => $self->{ca},
	    SSL_verifycn_name => 'localhost', SSL_verifycn_scheme => 'default',
	    Timeout => $self->{timeout})
	    or croak "TLS handshake failed: $SSL_ERROR";
}

sub send_raw {
	my ($self, $bytes) = @_;
	my $sock = $self->{sock};
	print $sock $bytes or croak "write: $!";
}

sub send_line { $_[0]->send_raw("$_[1]\r\n") }

# One line with its CRLF, or undef at end of file.
sub read_raw {
	my ($self) = @_;
	my $sock = $self->{sock};
	local $SIG{ALRM} = sub { die "timeout waiting for the server\n" };
	alarm $self->{timeout};
	my $line = <$sock>;
	alarm 0;
	return $line;
}

sub read_line {
	my ($self) = @_;
	my $line = $self->read_raw;
	return undef unless defined $line;
	$line =~ s/\r\n\z// or croak "line without CRLF: $line";
	return $line;
}

# The lines of a multi-line body up to (not including) ".", as sent.
sub read_body {
	my ($self) = @_;
	my @lines;
	while (defined(my $l = $self->read_line)) {
		return \@lines if $l eq '.';
		push @lines, $l;
	}
	croak "connection closed inside a multi-line response";
}

# Sends a command and returns its status line.
sub cmd {
	my ($self, $line) = @_;
	$self->send_line($line);
	return $self->read_line;
}

# Sends a command expecting a multi-line answer; returns (status, body)
# where body is undef after -ERR.
sub multi {
	my ($self, $line) = @_;
	my $status = $self->cmd($line);
	return ($status, undef) unless defined $status && $status =~ /^\+OK/;
	return ($status, $self->read_body);
}

# USER/PASS after STLS; returns PASS's reply.
sub login {
	my ($self, $user, $pass) = @_;
	my $r = $self->cmd("USER $user");
	return $r unless $r =~ /^\+OK/;
	return $self->cmd("PASS $pass");
}

# As new(), for user `user` of Sealpost::Test `sp`: connects to the POP3
# port, reads the greeting, upgrades with STLS and logs in with USER/PASS.
# Dies on failure.
sub login_new {
	my ($class, $sp, $user) = @_;
	my $c = $class->new(port => $sp->env('SEALPOST_POP3_PORT'),
	    ca => $sp->env('SEALPOST_CA_FILE'));
	$c->read_line;
	my $r = $c->cmd('STLS');
	croak "STLS refused: $r" unless defined $r && $r =~ /^\+OK/;
	$c->start_tls;
	$r = $c->login($user, $sp->password($user));
	croak "login as $user failed: $r" unless defined $r && $r =~ /^\+OK/;
	return $c;
}

# True when the server closes the connection (EOF within the deadline).
sub closed {
	my ($self) = @_;
	my $line = eval { $self->read_raw };
	return !defined $line && !$@;
}

sub close { my ($self) = @_; close $self->{sock} }

1;
