/*
 * DKIM verification of mail arriving in the MX role, and the
 * Authentication-Results field that reports it (RFC 8601).
 *
 * The message passes through a dkim_verify as it is written to the queue
 * file, so verifying costs one extra pass of hashing and no second copy.
 * At the end of DATA the session waits (like for the group commit) while
 * the keys are looked up through c-ares; a lookup that times out or fails
 * is dkim=temperror, never a hang.  When SPF and DMARC are checked too,
 * the results go on to smtpd_mailauth.c, which writes the one field for
 * all three; otherwise the field goes into the queue file here as a
 * header record (queue_file.h), delivered first, and the message is
 * committed as any other.  Key records are cached for their
 * TTL by the resolver (dns.h), so a sender's every message costs one
 * lookup per key and TTL.
 */
#include "smtpd.h"
#include "authres.h"
#include "buf.h"
#include "dkim_verify.h"
#include "dmarc.h"
#include "dns.h"
#include "config.h"
#include "queue_file.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct smtpd_dkim_lookup {
	struct smtpd_session *sess;
	size_t index;
	struct dns_req *req;
};

void smtpd_dkim_init(struct smtpd *s)
{
	const char *servers = config_get(s->worker->config, "dns_servers");
	const char *v = config_get(s->worker->config, "dns_timeout");
	unsigned long long timeout = 5;
	const char *error;

	s->authserv_id = s->set.authserv_id[0] != '\0' ?
		s->set.authserv_id : s->hostname;
	if ((!s->set.smtpd_dkim_verify && !s->set.smtpd_mailauth_verify) ||
	    worker_listener(s->worker, "smtp") == NULL)
		return;
	if (v != NULL)
		(void)config_parse_time(v, &timeout);
	if (dns_new(s->loop, servers, (unsigned int)timeout * 1000, &s->dns,
		    &error) < 0)
		log_fatal("dns: %s", error);
}

void smtpd_dkim_deinit(struct smtpd *s)
{
	dns_free(&s->dns);
}

/* ---- the transaction ---- */

void smtpd_dkim_begin(struct smtpd_session *sess)
{
	struct smtpd *s = sess->smtpd;
	struct dkim_verify_limits limits;

	if (sess->role != SMTPD_ROLE_MX || s->dns == NULL ||
	    !s->set.smtpd_dkim_verify)
		return;
	limits.header_size = s->set.smtpd_header_size_limit;
	limits.header_fields = 10000;
	limits.signatures = s->set.smtpd_dkim_max_signatures;
	sess->txn->dkim = dkim_verify_new(&limits);
}

void smtpd_dkim_write(struct smtpd_session *sess, const char *data,
		      size_t size)
{
	if (sess->txn->dkim != NULL)
		dkim_verify_write(sess->txn->dkim, data, size);
}

void smtpd_dkim_txn_free(struct smtpd_txn *t)
{
	size_t i, count;

	if (t->dkim == NULL)
		return;
	count = dkim_verify_count(t->dkim);
	for (i = 0; t->dkim_lookups != NULL && i < count; i++)
		dns_cancel(&t->dkim_lookups[i].req);
	free(t->dkim_lookups);
	t->dkim_lookups = NULL;
	dkim_verify_free(&t->dkim);
}

/* Every signature has its result: report (with SPF and DMARC when they
 * are checked), then commit. */
