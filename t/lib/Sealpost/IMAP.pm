package Sealpost::IMAP;

# An IMAP client for transcript tests: exact bytes out, exact lines back,
# with STARTTLS and implicit TLS.  Every read has a deadline, so a server
# that says nothing fails the test instead of hanging it.  Reads look at
# the TLS layer's buffer before waiting on the socket, since decrypted
# bytes already read do not make the socket readable again.

use strict;
use warnings;
use Carp qw(croak);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::SSL;

# new(port => N, [tls => 1 (implicit TLS)], [sp => Sealpost::Test],
#     [timeout => secs])
sub new {
	my ($class, %opt) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $opt{port}, Proto => 'tcp')
	    or croak "connect to $opt{port}: $!";
	binmode $sock;
	my $self = bless { sock => $sock, buf => '', sp => $opt{sp},
	    timeout => $opt{timeout} // 30 }, $class;
	$self->_tls if $opt{tls};
	$self->{greeting} = $self->read_line if !$opt{no_greeting};
	return $self;
}

# As new(), for user `user` of Sealpost::Test `sp`: connects to the
# STARTTLS port, upgrades and logs in.  Dies on failure.
sub login_new {
	my ($class, $sp, $user, %opt) = @_;
	my $c = $class->new(port => $sp->env('SEALPOST_IMAP_PORT'), sp => $sp,
	    %opt);
	$c->starttls;
	my $r = $c->cmd("L1 LOGIN $user " . $sp->password($user));
	croak "login as $user failed: $r" unless $r =~ /^L1 OK/m;
	return $c;
}

sub greeting { $_[0]{greeting} }
sub sock { $_[0]{sock} }

sub _tls {
	my ($self) = @_;
	my $sp = $self->{sp};
	IO::Socket::SSL->start_SSL($self->{sock},
	    SSL_ca_file => $sp ? $sp->env('SEALPOST_CA_FILE') : undef,
	    SSL_verify_mode => $sp ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    SSL_verifycn_name => $sp ? $sp->env('SEALPOST_HOST') : undef,
	    SSL_verifycn_scheme => 'imap',
	    SSL_hostname => $sp ? $sp->env('SEALPOST_HOST') : undef)
	    or croak "TLS handshake: $SSL_ERROR";
	$self->{tls} = 1;
}

# Sends "S STARTTLS", checks the reply and upgrades.  Returns the reply.
sub starttls {
	my ($self, $tag) = @_;
	$tag //= 'S';
	my $r = $self->cmd("$tag STARTTLS");
	croak "STARTTLS refused: $r" unless $r =~ /^\Q$tag\E OK/m;
	$self->{buf} = '';
	$self->_tls;
	return $r;
}

sub send_raw {
	my ($self, $bytes) = @_;
	my $off = 0;
	while ($off < length $bytes) {
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
		croak "write: $!" unless defined $n;
		$off += $n;
	}
}

sub send_line { $_[0]->send_raw("$_[1]\r\n") }

sub _fill {
	my ($self) = @_;
	my $sock = $self->{sock};
	if (!($self->{tls} && $sock->pending)) {
		IO::Select->new($sock)->can_read($self->{timeout})
		    or croak "timeout waiting for the server";
	}
	my $n = sysread($sock, my $chunk, 65536);
	if (!defined $n) {
		return 0 if $self->{tls} && $SSL_ERROR == SSL_WANT_READ;
		croak "read: $!";
	}
	$self->{eof} = 1 if $n == 0;
	$self->{buf} .= $chunk;
	return $n;
}

# One line with its CRLF; undef at end of file.
sub read_line {
	my ($self) = @_;
	while ($self->{buf} !~ /\n/) {
		last if $self->{eof};
		$self->_fill;
	}
	return undef if $self->{buf} eq '';
	if ($self->{buf} =~ s/^(.*?\n)//s) { return $1 }
	my $l = $self->{buf};
	$self->{buf} = '';
	return $l;
}

# Exactly `n` bytes (literal data).
sub read_bytes {
	my ($self, $n) = @_;
	while (length $self->{buf} < $n) {
		croak "eof in literal" if $self->{eof};
		$self->_fill;
	}
	return substr($self->{buf}, 0, $n, '');
}

# Reads a response line with the literals it announces folded in, so a
# FETCH with literals reads as one string.
sub read_response {
	my ($self) = @_;
	my $line = $self->read_line // return undef;
	my $out = '';
	while ($line =~ /\{(\d+)\+?\}\r\n\z/) {
		$out .= $line . $self->read_bytes($1);
		$line = $self->read_line // last;
	}
	return $out . $line;
}

# Sends a tagged command (the line starts with its tag) and returns every
# response up to and including the tagged one, CRLFs removed, lines joined
# by "\n".
sub cmd {
	my ($self, $line) = @_;
	my ($tag) = $line =~ /^(\S+)/;
	$self->send_line($line);
	return $self->read_until($tag);
}

sub read_until {
	my ($self, $tag) = @_;
	my @lines;
	while (defined(my $r = $self->read_response)) {
		$r =~ s/\r\n\z//;
		push @lines, $r;
		last if $r =~ /^\Q$tag\E /;
	}
	return join "\n", @lines;
}

# True when the server closes the connection within the deadline.
sub closed {
	my ($self) = @_;
	while (1) {
		return 1 if $self->{eof};
		my $ok = eval { $self->_fill; 1 };
		return 1 if !$ok && $@ =~ /read:/;
		return 0 if !$ok;
	}
}

sub close { close $_[0]{sock} }

# Appends the *.eml files of `dir` to `mailbox` in name order, with CRLF
# line ends; an "X-Arrival:" header gives the INTERNALDATE.  Dies when an
# APPEND fails.
sub append_corpus {
	my ($self, $mailbox, $dir) = @_;
	my $n = 0;
	for my $file (sort glob("$dir/*.eml")) {
		open my $fh, '<:raw', $file or croak "$file: $!";
		my $m = do { local $/; <$fh> };
		CORE::close($fh);
		$m =~ s/\r?\n/\r\n/g;
		my ($date) = $m =~ /^X-Arrival: ([^\r]+)\r$/m;
		my $tag = 'ac' . ++$n;
		my $r = $self->cmd("$tag APPEND $mailbox" .
		    (defined $date ? " \"$date\"" : '') .
		    ' {' . length($m) . "+}\r\n$m");
		croak "APPEND $file: $r" unless $r =~ /^$tag OK/m;
	}
	return $n;
}

1;
