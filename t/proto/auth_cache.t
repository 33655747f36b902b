# authd's cache of verified passwords (auth_cache_ttl, auth_cache_size):
# a second login within the ttl needs no KDC (the KDC's log shows no AS
# request, and it works with the KDC stopped), wrong passwords still go to
# the KDC and are refused, a changed password stops working once the ttl
# is over, and ttl 0 turns the cache off.  One auth worker, since each
# worker has its own cache.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Sealpost::Test;
use Sealpost::IMAP;

sub auth {
	my ($sp, @args) = @_;
	my ($rc, $out, $err) = $sp->run_sealpost('auth', 'test', @args);
	return $out;
}

# AS requests the KDC logged for `user`.
sub as_requests {
	my ($sp, $user) = @_;
	open my $fh, '<', $sp->dir . '/log/kdc.log' or return 0;
	my $realm = $sp->env('SEALPOST_REALM');
	return scalar grep { /AS_REQ .* \Q$user\E\@\Q$realm\E for krbtgt\// } <$fh>;
}

sub auth_ok_lines {
	my ($sp, $user, $cached) = @_;
	return scalar grep { /auth_ok .*user=\Q$user\E .*cached=$cached\b/ }
	    split /\n/, $sp->log_text;
}

{
	my $sp = Sealpost::Test->new(set => { auth_workers => 1 });
	my $alice = $sp->password('alice');
	my $realm = $sp->env('SEALPOST_REALM');

	is(auth($sp, 'alice', $alice), "ok user=alice\n", 'first login');
	ok($sp->wait_log(qr/auth_ok mech=PLAIN service=imap user=alice .*cached=no/),
	    'first login checked by the KDC');
	my $as = as_requests($sp, 'alice');
	ok($as > 0, 'the KDC saw it');

	is(auth($sp, 'alice', $alice), "ok user=alice\n", 'second login');
	ok($sp->wait_log(qr/auth_ok mech=PLAIN service=imap user=alice .*cached=yes/),
	    'second login from the cache');
	is(auth($sp, "alice\@$realm", $alice), "ok user=alice\n",
	    'the name with its realm');
	is(auth($sp, '--mech', 'LOGIN', 'alice', $alice), "ok user=alice\n",
	    'LOGIN shares the entry');
	is(auth_ok_lines($sp, 'alice', 'yes'), 3, 'all three from the cache');
	is(as_requests($sp, 'alice'), $as, 'the KDC saw none of them');

	# A refused password is never cached, and never hides behind the
	# right one's entry.
	for my $try (1 .. 2) {
		is(auth($sp, 'alice', 'not-the-password'), "fail\n",
		    "wrong password refused (try $try)");
	}
	ok(as_requests($sp, 'alice') > $as, 'wrong passwords went to the KDC');
	like($sp->log_text, qr/auth_krb5_error step=get_init_creds user=alice /,
	    'and the KDC refused them');
	is(auth($sp, 'alice', $alice), "ok user=alice\n",
	    'the right one still works');
	is(auth_ok_lines($sp, 'alice', 'yes'), 4, '... from the cache');

	# The service is part of the entry: each is verified with its key.
	is(auth($sp, '--service', 'pop', 'alice', $alice), "ok user=alice\n",
	    'another service');
	ok($sp->wait_log(qr/auth_ok mech=PLAIN service=pop user=alice .*cached=no/),
	    '... is checked by the KDC');

	# Through imapd: LOGIN twice, the first checked by the KDC.
	for my $i (1 .. 2) {
		my $c = Sealpost::IMAP->login_new($sp, 'bob');
		like($c->cmd('x LOGOUT'), qr/^x OK/m, "IMAP LOGIN $i");
		$c->close;
	}
	is(auth_ok_lines($sp, 'bob', 'no'), 1, 'the first IMAP LOGIN asked the KDC');
	is(auth_ok_lines($sp, 'bob', 'yes'), 1,
	    'the second IMAP LOGIN came from the cache');
	unlike($sp->log_text, qr/\Q$alice\E/, 'no password in the log');

	# With the KDC gone, only cached passwords work.
	open my $fh, '<', $sp->dir . '/kdc/kdc.pid' or die "kdc.pid: $!";
	chomp(my $kdc = <$fh>);
	ok(kill('TERM', $kdc), 'KDC stopped');
	my $deadline = clock_gettime(CLOCK_MONOTONIC) + 30;
	while (kill(0, $kdc) && clock_gettime(CLOCK_MONOTONIC) < $deadline) {
		select(undef, undef, undef, 0.05);
	}
	ok(!kill(0, $kdc), 'the KDC is gone');
	is(auth($sp, 'alice', $alice), "ok user=alice\n",
	    'alice logs in without the KDC');
	is(auth($sp, 'bob', $sp->password('bob')), "ok user=bob\n",
	    'so does bob');
	my ($rc, $out, $err) = $sp->run_sealpost('auth', 'test', 'carol',
	    $sp->password('carol'));
	is($out, "fail\n", 'carol, not cached, cannot');
	like($err, qr/reason=temp/, '... the KDC is unavailable');
}

# A changed password stops working once the ttl is over.
{
	my $sp = Sealpost::Test->new(set => { auth_workers => 1,
	    auth_cache_ttl => '1s' });
	my $old = $sp->password('alice');
	my $new = 'Changed-' . $old;
	is(auth($sp, 'alice', $old), "ok user=alice\n", 'login');
	local $ENV{KRB5_CONFIG} = $sp->env('KRB5_CONFIG');
	local $ENV{KRB5_KDC_PROFILE} = $sp->dir . '/kdc/kdc.conf';
	my ($rc, $out, $err) = Sealpost::Test::run_cmd('kadmin.local', '-r',
	    $sp->env('SEALPOST_REALM'), '-q', "cpw -pw $new alice");
	is($rc, 0, 'password changed in the KDC') or diag $err;
	my $deadline = clock_gettime(CLOCK_MONOTONIC) + 30;
	my $refused = 0;
	while (!$refused && clock_gettime(CLOCK_MONOTONIC) < $deadline) {
		$refused = auth($sp, 'alice', $old) eq "fail\n";
		select(undef, undef, undef, 0.1) unless $refused;
	}
	ok($refused, 'the old password is refused within the deadline');
	is(auth($sp, 'alice', $new), "ok user=alice\n", 'the new one works');
}

# ttl 0: no cache, every login goes to the KDC.
{
	my $sp = Sealpost::Test->new(set => { auth_workers => 1,
	    auth_cache_ttl => 0 });
	my $alice = $sp->password('alice');
	is(auth($sp, 'alice', $alice), "ok user=alice\n", 'login 1');
	my $as = as_requests($sp, 'alice');
	is(auth($sp, 'alice', $alice), "ok user=alice\n", 'login 2');
	is(auth_ok_lines($sp, 'alice', 'no'), 2, 'neither from the cache');
	ok(as_requests($sp, 'alice') > $as, 'the KDC saw the second');
}

# Size 0 turns it off too.
{
	my $sp = Sealpost::Test->new(set => { auth_workers => 1,
	    auth_cache_size => 0 });
	my $alice = $sp->password('alice');
	auth($sp, 'alice', $alice) for 1 .. 2;
	is(auth_ok_lines($sp, 'alice', 'no'), 2, 'size 0: no cache');
	is(auth_ok_lines($sp, 'alice', 'yes'), 0, '... no hit');
}

done_testing;
