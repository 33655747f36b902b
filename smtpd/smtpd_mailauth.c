/*
 * SPF and DMARC of mail arriving in the MX role from outside, and the one
 * Authentication-Results field (RFC 8601) that reports them with DKIM.
 *
 * The SPF check of the MAIL FROM identity (postmaster@HELO for the null
 * path, RFC 7208 2.4) starts when MAIL is accepted and runs in the loop
 * while RCPT and DATA go on.  At the end of DATA, once smtpd_dkim.c has
 * its results, the session waits for SPF (spf.c bounds it by
 * spf_timeout), then runs DMARC for the From domain and writes the field.
 * Only then is the message committed, or refused when DMARC fails, the
 * domain asks for reject and dmarc_reject is set.
 *
 * Clients in smtpd_trusted_networks are not checked: they are our own
 * hosts handing on mail, and their address says nothing about the
 * sender's domain (RFC 7208 2.5: SPF is checked at the border).
 */
#include "smtpd.h"
#include "authres.h"
#include "buf.h"
#include "dmarc.h"
#include "message_address.h"
#include "message_header.h"
#include "public_suffix.h"
#include "queue_file.h"
#include "smtp_address.h"
#include "spf.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The methods after DKIM's: SPF and DMARC.  The results array is laid
 * out DKIM's first, then these two. */
#define SMTPD_MAILAUTH_EXTRA 2

struct smtpd_mailauth {
	struct smtpd_session *sess;
	/* SPF, started at MAIL FROM. */
	struct spf_check *spf_check;
	bool spf_done;
	enum spf_result spf;
	char *spf_domain;
	char *spf_problem;
	/* The header section as it arrives, for the From field. */
	struct buf header;
	bool header_done;
	/* At the end of DATA: the results so far (DKIM's first) and the
	 * DKIM signatures as DMARC sees them. */
	bool finishing;
	struct authres_result *res;
	size_t res_count;
	struct dmarc_dkim *dkim;
	size_t dkim_count;
	struct dmarc_check *dmarc_check;
	char *from_domain;
};

void smtpd_mailauth_init(struct smtpd *s)
{
	struct spf_settings ss;
	const char *error;

	if (!s->set.smtpd_mailauth_verify || s->dns == NULL)
		return;
	config_fill(s->worker->config, &mailauth_config_table, &s->auth);
	if (public_suffix_load(s->auth.public_suffix_list, &s->psl,
			       &error) < 0)
		log_fatal("public_suffix_list: %s", error);
	ss.timeout_ms = s->auth.spf_timeout * 1000;
	ss.receiver = s->hostname;
	s->spf = spf_new(s->loop, s->dns, &ss);
}

void smtpd_mailauth_deinit(struct smtpd *s)
{
	spf_free(&s->spf);
	public_suffix_free(&s->psl);
}

static void smtpd_mailauth_spf_done(void *ctx, const struct spf_answer *a)
{
	struct smtpd_mailauth *m = ctx;

	m->spf_check = NULL;
	m->spf_done = true;
	m->spf = a->result;
	m->spf_domain = xstrdup(a->domain != NULL ? a->domain : "");
	if (a->problem != NULL)
		m->spf_problem = xstrdup(a->problem);
	if (m->finishing)
		smtpd_mailauth_finish(m->sess);
}

void smtpd_mailauth_mail(struct smtpd_session *sess)
{
	struct smtpd *s = sess->smtpd;
	struct smtpd_txn *t = sess->txn;
	struct smtpd_mailauth *m;
	struct spf_query q;

	if (s->spf == NULL || sess->role != SMTPD_ROLE_MX || sess->trusted)
		return;
	m = xcalloc(1, sizeof(*m));
	m->sess = sess;
	t->auth = m;
	q.ip = sess->peer_ip;
	q.sender = t->env.sender;
	q.helo = sess->helo != NULL ? sess->helo : "";
	q.identity = SPF_ID_MAILFROM;
	m->spf_check = spf_check_start(s->spf, &q, smtpd_mailauth_spf_done, m);
}

