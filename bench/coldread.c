/*
 * coldread: what bounds reading a mailbox of one file per message from a
 * cold page cache (a SEARCH BODY over a large INBOX), by strategy.  Run as
 * root: it drops the page cache before each strategy.
 *
 *   coldread DIR STRATEGY...      every file of DIR named by a number,
 *                                 read in that order
 *   coldread --dev DEVICE N       O_DIRECT 4 KiB reads at random offsets
 *                                 of a block device, N threads (queue depth)
 *
 * Strategies:
 *   serial            open, read, close, one file after another
 *   fadvise:K         the same with K files ahead asked for by
 *                     open + posix_fadvise(WILLNEED) + close
 *   threads:T         T threads each open + read + close the next file
 *   threads-ra:T      T threads open + readahead() + close K files ahead
 *                     of a reader (K = 4 T), the reader reads in order
 *   uring:D           io_uring, D files in flight: OPENAT, then READ, the
 *                     submissions of a round in one io_uring_enter
 *   uring-read:D      opens synchronous, the READs through io_uring
 *   uring-direct:D    the same with the files opened O_DIRECT: the disk
 *                     reads into the caller's (aligned) buffers, past the
 *                     page cache
 *   prefetch:K        a reader opens and reads each file in order, with K
 *                     files ahead read by libmail's file_prefetch (io_uring,
 *                     K / 4 submitted at once), as imapd's SEARCH does
 *   prefetch-fadvise:K the same with file_prefetch's posix_fadvise fallback
 *   stat-first        fstatat of every file first (inodes), then serial
 *   readers:T         T helper threads (libmail/file_readers, as SEARCH
 *                     with imap_search_read_threads) open the files and
 *                     read them through io_uring, 128 ahead, into buffers
 *                     the main thread takes in order; with
 *                     COLDREAD_WORK=N the main thread hashes every Nth
 *                     byte of each file, standing for a search's matching
 *                     (its CPU seconds are printed as reader_cpu_seconds)
 *
 * Prints one JSON object per strategy: files, bytes, seconds, files/s,
 * and the device's read requests and merges (from /sys/block) meanwhile.
 */
#include "file_prefetch.h"
#include "file_readers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CR_BUF (256 * 1024)

static int cr_dir_fd = -1;
static char **cr_names;
static size_t cr_count;
static const char *cr_dev;	/* e.g. vda, for /sys/block/vda/stat */

static double cr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cr_tv(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void cr_die(const char *what)
{
	fprintf(stderr, "coldread: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *cr_alloc(size_t n)
{
	void *p = calloc(1, n);

	if (p == NULL)
		cr_die("calloc");
	return p;
}

/* Read requests and merged reads of the device so far. */
static void cr_dev_stat(unsigned long long *reqs, unsigned long long *merges)
{
	char path[256];
	FILE *f;

	*reqs = *merges = 0;
	if (cr_dev == NULL)
		return;
	snprintf(path, sizeof(path), "/sys/block/%s/stat", cr_dev);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fscanf(f, "%llu %llu", reqs, merges) != 2)
		*reqs = *merges = 0;
	fclose(f);
}

static void cr_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		cr_die("drop_caches");
	close(fd);
}

static int cr_cmp_num(const void *a, const void *b)
{
	unsigned long x = strtoul(*(char *const *)a, NULL, 10);
	unsigned long y = strtoul(*(char *const *)b, NULL, 10);

	return x < y ? -1 : x > y;
}

static void cr_load_names(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 1024;

	if (d == NULL)
		cr_die(dir);
	cr_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cr_dir_fd < 0)
		cr_die(dir);
	cr_names = cr_alloc(cap * sizeof(*cr_names));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (cr_count == cap) {
			cap *= 2;
			cr_names = realloc(cr_names, cap * sizeof(*cr_names));
			if (cr_names == NULL)
				cr_die("realloc");
		}
		cr_names[cr_count++] = strdup(de->d_name);
	}
	closedir(d);
	if (cr_count == 0) {
		fprintf(stderr, "coldread: %s: no file named by a number\n",
			dir);
		exit(2);
	}
	qsort(cr_names, cr_count, sizeof(*cr_names), cr_cmp_num);
}

static ssize_t cr_read_file(size_t i, char *buf)
{
	int fd = openat(cr_dir_fd, cr_names[i], O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, CR_BUF);
	close(fd);
	return n;
}

