#include "pop3_settings.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F(field) offsetof(struct pop3_settings, field)

static const struct config_key pop3_keys[] = {
	{ "pop3_listen", CONFIG_STRING, "127.0.0.1:110", 0, 0, F(pop3_listen),
	  "Addresses (host:port, [v6]:port or *:port, separated by spaces) "
	  "where pop3d serves POP3 (RFC 1939) with STLS (RFC 2595).  "
	  "Passwords are accepted only after STLS.  Empty: no POP3 port." },
	{ "pop3s_listen", CONFIG_STRING, "", 0, 0, F(pop3s_listen),
	  "Addresses where pop3d serves POP3 inside implicit TLS (port 995, "
	  "RFC 8314).  Needs tls_cert_file and tls_key_file.  Anything a "
	  "client sends before the handshake is discarded.  Empty: none." },
	{ "kpop_listen", CONFIG_STRING, "127.0.0.1:1109", 0, 0, F(kpop_listen),
	  "Addresses where pop3d serves KPOP: POP3 that accepts only "
	  "Kerberos 5 (AUTH GSSAPI, RFC 4752); USER/PASS and PLAIN are "
	  "refused there even inside TLS.  See pop3d(8).  Empty: none." },
	{ "pop3_workers", CONFIG_UINT, "2", 0, 256, F(pop3_workers),
	  "How many pop3d processes the master runs.  Each serves many "
	  "sessions from one event loop.  0 turns the service off." },
	{ "pop3_max_connections", CONFIG_UINT, "1000", 0, 1000000,
	  F(pop3_max_connections),
	  "Sessions one pop3d process serves at once; further clients get "
	  "-ERR [SYS/TEMP] and are disconnected.  0: no limit." },
	{ "pop3_max_per_ip", CONFIG_UINT, "20", 0, 1000000,
	  F(pop3_max_per_ip),
	  "Sessions one pop3d process serves at once for one client "
	  "address.  0: no limit." },
	{ "pop3_idle_timeout", CONFIG_TIME, "10m", 600, 86400,
	  F(pop3_idle_timeout),
	  "A session that sends nothing for this long is closed without "
	  "entering the UPDATE state, so nothing it marked is deleted.  "
	  "RFC 1939 section 3 requires at least 10 minutes." },
	{ "pop3_user_login", CONFIG_BOOL, "yes", 0, 0, F(pop3_user_login),
	  "Offer USER and PASS (RFC 1939 section 7).  Even when set they "
	  "are accepted only inside TLS and never on the KPOP port; the "
	  "password is checked by authd against Kerberos.  APOP is never "
	  "offered: it needs the clear-text password on the server, and "
	  "Kerberos keeps none." },
	{ "pop3_login_delay", CONFIG_TIME, "0", 0, 86400,
	  F(pop3_login_delay),
	  "Minimum time between two successful logins of one user, "
	  "announced as LOGIN-DELAY (RFC 2449 section 6.5) and enforced "
	  "with -ERR [LOGIN-DELAY].  0: not announced, not enforced." },
	{ "pop3_expire", CONFIG_STRING, "", 0, 0, F(pop3_expire),
	  "The retention policy announced as EXPIRE (RFC 2449 section "
	  "6.7): a number of days, or NEVER.  With 0, clients may not keep "
	  "mail on the server: every message retrieved with RETR is "
	  "deleted at QUIT as if DELE had been given.  Other values are "
	  "only announced; pop3d itself deletes nothing.  Empty: not "
	  "announced." },
	{ "pop3_login_rate_limit", CONFIG_UINT, "20", 0, 100000,
	  F(pop3_login_rate_limit),
	  "Login attempts allowed per user name in each "
	  "pop3_login_rate_window, counted across all pop3d processes and "
	  "whether or not the name exists; further attempts get -ERR "
	  "[LOGIN-DELAY] without the password being checked.  0: no "
	  "limit." },
	{ "pop3_login_rate_window", CONFIG_TIME, "1m", 1, 86400,
	  F(pop3_login_rate_window),
	  "The period over which pop3_login_rate_limit counts attempts." },
	{ "pop3_auth_fail_delay", CONFIG_TIME, "2s", 0, 60,
	  F(pop3_auth_fail_delay),
	  "How long pop3d waits before answering a failed login, so that "
	  "guessing passwords over one connection is slow." },
	{ "pop3_max_auth_failures", CONFIG_UINT, "3", 1, 100,
	  F(pop3_max_auth_failures),
	  "Failed logins after which the session is closed." },
};

const struct config_table pop3_config_table = {
	"pop3", "pop3d: POP3 (RFC 1939), POP3 over TLS and KPOP.",
	CONFIG_KEYS(pop3_keys)
};

int pop3_settings_expire(const char *value, long *days_r)
{
	char *end;
	long days;

	if (*value == '\0') {
		*days_r = POP3_EXPIRE_NONE;
		return 0;
	}
	if (strcasecmp(value, "NEVER") == 0) {
		*days_r = POP3_EXPIRE_NEVER;
		return 0;
	}
	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	days = strtol(value, &end, 10);
	if (errno != 0 || *end != '\0' || days > 100000)
		return -1;
	*days_r = days;
	return 0;
}
