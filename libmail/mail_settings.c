#include "mail_settings.h"
#include "buf.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#define F(field) offsetof(struct mail_settings, field)

static const struct config_key mail_keys[] = {
	{ "local_domains", CONFIG_STRING, "", 0, 0, F(local_domains),
	  "The mail domains this host receives mail for, separated by "
	  "spaces or commas; the host name is always one of them.  Mail to "
	  "any other domain is relayed only for authenticated users and "
	  "trusted networks." },
	{ "aliases_file", CONFIG_STRING, "aliases", 0, 0, F(aliases_file),
	  "The aliases file (see aliases(5)); it must define postmaster and "
	  "abuse.  It is reread when it changes.  A relative path is taken "
	  "from state_dir; a missing file means no aliases." },
};

const struct config_table mail_config_table = {
	"mail", "Addresses: local domains, extensions and aliases.",
	CONFIG_KEYS(mail_keys)
};

void mail_settings_read(const struct config *cfg, struct mail_settings *set)
{
	const char *delim = config_get(cfg, "recipient_delimiter");

	config_fill(cfg, &mail_config_table, set);
	/* lmtpd's table declares it: one key, read by everyone who splits
	 * addresses. */
	set->recipient_delimiter = delim != NULL ? delim : "+";
}

bool mail_domain_is_local(const struct mail_settings *set,
			  const char *hostname, const char *domain)
{
	const char *p = set->local_domains;

	if (hostname != NULL && strcasecmp(hostname, domain) == 0)
		return true;
	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n > 0 && strlen(domain) == n &&
		    strncasecmp(p, domain, n) == 0)
			return true;
		p += n;
	}
	return false;
}

int mail_primary_domain(const struct mail_settings *set, const char *hostname,
			char *out, size_t size)
{
	const char *p = set->local_domains + strspn(set->local_domains, " ,\t");
	size_t n = strcspn(p, " ,\t");

	if (n == 0)
		return str_copy(out, size, hostname);
	if (n >= size)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}
