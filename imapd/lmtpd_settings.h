#ifndef SEALPOST_LMTPD_SETTINGS_H
#define SEALPOST_LMTPD_SETTINGS_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

struct lmtpd_settings {
	const char *lmtp_socket;
	const char *lmtp_listen;
	unsigned int lmtp_workers;
	size_t lmtp_max_message_size;
	size_t lmtp_spool_memory;
	unsigned int lmtp_max_recipients;
	unsigned int lmtp_timeout;
	unsigned int lmtp_dedup_window;
	unsigned int lmtp_commit_max;
	unsigned int lmtp_mailboxes_kept;
	bool lmtp_quota_temporary;
	const char *recipient_delimiter;
	const char *bb_address_prefix;
};

extern const struct config_table lmtpd_config_table;

#endif