static void smtpd_dkim_done(struct smtpd_session *sess)
{
	struct smtpd_txn *t = sess->txn;
	size_t i, count = dkim_verify_count(t->dkim);
	/* Room for the "none" result and SPF's and DMARC's after. */
	struct authres_result *res = xcalloc(count + 3, sizeof(*res));
	struct dkim_outcome *out = xcalloc(count + 1, sizeof(*out));
	struct dmarc_dkim *dd = xcalloc(count + 1, sizeof(*dd));
	size_t dkim_count = count;
	struct buf field = BUF_INIT;

	log_set_ctx(&t->log);
	for (i = 0; i < count; i++) {
		dkim_verify_outcome(t->dkim, i, &out[i]);
		res[i].method = "dkim";
		res[i].result = dkim_result_name(out[i].result);
		res[i].reason = out[i].result != DKIM_RESULT_PASS ?
			out[i].reason : NULL;
		if (out[i].domain[0] != '\0') {
			authres_add_prop(&res[i], "header", "d",
					 out[i].domain);
			authres_add_prop(&res[i], "header", "s",
					 out[i].selector);
		}
		if (out[i].b[0] != '\0')
			authres_add_prop(&res[i], "header", "b", out[i].b);
		dd[i].domain = out[i].domain;
		dd[i].pass = out[i].result == DKIM_RESULT_PASS;
		log_info("smtp_dkim", "result=%s domain=%s selector=%s "
			 "reason=\"%s\"", res[i].result, out[i].domain,
			 out[i].selector, out[i].reason != NULL ?
			 out[i].reason : "");
	}
	if (count == 0) {
		/* RFC 8601 2.7.1: no signature is dkim=none. */
		res[0].method = "dkim";
		res[0].result = "none";
		count = 1;
	}
	if (smtpd_mailauth_active(t)) {
		/* The outcomes' strings live in t->dkim until the end. */
		free(out);
		smtpd_mailauth_set_dkim(t, res, count, dd, dkim_count);
		smtpd_mailauth_finish(sess);
		return;
	}
	free(dd);
	authres_format(&field, sess->smtpd->authserv_id, res, count);
	if (field.len <= QUEUE_HEADER_MAX)
		queue_writer_add_header(t->writer, buf_cstr(&field));
	else
		log_warn("smtp_dkim", "reason=\"Authentication-Results too "
			 "long\" size=%zu", field.len);
	buf_free(&field);
	free(res);
	free(out);
	smtpd_commit_message(sess);
}

static void smtpd_dkim_on_key(void *ctx, const struct dns_rr_result *r)
{
	struct smtpd_dkim_lookup *l = ctx;
	struct smtpd_session *sess = l->sess;
	struct smtpd_txn *t = sess->txn;
	enum dkim_key_status status;

	l->req = NULL;
	switch (r->status) {
	case DNS_OK:
		status = DKIM_KEY_FOUND;
		break;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		status = DKIM_KEY_MISSING;
		break;
	default:
		status = DKIM_KEY_TEMPFAIL;
		break;
	}
	if (status == DKIM_KEY_FOUND && r->count == 0)
		status = DKIM_KEY_MISSING;
	/* Several records: RFC 6376 3.6.2.2 lets us take one. */
	dkim_verify_set_key(t->dkim, l->index, status,
			    r->count > 0 ? r->rrs[0].text : NULL,
			    r->count > 0 ? r->rrs[0].text_len : 0, time(NULL));
	if (--t->dkim_pending == 0)
		smtpd_dkim_done(sess);
}

void smtpd_dkim_commit(struct smtpd_session *sess)
{
	struct smtpd *s = sess->smtpd;
	struct smtpd_txn *t = sess->txn;
	size_t i, count;

	if (t->dkim == NULL) {
		if (smtpd_mailauth_active(t))
			smtpd_mailauth_finish(sess);
		else
			smtpd_commit_message(sess);
		return;
	}
	dkim_verify_finish(t->dkim);
	count = dkim_verify_count(t->dkim);
	t->dkim_lookups = xcalloc(count + 1, sizeof(*t->dkim_lookups));
	for (i = 0; i < count; i++) {
		const char *name = dkim_verify_key_name(t->dkim, i);

		if (name == NULL)
			continue;
		t->dkim_lookups[i].sess = sess;
		t->dkim_lookups[i].index = i;
		t->dkim_pending++;
		t->dkim_lookups[i].req = dns_lookup_rr(
			s->dns, name, DNS_TYPE_TXT, smtpd_dkim_on_key,
			&t->dkim_lookups[i]);
	}
	if (t->dkim_pending == 0)
		smtpd_dkim_done(sess);
	else
		smtpd_session_wait(sess);
}
