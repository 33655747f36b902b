#ifndef SEALPOST_RELAY_SETTINGS_H
#define SEALPOST_RELAY_SETTINGS_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

/* The relay: the queue manager's SMTP client for other domains. */
struct relay_settings {
	const char *relayhost;
	const char *dns_servers;
	unsigned int dns_timeout;
	unsigned int smtp_port;
	bool smtp_tls;
	const char *smtp_tls_policy;
	const char *smtp_tls_ca_file;
	const char *smtp_sasl_password_file;
	unsigned int smtp_destination_concurrency_limit;
	unsigned int smtp_destination_waiting_limit;
	unsigned int smtp_concurrency_limit;
	unsigned int smtp_connection_cache_time;
	unsigned int smtp_connect_timeout;
	unsigned int smtp_helo_timeout;
	unsigned int smtp_starttls_timeout;
	unsigned int smtp_mail_timeout;
	unsigned int smtp_rcpt_timeout;
	unsigned int smtp_data_init_timeout;
	unsigned int smtp_data_xfer_timeout;
	unsigned int smtp_data_done_timeout;
	unsigned int smtp_quit_timeout;
	const char *dkim_sign;
	unsigned int dkim_signature_expire;
};

extern const struct config_table relay_config_table;

#endif
