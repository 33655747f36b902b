/* Who may relay and which sender addresses a user may use. */
#include "smtpd.h"
#include "buf.h"
#include "smtp_address.h"
#include "worker.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int smtpd_parse_network(const char *text, struct smtpd_network *n)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	unsigned long prefix;
	char *end;

	if (str_copy(addr, sizeof(addr), text) < 0)
		return -1;
	if (slash != NULL)
		addr[slash - text] = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, addr, n->addr) == 1) {
		n->family = AF_INET;
		n->prefix = 32;
	} else if (inet_pton(AF_INET6, addr, n->addr) == 1) {
		n->family = AF_INET6;
		n->prefix = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || slash[1] == '\0' ||
		    prefix > n->prefix)
			return -1;
		n->prefix = (unsigned int)prefix;
	}
	return 0;
}

static int smtpd_load_networks(struct smtpd *s, const char **error_r)
{
	static char error[256];
	const char *p = s->set.smtpd_trusted_networks;

	while (*p != '\0') {
		char word[80];
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		s->trusted = xrealloc(s->trusted, (s->trusted_count + 1) *
				      sizeof(*s->trusted));
		if (n >= sizeof(word) ||
		    (memcpy(word, p, n), word[n] = '\0',
		     smtpd_parse_network(word, &s->trusted[s->trusted_count]) < 0)) {
			snprintf(error, sizeof(error),
				 "smtpd_trusted_networks: bad network %.*s",
				 (int)(n > 64 ? 64 : n), p);
			*error_r = error;
			return -1;
		}
		s->trusted_count++;
		p += n;
	}
	return 0;
}

static int smtpd_load_logins(struct smtpd *s, const char **error_r)
{
	static char error[512];
	char *path, line[1024];
	FILE *f;
	unsigned int lineno = 0;

	if (*s->set.smtpd_sender_login_map == '\0')
		return 0;
	path = worker_path(s->worker, s->set.smtpd_sender_login_map);
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(error, sizeof(error), "smtpd_sender_login_map %s: %s",
			 path, strerror(errno));
		*error_r = error;
		free(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *addr, *users;
		size_t i;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		p += strspn(p, " \t");
		if (*p == '#' || *p == '\0')
			continue;
		addr = strsep(&p, " \t");
		users = p != NULL ? p + strspn(p, " \t") : NULL;
		if (users == NULL || *users == '\0') {
			snprintf(error, sizeof(error), "%s line %u: expected "
				 "`address user[,user]`", path, lineno);
			*error_r = error;
			fclose(f);
			free(path);
			return -1;
		}
		for (i = 0; addr[i] != '\0'; i++)
			addr[i] = (char)tolower((unsigned char)addr[i]);
		s->logins = xrealloc(s->logins, (s->login_count + 1) *
				     sizeof(*s->logins));
		s->logins[s->login_count].address = xstrdup(addr);
		s->logins[s->login_count].users = xstrdup(users);
		s->login_count++;
	}
	fclose(f);
	free(path);
	return 0;
}

int smtpd_policy_load(struct smtpd *s, const char **error_r)
{
	if (smtpd_load_networks(s, error_r) < 0 ||
	    smtpd_load_logins(s, error_r) < 0)
		return -1;
	return 0;
}

void smtpd_policy_free(struct smtpd *s)
{
	size_t i;

	for (i = 0; i < s->login_count; i++) {
		free(s->logins[i].address);
		free(s->logins[i].users);
	}
	free(s->logins);
	free(s->trusted);
}

bool smtpd_policy_trusted(const struct smtpd *s, const char *ip)
{
	unsigned char a[16];
	int family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
	size_t i;

	if (inet_pton(family, ip, a) != 1)
		return false;
	for (i = 0; i < s->trusted_count; i++) {
		const struct smtpd_network *n = &s->trusted[i];
		unsigned int full = n->prefix / 8, rest = n->prefix % 8;

		if (n->family != family || memcmp(a, n->addr, full) != 0)
			continue;
		if (rest == 0 ||
		    ((a[full] ^ n->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0)
			return true;
	}
	return false;
}

bool smtpd_policy_domain_is_local(const struct smtpd *s, const char *domain)
{
	return domain != NULL &&
		mail_domain_is_local(&s->mail, s->hostname, domain);
}

static bool smtpd_user_listed(const char *users, const char *user)
{
	size_t len = strlen(user);

	while (*users != '\0') {
		size_t n;

		users += strspn(users, " ,\t");
		n = strcspn(users, " ,\t");
		if (n == len && strncmp(users, user, n) == 0)
			return true;
		users += n;
	}
	return false;
}

bool smtpd_policy_sender_ok(const struct smtpd *s, const char *user,
			    const struct smtp_address *sender)
{
	struct buf addr = BUF_INIT;
	size_t i, len;
	const char *detail;
	bool ok = false, listed = false;

	if (sender->null_path)
		return false;
	smtp_address_write(&addr, sender);
	for (i = 0; i < addr.len; i++)
		addr.data[i] = (char)tolower((unsigned char)addr.data[i]);
	for (i = 0; i < s->login_count; i++) {
		if (strcmp(s->logins[i].address, buf_cstr(&addr)) == 0) {
			listed = true;
			ok = smtpd_user_listed(s->logins[i].users, user);
		}
	}
	buf_free(&addr);
	if (listed)
		return ok;
	/* The built-in rule: the user's own name in a local domain. */
	if (!smtpd_policy_domain_is_local(s, sender->domain))
		return false;
	if (!smtp_address_split_detail(sender->local_part,
				       s->mail.recipient_delimiter, &len,
				       &detail))
		len = strlen(sender->local_part);
	return strlen(user) == len &&
		strncasecmp(sender->local_part, user, len) == 0;
}
