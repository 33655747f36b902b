#ifndef SEALPOST_AUTHD_SETTINGS_H
#define SEALPOST_AUTHD_SETTINGS_H

#include "config.h"

#include <stddef.h>

/* The authentication service (authd) and the clients that reach it. */
struct authd_settings {
	const char *auth_keytab;
	const char *auth_krb5_config;
	const char *auth_realm;
	const char *auth_foreign_realms;
	const char *auth_admins;
	const char *auth_mechanisms;
	const char *auth_socket;
	unsigned int auth_workers;
	unsigned int auth_request_timeout;
	unsigned int auth_cache_ttl;
	unsigned int auth_cache_size;
	size_t auth_max_token_size;
};

extern const struct config_table authd_config_table;

#endif
