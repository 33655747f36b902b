/*
 * check_host() of RFC 7208 as a state machine over asynchronous DNS; see
 * spf.h.  A check keeps a stack of frames, one per record being evaluated
 * (include pushes one, redirect replaces the top one), and at most one DNS
 * request in flight; each answer resumes the evaluation where it stopped.
 */
#include "spf.h"
#include "spf_macro.h"
#include "spf_record.h"
#include "buf.h"
#include "dns.h"
#include "event.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* Every include costs a lookup, so the limit bounds the nesting. */
#define SPF_DEPTH_MAX (SPF_LOOKUP_MAX + 2)

enum spf_wait {
	SPF_WAIT_NONE,
	SPF_WAIT_RECORD,	/* TXT of a frame's domain */
	SPF_WAIT_A,		/* "a" */
	SPF_WAIT_MX,		/* "mx": the MX names */
	SPF_WAIT_MX_ADDR,	/* "mx": one name's addresses */
	SPF_WAIT_PTR,		/* "ptr": the client's names */
	SPF_WAIT_PTR_ADDR,	/* "ptr": one name's addresses */
	SPF_WAIT_EXISTS,	/* "exists" */
	SPF_WAIT_EXP,		/* exp=: the explanation's TXT */
};

struct spf_frame {
	char domain[DNS_NAME_SIZE];
	struct spf_record rec;
	size_t next;		/* the next term to evaluate */
	bool redirected;	/* reached through redirect= */
};

struct spf {
	struct event_loop *loop;
	struct dns *dns;
	struct spf_settings set;
	struct spf_check *checks;
};

struct spf_check {
	struct spf *spf;
	struct spf_check *prev, *next;
	spf_fn *fn;
	void *ctx;
	struct spf_ip ip;
	char *sender;
	char helo[DNS_NAME_SIZE];
	enum spf_identity identity;
	char identity_domain[DNS_NAME_SIZE];
	struct spf_frame frames[SPF_DEPTH_MAX];
	size_t depth;
	unsigned int lookups, voids;
	struct dns_req *req;
	enum spf_wait wait;
	/* mx and ptr: the names whose addresses are looked up in turn. */
	char names[SPF_PTR_MAX > SPF_MX_MAX ? SPF_PTR_MAX : SPF_MX_MAX]
		[DNS_NAME_SIZE];
	size_t name_count, name_next;
	const struct spf_term *term;	/* the term waiting for DNS */
	struct event_timer *deadline;
	struct event_timer *deliver;
	bool done;
	struct spf_answer answer;
	char mechanism[128];
	struct buf explanation;
	char problem[256];
};

static void spf_run(struct spf_check *c);

const char *spf_result_name(enum spf_result result)
{
	static const char *const names[] = {
		"none", "neutral", "pass", "fail", "softfail", "temperror",
		"permerror",
	};

	return (unsigned int)result < sizeof(names) / sizeof(names[0]) ?
		names[result] : "?";
}

int spf_result_parse(const char *name, enum spf_result *result_r)
{
	enum spf_result r;

	for (r = SPF_NONE; r <= SPF_PERMERROR; r++) {
		if (strcasecmp(name, spf_result_name(r)) == 0) {
			*result_r = r;
			return 0;
		}
	}
	return -1;
}

/* ---- ending a check ---- */

static void spf_check_free(struct spf_check *c)
{
	struct spf *spf = c->spf;

	while (c->depth > 0)
		spf_record_free(&c->frames[--c->depth].rec);
	dns_cancel(&c->req);
	event_timer_remove(&c->deadline);
	event_timer_remove(&c->deliver);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		spf->checks = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	buf_free(&c->explanation);
	free(c->sender);
	free(c);
}

static void spf_on_deliver(void *ctx)
{
	struct spf_check *c = ctx;

	c->answer.identity = c->identity;
	c->answer.domain = c->identity_domain;
	c->answer.explanation = c->answer.result == SPF_FAIL ?
		buf_cstr(&c->explanation) : NULL;
	c->answer.problem = c->problem[0] != '\0' ? c->problem : NULL;
	c->answer.mechanism = c->mechanism[0] != '\0' ? c->mechanism : NULL;
	c->fn(c->ctx, &c->answer);
	spf_check_free(c);
}

