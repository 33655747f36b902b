#include "privs.h"
#include "buf.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char privs_error[256];

int privs_lookup(const char *user, uid_t *uid_r, gid_t *gid_r,
		 const char **error_r)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(privs_error, sizeof(privs_error),
			 "unknown user '%s'", user);
		*error_r = privs_error;
		return -1;
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

int privs_drop(const char *user, const char **error_r)
{
	uid_t uid;
	gid_t gid;

	if (privs_lookup(user, &uid, &gid, error_r) < 0)
		return -1;
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(privs_error, sizeof(privs_error),
			 "cannot become %s: %s", user, strerror(errno));
		*error_r = privs_error;
		return -1;
	}
	/* A uid change that can be undone did not happen. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(privs_error, sizeof(privs_error),
			 "could regain root after becoming %s", user);
		*error_r = privs_error;
		return -1;
	}
	return 0;
}