void smtpd_mailauth_write(struct smtpd_session *sess, const char *data,
			  size_t size)
{
	struct smtpd_mailauth *m = sess->txn->auth;
	size_t max = sess->smtpd->set.smtpd_header_size_limit;
	size_t from;

	if (m == NULL || m->header_done)
		return;
	/* Look for the blank line from a little before the new octets. */
	from = m->header.len > 3 ? m->header.len - 3 : 0;
	buf_append(&m->header, data, size);
	if (memmem(m->header.data + from, m->header.len - from,
		   "\r\n\r\n", 4) != NULL ||
	    (m->header.len >= 2 && memcmp(m->header.data, "\r\n", 2) == 0))
		m->header_done = true;
	if (m->header.len > max) {
		/* A From past the bound is not looked at: the message is
		 * judged on what the bound kept. */
		buf_truncate(&m->header, max);
		m->header_done = true;
	}
}

void smtpd_mailauth_txn_free(struct smtpd_txn *t)
{
	struct smtpd_mailauth *m = t->auth;

	if (m == NULL)
		return;
	spf_check_cancel(&m->spf_check);
	dmarc_check_cancel(&m->dmarc_check);
	free(m->spf_domain);
	free(m->spf_problem);
	buf_free(&m->header);
	free(m->res);
	free(m->dkim);
	free(m->from_domain);
	free(m);
	t->auth = NULL;
}

/*
 * The RFC5322.From domain (RFC 7489 6.6.1).  One domain however many
 * addresses name it; none (no From, no domain in it) and several
 * different domains give NULL with a reason: such a message is recorded
 * as dmarc=permerror and never refused, since a policy cannot be chosen
 * for it.
 */