/* The check is decided: stop everything and deliver from the loop. */
static void spf_finish(struct spf_check *c, enum spf_result result,
		       const char *problem)
{
	c->done = true;
	c->answer.result = result;
	if (problem != NULL && c->problem[0] == '\0')
		(void)str_copy(c->problem, sizeof(c->problem), problem);
	if (result == SPF_TEMPERROR || result == SPF_PERMERROR ||
	    result == SPF_NONE)
		c->mechanism[0] = '\0';
	dns_cancel(&c->req);
	c->wait = SPF_WAIT_NONE;
	event_timer_stop(c->deadline);
	event_timer_reset(c->deliver);
}

static void spf_problem(struct spf_check *c, const char *what,
			const char *detail)
{
	(void)str_format(c->problem, sizeof(c->problem), "%s: %s", what,
			 detail != NULL ? detail : "?");
}

static void spf_default_explanation(struct spf_check *c);

static void spf_on_deadline(void *ctx)
{
	struct spf_check *c = ctx;

	if (c->wait == SPF_WAIT_EXP) {
		/* Only the explanation is late: the result stands. */
		spf_default_explanation(c);
		spf_finish(c, SPF_FAIL, NULL);
		return;
	}
	spf_finish(c, SPF_TEMPERROR, "the check took too long");
}

/* ---- helpers ---- */

static struct spf_frame *spf_top(struct spf_check *c)
{
	return &c->frames[c->depth - 1];
}

static void spf_macro_env(struct spf_check *c, struct spf_macro_env *env)
{
	env->sender = c->sender;
	env->domain = spf_top(c)->domain;
	env->helo = c->helo;
	env->ip = &c->ip;
	env->receiver = c->spf->set.receiver;
	env->now = (unsigned long long)time(NULL);
}

/* RFC 7208 4.3: a domain to check is a fully qualified name of valid
 * labels.  Only letters, digits, '-' and '_' are taken: an address
 * literal HELO ("[192.0.2.1]", 2.3) or a name in UTF-8 is not checked. */
static bool spf_domain_ok(const char *d)
{
	size_t n = strlen(d), label = 0, labels = 0, i;

	if (n == 0 || n > SPF_DOMAIN_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || d[i] == '.') {
			if (label == 0 && i != n)
				return false;
			if (label > 63)
				return false;
			labels += label > 0;
			label = 0;
		} else if (!isalnum((unsigned char)d[i]) && d[i] != '-' &&
			   d[i] != '_') {
			return false;
		} else {
			label++;
		}
	}
	return labels >= 2;
}

