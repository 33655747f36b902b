/* EMAILID from the message file (see imap_objectid.h). */
#include "imapd/imap_objectid.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

bool imap_emailid(struct mbox *mb, uint32_t uid, char out[IMAP_EMAILID_SIZE])
{
	struct stat st;
	int fd = mbox_message_open(mb, uid);
	bool ok;

	if (fd < 0)
		return false;
	ok = fstat(fd, &st) == 0;
	close(fd);
	if (!ok)
		return false;
	snprintf(out, IMAP_EMAILID_SIZE, "M%llx-%llx%08lx",
		 (unsigned long long)st.st_ino,
		 (unsigned long long)st.st_mtim.tv_sec,
		 (unsigned long)st.st_mtim.tv_nsec);
	return true;
}