static uint64_t cr_serial(void)
{
	char *buf = cr_alloc(CR_BUF);
	uint64_t bytes = 0;
	ssize_t n;

	for (size_t i = 0; i < cr_count; i++)
		if ((n = cr_read_file(i, buf)) > 0)
			bytes += (uint64_t)n;
	free(buf);
	return bytes;
}

static uint64_t cr_stat_first(void)
{
	struct stat st;

	for (size_t i = 0; i < cr_count; i++)
		(void)fstatat(cr_dir_fd, cr_names[i], &st, 0);
	return cr_serial();
}

static uint64_t cr_fadvise(size_t k)
{
	char *buf = cr_alloc(CR_BUF);
	uint64_t bytes = 0;
	size_t ahead = 0;
	ssize_t n;

	for (size_t i = 0; i < cr_count; i++) {
		if (ahead <= i)
			ahead = i + 1;
		for (; ahead < cr_count && ahead < i + k; ahead++) {
			int fd = openat(cr_dir_fd, cr_names[ahead],
					O_RDONLY | O_CLOEXEC);

			if (fd >= 0) {
				(void)posix_fadvise(fd, 0, 0,
						    POSIX_FADV_WILLNEED);
				close(fd);
			}
		}
		if ((n = cr_read_file(i, buf)) > 0)
			bytes += (uint64_t)n;
	}
	free(buf);
	return bytes;
}

static atomic_size_t cr_next;
static atomic_uint_fast64_t cr_bytes;
static atomic_size_t cr_done;	/* files below this were read by the reader */
static size_t cr_ra_window;

static void *cr_thread(void *arg)
{
	char *buf = cr_alloc(CR_BUF);
	size_t i;
	ssize_t n;

	(void)arg;
	while ((i = atomic_fetch_add(&cr_next, 1)) < cr_count)
		if ((n = cr_read_file(i, buf)) > 0)
			atomic_fetch_add(&cr_bytes, (uint64_t)n);
	free(buf);
	return NULL;
}

static void *cr_ra_thread(void *arg)
{
	size_t i;

	(void)arg;
	while ((i = atomic_fetch_add(&cr_next, 1)) < cr_count) {
		int fd;

		/* Stay within the window ahead of the reader. */
		while (i >= atomic_load(&cr_done) + cr_ra_window)
			usleep(50);
		fd = openat(cr_dir_fd, cr_names[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)readahead(fd, 0, CR_BUF);
			close(fd);
		}
	}
	return NULL;
}

static uint64_t cr_threads(unsigned int t, int ra)
{
	pthread_t *th = cr_alloc(t * sizeof(*th));

	atomic_store(&cr_next, 0);
	atomic_store(&cr_bytes, 0);
	atomic_store(&cr_done, 0);
	cr_ra_window = 4 * (size_t)t;
	for (unsigned int j = 0; j < t; j++)
		if (pthread_create(&th[j], NULL, ra ? cr_ra_thread : cr_thread,
				   NULL) != 0)
			cr_die("pthread_create");
	if (ra) {
		char *buf = cr_alloc(CR_BUF);
		ssize_t n;

		for (size_t i = 0; i < cr_count; i++) {
			if ((n = cr_read_file(i, buf)) > 0)
				atomic_fetch_add(&cr_bytes, (uint64_t)n);
			atomic_store(&cr_done, i + 1);
		}
		free(buf);
	}
	for (unsigned int j = 0; j < t; j++)
		pthread_join(th[j], NULL);
	free(th);
	return atomic_load(&cr_bytes);
}

/* A minimal io_uring through the raw system calls. */
struct cr_ring {
	int fd;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned int pending;	/* sqes filled, not yet submitted */
};

static void cr_ring_init(struct cr_ring *r, unsigned int entries)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		cr_die("io_uring_setup");
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED |
		  MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED |
		  MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		cr_die("mmap io_uring");
	r->sq_head = (unsigned int *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
}

static struct io_uring_sqe *cr_ring_sqe(struct cr_ring *r)
{
	unsigned int tail = *r->sq_tail + r->pending;
	unsigned int idx = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	r->sq_array[idx] = idx;
	r->pending++;
	return sqe;
}

