#include "master_settings.h"

#include <stddef.h>

#define F(field) offsetof(struct master_settings, field)

static const struct config_key master_keys[] = {
	{ "state_dir", CONFIG_STRING, "/var/lib/sealpost", 0, 0, F(state_dir),
	  "Folder holding the spool, the store, the queue, the Berkeley DB "
	  "environment, the sockets and the pid file.  Relative paths in "
	  "other keys are taken from here.  It must belong to mail_user and "
	  "be unreadable by others." },
	{ "hostname", CONFIG_STRING, "", 0, 0, F(hostname),
	  "The name this host gives itself in SMTP greetings, Received "
	  "headers, DSNs and IMAP/POP3 greetings.  Empty: the system's host "
	  "name." },
	{ "mail_user", CONFIG_STRING, "sealpost", 0, 0, F(mail_user),
	  "The unprivileged user (and its primary group) that every "
	  "network-facing daemon runs as once the master has bound its "
	  "sockets.  Only used when the master starts as root." },
	{ "auth_user", CONFIG_STRING, "sealpost-auth", 0, 0, F(auth_user),
	  "The user the authentication service runs as: the only one that "
	  "can read the keytab.  It must differ from mail_user, so that a "
	  "flaw in a protocol daemon cannot reach the keys.  Only used when "
	  "the master starts as root." },
	{ "log_target", CONFIG_STRING, "syslog", 0, 0, F(log_target),
	  "Where log lines go: syslog (facility mail) or stderr." },
	{ "log_file", CONFIG_STRING, "/var/log/mail.log", 0, 0, F(log_file),
	  "The file where the log lines end up (through syslog or the "
	  "service manager), which `sealpost trace` and `sealpost stats` "
	  "read, with its rotated copy FILE.1.  The daemons never write "
	  "it themselves; see log_target.  A relative path is taken from "
	  "state_dir." },
	{ "log_level", CONFIG_STRING, "info", 0, 0, F(log_level),
	  "The least important lines logged: debug, info, warn or error." },
	{ "shutdown_grace", CONFIG_TIME, "10s", 0, 3600, F(shutdown_grace),
	  "On SIGTERM the master asks every worker to finish its sessions and "
	  "kills those still running after this long." },
	{ "restart_backoff_max", CONFIG_TIME, "60s", 1, 3600,
	  F(restart_backoff_max),
	  "A worker that dies is restarted at once the first time, then "
	  "after a delay that doubles with each quick death, up to this "
	  "long." },
};

const struct config_table master_config_table = {
	"master", "Settings every program shares.", CONFIG_KEYS(master_keys)
};
