#ifndef SEALPOST_T_PROC_SELF_H
#define SEALPOST_T_PROC_SELF_H

/* What the tests count of their own process in /proc/self: its threads
 * (the main one included) and its open descriptors. */

#include <dirent.h>
#include <stdlib.h>

/* The entries of a folder of /proc/self, "." and ".." aside. */
static inline int proc_self_count(const char *folder)
{
	DIR *d = opendir(folder);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static inline int thread_count(void)
{
	return proc_self_count("/proc/self/task");
}

/* Not counting the one the count itself holds open. */
static inline int open_fds(void)
{
	return proc_self_count("/proc/self/fd") - 1;
}

#endif
