#ifndef SEALPOST_DEV_H
#define SEALPOST_DEV_H

/*
 * `sealpost dev`: a complete throwaway post office in one folder, for
 * `make run`, for trying sealpost out, and for the test harness.  The
 * folder holds its own Kerberos realm with a running KDC, demo users, a
 * keytab, a self-signed CA and server certificate, the config and the
 * state; a second run reuses it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DEV_REALM "SEALPOST.TEST"
#define DEV_HOST "localhost"
#define DEV_DOMAIN "sealpost.test"
#define DEV_DKIM_SELECTOR "dev"
#define DEV_ADMIN "admin"
#define DEV_MAX_USERS 8
#define DEV_PASSWORD_SIZE 24

struct dev_user {
	char name[32];
	char password[DEV_PASSWORD_SIZE];
};

struct dev_realm {
	const char *dir;		/* absolute */
	unsigned int kdc_port;
	struct dev_user users[DEV_MAX_USERS];
	size_t user_count;
	const char *keytab_owner;	/* user to own the keytab, or NULL */
};

/* Creates the realm on first use (database, principals, keytab,
 * passwords), or loads the saved passwords; rewrites krb5.conf and
 * kdc.conf for the current port either way.  0 or -1 with a reason. */
int dev_realm_prepare(struct dev_realm *r, const char **error_r);

/* Starts krb5kdc in its own session and waits until it accepts TCP
 * connections.  Returns its pid or -1. */
pid_t dev_realm_start_kdc(const struct dev_realm *r, const char **error_r);

/* Creates the CA and a server certificate for localhost under DIR/tls
 * unless they exist; the key is readable only by root (or the caller). */
int dev_tls_prepare(const char *dir, const char **error_r);

/* Makes the DKIM key of DEV_DOMAIN (selector DEV_DKIM_SELECTOR) under
 * DIR/dkim unless it exists, owned by `owner`, and appends its key record
 * (the TXT value to publish) to `record`. */
struct buf;
int dev_dkim_prepare(const char *dir, const char *owner, struct buf *record,
		     const char **error_r);

/* Runs `argv` with extra environment `env` (NULL-terminated "K=V"
 * strings, may be NULL), feeding `input` (may be NULL) on its stdin and
 * appending its output to `log_path`.  0 if it exited 0. */
int dev_run(char *const argv[], char *const env[], const char *input,
	    const char *log_path, const char **error_r);

/* Waits up to `timeout_ms` until a TCP connect to 127.0.0.1:port (or, with
 * port 0, a connect to the unix socket `path`) succeeds.  0 or -1. */
int dev_wait_listening(unsigned int port, const char *path,
		       unsigned int timeout_ms);

#endif
