# Privilege separation, as the running post office shows it: once every
# listener has answered, no process but the master runs as root or holds a
# capability, the network daemons run as mail_user and authd as auth_user,
# and what holds mail, keys or credentials is closed to other users.
use strict;
use warnings;
use Test::More;
use File::Find;
use IO::Socket::SSL;
use Sealpost::Test;
use Sealpost::Wire;

plan skip_all => 'privilege separation needs root to start the daemons'
    unless $> == 0;

my $sp = Sealpost::Test->new;
my $dir = $sp->dir;
my ($mail_uid, $mail_gid) = (getpwnam('nobody'))[2, 3];
my ($auth_uid, $auth_gid) = (getpwnam('daemon'))[2, 3];

# Every listener answers: each daemon behind it has finished starting
# (the TLS ones load their key as root first, then drop).
my %plain = (smtp => ['SMTP_PORT', qr/^220 /], submission => ['SUBMISSION_PORT', qr/^220 /],
    imap => ['IMAP_PORT', qr/^\* OK/], pop3 => ['POP3_PORT', qr/^\+OK/],
    kpop => ['KPOP_PORT', qr/^\+OK/]);
for my $name (sort keys %plain) {
	my ($key, $greeting) = @{$plain{$name}};
	my $c = Sealpost::Wire->new(port => $sp->env("SEALPOST_$key"));
	like($c->read_line // '', $greeting, "$name answers");
}
my %tls = (submissions => ['SUBMISSIONS_PORT', qr/^220 /],
    imaps => ['IMAPS_PORT', qr/^\* OK/], pop3s => ['POP3S_PORT', qr/^\+OK/]);
for my $name (sort keys %tls) {
	my ($key, $greeting) = @{$tls{$name}};
	my $s = IO::Socket::SSL->new(PeerHost => '127.0.0.1',
	    PeerPort => $sp->env("SEALPOST_$key"),
	    SSL_ca_file => $sp->env('SEALPOST_CA_FILE'), SSL_verifycn_name => 'localhost',
	    Timeout => 30);
	ok($s, "$name handshakes") or diag $SSL_ERROR;
	like($s ? scalar <$s> // '' : '', $greeting, "$name answers");
}
my $lmtp = Sealpost::Wire->new(path => $sp->env('SEALPOST_LMTP_SOCKET'));
like($lmtp->read_line // '', qr/^220 /, 'lmtp answers');
ok($sp->wait_log(qr/worker_started service=queue/), 'the queue manager started');

sub proc_status {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/status" or return undef;
	my %st;
	while (<$fh>) {
		$st{$1} = $2 if /^(\w+):\s*(.*?)\s*$/;
	}
	return \%st;
}

sub proc_name {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/comm" or return '';
	my $name = <$fh> // '';
	chomp $name;
	return $name;
}

my $master = $sp->master_pid;
my @children;
opendir my $proc, '/proc' or die "/proc: $!";
for my $pid (grep { /^\d+$/ } readdir $proc) {
	my $st = proc_status($pid) or next;
	push @children, $pid if ($st->{PPid} // -1) == $master;
}
# One worker answering a listener does not mean its siblings have finished
# starting: each logs that it started once its privileges are dropped.
for my $pid (@children) {
	ok($sp->wait_log(qr/\[$pid\]: (?:\w+_)?started\b/),
	    proc_name($pid) . " ($pid) finished starting");
}
my %by_name;
push @{$by_name{proc_name($_)}}, $_ for @children;
for my $daemon (qw(authd smtpd qmgr imapd lmtpd pop3d)) {
	ok($by_name{$daemon}, "$daemon runs under the master");
}

my %want = (authd => [$auth_uid, $auth_gid]);
$want{$_} = [$mail_uid, $mail_gid] for qw(smtpd qmgr imapd lmtpd pop3d);
for my $pid (sort { $a <=> $b } @children) {
	my $name = proc_name($pid);
	my $st = proc_status($pid) or next;
	my @uids = split ' ', $st->{Uid};
	my @gids = split ' ', $st->{Gid};
	my ($uid, $gid) = @{$want{$name} // [-1, -1]};
	is("@uids", join(' ', ($uid) x 4), "$name ($pid): real, effective, saved and fs uid");
	is("@gids", join(' ', ($gid) x 4), "$name ($pid): every gid");
	my @groups = split ' ', $st->{Groups} // '';
	ok(!grep({ $_ == 0 } @groups), "$name ($pid): no root supplementary group");
	is($st->{CapEff}, '0000000000000000', "$name ($pid): no effective capability");
	is($st->{CapPrm}, '0000000000000000', "$name ($pid): no permitted capability");
}
like(proc_status($master)->{Uid}, qr/^0\s/, 'the master keeps root to start and restart workers');

# The state folder and what is in it: nothing for other users.
sub mode { (stat $_[0])[2] & 07777 }
sub owner { (stat $_[0])[4] }
is(mode("$dir/state") & 007, 0, 'state folder closed to others');
is(owner("$dir/state"), $mail_uid, 'state folder owned by mail_user');
for my $sub (qw(store queue db)) {
	is(mode("$dir/state/$sub"), 0700, "state/$sub is 0700");
	is(owner("$dir/state/$sub"), $mail_uid, "state/$sub owned by mail_user");
}
my @open;
find({ no_chdir => 1, wanted => sub {
	my @st = lstat $_ or return;
	return if -l _;
	push @open, $_ if ($st[2] & 0007) != 0;
} }, map { "$dir/state/$_" } qw(store queue db));
is_deeply(\@open, [], 'nothing under store, queue or db is open to others');
for my $sock (qw(auth.sock lmtp.sock queue.sock)) {
	is(mode("$dir/state/$sock") & 007, 0, "$sock refuses other users");
}
is(mode("$dir/keytab"), 0600, 'the keytab is 0600');
is(owner("$dir/keytab"), $auth_uid, 'and belongs to auth_user, the one reader');
is(mode("$dir/tls/server.key"), 0600, 'the TLS key is 0600');
is(owner("$dir/tls/server.key"), 0, 'and belongs to root (read before the drop)');

# mail_user really cannot read the keytab: a check from a process with
# its uid, not just of the mode bits.
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	$) = "$mail_gid $mail_gid";
	$> = $mail_uid;
	exit(open(my $fh, '<', "$dir/keytab") ? 1 : 0);
}
waitpid $pid, 0;
is($? >> 8, 0, 'mail_user cannot open the keytab');

done_testing;