static bool spf_ip_match(const struct spf_ip *ip, int family,
			 const unsigned char *addr, unsigned int cidr4,
			 unsigned int cidr6)
{
	unsigned int bits = family == AF_INET ? cidr4 : cidr6;
	unsigned int whole = bits / 8, rest = bits % 8;

	if (ip->family != family)
		return false;
	if (memcmp(ip->addr, addr, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((ip->addr[whole] ^ addr[whole]) &
		(unsigned char)(0xff << (8 - rest))) == 0;
}

static enum dns_type spf_addr_type(const struct spf_check *c)
{
	return c->ip.family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
}

static void spf_on_dns(void *ctx, const struct dns_rr_result *res);

static void spf_lookup(struct spf_check *c, enum spf_wait wait,
		       const char *name, enum dns_type type)
{
	c->wait = wait;
	c->req = dns_lookup_rr(c->spf->dns, name, type, spf_on_dns, c);
}

/* A term that causes DNS lookups (4.6.4); false when over the limit, the
 * check then being finished with permerror. */
static bool spf_count_lookup(struct spf_check *c)
{
	if (++c->lookups <= SPF_LOOKUP_MAX)
		return true;
	spf_finish(c, SPF_PERMERROR, "more than 10 DNS-querying terms");
	return false;
}

/* An empty answer or NXDOMAIN for a term (4.6.4); false when over. */
static bool spf_count_void(struct spf_check *c)
{
	if (++c->voids <= SPF_VOID_MAX)
		return true;
	spf_finish(c, SPF_PERMERROR, "more than 2 void lookups");
	return false;
}

/* Expands a term's domain-spec, or uses <domain>; false on error (the
 * check is then finished with permerror). */
static bool spf_target(struct spf_check *c, const char *spec,
		       char out[DNS_NAME_SIZE])
{
	struct spf_macro_env env;
	struct buf b = BUF_INIT;
	const char *error;
	bool ok;

	if (spec == NULL)
		return str_copy(out, DNS_NAME_SIZE, spf_top(c)->domain) == 0;
	spf_macro_env(c, &env);
	ok = spf_macro_domain(spec, &env, &b, &error) == 0;
	if (!ok)
		spf_problem(c, spec, error);
	else if (str_copy(out, DNS_NAME_SIZE, buf_cstr(&b)) < 0)
		ok = false;
	buf_free(&b);
	if (!ok)
		spf_finish(c, SPF_PERMERROR, "bad domain-spec");
	return ok;
}

/* ---- frames ---- */

/* Starts evaluating `domain`: pushed for include, in place of the top
 * frame for redirect, the first frame otherwise. */
static void spf_enter(struct spf_check *c, const char *domain, bool push,
		      bool redirected)
{
	struct spf_frame *f;

	if (push) {
		if (c->depth >= SPF_DEPTH_MAX) {
			spf_finish(c, SPF_PERMERROR, "includes nested too deep");
			return;
		}
		c->depth++;
	} else {
		spf_record_free(&spf_top(c)->rec);
	}
	f = spf_top(c);
	memset(f, 0, sizeof(*f));
	f->redirected = redirected;
	(void)str_copy(f->domain, sizeof(f->domain), domain);
	spf_lookup(c, SPF_WAIT_RECORD, f->domain, DNS_TYPE_TXT);
}

static void spf_explain(struct spf_check *c);

/* The top frame's check_host() returned `result`. */
static void spf_frame_result(struct spf_check *c, enum spf_result result)
{
	struct spf_frame *f = spf_top(c);
	const struct spf_term *inc;

	if (result == SPF_NONE && f->redirected) {
		spf_finish(c, SPF_PERMERROR, "redirect= to a domain without "
			   "an SPF record");
		return;
	}
	if (c->depth == 1) {
		if (result == SPF_FAIL)
			spf_explain(c);
		else
			spf_finish(c, result, NULL);
		return;
	}
	/* The end of an include (RFC 7208 5.2's table). */
	spf_record_free(&f->rec);
	c->depth--;
	f = spf_top(c);
	inc = &f->rec.terms[f->next - 1];
	switch (result) {
	case SPF_PASS:
		(void)str_copy(c->mechanism, sizeof(c->mechanism), inc->text);
		spf_frame_result(c, inc->qualifier == '-' ? SPF_FAIL :
				 inc->qualifier == '~' ? SPF_SOFTFAIL :
				 inc->qualifier == '?' ? SPF_NEUTRAL : SPF_PASS);
		return;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		c->mechanism[0] = '\0';
		spf_run(c);
		return;
	case SPF_TEMPERROR:
		spf_finish(c, SPF_TEMPERROR, NULL);
		return;
	case SPF_NONE:
		spf_finish(c, SPF_PERMERROR, "include: of a domain without "
			   "an SPF record");
		return;
	case SPF_PERMERROR:
		spf_finish(c, SPF_PERMERROR, NULL);
		return;
	}
}

static void spf_match(struct spf_check *c, const struct spf_term *t)
{
	(void)str_copy(c->mechanism, sizeof(c->mechanism), t->text);
	spf_frame_result(c, t->qualifier == '-' ? SPF_FAIL :
			 t->qualifier == '~' ? SPF_SOFTFAIL :
			 t->qualifier == '?' ? SPF_NEUTRAL : SPF_PASS);
}

/* RFC 7208 4.5: exactly one "v=spf1" record among the TXT records. */
static void spf_on_record(struct spf_check *c, const struct dns_rr_result *res)
{
	struct spf_frame *f = spf_top(c);
	const struct dns_rr *rr = NULL;
	char error[200];
	size_t i, n = 0;

	if (res->status == DNS_TEMPFAIL) {
		spf_problem(c, f->domain, res->error);
		spf_frame_result(c, SPF_TEMPERROR);
		return;
	}
	if (res->status != DNS_OK) {
		spf_frame_result(c, SPF_NONE);
		return;
	}
	for (i = 0; i < res->count; i++) {
		if (spf_record_is_spf(res->rrs[i].text, res->rrs[i].text_len)) {
			rr = &res->rrs[i];
			n++;
		}
	}
	if (n > 1) {
		spf_problem(c, f->domain, "more than one SPF record");
		spf_frame_result(c, SPF_PERMERROR);
		return;
	}
	if (n == 0 && res->truncated) {
		spf_problem(c, f->domain, "TXT records too long or too many");
		spf_frame_result(c, SPF_PERMERROR);
		return;
	}
	if (n == 0) {
		spf_frame_result(c, SPF_NONE);
		return;
	}
	if (spf_record_parse(rr->text, rr->text_len, &f->rec, error,
			     sizeof(error)) < 0) {
		spf_problem(c, f->domain, error);
		spf_frame_result(c, SPF_PERMERROR);
		return;
	}
	f->next = 0;
	spf_run(c);
}

/* ---- mechanisms that wait for DNS ---- */

static void spf_next_addr(struct spf_check *c, enum spf_wait wait)
{
	if (c->name_next >= c->name_count) {
		spf_run(c);	/* no name matched: on to the next term */
		return;
	}
	spf_lookup(c, wait, c->names[c->name_next++], spf_addr_type(c));
}

static bool spf_addrs_match(struct spf_check *c,
			    const struct dns_rr_result *res)
{
	size_t i;

	for (i = 0; i < res->count; i++) {
		if (spf_ip_match(&c->ip, c->ip.family, res->rrs[i].addr,
				 c->term->cidr4, c->term->cidr6))
			return true;
	}
	return false;
}

/* "a" (5.3) and one MX host's addresses (5.4). */
static void spf_on_addr(struct spf_check *c, const struct dns_rr_result *res,
			bool mx)
{
	if (res->status == DNS_TEMPFAIL) {
		spf_problem(c, "address lookup", res->error);
		spf_finish(c, SPF_TEMPERROR, NULL);
	} else if (res->status == DNS_OK && spf_addrs_match(c, res)) {
		spf_match(c, c->term);
	} else if (mx) {
		spf_next_addr(c, SPF_WAIT_MX_ADDR);
	} else if (res->status != DNS_OK && !spf_count_void(c)) {
		return;
	} else {
		spf_run(c);
	}
}

static void spf_on_mx(struct spf_check *c, const struct dns_rr_result *res)
{
	size_t i;

	if (res->status == DNS_TEMPFAIL) {
		spf_problem(c, "MX lookup", res->error);
		spf_finish(c, SPF_TEMPERROR, NULL);
		return;
	}
	if (res->status != DNS_OK) {
		if (spf_count_void(c))
			spf_run(c);
		return;
	}
	if (res->count > SPF_MX_MAX || res->truncated) {
		spf_finish(c, SPF_PERMERROR, "more than 10 MX names");
		return;
	}
	c->name_count = c->name_next = 0;
	for (i = 0; i < res->count; i++) {
		/* A null MX (RFC 7505) names no host. */
		if (res->rrs[i].text[0] != '\0' &&
		    strcmp(res->rrs[i].text, ".") != 0)
			(void)str_copy(c->names[c->name_count++],
				       DNS_NAME_SIZE, res->rrs[i].text);
	}
	spf_next_addr(c, SPF_WAIT_MX_ADDR);
}

/* Whether `name` is `domain` or below it. */
static bool spf_in_domain(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (d > 0 && domain[d - 1] == '.')
		d--;
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == d)
		return strncasecmp(name, domain, n) == 0;
	return n > d && name[n - d - 1] == '.' &&
		strncasecmp(name + n - d, domain, d) == 0;
}

/* 5.5: of the client's names (the first 10), only those in the target
 * domain are worth validating, and one validated is a match.  DNS errors
 * here make the mechanism not match, never an error. */
static void spf_on_ptr(struct spf_check *c, const struct dns_rr_result *res)
{
	char target[DNS_NAME_SIZE];
	size_t i;

	if (!spf_target(c, c->term->domain, target))
		return;
	if (res->status != DNS_OK) {
		if (res->status != DNS_TEMPFAIL && !spf_count_void(c))
			return;
		spf_run(c);
		return;
	}
	c->name_count = c->name_next = 0;
	for (i = 0; i < res->count && i < SPF_PTR_MAX; i++) {
		if (spf_in_domain(res->rrs[i].text, target))
			(void)str_copy(c->names[c->name_count++],
				       DNS_NAME_SIZE, res->rrs[i].text);
	}
	spf_next_addr(c, SPF_WAIT_PTR_ADDR);
}

static void spf_on_ptr_addr(struct spf_check *c,
			    const struct dns_rr_result *res)
{
	size_t i;

	for (i = 0; res->status == DNS_OK && i < res->count; i++) {
		if (spf_ip_match(&c->ip, c->ip.family, res->rrs[i].addr,
				 32, 128)) {
			spf_match(c, c->term);
			return;
		}
	}
	spf_next_addr(c, SPF_WAIT_PTR_ADDR);
}

static void spf_on_exists(struct spf_check *c, const struct dns_rr_result *res)
{
	if (res->status == DNS_TEMPFAIL) {
		spf_problem(c, "exists lookup", res->error);
		spf_finish(c, SPF_TEMPERROR, NULL);
	} else if (res->status == DNS_OK && res->count > 0) {
		spf_match(c, c->term);
	} else if (spf_count_void(c)) {
		spf_run(c);
	}
}

/* The reverse-lookup name of the client: 4.3.2.1.in-addr.arpa or the
 * nibbles under ip6.arpa. */
static void spf_reverse_name(const struct spf_ip *ip, char out[DNS_NAME_SIZE])
{
	struct buf b = BUF_INIT;
	int i;

	if (ip->family == AF_INET) {
		buf_printf(&b, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3],
			   ip->addr[2], ip->addr[1], ip->addr[0]);
	} else {
		for (i = 15; i >= 0; i--)
			buf_printf(&b, "%x.%x.", ip->addr[i] & 0xf,
				   ip->addr[i] >> 4);
		buf_append_str(&b, "ip6.arpa");
	}
	(void)str_copy(out, DNS_NAME_SIZE, buf_cstr(&b));
	buf_free(&b);
}

