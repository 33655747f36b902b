# imapd: every bound has a config key, a tested limit and a clear tagged
# error: command length, literal size, APPENDLIMIT, list nesting, sessions
# per user, bad commands in a row.
use strict;
use warnings;
use Test::More;
use Sealpost::Test;
use Sealpost::IMAP;

my $sp = Sealpost::Test->new(set => {
	imap_max_command_size => '2k',
	imap_max_literal_size => '1k',
	imap_max_append_size => '4k',
	imap_max_list_depth => 4,
	imap_max_user_sessions => 2,
	imap_max_bad_commands => 3,
});
my $c = Sealpost::IMAP->login_new($sp, 'alice');

like($c->greeting // '', qr/^\* OK/, 'connected');
is($c->cmd('n1 NOOP ' . ('x' x 3000)), 'n1 BAD Command line too long',
    'imap_max_command_size');
is($c->cmd('n2 NOOP'), 'n2 OK NOOP completed', 'the next command works');
$c->send_line('n3 LOGIN {2000}');
is($c->read_line, "n3 BAD Literal too big\r\n", 'imap_max_literal_size');
like($c->cmd('n4 CAPABILITY'), qr/n4 OK/, 'still in step');
like($c->cmd('n5 APPEND INBOX {5000+}'), qr/^n5 NO \[TOOBIG\]/, 'APPENDLIMIT (imap_max_append_size)');
$c->send_raw('x' x 5000 . "\r\n");
is($c->cmd('n6 NOOP'), 'n6 OK NOOP completed', 'the refused literal was skipped');
is($c->cmd('n7 SEARCH ((((((ALL))))))'), 'n7 BAD Too deeply nested lists', 'imap_max_list_depth');
like($c->cmd('n8 CAPABILITY'), qr/APPENDLIMIT=4096/, 'APPENDLIMIT announced');

# Sessions per user, across processes.
my $second = Sealpost::IMAP->login_new($sp, 'alice');
my $third = Sealpost::IMAP->new(port => $sp->env('SEALPOST_IMAP_PORT'), sp => $sp);
$third->starttls;
is($third->cmd('l1 LOGIN alice ' . $sp->password('alice')),
    'l1 NO [LIMIT] Too many sessions for this user', 'imap_max_user_sessions');
$second->cmd('z LOGOUT');
ok($second->closed, 'one logged out');
like($third->cmd('l2 LOGIN alice ' . $sp->password('alice')), qr/^l2 OK/,
    'its slot is free again');
ok($sp->wait_log(qr/session_limit user=alice limit=2/), 'logged');

# Bad commands in a row end the session.
is($third->cmd('b1 FROB'), 'b1 BAD Unknown command', 'one');
is($third->cmd('b2 FROB'), 'b2 BAD Unknown command', 'two');
is($third->cmd('b3 FROB'), 'b3 BAD Unknown command', 'three');
is($third->read_line, "* BYE Too many invalid commands\r\n", 'then BYE');
ok($third->closed, 'closed');
done_testing;
