#ifndef SEALPOST_T_PROC_SELF_H
#define SEALPOST_T_PROC_SELF_H

/* What the tests count of their own process in /proc/self: its threads
 * (the main one included) and its open descriptors. */

#include <dirent.h>
#include <stdio.h>
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

/* Each thread's ID and voluntary context switches (a thread that slept
 * and was woken has more); returns how many threads, at most `max`. */
static inline int thread_switches(long *tids, long *switches, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char path[300], line[128];
	int n = 0;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL && n < max) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status",
			 de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		tids[n] = atol(de->d_name);
		switches[n] = -1;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "voluntary_ctxt_switches: %ld",
				   &switches[n]) == 1)
				break;
		fclose(f);
		n++;
	}
	closedir(d);
	return n;
}

/* Not counting the one the count itself holds open. */
static inline int open_fds(void)
{
	return proc_self_count("/proc/self/fd") - 1;
}

#endif
