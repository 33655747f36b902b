/*
 * The SPF terms that wait for DNS (RFC 7208 5.2 to 5.7: include, a, mx,
 * ptr, exists) and explanations (6.2): each starts a lookup and resumes
 * the evaluation from its answer; see spf_private.h.
 */
#include "spf_private.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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

void spf_default_explanation(struct spf_check *c)
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

void spf_explain(struct spf_check *c)
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

/* ---- resuming ---- */

void spf_on_dns(void *ctx, const struct dns_rr_result *res)
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
void spf_term_lookup(struct spf_check *c, const struct spf_term *t)
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

