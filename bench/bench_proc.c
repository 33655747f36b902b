/*
 * What the benchmark reads from the system: CPU time of process trees,
 * message files in folders, delivery lines in logs.  Polled, never waited
 * on: these are measurements of servers we do not control.
 */
#include "bench_proc.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct bench_proc {
	long pid, ppid;
	unsigned long long ticks;
};

/* Reads pid, ppid and utime+stime+cutime+cstime from /proc/PID/stat.  The
 * command name is in parentheses and may hold spaces: fields are counted
 * from the last ')'. */
static int bench_proc_read(long pid, struct bench_proc *p)
{
	char path[64], text[1024], *rp;
	unsigned long long v[4];
	long ppid;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	rp = strrchr(text, ')');
	/* After ')': state ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime */
	if (rp == NULL ||
	    sscanf(rp + 1, " %*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		   "%llu %llu %llu %llu", &ppid, &v[0], &v[1], &v[2],
		   &v[3]) != 5)
		return -1;
	p->pid = pid;
	p->ppid = ppid;
	p->ticks = v[0] + v[1] + v[2] + v[3];
	return 0;
}

static bool bench_proc_in_tree(const struct bench_proc *all, size_t n,
			       long pid, long root)
{
	unsigned int depth;
	size_t i;

	for (depth = 0; depth < 64 && pid > 1; depth++) {
		if (pid == root)
			return true;
		for (i = 0; i < n && all[i].pid != pid; i++)
			;
		if (i == n)
			return false;
		pid = all[i].ppid;
	}
	return pid == root;
}

/* Every process of the system with its parent; NULL on error. */
static struct bench_proc *bench_proc_all(size_t *n_r)
{
	struct bench_proc *all = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (dir == NULL)
		return NULL;
	while ((de = readdir(dir)) != NULL) {
		struct bench_proc p;

		if (!isdigit((unsigned char)de->d_name[0]) ||
		    bench_proc_read(strtol(de->d_name, NULL, 10), &p) < 0)
			continue;
		if (n == alloc) {
			struct bench_proc *bigger;

			alloc = alloc ? alloc * 2 : 512;
			bigger = realloc(all, alloc * sizeof(*all));
			if (bigger == NULL) {
				free(all);
				closedir(dir);
				return NULL;
			}
			all = bigger;
		}
		all[n++] = p;
	}
	closedir(dir);
	*n_r = n;
	return all;
}

/* Private (Private_Clean + Private_Dirty) and resident (Rss) memory of
 * one process, in KiB. */
static void bench_proc_memory(long pid, unsigned long long *private_r,
			      unsigned long long *rss_r)
{
	char path[64], line[256];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Private_Clean: %llu kB", &v) == 1 ||
		    sscanf(line, "Private_Dirty: %llu kB", &v) == 1)
			*private_r += v;
		else if (sscanf(line, "Rss: %llu kB", &v) == 1)
			*rss_r += v;
	}
	fclose(f);
}

int bench_proc_memory_kib(const long *pids, unsigned int count,
			  struct bench_memory *m)
{
	struct bench_proc *all;
	size_t n = 0, i;
	unsigned int k;

	memset(m, 0, sizeof(*m));
	for (k = 0; k < count; k++) {
		if (kill((pid_t)pids[k], 0) < 0)
			return -1;
	}
	all = bench_proc_all(&n);
	if (all == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		for (k = 0; k < count; k++) {
			if (bench_proc_in_tree(all, n, all[i].pid, pids[k])) {
				bench_proc_memory(all[i].pid, &m->private_kib,
						  &m->rss_kib);
				m->processes++;
				break;
			}
		}
	}
	free(all);
	return 0;
}

int bench_proc_cpu(const long *pids, unsigned int count, double *seconds_r)
{
	struct bench_proc *all;
	size_t n = 0, i;
	unsigned long long ticks = 0;
	unsigned int k;

	for (k = 0; k < count; k++) {
		if (kill((pid_t)pids[k], 0) < 0)
			return -1;
	}
	all = bench_proc_all(&n);
	if (all == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		for (k = 0; k < count; k++) {
			if (bench_proc_in_tree(all, n, all[i].pid, pids[k])) {
				ticks += all[i].ticks;
				break;
			}
		}
	}
	free(all);
	*seconds_r = (double)ticks / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

long bench_count_files(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	long n = 0;

	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	closedir(dir);
	return n;
}

long bench_count_log(const char *path, const char *match, off_t *offset)
{
	char chunk[65536];
	struct stat st;
	long count = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (*offset < 0 || *offset > st.st_size) {
		*offset = st.st_size;
		close(fd);
		return 0;
	}
	for (;;) {
		ssize_t got = pread(fd, chunk, sizeof(chunk) - 1, *offset);
		char *line, *nl;

		if (got <= 0)
			break;
		chunk[got] = '\0';
		line = chunk;
		while ((nl = memchr(line, '\n', (size_t)(chunk + got - line))) != NULL) {
			*nl = '\0';
			if (strstr(line, match) != NULL)
				count++;
			line = nl + 1;
		}
		/* A line longer than the chunk: skip it as counted. */
		if (line == chunk) {
			*offset += got;
			continue;
		}
		*offset += line - chunk;
		if (got < (ssize_t)sizeof(chunk) - 1)
			break;
	}
	close(fd);
	return count;
}
