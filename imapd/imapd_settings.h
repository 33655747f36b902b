#ifndef SEALPOST_IMAPD_SETTINGS_H
#define SEALPOST_IMAPD_SETTINGS_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

/* imapd's options (the table is in imapd_settings.c, the documentation in
 * sealpost.conf(5), generated from it). */
struct imapd_settings {
	const char *imap_listen;
	const char *imaps_listen;
	unsigned int imap_workers;
	unsigned int imap_max_connections;
	unsigned int imap_max_connections_per_ip;
	unsigned int imap_max_user_sessions;
	size_t imap_max_command_size;
	size_t imap_max_literal_size;
	size_t imap_max_append_size;
	unsigned int imap_max_list_depth;
	unsigned int imap_max_arguments;
	unsigned int imap_search_slice_ms;
	unsigned int imap_search_read_ahead;
	unsigned int imap_search_read_threads;
	unsigned int imap_search_read_threads_max;
	unsigned int imap_thread_max_references;
	unsigned int imap_login_timeout;
	unsigned int imap_idle_timeout;
	bool imap_notify_poll;
	unsigned int imap_auth_fail_delay;
	unsigned int imap_max_auth_failures;
	unsigned int imap_max_bad_commands;
	size_t imap_metadata_max_size;
	unsigned int imap_metadata_max_entries;
	bool imap_group_commit;
	unsigned int imap_commit_max_commands;
};

extern const struct config_table imapd_config_table;

#endif
