#ifndef SEALPOST_DMARC_H
#define SEALPOST_DMARC_H

/*
 * DMARC (RFC 7489): policy discovery at _dmarc.<From domain>, falling back
 * to the Organizational Domain (public_suffix.h), identifier alignment of
 * the SPF and DKIM results, and the policy to apply.
 *
 * It knows nothing of how DKIM was verified: the caller passes each
 * signature's d= domain and whether it verified (struct dmarc_dkim), and
 * the SPF result with the MAIL FROM (or HELO) domain it was for.  Like
 * spf.h, a check runs in the caller's event loop and calls back once,
 * always from the loop.  DNS failures give temperror; a timeout is the
 * resolver's (dns_new's timeout, three tries).
 *
 * In a daemon: public_suffix_load(auth.public_suffix_list, &psl, &e) at
 * start-up; at the end of DATA, with the From domain, the SPF answer and
 * the DKIM results,
 *
 *	struct dmarc_input in = { from_domain, spf->result, spf->domain,
 *				  dkim, dkim_count };
 *	session->dmarc = dmarc_check_start(loop, dns, psl, &in, done, s);
 *
 * then in `done`, answer->policy == DMARC_POLICY_REJECT with dmarc_reject
 * set refuses the message; anything else is recorded.
 */

#include <stdbool.h>
#include <stddef.h>

#include "spf.h"

struct dns;
struct event_loop;
struct public_suffix;
struct dmarc_check;

enum dmarc_result {
	DMARC_NONE,		/* no policy published */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,
	DMARC_PERMERROR,	/* a policy record we cannot use */
};

enum dmarc_policy {
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

/* A policy record's tags (RFC 7489 6.3).  rua, ruf, fo, rf and ri are
 * checked and kept but reports are not sent. */
struct dmarc_record {
	enum dmarc_policy p;
	enum dmarc_policy sp;	/* = p when absent */
	bool sp_given;
	bool adkim_strict, aspf_strict;
	unsigned int pct;	/* 0..100; 100 when absent */
	bool rua_given, ruf_given;
	unsigned long ri;	/* 86400 when absent */
};

/* The longest record parsed, and at most this many tags. */
#define DMARC_RECORD_MAX 2048
#define DMARC_TAGS_MAX 32

/* One DKIM signature's outcome as DMARC sees it. */
struct dmarc_dkim {
	const char *domain;	/* the signature's d= */
	bool pass;
};

struct dmarc_input {
	const char *from_domain;	/* of the RFC5322.From address */
	enum spf_result spf;
	const char *spf_domain;		/* the domain SPF checked */
	const struct dmarc_dkim *dkim;
	size_t dkim_count;
};

struct dmarc_answer {
	enum dmarc_result result;
	/* What to do with the message: none for pass, none, temperror and
	 * permerror; for fail, p (or sp for a subdomain whose policy came
	 * from its organizational domain), one step milder when pct left
	 * the message out (RFC 7489 6.6.4). */
	enum dmarc_policy policy;
	/* The policy as published, before pct. */
	enum dmarc_policy published;
	bool spf_aligned, dkim_aligned;
	bool sampled_out;
	/* Where the record was found ("_dmarc." not included); NULL when
	 * none was. */
	const char *record_domain;
	const char *org_domain;
	/* For logs: why permerror, temperror, or none from a broken set. */
	const char *problem;
};

typedef void dmarc_fn(void *ctx, const struct dmarc_answer *answer);

/* Whether a TXT record is a DMARC record: "v=DMARC1" then ";", space or
 * the end (RFC 7489 6.6.3). */
bool dmarc_record_is_dmarc(const char *text, size_t len);
/* Parses a record; -1 with a static reason when it cannot be used. */
int dmarc_record_parse(const char *text, size_t len, struct dmarc_record *rec,
		       const char **error_r);

/* Whether two domains are aligned: equal (strict) or with the same
 * organizational domain (relaxed), RFC 7489 3.1. */
bool dmarc_aligned(const struct public_suffix *psl, const char *a,
		   const char *b, bool strict);

/* Starts a check; `psl` must outlive it.  Never fails to start. */
struct dmarc_check *dmarc_check_start(struct event_loop *loop, struct dns *dns,
				      const struct public_suffix *psl,
				      const struct dmarc_input *in,
				      dmarc_fn *fn, void *ctx);
/* Drops a check whose callback has not run (before dns_free() of its
 * resolver); sets *check to NULL. */
void dmarc_check_cancel(struct dmarc_check **check);

const char *dmarc_result_name(enum dmarc_result result);
const char *dmarc_policy_name(enum dmarc_policy policy);

#endif