/* Submits what is pending and waits for at least one completion. */
static void cr_ring_enter(struct cr_ring *r)
{
	unsigned int n = r->pending;

	__atomic_store_n(r->sq_tail, *r->sq_tail + n, __ATOMIC_RELEASE);
	r->pending = 0;
	if (syscall(__NR_io_uring_enter, r->fd, n, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0 && errno != EINTR)
		cr_die("io_uring_enter");
}

struct cr_slot {
	size_t file;
	int fd;
	char *buf;
};

static int cr_open_flags = O_RDONLY | O_CLOEXEC;

static void cr_uring_submit_read(struct cr_ring *r, struct cr_slot *sl,
				 uint64_t tag)
{
	struct io_uring_sqe *sqe = cr_ring_sqe(r);

	sqe->opcode = IORING_OP_READ;
	sqe->fd = sl->fd;
	sqe->addr = (uint64_t)(uintptr_t)sl->buf;
	sqe->len = CR_BUF;
	sqe->off = 0;
	sqe->user_data = tag;
}

static void cr_uring_submit_open(struct cr_ring *r, struct cr_slot *sl,
				 uint64_t tag)
{
	struct io_uring_sqe *sqe = cr_ring_sqe(r);

	sqe->opcode = IORING_OP_OPENAT;
	sqe->fd = cr_dir_fd;
	sqe->addr = (uint64_t)(uintptr_t)cr_names[sl->file];
	sqe->open_flags = O_RDONLY | O_CLOEXEC;
	sqe->user_data = tag;
}

/* Tag: slot index << 1 | 1 for a read, 0 for an open. */
static uint64_t cr_uring(unsigned int depth, int sync_open)
{
	struct cr_ring r;
	struct cr_slot *slots = cr_alloc(depth * sizeof(*slots));
	size_t next = 0, active = 0;
	uint64_t bytes = 0;

	cr_ring_init(&r, depth * 2);
	for (unsigned int j = 0; j < depth && next < cr_count; j++) {
		/* O_DIRECT wants the buffer aligned to the block size. */
		if (posix_memalign((void **)&slots[j].buf, 4096, CR_BUF) != 0)
			cr_die("posix_memalign");
		slots[j].file = next++;
		active++;
		if (sync_open) {
			slots[j].fd = openat(cr_dir_fd, cr_names[slots[j].file],
					     cr_open_flags);
			cr_uring_submit_read(&r, &slots[j], (uint64_t)j << 1 | 1);
		} else {
			cr_uring_submit_open(&r, &slots[j], (uint64_t)j << 1);
		}
	}
	while (active > 0) {
		unsigned int head;

		cr_ring_enter(&r);
		head = *r.cq_head;
		while (head != __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE)) {
			struct io_uring_cqe *cqe = &r.cqes[head & *r.cq_mask];
			unsigned int j = (unsigned int)(cqe->user_data >> 1);
			struct cr_slot *sl = &slots[j];

			if ((cqe->user_data & 1) == 0) {
				sl->fd = cqe->res;
				cr_uring_submit_read(&r, sl, (uint64_t)j << 1 | 1);
			} else {
				if (cqe->res > 0)
					bytes += (uint64_t)cqe->res;
				close(sl->fd);
				if (next < cr_count) {
					sl->file = next++;
					if (sync_open) {
						sl->fd = openat(cr_dir_fd,
							cr_names[sl->file],
							cr_open_flags);
						cr_uring_submit_read(&r, sl,
							(uint64_t)j << 1 | 1);
					} else {
						cr_uring_submit_open(&r, sl,
							(uint64_t)j << 1);
					}
				} else {
					active--;
				}
			}
			head++;
		}
		__atomic_store_n(r.cq_head, head, __ATOMIC_RELEASE);
	}
	for (unsigned int j = 0; j < depth; j++)
		free(slots[j].buf);
	free(slots);
	close(r.fd);
	return bytes;
}

static unsigned int cr_work;	/* COLDREAD_WORK: 0, or hash every Nth byte */
static volatile uint32_t cr_hash;
static double cr_reader_cpu;	/* the reader thread's CPU seconds */

/* Stands for a search's matching: an FNV-1a hash of every cr_work-th
 * byte (3 costs the reader about what imapd's BODY search of these files
 * does). */
static uint32_t cr_hash_bytes(const char *data, size_t n)
{
	const unsigned char *d = (const unsigned char *)data;
	uint32_t h = 2166136261u;

	for (size_t x = 0; x < n; x += cr_work)
		h = (h ^ d[x]) * 16777619u;
	return h;
}

