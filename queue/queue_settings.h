#ifndef SEALPOST_QUEUE_SETTINGS_H
#define SEALPOST_QUEUE_SETTINGS_H

#include "config.h"

#include <stddef.h>

struct queue_settings {
	const char *queue_socket;
	unsigned int qmgr_workers;
	unsigned int minimal_backoff_time;
	unsigned int maximal_backoff_time;
	unsigned int maximal_queue_lifetime;
	unsigned int bounce_queue_lifetime;
	unsigned int queue_run_delay;
	unsigned int delay_warning_time;
	unsigned int qmgr_message_active_limit;
	unsigned int qmgr_relay_active_limit;
	unsigned int lmtp_destination_concurrency_limit;
	unsigned int lmtp_timeout;
	unsigned int lmtp_connection_idle_timeout;
	unsigned int lmtp_connection_reuse_limit;
	const char *stats_listen;
};

extern const struct config_table queue_config_table;

#endif