/* ---- explanations (6.2) ---- */

static void spf_default_explanation(struct spf_check *c)
{
	char ip[64];

	if (c->explanation.len > 0)
		return;
	if (inet_ntop(c->ip.family, c->ip.addr, ip, sizeof(ip)) == NULL)
		(void)str_copy(ip, sizeof(ip), "?");
	buf_printf(&c->explanation, "%s is not allowed to send mail as %s",
		   ip, c->identity_domain);
}

static void spf_on_exp(struct spf_check *c, const struct dns_rr_result *res)
{
	struct spf_macro_env env;
	const char *error;

	/* Any trouble with the explanation leaves the default one: the
	 * result stays fail. */
	if (res->status == DNS_OK && res->count == 1) {
		spf_macro_env(c, &env);
		if (spf_macro_expand(res->rrs[0].text, res->rrs[0].text_len,
				     &env, true, &c->explanation, &error) < 0)
			buf_clear(&c->explanation);
	}
	spf_default_explanation(c);
	spf_finish(c, SPF_FAIL, NULL);
}

static void spf_explain(struct spf_check *c)
{
	struct spf_frame *f = spf_top(c);
	struct spf_macro_env env;
	struct buf name = BUF_INIT;
	const char *error;

	if (f->rec.exp != NULL) {
		spf_macro_env(c, &env);
		if (spf_macro_domain(f->rec.exp, &env, &name, &error) == 0 &&
		    name.len < DNS_NAME_SIZE) {
			c->answer.result = SPF_FAIL;
			spf_lookup(c, SPF_WAIT_EXP, buf_cstr(&name),
				   DNS_TYPE_TXT);
			buf_free(&name);
			return;
		}
		buf_free(&name);
	}
	spf_default_explanation(c);
	spf_finish(c, SPF_FAIL, NULL);
}

