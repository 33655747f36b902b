/* The GSSAPI mechanism, server side (RFC 4752 section 3.2), with the
 * Kerberos V5 GSS-API mechanism (RFC 4121) and the keytab's keys. */
#include "authd.h"
#include "log.h"
#include "sasl_message.h"

#include <gssapi/gssapi_krb5.h>
#include <stdlib.h>
#include <string.h>

/* RFC 4752 section 3.3: bit 1 is "no security layer" (SASL_GSSAPI_LAYER_NONE).
 * We offer only that: the daemons speak TLS for confidentiality, and a SASL
 * layer under TLS would only add a second framing for every byte. */

enum authd_gss_phase {
	AUTHD_GSS_ACCEPT,	/* GSS_Accept_sec_context rounds */
	AUTHD_GSS_EMPTY,	/* sent the last context token; want "" */
	AUTHD_GSS_LAYER,	/* sent the wrapped layer offer */
};

struct authd_gss_state {
	enum authd_gss_phase phase;
	gss_ctx_id_t ctx;
	struct auth_name name;
};

static void authd_gss_set_challenge(struct authd_exchange *x,
				    const gss_buffer_desc *b)
{
	buf_clear(&x->challenge);
	buf_append(&x->challenge, b->value, b->length);
}

/*
 * RFC 4752 section 3.2: with a GSS_C_NO_NAME acceptor the server SHOULD
 * check that the client asked for "service@host", that is a two-component
 * principal whose first component is our service.  Without this a ticket
 * for smtp/host would log in to IMAP.
 */
static int authd_gss_check_target(struct authd_exchange *x,
				  struct authd_gss_state *st,
				  const char **error_r)
{
	OM_uint32 major, minor;
	gss_name_t target = GSS_C_NO_NAME;
	gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
	size_t slen = strlen(x->service);
	const char *p, *slash, *at;
	int ret = -1;

	major = gss_inquire_context(&minor, st->ctx, NULL, &target, NULL,
				    NULL, NULL, NULL, NULL);
	if (GSS_ERROR(major)) {
		authd_log_gss_error("auth_gss_error", "gss_inquire_context",
				    major, minor);
		*error_r = "no target name";
		return -1;
	}
	major = gss_display_name(&minor, target, &text, NULL);
	if (GSS_ERROR(major)) {
		authd_log_gss_error("auth_gss_error", "gss_display_name",
				    major, minor);
		*error_r = "no target name";
		goto out;
	}
	p = text.value;
	slash = memchr(p, '/', text.length);
	at = memchr(p, '@', text.length);
	*error_r = "ticket for another service";
	if (slash != NULL && at != NULL && slash < at &&
	    (size_t)(slash - p) == slen && memcmp(p, x->service, slen) == 0 &&
	    memchr(slash + 1, '/', (size_t)(at - slash - 1)) == NULL)
		ret = 0;
out:
	gss_release_buffer(&minor, &text);
	gss_release_name(&minor, &target);
	return ret;
}

/* The client's principal, mapped to a user. */
static int authd_gss_client_name(struct authd_exchange *x,
				 struct authd_gss_state *st, gss_name_t src,
				 const char **error_r)
{
	gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
	char principal[AUTH_USER_SIZE];
	OM_uint32 major, minor;
	int ret = -1;

	major = gss_display_name(&minor, src, &text, NULL);
	if (GSS_ERROR(major)) {
		authd_log_gss_error("auth_gss_error", "gss_display_name",
				    major, minor);
		*error_r = "no client name";
		return -1;
	}
	if (text.length >= sizeof(principal) ||
	    memchr(text.value, '\0', text.length) != NULL) {
		*error_r = "bad principal";
	} else {
		memcpy(principal, text.value, text.length);
		principal[text.length] = '\0';
		ret = auth_name_from_principal(principal, &x->authd->realms,
					       &st->name, error_r);
	}
	gss_release_buffer(&minor, &text);
	return ret;
}

/* Context complete: check it, then offer the layers (or first pass on the
 * last context token). */
static enum authd_step authd_gss_established(struct authd_exchange *x,
					     struct authd_gss_state *st,
					     gss_name_t src, gss_OID mech,
					     const gss_buffer_desc *out)
{
	const char *error;

	/* RFC 4752 section 3.2: the mechanism must be Kerberos V5. */
	if (mech == GSS_C_NO_OID || mech->length != gss_mech_krb5->length ||
	    memcmp(mech->elements, gss_mech_krb5->elements,
		   mech->length) != 0)
		return authd_fail(x, AUTH_FAIL_AUTH, "", "not Kerberos V5");
	if (authd_gss_check_target(x, st, &error) < 0 ||
	    authd_gss_client_name(x, st, src, &error) < 0)
		return authd_fail(x, AUTH_FAIL_AUTH, st->name.user, error);
	if (out->length > 0) {
		authd_gss_set_challenge(x, out);
		st->phase = AUTHD_GSS_EMPTY;
		return AUTHD_STEP_CONTINUE;
	}
	st->phase = AUTHD_GSS_LAYER;
	return AUTHD_STEP_CONTINUE;
}

