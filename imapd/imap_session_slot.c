#include "imapd/imap_session_slot.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char imap_session_slot_error[256];

/* Where the next search starts: one past the slot this process took last.
 * Sessions mostly come and go in order, so the slots below are mostly
 * taken and the next free one is mostly the next one: a take costs one or
 * two lock attempts, not one per session the user already has.  Shared
 * by all users of the process; for another user it is just some start. */
static unsigned int imap_session_slot_hint;

int imap_session_slot_take(const char *dir, const char *user,
			   unsigned int max, int *fd_r, const char **error_r)
{
	struct buf path = BUF_INIT;
	unsigned int n, i, start;
	int fd;

	buf_printf(&path, "%s/%s", dir, user);
	fd = open(buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		snprintf(imap_session_slot_error,
			 sizeof(imap_session_slot_error), "%s: %s",
			 buf_cstr(&path), strerror(errno));
		buf_free(&path);
		*error_r = imap_session_slot_error;
		return -1;
	}
	buf_free(&path);
	start = imap_session_slot_hint < max ? imap_session_slot_hint : 0;
	for (n = 0; n < max; n++) {
		struct flock fl;

		i = start + n < max ? start + n : start + n - max;
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = (off_t)i;
		fl.l_len = 1;
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
			imap_session_slot_hint = i + 1;
			*fd_r = fd;
			return 1;
		}
		if (errno != EAGAIN && errno != EACCES) {
			snprintf(imap_session_slot_error,
				 sizeof(imap_session_slot_error),
				 "session slot lock: %s", strerror(errno));
			close(fd);
			*error_r = imap_session_slot_error;
			return -1;
		}
	}
	close(fd);
	return 0;
}
