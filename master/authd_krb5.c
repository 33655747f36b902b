/* authd's Kerberos side: the context, the keytab, the GSS acceptor
 * credential, and the password check. */
#include "authd.h"
#include "log.h"

#include <errno.h>
#include <gssapi/gssapi_krb5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Tickets from a password check are thrown away at once; they need to
 * live just long enough to be verified. */
#define AUTHD_PASSWORD_TICKET_LIFE 300

static void authd_log_krb5(struct authd *a, const char *event,
			   const char *what, const char *user,
			   krb5_error_code code)
{
	const char *msg = krb5_get_error_message(a->krb5, code);

	log_info(event, "step=%s user=%s error=%s", what, user, msg);
	krb5_free_error_message(a->krb5, msg);
}

void authd_log_gss_error(const char *event, const char *what,
			 OM_uint32 major, OM_uint32 minor)
{
	struct buf major_text = BUF_INIT, minor_text = BUF_INIT;
	OM_uint32 ctx, tmp;
	gss_buffer_desc b;
	int i;

	/* Each status may expand to several messages (RFC 2743 section
	 * 2.4.1); bounded so a broken library cannot spin us. */
	for (i = 0; i < 2; i++) {
		OM_uint32 code = i == 0 ? major : minor;
		int type = i == 0 ? GSS_C_GSS_CODE : GSS_C_MECH_CODE;
		struct buf *out = i == 0 ? &major_text : &minor_text;
		int n = 0;

		ctx = 0;
		do {
			if (GSS_ERROR(gss_display_status(&tmp, code, type,
							 GSS_C_NO_OID, &ctx,
							 &b)))
				break;
			if (out->len > 0)
				buf_append_str(out, "; ");
			buf_append(out, b.value, b.length);
			gss_release_buffer(&tmp, &b);
		} while (ctx != 0 && ++n < 8);
	}
	log_info(event, "step=%s major=%s minor=%s", what,
		 buf_cstr(&major_text), buf_cstr(&minor_text));
	buf_free(&major_text);
	buf_free(&minor_text);
}

static void authd_krb5_fatal(struct authd *a, const char *what,
			     krb5_error_code code)
{
	const char *msg = krb5_get_error_message(a->krb5, code);

	log_fatal("%s: %s", what, msg);
}

/* Fails at start, not at the first login, when the keytab is missing,
 * unreadable or empty. */
static void authd_krb5_check_keytab(struct authd *a)
{
	krb5_kt_cursor cursor;
	krb5_keytab_entry entry;
	krb5_error_code ret;

	if (access(a->keytab_path, R_OK) < 0)
		log_fatal("auth_keytab %s: %s", a->keytab_path,
			  strerror(errno));
	ret = krb5_kt_start_seq_get(a->krb5, a->keytab, &cursor);
	if (ret != 0)
		authd_krb5_fatal(a, a->keytab_path, ret);
	ret = krb5_kt_next_entry(a->krb5, a->keytab, &entry, &cursor);
	if (ret == 0)
		krb5_free_keytab_entry_contents(a->krb5, &entry);
	krb5_kt_end_seq_get(a->krb5, a->keytab, &cursor);
	if (ret != 0)
		log_fatal("auth_keytab %s holds no keys", a->keytab_path);
}

void authd_krb5_init(struct authd *a)
{
	struct buf ktname = BUF_INIT;
	krb5_error_code ret;
	OM_uint32 major, minor;
	char *realm;

	ret = krb5_init_context(&a->krb5);
	if (ret != 0)
		log_fatal("krb5_init_context failed (error %d)", (int)ret);
	if (*a->set.auth_realm != '\0') {
		if (str_copy(a->realm, sizeof(a->realm),
			     a->set.auth_realm) < 0 ||
		    !auth_name_realm_valid(a->realm))
			log_fatal("auth_realm: not a valid realm name");
	} else {
		ret = krb5_get_default_realm(a->krb5, &realm);
		if (ret != 0)
			authd_krb5_fatal(a, "no auth_realm and no default "
					 "realm", ret);
		if (str_copy(a->realm, sizeof(a->realm), realm) < 0 ||
		    !auth_name_realm_valid(a->realm))
			log_fatal("default realm is not a valid realm name");
		krb5_free_default_realm(a->krb5, realm);
	}
	a->realms.local = a->realm;
	a->realms.foreign = a->set.auth_foreign_realms;

	buf_printf(&ktname, "FILE:%s", a->keytab_path);
	ret = krb5_kt_resolve(a->krb5, buf_cstr(&ktname), &a->keytab);
	buf_free(&ktname);
	if (ret != 0)
		authd_krb5_fatal(a, a->keytab_path, ret);
	authd_krb5_check_keytab(a);

	/* No principal: any key in the keytab may accept, and the GSSAPI
	 * mechanism then checks that the ticket was for the service the
	 * daemon named (RFC 4752 section 3.2). */
	major = gss_krb5_import_cred(&minor, NULL, NULL, a->keytab,
				     &a->acceptor);
	if (GSS_ERROR(major)) {
		authd_log_gss_error("auth_init_error", "gss_krb5_import_cred",
				    major, minor);
		log_fatal("cannot use auth_keytab %s for GSSAPI",
			  a->keytab_path);
	}
}

