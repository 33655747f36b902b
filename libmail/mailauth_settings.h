#ifndef SEALPOST_MAILAUTH_SETTINGS_H
#define SEALPOST_MAILAUTH_SETTINGS_H

/*
 * Mail authentication of received mail: SPF (spf.h) and DMARC (dmarc.h).
 * The resolver they use is the relay's (dns_servers, dns_timeout), so a
 * post office has one idea of where the DNS is.
 */

#include "config.h"

#include <stdbool.h>

struct mailauth_settings {
	unsigned int spf_timeout;	/* seconds */
	const char *public_suffix_list;
	bool dmarc_reject;
};

extern const struct config_table mailauth_config_table;

#endif
