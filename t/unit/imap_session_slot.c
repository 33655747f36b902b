/* Unit tests for imapd/imap_session_slot.c: the per-user session bound
 * stays exact while the search for a free slot starts where the last one
 * ended. */
#include "tap.h"
#include "imapd/imap_session_slot.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SLOT_MAX 40

static int take(const char *dir, const char *user, unsigned int max, int *fd)
{
	const char *error = NULL;
	int ret = imap_session_slot_take(dir, user, max, fd, &error);

	if (ret < 0)
		tap_diag(error);
	return ret;
}

/* Takes slots until refused; returns how many were taken. */
static unsigned int take_all(const char *dir, const char *user,
			     unsigned int max, int *fds, unsigned int room)
{
	unsigned int n = 0;
	int fd;

	while (n < room && take(dir, user, max, &fd) == 1)
		fds[n++] = fd;
	return n;
}

int main(void)
{
	char dir[] = "/tmp/slot-test-XXXXXX";
	int fds[SLOT_MAX + 8], other[4];
	unsigned int i, n;
	int fd;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	n = take_all(dir, "alice", SLOT_MAX, fds, SLOT_MAX + 8);
	is_int(n, SLOT_MAX, "exactly max sessions of one user");
	is_int(take(dir, "alice", SLOT_MAX, &fd), 0, "one more is refused");

	/* Free two slots in the middle, below where the search starts now:
	 * the search wraps round and finds both, and no third. */
	close(fds[5]);
	close(fds[30]);
	is_int(take(dir, "alice", SLOT_MAX, &fds[5]), 1, "a freed slot is found");
	is_int(take(dir, "alice", SLOT_MAX, &fds[30]), 1, "and the other");
	is_int(take(dir, "alice", SLOT_MAX, &fd), 0, "then none is left");

	/* A lower limit counts the slots below it. */
	is_int(take(dir, "alice", 10, &fd), 0, "a lower limit is full too");

	/* Another user's slots are a file of their own. */
	n = take_all(dir, "bob", 3, other, 4);
	is_int(n, 3, "another user has his own slots");
	for (i = 0; i < n; i++)
		close(other[i]);

	/* Every slot freed: all of them can be taken again, and no more,
	 * wherever the search starts. */
	for (i = 0; i < SLOT_MAX; i++)
		close(fds[i]);
	n = take_all(dir, "alice", SLOT_MAX, fds, SLOT_MAX + 8);
	is_int(n, SLOT_MAX, "all slots again after all were freed");
	for (i = 0; i < n; i++)
		close(fds[i]);

	/* A larger limit after a smaller one (a reload) still counts every
	 * slot: with 7 of 8 held, exactly one more. */
	n = take_all(dir, "carol", 7, fds, SLOT_MAX);
	is_int(n, 7, "seven of seven");
	is_int(take(dir, "carol", 8, &fds[7]), 1, "an eighth when the limit is 8");
	is_int(take(dir, "carol", 8, &fd), 0, "and no ninth");
	for (i = 0; i < 8; i++)
		close(fds[i]);

	{
		char path[64];

		snprintf(path, sizeof(path), "%s/alice", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/bob", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/carol", dir);
		unlink(path);
		rmdir(dir);
	}
	return tap_done();
}
