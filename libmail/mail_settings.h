#ifndef SEALPOST_MAIL_SETTINGS_H
#define SEALPOST_MAIL_SETTINGS_H

/*
 * What smtpd, qmgr and sendmail(1) share about addresses: which domains
 * are ours, how a user+detail address splits, and where the aliases are.
 */

#include "config.h"

#include <stdbool.h>

struct mail_settings {
	const char *local_domains;
	const char *recipient_delimiter;
	const char *aliases_file;
};

extern const struct config_table mail_config_table;

/* Fills `set` from the config (recipient_delimiter comes from lmtpd's
 * table). */
void mail_settings_read(const struct config *cfg, struct mail_settings *set);

/* Whether `domain` (lowercase, as smtp_address normalises it) is one of
 * local_domains, or the host name `hostname`. */
bool mail_domain_is_local(const struct mail_settings *set,
			  const char *hostname, const char *domain);

/* The first local domain (the one bare names belong to), or `hostname`
 * when local_domains is empty.  Copied into `out` of `size` bytes; -1 if it
 * does not fit. */
int mail_primary_domain(const struct mail_settings *set, const char *hostname,
			char *out, size_t size);

#endif
