#ifndef SEALPOST_STORE_SETTINGS_H
#define SEALPOST_STORE_SETTINGS_H

#include "config.h"

#include <stddef.h>

struct store_settings {
	size_t quota_default_storage;
	unsigned int quota_default_messages;
	unsigned int quota_warn_percent;
	unsigned int acl_max_entries;
	size_t mailbox_checkpoint_log_bytes;
	unsigned int database_stuck_timeout;	/* seconds; 0: no watch */
};

extern const struct config_table store_config_table;

#endif
