/*
 * DMARC evaluation, RFC 7489 sections 3.1, 6.6.2 to 6.6.4; see dmarc.h.
 * At most two TXT lookups: the From domain's record, then the
 * organizational domain's.
 */
#include "dmarc.h"
#include "buf.h"
#include "dns.h"
#include "event.h"
#include "public_suffix.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

struct dmarc_check {
	struct event_loop *loop;
	struct dns *dns;
	const struct public_suffix *psl;
	dmarc_fn *fn;
	void *ctx;
	char from[DNS_NAME_SIZE];
	char org[DNS_NAME_SIZE];
	char spf_domain[DNS_NAME_SIZE];
	enum spf_result spf;
	struct dmarc_dkim *dkim;
	size_t dkim_count;
	/* Asking the organizational domain now. */
	bool at_org;
	struct dns_req *req;
	struct event_timer *deliver;
	struct dmarc_answer answer;
	char record_domain[DNS_NAME_SIZE];
	char problem[160];
};

const char *dmarc_result_name(enum dmarc_result result)
{
	static const char *const names[] = {
		"none", "pass", "fail", "temperror", "permerror",
	};

	return (unsigned int)result < sizeof(names) / sizeof(names[0]) ?
		names[result] : "?";
}

const char *dmarc_policy_name(enum dmarc_policy policy)
{
	static const char *const names[] = { "none", "quarantine", "reject" };

	return (unsigned int)policy < sizeof(names) / sizeof(names[0]) ?
		names[policy] : "?";
}

bool dmarc_aligned(const struct public_suffix *psl, const char *a,
		   const char *b, bool strict)
{
	char oa[DNS_NAME_SIZE], ob[DNS_NAME_SIZE];

	if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
		return false;
	if (strcasecmp(a, b) == 0)
		return true;
	if (strict)
		return false;
	return public_suffix_org_domain(psl, a, oa, sizeof(oa)) == 0 &&
		public_suffix_org_domain(psl, b, ob, sizeof(ob)) == 0 &&
		strcmp(oa, ob) == 0;
}

static void dmarc_free(struct dmarc_check *c)
{
	size_t i;

	dns_cancel(&c->req);
	event_timer_remove(&c->deliver);
	for (i = 0; i < c->dkim_count; i++)
		free((char *)c->dkim[i].domain);
	free(c->dkim);
	free(c);
}

void dmarc_check_cancel(struct dmarc_check **cp)
{
	if (*cp == NULL)
		return;
	dmarc_free(*cp);
	*cp = NULL;
}

static void dmarc_on_deliver(void *ctx)
{
	struct dmarc_check *c = ctx;

	c->answer.org_domain = c->org[0] != '\0' ? c->org : NULL;
	c->answer.record_domain = c->record_domain[0] != '\0' ?
		c->record_domain : NULL;
	c->answer.problem = c->problem[0] != '\0' ? c->problem : NULL;
	c->fn(c->ctx, &c->answer);
	dmarc_free(c);
}

static void dmarc_finish(struct dmarc_check *c, enum dmarc_result result,
			 const char *problem)
{
	c->answer.result = result;
	if (problem != NULL)
		(void)str_copy(c->problem, sizeof(c->problem), problem);
	event_timer_reset(c->deliver);
}

/* 6.6.4: pct% of failing messages get the policy, the rest the next
 * milder one. */
static bool dmarc_sampled(unsigned int pct)
{
	uint32_t v;

	if (pct >= 100)
		return true;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)random();
	return v % 100 < pct;
}

static void dmarc_evaluate(struct dmarc_check *c, const struct dmarc_record *rec)
{
	struct dmarc_answer *a = &c->answer;
	size_t i;

	a->spf_aligned = c->spf == SPF_PASS &&
		dmarc_aligned(c->psl, c->spf_domain, c->from, rec->aspf_strict);
	for (i = 0; i < c->dkim_count && !a->dkim_aligned; i++)
		a->dkim_aligned = c->dkim[i].pass &&
			dmarc_aligned(c->psl, c->dkim[i].domain, c->from,
				      rec->adkim_strict);
	/* sp= is for the subdomains of the domain that published it. */
	a->published = c->at_org && strcasecmp(c->from, c->org) != 0 ?
		rec->sp : rec->p;
	if (a->spf_aligned || a->dkim_aligned) {
		a->policy = DMARC_POLICY_NONE;
		dmarc_finish(c, DMARC_PASS, NULL);
		return;
	}
	a->policy = a->published;
	if (a->policy != DMARC_POLICY_NONE && !dmarc_sampled(rec->pct)) {
		a->sampled_out = true;
		a->policy--;
	}
	dmarc_finish(c, DMARC_FAIL, NULL);
}

