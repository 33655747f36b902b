/*
 * Noticing a reboot, so that the first open after one runs full recovery.
 *
 * The environment's shared regions are files in its folder, mapped by every
 * process.  After a machine crash they hold whatever the kernel had written
 * back, which need not be consistent.  DB_REGISTER would then find the slots
 * of the processes that were running and, because we also ask for
 * DB_FAILCHK, try to clean up after them inside those stale regions instead
 * of rebuilding them.  So we remember the kernel's boot ID in the folder:
 * when it changed, no process of this boot has the environment open, and
 * removing the registry makes the library treat the open as a first one and
 * run full recovery from the log.
 *
 * The file, sealpost.boot, holds "sealpost-db-boot 1\n" then the boot ID and
 * a newline.  Anything else (a missing file, another version) counts as a
 * different boot: recovery is always safe, only slower.  An exclusive flock
 * on it is held across the check and the library's open, so the processes
 * starting after a reboot queue behind the one that recovers.
 */
#include "db_private.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define DBW_BOOT_HEADER "sealpost-db-boot 1\n"
#define DBW_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define DBW_BOOT_MAX 128

/* The kernel's boot ID with its newline, or "" where there is none (then
 * reboots go unnoticed and the library's own checks are all we have). */
static void db_boot_id(char *id, size_t size)
{
	ssize_t n;
	int fd;

	id[0] = '\0';
	if ((fd = open(DBW_BOOT_ID_PATH, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, id, size - 1);
	close(fd);
	id[n > 0 ? n : 0] = '\0';
}

static void db_boot_path(const char *home, const char *file,
			 struct buf *path)
{
	buf_clear(path);
	buf_printf(path, "%s/%s", home, file);
}

/*
 * Counts the registry's slots that name a process: those whose process
 * still holds the slot's lock (a live process keeps an fcntl lock on the
 * first byte of its line, which the kernel drops however it dies), and
 * those nobody holds: a process that died without closing.  Called under
 * the start-up lock, so no process joins or leaves the registry in
 * between (leaving only clears a slot).
 */
static void db_boot_registry_scan(const char *registry, unsigned int *live_r,
				  unsigned int *dead_r)
{
	char data[65536];
	ssize_t n;
	size_t pos;
	int fd = open(registry, O_RDWR | O_CLOEXEC);

	*live_r = *dead_r = 0;
	if (fd < 0)
		return;
	/* One line of DBW_REGISTRY_LINE bytes per slot: a process ID, or
	 * a marker and blanks. */
	n = read(fd, data, sizeof(data) - 1);
	data[n > 0 ? n : 0] = '\0';
	for (pos = 0; n > 0 && pos < (size_t)n; pos += DBW_REGISTRY_LINE) {
		const char *line = data + pos;
		struct flock fl;

		while (*line == ' ')
			line++;
		if (strtol(line, NULL, 10) <= 0)
			continue;
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = (off_t)pos;
		fl.l_len = 1;
		if (fcntl(fd, F_SETLK, &fl) < 0) {
			(*live_r)++;
			continue;
		}
		(*dead_r)++;
		fl.l_type = F_UNLCK;
		(void)fcntl(fd, F_SETLK, &fl);
	}
	close(fd);	/* also drops any lock left */
}

/* Removes the shared region files (__db.001, ...) of an environment nobody
 * has open, so recovery builds new ones instead of attaching to regions
 * whose mutexes a dead process may hold.  The databases and the log are
 * untouched. */
static void db_boot_remove_regions(const char *home)
{
	struct buf path = BUF_INIT;
	DIR *d = opendir(home);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "__db.", 5) != 0 ||
		    de->d_name[5] < '0' || de->d_name[5] > '9')
			continue;
		db_boot_path(home, de->d_name, &path);
		(void)unlink(buf_cstr(&path));
	}
	if (d != NULL)
		closedir(d);
	buf_free(&path);
}

int db_boot_begin(struct db_env *env, bool *stale_r, const char **error_r)
{
	struct buf path = BUF_INIT, want = BUF_INIT;
	char have[DBW_BOOT_MAX + 64], id[DBW_BOOT_MAX];
	ssize_t n;
	int fd;

	*stale_r = false;
	db_boot_id(id, sizeof(id));
	db_boot_path(env->home, DBW_BOOT_FILE, &path);
	fd = open(buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC,
		  (mode_t)env->mode);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		*error_r = db_errorf(errno, "db_env_open %s", buf_cstr(&path));
		if (fd >= 0)
			close(fd);
		buf_free(&path);
		return -1;
	}
	env->boot_fd = fd;
	if (id[0] == '\0') {
		buf_free(&path);
		return 0;
	}

	buf_append_str(&want, DBW_BOOT_HEADER);
	buf_append_str(&want, id);
	n = pread(fd, have, sizeof(have), 0);
	db_boot_path(env->home, "__db.register", &path);
	if (n != (ssize_t)want.len || memcmp(have, want.data, want.len) != 0) {
		*stale_r = true;
		if (unlink(buf_cstr(&path)) < 0 && errno != ENOENT) {
			*error_r = db_errorf(errno, "db_env_open: removing %s",
					     buf_cstr(&path));
			buf_free(&path);
			buf_free(&want);
			return -1;
		}
		log_info("db_new_boot", "home=%s", env->home);
	} else {
		unsigned int live, dead;

		db_boot_registry_scan(buf_cstr(&path), &live, &dead);
		/* Processes died while others go on: the open will clean up
		 * after them (see db_env_open). */
		env->dead_slots = live > 0 ? dead : 0;
		if (dead == 0 || live > 0) {
			buf_free(&path);
			buf_free(&want);
			return 0;
		}
		/* Left by processes that all died without closing it: the
		 * library would run recovery by first tearing down the old
		 * regions, which waits for ever on any mutex a killed process
		 * held; starting from no registry at all makes it build
		 * fresh regions instead. */
		*stale_r = true;
		if (unlink(buf_cstr(&path)) < 0 && errno != ENOENT) {
			*error_r = db_errorf(errno, "db_env_open: removing %s",
					     buf_cstr(&path));
			buf_free(&path);
			buf_free(&want);
			return -1;
		}
		db_boot_remove_regions(env->home);
		log_info("db_abandoned", "home=%s", env->home);
	}
	buf_free(&path);
	buf_free(&want);
	return 0;
}

int db_boot_end(struct db_env *env, bool opened, bool stale,
		const char **error_r)
{
	struct buf want = BUF_INIT;
	char id[DBW_BOOT_MAX];
	int ret = 0;

	if (env->boot_fd < 0)
		return 0;
	if (opened && stale) {
		/* Recovery is done: record the boot, durably, so a crash
		 * right now does not lose the fact that it ran. */
		db_boot_id(id, sizeof(id));
		buf_append_str(&want, DBW_BOOT_HEADER);
		buf_append_str(&want, id);
		if (ftruncate(env->boot_fd, 0) < 0 ||
		    pwrite(env->boot_fd, want.data, want.len, 0) !=
		    (ssize_t)want.len || fsync(env->boot_fd) < 0) {
			*error_r = db_errorf(errno, "db_env_open %s: writing "
					     DBW_BOOT_FILE, env->home);
			ret = -1;
		}
		buf_free(&want);
	}
	close(env->boot_fd);
	env->boot_fd = -1;
	return ret;
}