/* What imapd's SEARCH does with imap_search_read_threads: T helper threads
 * (libmail/file_readers) open and read the files K ahead of the reader,
 * which takes their bytes in order. */
static uint64_t cr_readers(unsigned int t, unsigned int k)
{
	struct file_readers *r = file_readers_new(cr_dir_fd, t, k, t);
	const char *work = getenv("COLDREAD_WORK");
	struct rusage ru0, ru1;
	uint64_t bytes = 0;
	size_t ahead = 0;

	if (r == NULL)
		cr_die("file_readers_new");
	cr_work = work != NULL ? (unsigned int)atoi(work) : 0;
	getrusage(RUSAGE_THREAD, &ru0);
	for (size_t i = 0; i < cr_count; i++) {
		const char *data;
		size_t len;

		if (file_readers_room(r) >= k / 4 || ahead < i + 1) {
			for (; ahead < cr_count && file_readers_room(r) > 0;
			     ahead++)
				file_readers_add(r, cr_names[ahead],
						 FILE_READERS_KEEP_MAX, ahead);
			file_readers_submit(r);
		}
		data = file_readers_take(r, i, &len);
		if (data == NULL)
			continue;
		if (cr_work > 0)
			cr_hash ^= cr_hash_bytes(data, len);
		bytes += len;
	}
	getrusage(RUSAGE_THREAD, &ru1);
	cr_reader_cpu = cr_tv(&ru1.ru_utime) + cr_tv(&ru1.ru_stime) -
		cr_tv(&ru0.ru_utime) - cr_tv(&ru0.ru_stime);
	file_readers_free(&r);
	return bytes;
}

/* What imapd's SEARCH does (libmail/file_prefetch.c): K files ahead of a
 * reader that opens and reads each in order, a quarter of K submitted at
 * once, their bytes thrown away. */
static uint64_t cr_prefetch(unsigned int k, enum file_prefetch_method method)
{
	struct file_prefetch *p = file_prefetch_new(k, method);
	char *buf = cr_alloc(CR_BUF);
	unsigned int batch = k / 4 > 0 ? k / 4 : 1;
	size_t ahead = 0;
	uint64_t bytes = 0;
	ssize_t n;

	for (size_t i = 0; i < cr_count; i++) {
		size_t end = i + k < cr_count ? i + k : cr_count;
		unsigned int room;

		if (ahead <= i)
			ahead = i + 1;
		room = file_prefetch_room(p);
		if (ahead < end && (ahead + batch <= end || end == cr_count) &&
		    (room >= batch || room >= end - ahead)) {
			for (; ahead < end && room > 0; ahead++, room--) {
				int fd = openat(cr_dir_fd, cr_names[ahead],
						O_RDONLY | O_CLOEXEC);

				if (fd >= 0)
					file_prefetch_add(p, fd, CR_BUF);
			}
			file_prefetch_submit(p);
		}
		if ((n = cr_read_file(i, buf)) > 0)
			bytes += (uint64_t)n;
	}
	file_prefetch_free(&p);
	free(buf);
	return bytes;
}