/* ---- the evaluation ---- */

static void spf_on_dns(void *ctx, const struct dns_rr_result *res)
{
	struct spf_check *c = ctx;
	enum spf_wait wait = c->wait;

	c->req = NULL;
	c->wait = SPF_WAIT_NONE;
	switch (wait) {
	case SPF_WAIT_NONE:
		break;
	case SPF_WAIT_RECORD:
		spf_on_record(c, res);
		break;
	case SPF_WAIT_A:
		spf_on_addr(c, res, false);
		break;
	case SPF_WAIT_MX:
		spf_on_mx(c, res);
		break;
	case SPF_WAIT_MX_ADDR:
		spf_on_addr(c, res, true);
		break;
	case SPF_WAIT_PTR:
		spf_on_ptr(c, res);
		break;
	case SPF_WAIT_PTR_ADDR:
		spf_on_ptr_addr(c, res);
		break;
	case SPF_WAIT_EXISTS:
		spf_on_exists(c, res);
		break;
	case SPF_WAIT_EXP:
		spf_on_exp(c, res);
		break;
	}
}

/* Starts the DNS part of a term; the answer resumes in spf_on_dns(). */
static void spf_term_lookup(struct spf_check *c, const struct spf_term *t)
{
	char target[DNS_NAME_SIZE];

	c->term = t;
	if (!spf_count_lookup(c))
		return;
	if (t->mech != SPF_MECH_PTR && !spf_target(c, t->domain, target))
		return;
	switch (t->mech) {
	case SPF_MECH_INCLUDE:
		spf_enter(c, target, true, false);
		break;
	case SPF_MECH_A:
		spf_lookup(c, SPF_WAIT_A, target, spf_addr_type(c));
		break;
	case SPF_MECH_MX:
		spf_lookup(c, SPF_WAIT_MX, target, DNS_TYPE_MX);
		break;
	case SPF_MECH_PTR:
		spf_reverse_name(&c->ip, target);
		spf_lookup(c, SPF_WAIT_PTR, target, DNS_TYPE_PTR);
		break;
	case SPF_MECH_EXISTS:
		/* 5.7: always an A lookup, whatever the client's family. */
		spf_lookup(c, SPF_WAIT_EXISTS, target, DNS_TYPE_A);
		break;
	default:
		break;
	}
}

