#ifndef SEALPOST_SMTPD_SETTINGS_H
#define SEALPOST_SMTPD_SETTINGS_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

struct smtpd_settings {
	const char *smtp_listen;
	const char *submission_listen;
	const char *submissions_listen;
	unsigned int smtpd_workers;
	const char *smtpd_trusted_networks;
	const char *smtpd_sender_login_map;
	size_t message_size_limit;
	unsigned int smtpd_recipient_limit;
	size_t smtpd_max_line_length;
	size_t smtpd_header_size_limit;
	unsigned int smtpd_hop_count_limit;
	unsigned int smtpd_hard_error_limit;
	unsigned int smtpd_timeout;
	unsigned int smtpd_max_session_time;
	unsigned int smtpd_max_connections;
	unsigned int smtpd_client_connection_limit;
	const char *authserv_id;
	bool smtpd_dkim_verify;
	unsigned int smtpd_dkim_max_signatures;
	bool smtpd_mailauth_verify;
};

extern const struct config_table smtpd_config_table;

#endif