static void cr_run(const char *strategy)
{
	unsigned long long r0, m0, r1, m1;
	const char *colon = strchr(strategy, ':');
	unsigned int arg = colon != NULL ? (unsigned int)atoi(colon + 1) : 0;
	size_t len = colon != NULL ? (size_t)(colon - strategy) : strlen(strategy);
	uint64_t bytes;
	double t, cpu;
	struct rusage ru0, ru1;

	cr_reader_cpu = -1;
	cr_drop_caches();
	getrusage(RUSAGE_SELF, &ru0);
	cr_dev_stat(&r0, &m0);
	t = cr_now();
	if (strncmp(strategy, "serial", len) == 0)
		bytes = cr_serial();
	else if (strncmp(strategy, "stat-first", len) == 0)
		bytes = cr_stat_first();
	else if (strncmp(strategy, "fadvise", len) == 0 && arg > 0)
		bytes = cr_fadvise(arg);
	else if (strncmp(strategy, "threads", len) == 0 && arg > 0)
		bytes = cr_threads(arg, 0);
	else if (strncmp(strategy, "threads-ra", len) == 0 && arg > 0)
		bytes = cr_threads(arg, 1);
	else if (strncmp(strategy, "uring", len) == 0 && arg > 0)
		bytes = cr_uring(arg, 0);
	else if (strncmp(strategy, "prefetch", len) == 0 && arg > 0)
		bytes = cr_prefetch(arg, FILE_PREFETCH_AUTO);
	else if (strncmp(strategy, "prefetch-fadvise", len) == 0 && arg > 0)
		bytes = cr_prefetch(arg, FILE_PREFETCH_FADVISE);
	else if (strncmp(strategy, "readers", len) == 0 && arg > 0)
		bytes = cr_readers(arg, 128);
	else if (strncmp(strategy, "uring-read", len) == 0 && arg > 0)
		bytes = cr_uring(arg, 1);
	else if (strncmp(strategy, "uring-direct", len) == 0 && arg > 0) {
		cr_open_flags |= O_DIRECT;
		bytes = cr_uring(arg, 1);
		cr_open_flags &= ~O_DIRECT;
	}
	else {
		fprintf(stderr, "coldread: unknown strategy %s\n", strategy);
		exit(2);
	}
	t = cr_now() - t;
	getrusage(RUSAGE_SELF, &ru1);
	cpu = cr_tv(&ru1.ru_utime) + cr_tv(&ru1.ru_stime) -
		cr_tv(&ru0.ru_utime) - cr_tv(&ru0.ru_stime);
	cr_dev_stat(&r1, &m1);
	printf("{\"strategy\":\"%s\",\"files\":%zu,\"bytes\":%llu,"
	       "\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"files_per_s\":%.0f,\"read_reqs\":%llu,"
	       "\"read_merges\":%llu", strategy, cr_count,
	       (unsigned long long)bytes, t, cpu, (double)cr_count / t, r1 - r0,
	       m1 - m0);
	if (cr_reader_cpu >= 0)
		printf(",\"reader_cpu_seconds\":%.3f", cr_reader_cpu);
	printf("}\n");
	fflush(stdout);
}

static atomic_long cr_dev_reads;
static int cr_dev_fd;
static off_t cr_dev_size;
static double cr_dev_until;

static void *cr_dev_thread(void *arg)
{
	void *buf;
	unsigned int seed = (unsigned int)(uintptr_t)arg * 2654435761u;

	if (posix_memalign(&buf, 4096, 4096) != 0)
		cr_die("posix_memalign");
	while (cr_now() < cr_dev_until) {
		off_t blocks = cr_dev_size / 4096;
		off_t off = (off_t)(((uint64_t)rand_r(&seed) << 31 |
				     (uint64_t)rand_r(&seed)) % (uint64_t)blocks);

		if (pread(cr_dev_fd, buf, 4096, off * 4096) != 4096)
			cr_die("pread");
		atomic_fetch_add(&cr_dev_reads, 1);
	}
	free(buf);
	return NULL;
}

/* Random O_DIRECT 4 KiB reads for two seconds at a queue depth of n. */
static void cr_dev_probe(const char *dev, unsigned int n)
{
	pthread_t *th = cr_alloc(n * sizeof(*th));
	double t;

	cr_dev_fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (cr_dev_fd < 0)
		cr_die(dev);
	cr_dev_size = lseek(cr_dev_fd, 0, SEEK_END);
	t = cr_now();
	cr_dev_until = t + 2.0;
	for (unsigned int j = 0; j < n; j++)
		if (pthread_create(&th[j], NULL, cr_dev_thread,
				   (void *)(uintptr_t)(j + 1)) != 0)
			cr_die("pthread_create");
	for (unsigned int j = 0; j < n; j++)
		pthread_join(th[j], NULL);
	t = cr_now() - t;
	printf("{\"device\":\"%s\",\"queue_depth\":%u,\"reads_per_s\":%.0f}\n",
	       dev, n, (double)atomic_load(&cr_dev_reads) / t);
	close(cr_dev_fd);
	free(th);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--dev") == 0) {
		cr_dev_probe(argv[2], (unsigned int)atoi(argv[3]));
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: coldread DIR STRATEGY...\n"
			"       coldread --dev DEVICE QUEUE_DEPTH\n");
		return 2;
	}
	cr_dev = getenv("COLDREAD_DEV");
	cr_load_names(argv[1]);
	for (int i = 2; i < argc; i++)
		cr_run(argv[i]);
	return 0;
}