void authd_krb5_deinit(struct authd *a)
{
	OM_uint32 minor;

	if (a->acceptor != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &a->acceptor);
	if (a->keytab != NULL)
		krb5_kt_close(a->krb5, a->keytab);
	a->keytab = NULL;
	if (a->krb5 != NULL)
		krb5_free_context(a->krb5);
	a->krb5 = NULL;
}

static bool authd_krb5_data_is(const krb5_data *d, const char *s)
{
	return d->length == strlen(s) && memcmp(d->data, s, d->length) == 0;
}

/* The keytab principal `service`/HOST@REALM to verify tickets with: the
 * key of the service the user is logging in to, in the local realm. */
static int authd_krb5_service_principal(struct authd *a, const char *service,
					krb5_principal *princ_r)
{
	krb5_kt_cursor cursor;
	krb5_keytab_entry entry;
	int found = -1;

	if (krb5_kt_start_seq_get(a->krb5, a->keytab, &cursor) != 0)
		return -1;
	while (found < 0 &&
	       krb5_kt_next_entry(a->krb5, a->keytab, &entry, &cursor) == 0) {
		krb5_principal p = entry.principal;

		if (p->length == 2 && authd_krb5_data_is(&p->data[0], service) &&
		    authd_krb5_data_is(&p->realm, a->realm) &&
		    krb5_copy_principal(a->krb5, p, princ_r) == 0)
			found = 0;
		krb5_free_keytab_entry_contents(a->krb5, &entry);
	}
	krb5_kt_end_seq_get(a->krb5, a->keytab, &cursor);
	return found;
}

/* Only "could not reach or find the KDC" is temporary; every other error,
 * including the ones a spoofed KDC causes, is a plain refusal. */
static bool authd_krb5_is_temporary(krb5_error_code code)
{
	switch (code) {
	case KRB5_KDC_UNREACH:
	case KRB5_REALM_CANT_RESOLVE:
	case KRB5_REALM_UNKNOWN:
	case KRB5_CONFIG_NODEFREALM:
	case ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

static int authd_krb5_verify(struct authd *a, krb5_creds *creds,
			     const struct auth_name *name,
			     const char *service, enum auth_fail *fail_r)
{
	krb5_verify_init_creds_opt vopt;
	krb5_principal server;
	krb5_error_code ret;

	if (authd_krb5_service_principal(a, service, &server) < 0) {
		log_error("auth_config_error", "reason=%s service=%s",
			  "no keytab key for the service", service);
		*fail_r = AUTH_FAIL_TEMP;
		return -1;
	}
	/* ap_req_nofail: without it a missing key would make verification
	 * quietly succeed, which is exactly the hole it exists to close. */
	krb5_verify_init_creds_opt_init(&vopt);
	krb5_verify_init_creds_opt_set_ap_req_nofail(&vopt, 1);
	ret = krb5_verify_init_creds(a->krb5, creds, server, a->keytab, NULL,
				     &vopt);
	krb5_free_principal(a->krb5, server);
	if (ret != 0) {
		authd_log_krb5(a, "auth_krb5_error", "verify_init_creds",
			       name->user, ret);
		*fail_r = authd_krb5_is_temporary(ret) ? AUTH_FAIL_TEMP :
			AUTH_FAIL_AUTH;
		return -1;
	}
	return 0;
}

int authd_krb5_check_password(struct authd *a, const struct auth_name *name,
			      const char *password, const char *service,
			      enum auth_fail *fail_r)
{
	krb5_get_init_creds_opt *opt = NULL;
	krb5_principal client = NULL;
	krb5_creds creds;
	krb5_error_code ret;
	int result = -1;

	*fail_r = AUTH_FAIL_AUTH;
	memset(&creds, 0, sizeof(creds));
	/* Built from its parts, never parsed, so nothing in the name can be
	 * read as an instance or a realm. */
	ret = krb5_build_principal(a->krb5, &client,
				   (unsigned int)strlen(name->realm),
				   name->realm, name->name, (char *)NULL);
	if (ret == 0)
		ret = krb5_get_init_creds_opt_alloc(a->krb5, &opt);
	if (ret != 0) {
		authd_log_krb5(a, "auth_krb5_error", "setup", name->user, ret);
		*fail_r = AUTH_FAIL_TEMP;
		goto out;
	}
	krb5_get_init_creds_opt_set_tkt_life(opt, AUTHD_PASSWORD_TICKET_LIFE);
	krb5_get_init_creds_opt_set_forwardable(opt, 0);
	krb5_get_init_creds_opt_set_proxiable(opt, 0);
	/* No prompter: an expired password or a second factor fails rather
	 * than waiting for a terminal that does not exist. */
	ret = krb5_get_init_creds_password(a->krb5, &creds, client, password,
					   NULL, NULL, 0, NULL, opt);
	if (ret != 0) {
		authd_log_krb5(a, "auth_krb5_error", "get_init_creds",
			       name->user, ret);
		if (authd_krb5_is_temporary(ret))
			*fail_r = AUTH_FAIL_TEMP;
		goto out;
	}
	if (!krb5_principal_compare(a->krb5, creds.client, client)) {
		log_info("auth_krb5_error", "step=%s user=%s",
			 "ticket for another principal", name->user);
		goto out;
	}
	result = authd_krb5_verify(a, &creds, name, service, fail_r);
out:
	krb5_free_cred_contents(a->krb5, &creds);
	if (opt != NULL)
		krb5_get_init_creds_opt_free(a->krb5, opt);
	if (client != NULL)
		krb5_free_principal(a->krb5, client);
	return result;
}
