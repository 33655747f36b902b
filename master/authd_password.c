/* The password mechanisms, PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login), both checked against the KDC and the
 * keytab by authd_krb5_check_password().  The connection layer has
 * already refused them outside TLS. */
#include "authd.h"
#include "log.h"
#include "sasl_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maps the login name, checks the password, then the authzid. */
static enum authd_step authd_password_check(struct authd_exchange *x,
					    const char *login,
					    const char *password,
					    const char *authzid)
{
	struct auth_name name;
	char principal[AUTH_NAME_MAX + 1 + AUTH_REALM_MAX + 1];
	enum auth_fail fail;
	const char *error;
	uint64_t now;

	if (auth_name_from_login(login, &x->authd->realms, &name,
				 &error) < 0)
		return authd_fail(x, AUTH_FAIL_AUTH, login, error);
	if (*password == '\0')
		return authd_fail(x, AUTH_FAIL_AUTH, name.user,
				  "empty password");
	/* The normalised principal, so every spelling of a login name
	 * finds the same entry. */
	snprintf(principal, sizeof(principal), "%s@%s", name.name, name.realm);
	/* The check's start, not its end, starts the entry's life: the
	 * KDC answered for the password as it was then. */
	now = authd_cache_now_ms();
	if (authd_cache_lookup(x->authd->cache, x->service, principal,
			       password, now)) {
		x->cached = true;
		return authd_login(x, &name, authzid);
	}
	if (authd_krb5_check_password(x->authd, &name, password, x->service,
				      &fail) < 0)
		return authd_fail(x, fail, name.user,
				  fail == AUTH_FAIL_TEMP ? "kdc unavailable" :
				  "password refused");
	authd_cache_add(x->authd->cache, x->service, principal, password, now);
	return authd_login(x, &name, authzid);
}

/* ---- PLAIN ---- */

static enum authd_step authd_plain_step(struct authd_exchange *x,
					const unsigned char *in, size_t len,
					bool has_in)
{
	struct sasl_plain msg;
	const char *error;
	enum authd_step step;

	/* RFC 4422 section 5: no initial response, so an empty challenge
	 * asks for one.  Only once: a second empty round is a loop. */
	if (!has_in) {
		if (x->mech_state != NULL)
			return authd_fail(x, AUTH_FAIL_PROTO, "", "no response");
		x->mech_state = x;
		buf_clear(&x->challenge);
		return AUTHD_STEP_CONTINUE;
	}
	if (sasl_plain_split(in, len, &msg, &error) < 0) {
		explicit_bzero(&msg, sizeof(msg));
		return authd_fail(x, AUTH_FAIL_PROTO, "", error);
	}
	step = authd_password_check(x, msg.authcid, msg.passwd, msg.authzid);
	explicit_bzero(&msg, sizeof(msg));
	return step;
}

static void authd_plain_free(struct authd_exchange *x)
{
	x->mech_state = NULL;
}

const struct authd_mech authd_mech_plain = {
	"PLAIN", true, authd_plain_step, authd_plain_free,
};

/* ---- LOGIN ---- */

struct authd_login_state {
	bool have_user;
	char user[SASL_FIELD_MAX + 1];
};

static enum authd_step authd_login_step(struct authd_exchange *x,
					const unsigned char *in, size_t len,
					bool has_in)
{
	struct authd_login_state *st = x->mech_state;
	char passwd[SASL_FIELD_MAX + 1];
	enum authd_step step;

	if (st == NULL) {
		st = x->mech_state = xcalloc(1, sizeof(*st));
		/* A client may send the user name as initial response
		 * (RFC 4422 section 4 allows it; common clients do). */
		if (!has_in || len == 0) {
			buf_clear(&x->challenge);
			buf_append_str(&x->challenge, "Username:");
			return AUTHD_STEP_CONTINUE;
		}
	}
	if (!st->have_user) {
		if (sasl_field_copy(in, len, st->user, sizeof(st->user)) < 0 ||
		    st->user[0] == '\0')
			return authd_fail(x, AUTH_FAIL_PROTO, "",
					  "malformed LOGIN user");
		st->have_user = true;
		buf_clear(&x->challenge);
		buf_append_str(&x->challenge, "Password:");
		return AUTHD_STEP_CONTINUE;
	}
	if (sasl_field_copy(in, len, passwd, sizeof(passwd)) < 0) {
		explicit_bzero(passwd, sizeof(passwd));
		return authd_fail(x, AUTH_FAIL_PROTO, st->user,
				  "malformed LOGIN password");
	}
	step = authd_password_check(x, st->user, passwd, "");
	explicit_bzero(passwd, sizeof(passwd));
	return step;
}

static void authd_login_free(struct authd_exchange *x)
{
	free(x->mech_state);
	x->mech_state = NULL;
}

const struct authd_mech authd_mech_login = {
	"LOGIN", true, authd_login_step, authd_login_free,
};
