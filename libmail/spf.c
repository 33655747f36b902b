/*
 * check_host() of RFC 7208 as a state machine over asynchronous DNS; see
 * spf.h.  A check keeps a stack of frames, one per record being evaluated
 * (include pushes one, redirect replaces the top one), and at most one DNS
 * request in flight; each answer resumes the evaluation where it stopped.
 */
#include "spf_private.h"
#include "event.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

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
void spf_finish(struct spf_check *c, enum spf_result result,
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

void spf_problem(struct spf_check *c, const char *what,
			const char *detail)
{
	(void)str_format(c->problem, sizeof(c->problem), "%s: %s", what,
			 detail != NULL ? detail : "?");
}

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

struct spf_frame *spf_top(struct spf_check *c)
{
	return &c->frames[c->depth - 1];
}

void spf_macro_env(struct spf_check *c, struct spf_macro_env *env)
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

bool spf_ip_match(const struct spf_ip *ip, int family,
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

enum dns_type spf_addr_type(const struct spf_check *c)
{
	return c->ip.family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
}

void spf_lookup(struct spf_check *c, enum spf_wait wait,
		       const char *name, enum dns_type type)
{
	c->wait = wait;
	c->req = dns_lookup_rr(c->spf->dns, name, type, spf_on_dns, c);
}

/* A term that causes DNS lookups (4.6.4); false when over the limit, the
 * check then being finished with permerror. */
bool spf_count_lookup(struct spf_check *c)
{
	if (++c->lookups <= SPF_LOOKUP_MAX)
		return true;
	spf_finish(c, SPF_PERMERROR, "more than 10 DNS-querying terms");
	return false;
}

/* An empty answer or NXDOMAIN for a term (4.6.4); false when over. */
bool spf_count_void(struct spf_check *c)
{
	if (++c->voids <= SPF_VOID_MAX)
		return true;
	spf_finish(c, SPF_PERMERROR, "more than 2 void lookups");
	return false;
}

/* Expands a term's domain-spec, or uses <domain>; false on error (the
 * check is then finished with permerror). */
bool spf_target(struct spf_check *c, const char *spec,
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
void spf_enter(struct spf_check *c, const char *domain, bool push,
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

void spf_match(struct spf_check *c, const struct spf_term *t)
{
	(void)str_copy(c->mechanism, sizeof(c->mechanism), t->text);
	spf_frame_result(c, t->qualifier == '-' ? SPF_FAIL :
			 t->qualifier == '~' ? SPF_SOFTFAIL :
			 t->qualifier == '?' ? SPF_NEUTRAL : SPF_PASS);
}

/* RFC 7208 4.5: exactly one "v=spf1" record among the TXT records. */
void spf_on_record(struct spf_check *c, const struct dns_rr_result *res)
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

/* Evaluates the top frame's terms from where it stopped, until one needs
 * DNS, one matches, or the record ends. */
void spf_run(struct spf_check *c)
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
