/* Unit tests for libmail/sync_many.c: many syncs at once, each one's
 * outcome reported on its own item.  (Off an event loop: sync_batch.c.) */
#include "tap.h"
#include "sync_many.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char root[] = "/tmp/sealpost-sync-many-XXXXXX";
	struct sync_many_item items[20];
	char path[300];
	size_t i;
	int ok_all = 1;

	if (mkdtemp(root) == NULL)
		abort();
	is_int(sync_many(items, 0), 0, "nothing to sync");
	/* More files than threads, and a folder. */
	memset(items, 0, sizeof(items));
	for (i = 0; i < 19; i++) {
		snprintf(path, sizeof(path), "%s/f%zu", root, i);
		items[i].fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (items[i].fd < 0 || write(items[i].fd, "x", 1) != 1)
			abort();
		items[i].data_only = true;
		items[i].error = -1;
	}
	items[19].fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	items[19].error = -1;
	is_int(sync_many(items, 20), 0, "twenty syncs succeed");
	for (i = 0; i < 20; i++)
		ok_all = ok_all && items[i].error == 0;
	ok(ok_all, "and each says so");
	/* One that fails does not hide the others' outcome. */
	close(items[7].fd);
	items[7].fd = -1;
	is_int(sync_many(items, 20), -1, "a failed sync fails the call");
	is_int(items[7].error, EBADF, "on its own item");
	is_int(items[6].error, 0, "the others still succeed");
	is_int(items[19].error, 0, "the folder too");
	for (i = 0; i < 20; i++) {
		if (items[i].fd >= 0)
			close(items[i].fd);
	}
	for (i = 0; i < 19; i++) {
		snprintf(path, sizeof(path), "%s/f%zu", root, i);
		unlink(path);
	}
	rmdir(root);
	return tap_done();
}