/* Evaluates the top frame's terms from where it stopped, until one needs
 * DNS, one matches, or the record ends. */
static void spf_run(struct spf_check *c)
{
	struct spf_frame *f = spf_top(c);
	char target[DNS_NAME_SIZE];

	while (!c->done && f->next < f->rec.count) {
		const struct spf_term *t = &f->rec.terms[f->next++];

		switch (t->mech) {
		case SPF_MECH_ALL:
			spf_match(c, t);
			return;
		case SPF_MECH_IP4:
		case SPF_MECH_IP6:
			if (spf_ip_match(&c->ip, t->mech == SPF_MECH_IP4 ?
					 AF_INET : AF_INET6, t->addr,
					 t->cidr4, t->cidr6)) {
				spf_match(c, t);
				return;
			}
			break;
		default:
			spf_term_lookup(c, t);
			return;
		}
	}
	if (c->done)
		return;
	/* 6.1: redirect= applies when no mechanism matched. */
	if (f->rec.redirect != NULL) {
		if (spf_count_lookup(c) && spf_target(c, f->rec.redirect,
						      target)) {
			if (!spf_domain_ok(target))
				spf_finish(c, SPF_PERMERROR,
					   "redirect= to a bad domain");
			else
				spf_enter(c, target, false, true);
		}
		return;
	}
	(void)str_copy(c->mechanism, sizeof(c->mechanism), "default");
	spf_frame_result(c, SPF_NEUTRAL);
}