static enum authd_step authd_gss_accept(struct authd_exchange *x,
					struct authd_gss_state *st,
					const unsigned char *in, size_t len)
{
	gss_buffer_desc input = { len, (void *)in };
	gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
	gss_cred_id_t delegated = GSS_C_NO_CREDENTIAL;
	gss_name_t src = GSS_C_NO_NAME;
	gss_OID mech = GSS_C_NO_OID;
	OM_uint32 major, minor, tmp;
	enum authd_step step;

	/* No channel bindings: RFC 4752 defines none, and clients send
	 * none. */
	major = gss_accept_sec_context(&minor, &st->ctx, x->authd->acceptor,
				       &input, GSS_C_NO_CHANNEL_BINDINGS,
				       &src, &mech, &output, NULL, NULL,
				       &delegated);
	if (delegated != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&tmp, &delegated);
	if (GSS_ERROR(major)) {
		authd_log_gss_error("auth_gss_error", "gss_accept_sec_context",
				    major, minor);
		step = authd_fail(x, AUTH_FAIL_AUTH, "", "context refused");
	} else if (major & GSS_S_CONTINUE_NEEDED) {
		authd_gss_set_challenge(x, &output);
		step = AUTHD_STEP_CONTINUE;
	} else {
		step = authd_gss_established(x, st, src, mech, &output);
	}
	gss_release_buffer(&tmp, &output);
	gss_release_name(&tmp, &src);
	return step;
}

/* RFC 4752 section 3.2: four octets, layers bit-mask and maximum size
 * (0, since we offer no layer), wrapped without confidentiality. */
static enum authd_step authd_gss_offer_layers(struct authd_exchange *x,
					      struct authd_gss_state *st)
{
	unsigned char offer[4] = { SASL_GSSAPI_LAYER_NONE, 0, 0, 0 };
	gss_buffer_desc in = { sizeof(offer), offer };
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor;

	major = gss_wrap(&minor, st->ctx, 0, GSS_C_QOP_DEFAULT, &in, NULL,
			 &out);
	if (GSS_ERROR(major)) {
		authd_log_gss_error("auth_gss_error", "gss_wrap", major, minor);
		return authd_fail(x, AUTH_FAIL_AUTH, st->name.user,
				  "cannot wrap");
	}
	authd_gss_set_challenge(x, &out);
	gss_release_buffer(&minor, &out);
	return AUTHD_STEP_CONTINUE;
}

/* The client's choice: exactly "no layer", max size ignored (it must be 0
 * with no layer, but RFC 4752 gives the server nothing to do with it),
 * then the authzid. */
static enum authd_step authd_gss_choose(struct authd_exchange *x,
					struct authd_gss_state *st,
					const unsigned char *in, size_t len)
{
	gss_buffer_desc input = { len, (void *)in };
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	char authzid[AUTH_USER_SIZE];
	OM_uint32 major, minor;
	const char *error;
	int conf = 0;

	major = gss_unwrap(&minor, st->ctx, &input, &out, &conf, NULL);
	if (GSS_ERROR(major)) {
		authd_log_gss_error("auth_gss_error", "gss_unwrap", major,
				    minor);
		return authd_fail(x, AUTH_FAIL_AUTH, st->name.user,
				  "bad layer choice");
	}
	if (sasl_gssapi_layer_choice(out.value, out.length, authzid,
				     sizeof(authzid), &error) < 0) {
		gss_release_buffer(&minor, &out);
		return authd_fail(x, AUTH_FAIL_AUTH, st->name.user, error);
	}
	gss_release_buffer(&minor, &out);
	return authd_login(x, &st->name, authzid);
}

static enum authd_step authd_gssapi_step(struct authd_exchange *x,
					 const unsigned char *in, size_t len,
					 bool has_in)
{
	struct authd_gss_state *st = x->mech_state;

	if (st == NULL) {
		st = x->mech_state = xcalloc(1, sizeof(*st));
		st->ctx = GSS_C_NO_CONTEXT;
		/* RFC 4752 has the client speak first; with no initial
		 * response, an empty challenge asks for its token. */
		if (!has_in) {
			buf_clear(&x->challenge);
			return AUTHD_STEP_CONTINUE;
		}
	}
	switch (st->phase) {
	case AUTHD_GSS_ACCEPT: {
		enum authd_step step = authd_gss_accept(x, st, in, len);

		if (step == AUTHD_STEP_CONTINUE && st->phase == AUTHD_GSS_LAYER)
			return authd_gss_offer_layers(x, st);
		return step;
	}
	case AUTHD_GSS_EMPTY:
		if (len != 0)
			return authd_fail(x, AUTH_FAIL_PROTO, st->name.user,
					  "response to last token not empty");
		st->phase = AUTHD_GSS_LAYER;
		return authd_gss_offer_layers(x, st);
	case AUTHD_GSS_LAYER:
		return authd_gss_choose(x, st, in, len);
	}
	log_panic("authd_gssapi_step: bad phase %d", (int)st->phase);
}

static void authd_gssapi_free(struct authd_exchange *x)
{
	struct authd_gss_state *st = x->mech_state;
	OM_uint32 minor;

	if (st == NULL)
		return;
	if (st->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &st->ctx, GSS_C_NO_BUFFER);
	free(st);
	x->mech_state = NULL;
}

const struct authd_mech authd_mech_gssapi = {
	"GSSAPI", false, authd_gssapi_step, authd_gssapi_free,
};
