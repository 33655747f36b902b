#include "pop3_login_rate.h"
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOGIN_RATE_MAGIC "SPLRATE"
#define LOGIN_RATE_VERSION 1u
#define LOGIN_RATE_SLOTS 4096u
/* Slots looked at for one name before the oldest of them is reused. */
#define LOGIN_RATE_PROBE 8u

struct login_rate_header {
	char magic[8];
	uint32_t version;
	uint32_t slot_count;
	uint64_t key[2];
	uint8_t pad[32];
};

struct login_rate_slot {
	uint64_t hash;		/* 0: free */
	int64_t window_start;
	int64_t last_login;
	uint32_t count;
	uint32_t pad;
};

struct login_rate_file {
	struct login_rate_header hdr;
	struct login_rate_slot slots[LOGIN_RATE_SLOTS];
};

struct pop3_login_rate {
	int fd;
	struct login_rate_file *map;
};

static char login_rate_error[512];

static int login_rate_fail(const char **error_r, const char *path,
			   const char *what)
{
	snprintf(login_rate_error, sizeof(login_rate_error), "%s: %s: %s",
		 path, what, strerror(errno));
	*error_r = login_rate_error;
	return -1;
}

/* Writes a fresh header (new key) and empty slots.  Under the lock. */
static int login_rate_reset(int fd)
{
	struct login_rate_header hdr;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, LOGIN_RATE_MAGIC, sizeof(LOGIN_RATE_MAGIC));
	hdr.version = LOGIN_RATE_VERSION;
	hdr.slot_count = LOGIN_RATE_SLOTS;
	if (getrandom(hdr.key, sizeof(hdr.key), 0) != sizeof(hdr.key))
		return -1;
	if (ftruncate(fd, 0) < 0 ||
	    pwrite(fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    ftruncate(fd, sizeof(struct login_rate_file)) < 0)
		return -1;
	return 0;
}

static bool login_rate_valid(int fd)
{
	struct login_rate_header hdr;
	struct stat st;

	return fstat(fd, &st) == 0 &&
	       st.st_size == (off_t)sizeof(struct login_rate_file) &&
	       pread(fd, &hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	       memcmp(hdr.magic, LOGIN_RATE_MAGIC,
		      sizeof(LOGIN_RATE_MAGIC)) == 0 &&
	       hdr.version == LOGIN_RATE_VERSION &&
	       hdr.slot_count == LOGIN_RATE_SLOTS;
}

int pop3_login_rate_open(const char *path, struct pop3_login_rate **rate_r,
			 const char **error_r)
{
	struct pop3_login_rate *r;
	void *map;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return login_rate_fail(error_r, path, "open");
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return login_rate_fail(error_r, path, "flock");
	}
	if (!login_rate_valid(fd)) {
		log_info("pop3_login_rate_reset", "path=%s", path);
		if (login_rate_reset(fd) < 0) {
			close(fd);
			return login_rate_fail(error_r, path, "reset");
		}
	}
	(void)flock(fd, LOCK_UN);
	map = mmap(NULL, sizeof(struct login_rate_file), PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return login_rate_fail(error_r, path, "mmap");
	}
	r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->map = map;
	*rate_r = r;
	return 0;
}

void pop3_login_rate_close(struct pop3_login_rate **rate)
{
	struct pop3_login_rate *r = *rate;

	if (r == NULL)
		return;
	munmap(r->map, sizeof(struct login_rate_file));
	close(r->fd);
	free(r);
	*rate = NULL;
}

/* A keyed FNV-1a over the normalised name, finished with a 64-bit mixer:
 * without the key nobody can choose names that share a slot. */
static uint64_t login_rate_hash(const struct pop3_login_rate *r,
				const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull ^ r->map->hdr.key[0];
	const unsigned char *p = (const unsigned char *)name;

	for (; *p != '\0' && *p != '@'; p++) {
		h ^= (uint64_t)tolower(*p);
		h *= 0x100000001b3ull;
	}
	h ^= r->map->hdr.key[1];
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h != 0 ? h : 1;
}

static int64_t login_rate_age(const struct login_rate_slot *s)
{
	return s->window_start > s->last_login ? s->window_start :
		s->last_login;
}

/* The slot of `name`, taking over the least recently used one of its
 * probe range when the name has none.  Under the lock. */
static struct login_rate_slot *login_rate_slot(struct pop3_login_rate *r,
					       const char *name)
{
	uint64_t h = login_rate_hash(r, name);
	struct login_rate_slot *oldest = NULL;
	unsigned int i;

	for (i = 0; i < LOGIN_RATE_PROBE; i++) {
		struct login_rate_slot *s =
			&r->map->slots[(h + i) % LOGIN_RATE_SLOTS];

		if (s->hash == h)
			return s;
		if (oldest == NULL || login_rate_age(s) < login_rate_age(oldest))
			oldest = s;
	}
	memset(oldest, 0, sizeof(*oldest));
	oldest->hash = h;
	return oldest;
}

static void login_rate_lock(struct pop3_login_rate *r)
{
	/* A lock that cannot be taken means the file is broken; counting
	 * without it is still better than refusing every login. */
	if (flock(r->fd, LOCK_EX) < 0)
		log_error("pop3_login_rate_error", "error=%s", strerror(errno));
}

bool pop3_login_rate_attempt(struct pop3_login_rate *r, const char *name,
			     time_t now, unsigned int limit,
			     unsigned int window)
{
	struct login_rate_slot *s;
	bool allowed;

	if (limit == 0)
		return true;
	login_rate_lock(r);
	s = login_rate_slot(r, name);
	if (now < s->window_start || now - s->window_start >= (int64_t)window) {
		s->window_start = now;
		s->count = 0;
	}
	if (s->count < UINT32_MAX)
		s->count++;
	allowed = s->count <= limit;
	(void)flock(r->fd, LOCK_UN);
	return allowed;
}

bool pop3_login_rate_login(struct pop3_login_rate *r, const char *name,
			   time_t now, unsigned int delay)
{
	struct login_rate_slot *s;
	bool allowed = true;

	if (delay == 0)
		return true;
	login_rate_lock(r);
	s = login_rate_slot(r, name);
	if (s->last_login != 0 && now >= s->last_login &&
	    now - s->last_login < (int64_t)delay)
		allowed = false;
	else
		s->last_login = now;
	(void)flock(r->fd, LOCK_UN);
	return allowed;
}
