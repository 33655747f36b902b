/*
 * sealpost spf and sealpost dmarc: the SPF and DMARC checks smtpd runs,
 * from the command line, for postmasters asking "why did this fail?" and
 * for the tests.  They use the same libmail code and the same resolver
 * settings (dns_servers, dns_timeout) as the daemons, or --dns.
 */
#include "cli.h"
#include "buf.h"
#include "config.h"
#include "dmarc.h"
#include "dns.h"
#include "event.h"
#include "mailauth_settings.h"
#include "public_suffix.h"
#include "spf.h"
#include "queue/relay_settings.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The options both commands share. */
struct cli_mailauth {
	const char *config_path;
	char *sets[32];
	int nsets;
	const char *dns_servers;
	struct config *cfg;
	struct mailauth_settings set;
	struct event_loop *loop;
	struct dns *dns;
	bool done;
};

#define CLI_MAILAUTH_COMMON_OPTS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "set", required_argument, NULL, 'S' }, \
	{ "dns", required_argument, NULL, 'D' }, \
	{ "help", no_argument, NULL, 'h' }

/* 1 when the option was one of the shared ones, -1 when it was bad. */
static int cli_mailauth_opt(struct cli_mailauth *m, int opt)
{
	switch (opt) {
	case 'c':
		m->config_path = optarg;
		return 1;
	case 'S':
		if (m->nsets >= (int)(sizeof(m->sets) / sizeof(m->sets[0])))
			return -1;
		m->sets[m->nsets++] = optarg;
		return 1;
	case 'D':
		m->dns_servers = optarg;
		return 1;
	}
	return 0;
}

static int cli_mailauth_start(struct cli_mailauth *m, const char *cmd)
{
	struct relay_settings relay;
	const char *error;

	m->cfg = cli_load_config(m->config_path, m->sets, m->nsets);
	if (m->cfg == NULL)
		return -1;
	config_fill(m->cfg, &mailauth_config_table, &m->set);
	config_fill(m->cfg, &relay_config_table, &relay);
	m->loop = event_loop_new();
	if (dns_new(m->loop, m->dns_servers != NULL ? m->dns_servers :
		    relay.dns_servers, relay.dns_timeout * 1000, &m->dns,
		    &error) < 0) {
		fprintf(stderr, "sealpost %s: %s\n", cmd, error);
		return -1;
	}
	return 0;
}

static void cli_mailauth_end(struct cli_mailauth *m)
{
	dns_free(&m->dns);
	if (m->loop != NULL)
		event_loop_free(&m->loop);
	config_free(&m->cfg);
}

/* ---- spf ---- */

static void cli_spf_usage(FILE *out)
{
	fprintf(out,
		"usage: sealpost spf [--config FILE] [--set KEY=VALUE] [--dns ADDR:PORT]\n"
		"                    [--helo] IP MAILFROM [HELO]\n"
		"Runs the SPF check (RFC 7208) smtpd runs for a client at IP that\n"
		"says MAIL FROM:<MAILFROM> (\"\" for the null sender, which checks\n"
		"postmaster@HELO) and prints the result, the term that decided it,\n"
		"and for fail the explanation.  --helo checks the HELO identity\n"
		"instead.  Exit 0 whatever the result; 64 bad usage, 75 when the\n"
		"configuration or the resolver cannot be set up.\n");
}

struct cli_spf {
	struct cli_mailauth *m;
	enum spf_result result;
};

static void cli_spf_done(void *ctx, const struct spf_answer *a)
{
	struct cli_spf *s = ctx;

	s->result = a->result;
	printf("result: %s\n", spf_result_name(a->result));
	printf("identity: %s\n", a->identity == SPF_ID_HELO ? "helo" :
	       "mailfrom");
	printf("domain: %s\n", a->domain);
	if (a->mechanism != NULL)
		printf("mechanism: %s\n", a->mechanism);
	if (a->explanation != NULL)
		printf("explanation: %s\n", a->explanation);
	if (a->problem != NULL)
		printf("problem: %s\n", a->problem);
	event_loop_stop(s->m->loop);
}

int cli_spf(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_MAILAUTH_COMMON_OPTS,
		{ "helo", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_mailauth m;
	struct cli_spf s;
	struct spf_query q;
	struct spf_settings ss;
	struct spf *spf;
	struct spf_check *check;
	int opt, r;

	memset(&m, 0, sizeof(m));
	memset(&q, 0, sizeof(q));
	q.identity = SPF_ID_MAILFROM;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		r = cli_mailauth_opt(&m, opt);
		if (r > 0)
			continue;
		if (opt == 'H' && r == 0) {
			q.identity = SPF_ID_HELO;
		} else if (opt == 'h' && r == 0) {
			cli_spf_usage(stdout);
			return 0;
		} else {
			cli_spf_usage(stderr);
			return CLI_EX_USAGE;
		}
	}
	if (argc - optind < 2 || argc - optind > 3) {
		cli_spf_usage(stderr);
		return CLI_EX_USAGE;
	}
	q.ip = argv[optind];
	q.sender = argv[optind + 1];
	if (strcmp(q.sender, "<>") == 0)
		q.sender = "";
	q.helo = argc - optind == 3 ? argv[optind + 2] : "";
	if (cli_mailauth_start(&m, "spf") < 0) {
		cli_mailauth_end(&m);
		return CLI_EX_TEMPFAIL;
	}
	memset(&ss, 0, sizeof(ss));
	ss.timeout_ms = m.set.spf_timeout * 1000;
	ss.receiver = config_get(m.cfg, "hostname");
	if (ss.receiver != NULL && *ss.receiver == '\0')
		ss.receiver = NULL;
	spf = spf_new(m.loop, m.dns, &ss);
	s.m = &m;
	s.result = SPF_NONE;
	check = spf_check_start(spf, &q, cli_spf_done, &s);
	(void)check;	/* ends with its callback */
	event_loop_run(m.loop);
	spf_free(&spf);
	cli_mailauth_end(&m);
	return 0;
}

