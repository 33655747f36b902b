#ifndef SEALPOST_AUTHD_H
#define SEALPOST_AUTHD_H

/*
 * authd: the authentication service, the only process that can read the
 * Kerberos keytab (DESIGN principle 1).  Protocol daemons relay SASL
 * exchanges to it over the auth protocol (libmail/auth_proto.h).
 *
 * Concurrency.  A password check is a Kerberos AS exchange followed by a
 * TGS exchange for the verification ticket: two round trips to the KDC,
 * each of which may wait for a KDC timeout, and the MIT API for them only
 * blocks.  So each authd process serves one connection at a time, start to
 * verdict, bounded by auth_request_timeout, and the master runs
 * auth_workers of them on the same listening socket: a process busy with
 * the KDC simply does not accept, and the kernel hands the next connection
 * to an idle one.  Because a connection carries exactly one exchange, no
 * daemon can keep a worker once its exchange is over.  This is the Postfix
 * model (one client per process, a process limit per service), chosen over
 * an event loop with helper processes because it is small enough to audit
 * in one sitting, which matters more here than anywhere else.  A password
 * the KDC accepted lately is accepted again from the worker's own cache
 * (authd_cache.h), so repeated logins do not queue behind the KDC.
 *
 * GSSAPI acceptor credentials come from gss_krb5_import_cred() with the
 * keytab handle opened from auth_keytab, rather than from KRB5_KTNAME in
 * the environment: the keytab is named explicitly in one place, nothing
 * else in the process (or a child) can pick it up by accident.
 */

#include "auth_name.h"
#include "auth_proto.h"
#include "buf.h"
#include "master/authd_cache.h"
#include "master/authd_settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <gssapi/gssapi.h>
#include <krb5.h>
#include <sys/types.h>

struct authd {
	struct authd_settings set;
	char *keytab_path;
	char realm[AUTH_REALM_MAX + 1];
	struct auth_realms realms;
	struct auth_proto_limits limits;
	krb5_context krb5;
	krb5_keytab keytab;
	gss_cred_id_t acceptor;
	/* Verified passwords (authd_cache.h); NULL when turned off. */
	struct authd_cache *cache;
	/* Peers allowed on the socket besides root and ourselves. */
	uid_t mail_uid;
	bool have_mail_uid;
};

enum authd_step {
	AUTHD_STEP_CONTINUE,	/* send x->challenge, wait for a response */
	AUTHD_STEP_OK,		/* x->user, x->authn_user are set */
	AUTHD_STEP_FAIL,	/* x->fail is set and the reason logged */
};

struct authd_exchange;

struct authd_mech {
	const char *name;
	bool plaintext;		/* sends a password: TLS only */
	/* One step.  `in` is the client's response (or initial response);
	 * `has_in` is false only for a START without an initial response. */
	enum authd_step (*step)(struct authd_exchange *x,
				const unsigned char *in, size_t len,
				bool has_in);
	/* Frees mech_state; called once, whatever happened. */
	void (*free)(struct authd_exchange *x);
};

/* One SASL exchange: the START's parameters and the mechanism's state. */
struct authd_exchange {
	struct authd *authd;
	const struct authd_mech *mech;
	char service[AUTH_PROTO_SERVICE_MAX + 1];
	char client_addr[AUTH_PROTO_ADDR_MAX + 1];
	bool secured;
	struct buf challenge;
	char user[AUTH_USER_SIZE];
	char authn_user[AUTH_USER_SIZE];
	enum auth_fail fail;
	/* The password was accepted from the cache, not by the KDC. */
	bool cached;
	void *mech_state;
};

extern const struct authd_mech authd_mech_gssapi;
extern const struct authd_mech authd_mech_plain;
extern const struct authd_mech authd_mech_login;

/* The enabled mechanism called `name`, or NULL. */
const struct authd_mech *authd_mech_find(const struct authd *a,
					 const char *name);

/* Logs auth_fail with `reason` (for the postmaster, never the client) and
 * returns AUTHD_STEP_FAIL with x->fail = `fail`. */
enum authd_step authd_fail(struct authd_exchange *x, enum auth_fail fail,
			   const char *user, const char *reason);

/*
 * The common end of every mechanism: `name` has proved its identity; checks
 * the authorization identity `authzid` ("" for none) against auth_admins
 * and returns OK with x->user/x->authn_user set, or FAIL (logged).
 */
enum authd_step authd_login(struct authd_exchange *x,
			    const struct auth_name *name,
			    const char *authzid);

/* Serves one connection from accept to close, within the request
 * timeout.  Blocks. */
void authd_conn_serve(struct authd *a, int fd);

/* ---- Kerberos (authd_krb5.c) ---- */

/* Sets up KRB5_CONFIG, the context, the realm, the keytab and the GSS
 * acceptor credential.  Fatal on error: authd without its keys is useless. */
void authd_krb5_init(struct authd *a);
void authd_krb5_deinit(struct authd *a);

/*
 * Checks `password` for `name` by an AS exchange, then verifies the ticket
 * against the keytab key of `service` (krb5_verify_init_creds), so that a
 * KDC that does not know our service key cannot log anyone in.  Returns 0,
 * or -1 with *fail_r (AUTH_FAIL_AUTH or AUTH_FAIL_TEMP) after logging the
 * Kerberos error.  Blocks on the KDC.
 */
int authd_krb5_check_password(struct authd *a, const struct auth_name *name,
			      const char *password, const char *service,
			      enum auth_fail *fail_r);

/* Logs a GSS-API failure with both the major and the minor status text. */
void authd_log_gss_error(const char *event, const char *what,
			 OM_uint32 major, OM_uint32 minor);

#endif
