#include "imapd/imap_session_slot.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char imap_session_slot_error[256];

int imap_session_slot_take(const char *dir, const char *user,
			   unsigned int max, int *fd_r, const char **error_r)
{
	struct buf path = BUF_INIT;
	unsigned int i;
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
	for (i = 0; i < max; i++) {
		struct flock fl;

		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = (off_t)i;
		fl.l_len = 1;
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
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