static char *smtpd_mailauth_from(struct smtpd_mailauth *m,
				 const char **reason_r)
{
	struct message_header hdr;
	struct buf value = BUF_INIT;
	char *domain = NULL;
	unsigned int i;

	*reason_r = "no From domain";
	message_header_init(&hdr, NULL);
	(void)message_header_parse(&hdr, m->header.data, m->header.len);
	for (i = 0; i < hdr.count; i++) {
		const struct message_header_field *f = &hdr.fields[i];
		struct message_address *list, *a;

		if (f->name_len != 4 || strncasecmp(f->name, "From", 4) != 0)
			continue;
		buf_clear(&value);
		message_header_unfold(f->value, f->value_len, &value);
		list = message_address_parse(value.data, value.len);
		for (a = list; a != NULL; a = a->next) {
			if (a->domain == NULL || a->domain[0] == '\0')
				continue;
			if (domain == NULL) {
				domain = xstrdup(a->domain);
			} else if (strcasecmp(domain, a->domain) != 0) {
				*reason_r = "several From domains";
				free(domain);
				domain = NULL;
				message_address_free(&list);
				goto out;
			}
		}
		message_address_free(&list);
	}
out:
	buf_free(&value);
	message_header_deinit(&hdr);
	if (domain != NULL) {
		char *p;

		for (p = domain; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	return domain;
}

/* Logs, writes the field, then commits or refuses. */
static void smtpd_mailauth_report(struct smtpd_mailauth *m,
				  const struct dmarc_answer *d,
				  const char *dmarc_reason)
{
	struct smtpd_session *sess = m->sess;
	struct smtpd *s = sess->smtpd;
	struct smtpd_txn *t = sess->txn;
	struct authres_result *spf = &m->res[m->res_count];
	struct authres_result *dm = &m->res[m->res_count + 1];
	struct buf field = BUF_INIT, dkim = BUF_INIT;
	const char *dmarc_name = d != NULL ? dmarc_result_name(d->result) :
		"permerror";
	bool refuse;
	size_t i;

	spf->method = "spf";
	spf->result = spf_result_name(m->spf);
	spf->reason = m->spf_problem;
	if (t->env.sender[0] != '\0')
		authres_add_prop(spf, "smtp", "mailfrom", t->env.sender);
	else
		authres_add_prop(spf, "smtp", "helo", sess->helo);
	dm->method = "dmarc";
	dm->result = dmarc_name;
	dm->reason = dmarc_reason;
	if (m->from_domain != NULL)
		authres_add_prop(dm, "header", "from", m->from_domain);
	if (d != NULL && d->record_domain != NULL) {
		/* The policy the domain publishes (policy.dmarc, as the
		 * IANA registry of RFC 8601 properties has it); the one
		 * applied after pct= is in the log. */
		authres_add_prop(dm, "policy", "dmarc",
				 dmarc_policy_name(d->published));
	}
	for (i = 0; i < m->res_count; i++)
		buf_printf(&dkim, "%s%s", i > 0 ? "," : "", m->res[i].result);
	log_set_ctx(&t->log);
	log_info("smtp_mailauth", "spf=%s spf_domain=%s dkim=%s dmarc=%s "
		 "from_domain=%s policy=%s", spf->result,
		 m->spf_domain != NULL ? m->spf_domain : "",
		 dkim.len > 0 ? buf_cstr(&dkim) : "none", dmarc_name,
		 m->from_domain != NULL ? m->from_domain : "",
		 d != NULL ? dmarc_policy_name(d->policy) : "none");
	buf_free(&dkim);
	refuse = d != NULL && d->result == DMARC_FAIL &&
		d->policy == DMARC_POLICY_REJECT && s->auth.dmarc_reject;
	if (refuse) {
		bool waited = sess->state == SMTPD_STATE_WAIT;

		log_info("smtp_message_refused", "reason=dmarc from_domain=%s",
			 m->from_domain);
		smtpd_reply(sess, 550, "5.7.1", "Message refused: DMARC "
			    "policy of %s says reject", m->from_domain);
		smtpd_txn_free(sess);
		sess->state = SMTPD_STATE_COMMAND;
		if (waited)
			smtpd_session_resume(sess);
		return;
	}
	/* DKIM's results, then SPF's and DMARC's, whose verdict rests on
	 * both. */
	authres_format(&field, s->authserv_id, m->res,
		       m->res_count + SMTPD_MAILAUTH_EXTRA);
	if (field.len <= QUEUE_HEADER_MAX)
		queue_writer_add_header(t->writer, buf_cstr(&field));
	else
		log_warn("smtp_mailauth", "reason=\"Authentication-Results "
			 "too long\" size=%zu", field.len);
	buf_free(&field);
	smtpd_commit_message(sess);
}

static void smtpd_mailauth_dmarc_done(void *ctx, const struct dmarc_answer *a)
{
	struct smtpd_mailauth *m = ctx;

	m->dmarc_check = NULL;
	smtpd_mailauth_report(m, a, a->problem);
}

void smtpd_mailauth_set_dkim(struct smtpd_txn *t,
			     struct authres_result *res, size_t count,
			     struct dmarc_dkim *dkim, size_t dkim_count)
{
	struct smtpd_mailauth *m = t->auth;

	if (m == NULL) {
		free(res);
		free(dkim);
		return;
	}
	m->res = res;
	m->res_count = count;
	m->dkim = dkim;
	m->dkim_count = dkim_count;
}

bool smtpd_mailauth_active(const struct smtpd_txn *t)
{
	return t->auth != NULL;
}

void smtpd_mailauth_finish(struct smtpd_session *sess)
{
	struct smtpd *s = sess->smtpd;
	struct smtpd_mailauth *m = sess->txn->auth;
	struct dmarc_input in;
	const char *reason;

	m->finishing = true;
	if (m->res == NULL)
		m->res = xcalloc(SMTPD_MAILAUTH_EXTRA, sizeof(*m->res));
	if (!m->spf_done) {
		/* spf.c calls back by spf_timeout at the latest. */
		if (sess->state != SMTPD_STATE_WAIT)
			smtpd_session_wait(sess);
		return;
	}
	m->from_domain = smtpd_mailauth_from(m, &reason);
	if (m->from_domain == NULL) {
		smtpd_mailauth_report(m, NULL, reason);
		return;
	}
	in.from_domain = m->from_domain;
	in.spf = m->spf;
	in.spf_domain = m->spf_domain;
	in.dkim = m->dkim;
	in.dkim_count = m->dkim_count;
	m->dmarc_check = dmarc_check_start(s->loop, s->dns, s->psl, &in,
					   smtpd_mailauth_dmarc_done, m);
	if (sess->state != SMTPD_STATE_WAIT)
		smtpd_session_wait(sess);
}
