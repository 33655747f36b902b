#ifndef SEALPOST_MASTER_SETTINGS_H
#define SEALPOST_MASTER_SETTINGS_H

#include "config.h"

/* What every program needs: where the state lives, who to run as, how to
 * log. */
struct master_settings {
	const char *state_dir;
	const char *hostname;
	const char *mail_user;
	const char *auth_user;
	const char *log_target;
	const char *log_level;
	const char *log_file;
	unsigned int shutdown_grace;
	unsigned int restart_backoff_max;
};

extern const struct config_table master_config_table;

#endif
