#ifndef SEALPOST_POP3_SETTINGS_H
#define SEALPOST_POP3_SETTINGS_H

#include "config.h"

#include <stdbool.h>

/* What pop3d reads from sealpost.conf, filled once at start-up by
 * config_fill() and never changed afterwards. */
struct pop3_settings {
	const char *pop3_listen;
	const char *pop3s_listen;
	const char *kpop_listen;
	unsigned int pop3_workers;
	unsigned int pop3_max_connections;
	unsigned int pop3_max_per_ip;
	unsigned int pop3_idle_timeout;
	bool pop3_user_login;
	unsigned int pop3_login_delay;
	const char *pop3_expire;
	unsigned int pop3_login_rate_limit;
	unsigned int pop3_login_rate_window;
	unsigned int pop3_auth_fail_delay;
	unsigned int pop3_max_auth_failures;
};

extern const struct config_table pop3_config_table;

/* pop3_expire as pop3d uses it: POP3_EXPIRE_NONE when empty (nothing
 * announced), POP3_EXPIRE_NEVER for "NEVER", or a number of days.  -1 when
 * the value is none of these. */
#define POP3_EXPIRE_NONE  (-1L)
#define POP3_EXPIRE_NEVER (-2L)
int pop3_settings_expire(const char *value, long *days_r);

#endif