/* ---- dmarc ---- */

static void cli_dmarc_usage(FILE *out)
{
	fprintf(out,
		"usage: sealpost dmarc [--config FILE] [--set KEY=VALUE] [--dns ADDR:PORT]\n"
		"                      [--spf RESULT:DOMAIN] [--dkim RESULT:DOMAIN]...\n"
		"                      FROM-DOMAIN\n"
		"Evaluates DMARC (RFC 7489) for a message whose From: address is in\n"
		"FROM-DOMAIN, given the SPF result and the domain it was for, and\n"
		"each DKIM signature's result (pass or fail) and d= domain.  Prints\n"
		"the result, the policy to apply and where it came from.  Exit 0\n"
		"whatever the result; 64 bad usage, 75 when the configuration, the\n"
		"public suffix list or the resolver cannot be set up.\n");
}

struct cli_dmarc {
	struct cli_mailauth *m;
	bool reject;
};

static void cli_dmarc_done(void *ctx, const struct dmarc_answer *a)
{
	struct cli_dmarc *d = ctx;

	printf("result: %s\n", dmarc_result_name(a->result));
	printf("policy: %s\n", dmarc_policy_name(a->policy));
	if (a->record_domain != NULL) {
		printf("published: %s\n", dmarc_policy_name(a->published));
		printf("record: _dmarc.%s\n", a->record_domain);
	}
	if (a->org_domain != NULL)
		printf("organizational_domain: %s\n", a->org_domain);
	printf("spf_aligned: %s\n", a->spf_aligned ? "yes" : "no");
	printf("dkim_aligned: %s\n", a->dkim_aligned ? "yes" : "no");
	if (a->sampled_out)
		printf("sampled_out: yes\n");
	if (a->result == DMARC_FAIL && a->policy == DMARC_POLICY_REJECT)
		printf("action: %s\n", d->reject ? "reject" : "mark");
	if (a->problem != NULL)
		printf("problem: %s\n", a->problem);
	event_loop_stop(d->m->loop);
}

/* "RESULT:DOMAIN" */
static int cli_dmarc_pair(char *arg, const char **result, const char **domain)
{
	char *colon = strchr(arg, ':');

	if (colon == NULL || colon == arg || colon[1] == '\0')
		return -1;
	*colon = '\0';
	*result = arg;
	*domain = colon + 1;
	return 0;
}

#define CLI_DMARC_DKIM_MAX 32

int cli_dmarc(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_MAILAUTH_COMMON_OPTS,
		{ "spf", required_argument, NULL, 'P' },
		{ "dkim", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	struct dmarc_dkim dkim[CLI_DMARC_DKIM_MAX];
	struct dmarc_input in;
	struct cli_mailauth m;
	struct cli_dmarc d;
	struct public_suffix *psl = NULL;
	struct dmarc_check *check;
	const char *res, *error;
	int opt, r;

	memset(&m, 0, sizeof(m));
	memset(&in, 0, sizeof(in));
	in.spf = SPF_NONE;
	in.dkim = dkim;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		r = cli_mailauth_opt(&m, opt);
		if (r > 0)
			continue;
		if (r == 0 && opt == 'P' &&
		    cli_dmarc_pair(optarg, &res, &in.spf_domain) == 0 &&
		    spf_result_parse(res, &in.spf) == 0)
			continue;
		if (r == 0 && opt == 'K' && in.dkim_count < CLI_DMARC_DKIM_MAX &&
		    cli_dmarc_pair(optarg, &res, &dkim[in.dkim_count].domain) == 0) {
			dkim[in.dkim_count++].pass = strcasecmp(res, "pass") == 0;
			continue;
		}
		if (r == 0 && opt == 'h') {
			cli_dmarc_usage(stdout);
			return 0;
		}
		cli_dmarc_usage(stderr);
		return CLI_EX_USAGE;
	}
	if (argc - optind != 1) {
		cli_dmarc_usage(stderr);
		return CLI_EX_USAGE;
	}
	in.from_domain = argv[optind];
	if (cli_mailauth_start(&m, "dmarc") < 0) {
		cli_mailauth_end(&m);
		return CLI_EX_TEMPFAIL;
	}
	if (public_suffix_load(m.set.public_suffix_list, &psl, &error) < 0) {
		fprintf(stderr, "sealpost dmarc: %s\n", error);
		cli_mailauth_end(&m);
		return CLI_EX_TEMPFAIL;
	}
	d.m = &m;
	d.reject = m.set.dmarc_reject;
	check = dmarc_check_start(m.loop, m.dns, psl, &in, cli_dmarc_done, &d);
	(void)check;	/* ends with its callback */
	event_loop_run(m.loop);
	public_suffix_free(&psl);
	cli_mailauth_end(&m);
	return 0;
}
