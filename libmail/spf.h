#ifndef SEALPOST_SPF_H
#define SEALPOST_SPF_H

/*
 * SPF (RFC 7208): check_host() for the MAIL FROM and the HELO identity,
 * run asynchronously in the caller's event loop over libmail/dns.h.
 *
 * A check is started with spf_check_start() (smtpd: at MAIL FROM) and
 * ends with one call of its callback, always from the loop, never from
 * inside spf_check_start().  It can be cancelled until then.  Every DNS
 * failure, and a check still running after the settings' timeout, gives
 * temperror; the lookup limits of RFC 7208 4.6.4 (10 terms causing
 * lookups, 2 void lookups, 10 MX names) give permerror.  DNS answers are
 * cached for their TTL by the resolver, so checking the same sender again
 * costs no round trip while its records are fresh.
 *
 * In a daemon, once at start-up and then once per MAIL FROM:
 *
 *	dns_new(loop, relay.dns_servers, relay.dns_timeout * 1000, &dns, &e);
 *	struct spf_settings ss = { auth.spf_timeout * 1000, hostname };
 *	spf = spf_new(loop, dns, &ss);
 *	...
 *	struct spf_query q = { client_ip, mail_from, helo, SPF_ID_MAILFROM };
 *	session->spf = spf_check_start(spf, &q, session_spf_done, session);
 *
 * and spf_check_cancel(&session->spf) if the session ends first.
 */

#include <stdbool.h>

struct dns;
struct event_loop;
struct spf;
struct spf_check;

enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

/* RFC 7208 4.6.4; section 11.1 on why. */
#define SPF_LOOKUP_MAX 10
#define SPF_VOID_MAX 2
#define SPF_MX_MAX 10
#define SPF_PTR_MAX 10

enum spf_identity {
	SPF_ID_MAILFROM,
	SPF_ID_HELO,
};

struct spf_settings {
	/* The whole check's bound; past it the result is temperror. */
	unsigned int timeout_ms;
	/* This host's name, for %{r} in explanations; NULL: "unknown". */
	const char *receiver;
};

struct spf_query {
	const char *ip;		/* the SMTP client, textual IPv4 or IPv6 */
	/* MAIL FROM's address without brackets; "" for the null path, which
	 * makes the identity postmaster@HELO (RFC 7208 2.4). */
	const char *sender;
	const char *helo;	/* the HELO/EHLO argument; "" if none */
	enum spf_identity identity;
};

struct spf_answer {
	enum spf_result result;
	enum spf_identity identity;
	/* The domain checked (the identity's). */
	const char *domain;
	/* The term that decided, as written ("ip4:192.0.2.0/24"), or
	 * "default" when none matched; NULL for none and errors. */
	const char *mechanism;
	/* fail only: the domain's exp= text, expanded, or a default. */
	const char *explanation;
	/* permerror and temperror: what went wrong, for logs. */
	const char *problem;
};

/* The answer and its strings are valid during the call only. */
typedef void spf_fn(void *ctx, const struct spf_answer *answer);

struct spf *spf_new(struct event_loop *loop, struct dns *dns,
		    const struct spf_settings *settings);
/* Cancels every running check (no callbacks) and frees; NULL allowed.
 * Before dns_free() of the resolver the checks use. */
void spf_free(struct spf **spf);

/* Starts a check.  Never fails to start: errors come as results. */
struct spf_check *spf_check_start(struct spf *spf, const struct spf_query *q,
				  spf_fn *fn, void *ctx);
/* Drops a check whose callback has not run; sets *check to NULL. */
void spf_check_cancel(struct spf_check **check);

/* "pass", "fail", ...: the names of RFC 7208 section 2.6. */
const char *spf_result_name(enum spf_result result);
/* The reverse, case-insensitive; 0/-1. */
int spf_result_parse(const char *name, enum spf_result *result_r);

#endif
