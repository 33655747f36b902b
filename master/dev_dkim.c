/* The throwaway post office's DKIM key: made once, so the mail `make run`
 * relays is signed as a real one's would be. */
#include "dev.h"
#include "buf.h"
#include "dkim_key.h"
#include "privs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dkim_error[512];

int dev_dkim_prepare(const char *dir, const char *owner, struct buf *record,
		     const char **error_r)
{
	struct buf key = BUF_INIT, txt = BUF_INIT;
	const char *error;
	uid_t uid;
	gid_t gid;
	int fd, ret = -1;

	buf_printf(&key, "%s/dkim/%s.%s.pem", dir, DEV_DOMAIN, DEV_DKIM_SELECTOR);
	buf_printf(&txt, "%s/dkim/%s.%s.txt", dir, DEV_DOMAIN, DEV_DKIM_SELECTOR);
	if (access(buf_cstr(&key), F_OK) == 0) {
		/* Made by an earlier run: its record is beside it. */
		char chunk[1024];
		ssize_t n;

		fd = open(buf_cstr(&txt), O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
			buf_append(record, chunk, (size_t)n);
		if (fd >= 0)
			close(fd);
		if (fd < 0 || record->len == 0) {
			snprintf(dkim_error, sizeof(dkim_error), "%s: %s",
				 buf_cstr(&txt), fd < 0 ? strerror(errno) :
				 "empty");
			*error_r = dkim_error;
			goto out;
		}
		ret = 0;
		goto out;
	}
	/* RSA: every verifier knows it (Ed25519 only the newer ones). */
	if (dkim_key_generate(buf_cstr(&key), DKIM_ALG_RSA_SHA256, 2048,
			      record, &error) < 0) {
		snprintf(dkim_error, sizeof(dkim_error), "dkim key: %s", error);
		*error_r = dkim_error;
		goto out;
	}
	/* qmgr reads it after dropping to the mail user. */
	if (geteuid() == 0 &&
	    (privs_lookup(owner, &uid, &gid, &error) < 0 ||
	     chown(buf_cstr(&key), uid, gid) < 0)) {
		snprintf(dkim_error, sizeof(dkim_error), "%s: cannot give it "
			 "to %s", buf_cstr(&key), owner);
		*error_r = dkim_error;
		goto out;
	}
	fd = open(buf_cstr(&txt), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0644);
	if (fd < 0 || write(fd, record->data, record->len) !=
	    (ssize_t)record->len) {
		snprintf(dkim_error, sizeof(dkim_error), "%s: %s",
			 buf_cstr(&txt), strerror(errno));
		*error_r = dkim_error;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	ret = 0;
out:
	buf_free(&key);
	buf_free(&txt);
	return ret;
}
