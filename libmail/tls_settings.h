#ifndef SEALPOST_TLS_SETTINGS_H
#define SEALPOST_TLS_SETTINGS_H

#include "config.h"
#include "tls.h"

/* The server certificate every TLS-speaking daemon (smtpd, imapd, pop3d)
 * presents.  Keys are loaded before the daemon drops its privileges. */
struct tls_server_settings {
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *tls_ca_file;
	const char *tls_ciphers;
};

extern const struct config_table tls_config_table;

/* Builds a server context from the config; -1 with a reason when a file
 * is missing or the key does not match.  Empty cert and key files give 0
 * with *ctx_r NULL: TLS is not configured, so STARTTLS is not offered and
 * implicit-TLS listeners refuse to start. */
int tls_server_ctx_from_config(const struct config *cfg,
			       struct tls_ctx **ctx_r, const char **error_r);

#endif
