#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <sys/types.h>

/* Sums the CPU time (utime + stime + cutime + cstime, in seconds) of each
 * process in `pids` and of all its descendants, read from /proc.  Time of
 * children that have exited is in their parent's cutime/cstime once
 * reaped, so the sum counts every process of the tree once.  Returns -1
 * when one of `pids` is not running. */
int bench_proc_cpu(const long *pids, unsigned int count, double *seconds_r);

struct bench_memory {
	unsigned long long private_kib, rss_kib;
	unsigned int processes;
};

/* Sums the private memory (Private_Clean + Private_Dirty of
 * /proc/PID/smaps_rollup, in KiB) and the resident memory (Rss: shared
 * pages count in every process that maps them) of each process in `pids`
 * and of all its descendants, and counts the processes.  Returns -1 when
 * one of `pids` is not running. */
int bench_proc_memory_kib(const long *pids, unsigned int count,
			  struct bench_memory *m);

/* The number of entries other than dot files in `dir`, or -1. */
long bench_count_files(const char *dir);

/* Counts the lines of `path` that contain `match`, from *offset to the
 * last complete line, and moves *offset past them.  An *offset of -1 is
 * first set to the end of the file (counting nothing).  Returns the count,
 * or -1 when the file cannot be read. */
long bench_count_log(const char *path, const char *match, off_t *offset);

#endif
