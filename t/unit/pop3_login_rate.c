/* Unit tests for pop3d/pop3_login_rate.c: the shared login counters. */
#include "tap.h"
#include "pop3d/pop3_login_rate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char dir[] = "/tmp/pop3-rate-XXXXXX", path[64];
	struct pop3_login_rate *a, *b;
	const char *error;
	FILE *f;
	int i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/rate", dir);
	ok(pop3_login_rate_open(path, &a, &error) == 0, "open creates");
	ok(pop3_login_rate_open(path, &b, &error) == 0, "a second opener");

	for (i = 1; i <= 3; i++)
		ok(pop3_login_rate_attempt(i % 2 ? a : b, "alice", 1000, 3, 60),
		   "attempts within the limit, from either process");
	ok(!pop3_login_rate_attempt(a, "alice", 1001, 3, 60), "fourth refused");
	ok(!pop3_login_rate_attempt(b, "ALICE@REALM", 1002, 3, 60),
	   "case and realm do not matter");
	ok(pop3_login_rate_attempt(a, "bob", 1002, 3, 60), "other names unaffected");
	ok(pop3_login_rate_attempt(a, "alice", 1060, 3, 60), "a new window");
	ok(pop3_login_rate_attempt(a, "alice", 1000, 0, 60), "limit 0 allows all");

	ok(pop3_login_rate_login(a, "carol", 5000, 300), "first login");
	ok(!pop3_login_rate_login(b, "carol", 5100, 300), "within LOGIN-DELAY");
	ok(pop3_login_rate_login(b, "carol", 5300, 300), "after LOGIN-DELAY");
	ok(pop3_login_rate_login(b, "carol", 5301, 0), "delay 0 allows all");

	/* Many names: the table forgets the oldest, never refuses. */
	for (i = 0; i < 20000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "user%d", i);
		(void)pop3_login_rate_attempt(a, name, 2000, 3, 60);
	}
	ok(pop3_login_rate_attempt(a, "user19999", 2000, 3, 60), "a full table still counts");
	pop3_login_rate_close(&a);
	pop3_login_rate_close(&b);
	ok(a == NULL && b == NULL, "close clears the pointer");

	/* A file of another shape is reset, not trusted. */
	f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);
	ok(pop3_login_rate_open(path, &a, &error) == 0, "a broken file is reset");
	ok(pop3_login_rate_attempt(a, "alice", 1001, 3, 60), "with empty counters");
	pop3_login_rate_close(&a);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
