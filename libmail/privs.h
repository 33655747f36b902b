#ifndef SEALPOST_PRIVS_H
#define SEALPOST_PRIVS_H

#include <sys/types.h>

/* Looks up a user by name: its uid and primary gid.  0 or -1. */
int privs_lookup(const char *user, uid_t *uid_r, gid_t *gid_r,
		 const char **error_r);

/* Becomes `user` for good: supplementary groups cleared, gid then uid set,
 * and checked that root cannot be regained.  0 or -1 with a reason. */
int privs_drop(const char *user, const char **error_r);

#endif