static void dmarc_ask(struct dmarc_check *c);

static void dmarc_on_txt(void *ctx, const struct dns_rr_result *res)
{
	struct dmarc_check *c = ctx;
	const struct dns_rr *rr = NULL;
	struct dmarc_record rec;
	const char *error;
	size_t i, n = 0;

	c->req = NULL;
	if (res->status == DNS_TEMPFAIL) {
		dmarc_finish(c, DMARC_TEMPERROR, res->error);
		return;
	}
	for (i = 0; res->status == DNS_OK && i < res->count; i++) {
		if (dmarc_record_is_dmarc(res->rrs[i].text,
					  res->rrs[i].text_len)) {
			rr = &res->rrs[i];
			n++;
		}
	}
	if (n > 1) {
		/* 6.6.3: no DMARC processing at all. */
		dmarc_finish(c, DMARC_NONE, "more than one DMARC record");
		return;
	}
	if (n == 0) {
		if (!c->at_org && strcasecmp(c->from, c->org) != 0) {
			c->at_org = true;
			dmarc_ask(c);
		} else {
			dmarc_finish(c, DMARC_NONE, NULL);
		}
		return;
	}
	(void)str_copy(c->record_domain, sizeof(c->record_domain),
		       c->at_org ? c->org : c->from);
	if (dmarc_record_parse(rr->text, rr->text_len, &rec, &error) < 0) {
		dmarc_finish(c, DMARC_PERMERROR, error);
		return;
	}
	dmarc_evaluate(c, &rec);
}

static void dmarc_ask(struct dmarc_check *c)
{
	struct buf name = BUF_INIT;

	buf_printf(&name, "_dmarc.%s", c->at_org ? c->org : c->from);
	c->req = dns_lookup_rr(c->dns, buf_cstr(&name), DNS_TYPE_TXT,
			       dmarc_on_txt, c);
	buf_free(&name);
}

struct dmarc_check *dmarc_check_start(struct event_loop *loop, struct dns *dns,
				      const struct public_suffix *psl,
				      const struct dmarc_input *in,
				      dmarc_fn *fn, void *ctx)
{
	struct dmarc_check *c = xcalloc(1, sizeof(*c));
	size_t i, n;

	c->loop = loop;
	c->dns = dns;
	c->psl = psl;
	c->fn = fn;
	c->ctx = ctx;
	c->spf = in->spf;
	c->deliver = event_timer_add(loop, 0, 0, dmarc_on_deliver, c);
	event_timer_stop(c->deliver);
	if (in->dkim_count > 0) {
		c->dkim = xcalloc(in->dkim_count, sizeof(*c->dkim));
		for (i = 0; i < in->dkim_count; i++) {
			c->dkim[i].domain = xstrdup(in->dkim[i].domain != NULL ?
						    in->dkim[i].domain : "");
			c->dkim[i].pass = in->dkim[i].pass;
		}
		c->dkim_count = in->dkim_count;
	}
	(void)str_copy(c->spf_domain, sizeof(c->spf_domain),
		       in->spf_domain != NULL ? in->spf_domain : "");
	/* "_dmarc." must fit in a name too. */
	if (str_copy(c->from, sizeof(c->from) - 7, in->from_domain) < 0 ||
	    public_suffix_org_domain(psl, c->from, c->org, sizeof(c->org)) < 0) {
		dmarc_finish(c, DMARC_NONE, "not a valid From domain");
		return c;
	}
	n = strlen(c->from);
	if (n > 0 && c->from[n - 1] == '.')
		c->from[n - 1] = '\0';
	dmarc_ask(c);
	return c;
}
