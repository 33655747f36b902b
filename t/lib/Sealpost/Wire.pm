package Sealpost::Wire;

# A line-oriented client for talking SMTP, LMTP, POP3 or IMAP by hand in
# transcript tests: send exact bytes, read exact replies.  Every read has a
# deadline, so a server that says nothing fails the test instead of hanging
# it.

use strict;
use warnings;
use Carp qw(croak);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;

sub new {
	my ($class, %opt) = @_;
	my $sock = $opt{path}
	    ? IO::Socket::UNIX->new(Peer => $opt{path})
	    : IO::Socket::INET->new(PeerAddr => $opt{host} // '127.0.0.1',
		PeerPort => $opt{port}, Proto => 'tcp');
	croak "connect: $!" unless $sock;
	binmode $sock;
	return bless { sock => $sock, buf => '', timeout => $opt{timeout} // 30 }, $class;
}

sub sock { $_[0]{sock} }

# Sends raw bytes.
sub send_raw {
	my ($self, $bytes) = @_;
	my $off = 0;
	while ($off < length $bytes) {
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
		croak "write: $!" unless defined $n;
		$off += $n;
	}
}

# Sends one line with CRLF.
sub send_line { $_[0]->send_raw("$_[1]\r\n") }

# Reads one line (with its terminator); undef at end of file.
sub read_line {
	my ($self) = @_;
	my $sel = IO::Select->new($self->{sock});
	while ($self->{buf} !~ /\n/) {
		$sel->can_read($self->{timeout}) or croak "timeout waiting for the server";
		my $n = sysread($self->{sock}, my $chunk, 65536);
		croak "read: $!" unless defined $n;
		return undef if $n == 0 && $self->{buf} eq '';
		if ($n == 0) { my $l = $self->{buf}; $self->{buf} = ''; return $l }
		$self->{buf} .= $chunk;
	}
	$self->{buf} =~ s/^(.*?\n)//s;
	return $1;
}

# Reads one SMTP/LMTP reply (all its lines); returns it without CRLFs,
# lines joined by "\n".
sub read_reply {
	my ($self) = @_;
	my @lines;
	while (defined(my $l = $self->read_line)) {
		$l =~ s/\r?\n\z//;
		push @lines, $l;
		last if $l =~ /^\d{3}(?: |$)/;
	}
	return join "\n", @lines;
}

# Sends a command and returns its reply.
sub cmd {
	my ($self, $line) = @_;
	$self->send_line($line);
	return $self->read_reply;
}

# True when the server has closed the connection (within the deadline).
sub closed {
	my ($self) = @_;
	my $sel = IO::Select->new($self->{sock});
	return 0 unless $sel->can_read($self->{timeout});
	my $n = sysread($self->{sock}, my $chunk, 1);
	return defined $n && $n == 0;
}

sub close { close $_[0]{sock} }

1;