/* ---- starting ---- */

struct spf *spf_new(struct event_loop *loop, struct dns *dns,
		    const struct spf_settings *settings)
{
	struct spf *spf = xcalloc(1, sizeof(*spf));

	spf->loop = loop;
	spf->dns = dns;
	spf->set = *settings;
	return spf;
}

void spf_free(struct spf **spfp)
{
	struct spf *spf = *spfp;

	if (spf == NULL)
		return;
	while (spf->checks != NULL)
		spf_check_free(spf->checks);
	free(spf);
	*spfp = NULL;
}

void spf_check_cancel(struct spf_check **cp)
{
	if (*cp == NULL)
		return;
	spf_check_free(*cp);
	*cp = NULL;
}

/* Sets the identity (RFC 7208 2.3, 2.4, 4.3); false when the check ends
 * at once (none, or a bad client address). */
static bool spf_identity(struct spf_check *c, const struct spf_query *q)
{
	struct buf b = BUF_INIT;
	const char *at;
	size_t n;

	if (spf_ip_parse(q->ip, &c->ip) < 0) {
		spf_finish(c, SPF_PERMERROR, "bad client address");
		return false;
	}
	(void)str_copy(c->helo, sizeof(c->helo), q->helo != NULL ? q->helo :
		       "");
	c->identity = q->identity;
	if (q->identity == SPF_ID_HELO || q->sender == NULL ||
	    q->sender[0] == '\0') {
		/* HELO, or the null reverse-path for which the HELO identity
		 * stands in (2.4): the sender is postmaster@HELO. */
		c->identity = SPF_ID_HELO;
		buf_printf(&b, "postmaster@%s", c->helo);
	} else {
		at = strrchr(q->sender, '@');
		/* 4.3: an empty local-part is "postmaster". */
		if (at == NULL || at == q->sender)
			buf_printf(&b, "postmaster@%s",
				   at != NULL ? at + 1 : q->sender);
		else
			buf_append_str(&b, q->sender);
	}
	c->sender = buf_steal(&b);
	at = strrchr(c->sender, '@');
	(void)str_copy(c->identity_domain, sizeof(c->identity_domain), at + 1);
	n = strlen(c->identity_domain);
	if (n > 0 && c->identity_domain[n - 1] == '.')
		c->identity_domain[n - 1] = '\0';
	if (!spf_domain_ok(c->identity_domain)) {
		spf_finish(c, SPF_NONE, "not a fully qualified domain");
		return false;
	}
	return true;
}

struct spf_check *spf_check_start(struct spf *spf, const struct spf_query *q,
				  spf_fn *fn, void *ctx)
{
	struct spf_check *c = xcalloc(1, sizeof(*c));

	c->spf = spf;
	c->fn = fn;
	c->ctx = ctx;
	c->next = spf->checks;
	if (spf->checks != NULL)
		spf->checks->prev = c;
	spf->checks = c;
	c->deliver = event_timer_add(spf->loop, 0, 0, spf_on_deliver, c);
	event_timer_stop(c->deliver);
	c->deadline = event_timer_add(spf->loop, spf->set.timeout_ms, 0,
				      spf_on_deadline, c);
	if (spf_identity(c, q)) {
		c->depth = 1;
		memset(&c->frames[0], 0, sizeof(c->frames[0]));
		spf_enter(c, c->identity_domain, false, false);
	}
	return c;
}
