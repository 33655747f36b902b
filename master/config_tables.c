#include "config.h"
#include "master/authd_settings.h"
#include "master/master_settings.h"
#include "libmail/tls_settings.h"
#include "libmail/mail_settings.h"
#include "libmail/mailauth_settings.h"
#include "smtpd/smtpd_settings.h"
#include "queue/queue_settings.h"
#include "queue/relay_settings.h"
#include "imapd/imapd_settings.h"
#include "libmail/store_settings.h"
#include "imapd/lmtpd_settings.h"
#include "pop3d/pop3_settings.h"

/* Every program validates the whole file against every table, so this list
 * names them all.  A new module's table is added here. */
const struct config_table *const config_all_tables[] = {
	&master_config_table,
	&authd_config_table,
	&tls_config_table,
	&mail_config_table,
	&mailauth_config_table,
	&smtpd_config_table,
	&queue_config_table,
	&relay_config_table,
	&imapd_config_table,
	&store_config_table,
	&lmtpd_config_table,
	&pop3_config_table,
	NULL,
};
