#include "tls_settings.h"

#include <stddef.h>

#define F(field) offsetof(struct tls_server_settings, field)

static const struct config_key tls_keys[] = {
	{ "tls_cert_file", CONFIG_STRING, "", 0, 0, F(tls_cert_file),
	  "PEM file with the server's certificate chain, presented on "
	  "STARTTLS and on the implicit-TLS ports (465, 993, 995).  Empty: "
	  "no TLS, so no STARTTLS and no password logins." },
	{ "tls_key_file", CONFIG_STRING, "", 0, 0, F(tls_key_file),
	  "PEM file with the private key of tls_cert_file.  It is read as "
	  "root before the daemons drop their privileges, so it can stay "
	  "readable by root only." },
	{ "tls_ca_file", CONFIG_STRING, "", 0, 0, F(tls_ca_file),
	  "PEM trust anchors for verifying peers (clients presenting "
	  "certificates).  Empty: none." },
	{ "tls_ciphers", CONFIG_STRING, "", 0, 0, F(tls_ciphers),
	  "OpenSSL cipher list for TLS 1.2.  Empty: forward-secret AEAD "
	  "suites only.  TLS 1.3 suites are always OpenSSL's defaults; TLS "
	  "1.2 is the oldest version accepted." },
};

const struct config_table tls_config_table = {
	"tls", "The server certificate of smtpd, imapd and pop3d.",
	CONFIG_KEYS(tls_keys)
};

int tls_server_ctx_from_config(const struct config *cfg,
			       struct tls_ctx **ctx_r, const char **error_r)
{
	struct tls_server_settings s;
	struct tls_settings ts = { NULL, NULL, NULL, false, NULL };

	config_fill(cfg, &tls_config_table, &s);
	*ctx_r = NULL;
	if (*s.tls_cert_file == '\0' && *s.tls_key_file == '\0')
		return 0;
	ts.cert_file = s.tls_cert_file;
	ts.key_file = s.tls_key_file;
	ts.ca_file = *s.tls_ca_file != '\0' ? s.tls_ca_file : NULL;
	ts.ciphers = *s.tls_ciphers != '\0' ? s.tls_ciphers : NULL;
	return tls_ctx_new(TLS_ROLE_SERVER, &ts, ctx_r, error_r);
}
