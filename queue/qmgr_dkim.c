/*
 * DKIM signing of relayed mail (RFC 6376, RFC 8463).
 *
 * Signing happens here, at relay time, rather than in smtpd at queue
 * entry: the private keys then stay out of the process that parses what
 * the Internet sends (smtpd), and are read only by qmgr, as the mail
 * user, at start.  Each delivery attempt reads the message once more to
 * hash it and signs with a fresh t=; the signatures are put in front of
 * the message as the queue file reader presents it, so the relay, and
 * LMTP for the local recipients of the same message, send one message.
 *
 * Only what our own users sent is signed: an authenticated submission, a
 * client in smtpd_trusted_networks, sendmail(1), or a notice qmgr itself
 * made.  The queue file records which (queue_file.h: auth, trusted,
 * client local, origin).
 */
#include "qmgr.h"
#include "buf.h"
#include "dkim_sign.h"
#include "queue_file.h"
#include "worker.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The header section signed at most; a longer one is sent unsigned. */
#define QMGR_DKIM_HEADER_MAX (1024 * 1024)

/* "domain:selector:path" */
static void qmgr_dkim_add(struct qmgr *q, char *entry)
{
	char *sel = strchr(entry, ':'), *path, *full;
	struct dkim_sign_key *k;
	const char *error;
	size_t i;

	path = sel != NULL ? strchr(sel + 1, ':') : NULL;
	if (path == NULL || sel == entry || path == sel + 1 ||
	    path[1] == '\0')
		log_fatal("dkim_sign: \"%s\" is not domain:selector:keyfile",
			  entry);
	*sel++ = '\0';
	*path++ = '\0';
	q->dkim_keys = xrealloc(q->dkim_keys, (q->dkim_key_count + 1) *
				sizeof(*q->dkim_keys));
	k = &q->dkim_keys[q->dkim_key_count];
	memset(k, 0, sizeof(*k));
	if (str_copy(k->domain, sizeof(k->domain), entry) < 0 ||
	    str_copy(k->selector, sizeof(k->selector), sel) < 0)
		log_fatal("dkim_sign: domain or selector too long in \"%s\"",
			  entry);
	for (i = 0; k->domain[i] != '\0'; i++)
		k->domain[i] = (char)tolower((unsigned char)k->domain[i]);
	full = worker_path(q->worker, path);
	if (dkim_privkey_load(full, &k->alg, &k->pkey, &error) < 0)
		log_fatal("dkim_sign: %s", error);
	free(full);
	q->dkim_key_count++;
	log_info("dkim_key_loaded", "domain=%s selector=%s", k->domain,
		 k->selector);
}

void qmgr_dkim_init(struct qmgr *q)
{
	char *list = xstrdup(q->relay.dkim_sign), *p = list, *item;

	while ((item = strsep(&p, ",")) != NULL) {
		char *end;

		while (isspace((unsigned char)*item))
			item++;
		end = item + strlen(item);
		while (end > item && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*item != '\0')
			qmgr_dkim_add(q, item);
	}
	free(list);
}

void qmgr_dkim_deinit(struct qmgr *q)
{
	size_t i;

	for (i = 0; i < q->dkim_key_count; i++)
		dkim_privkey_free(&q->dkim_keys[i].pkey);
	free(q->dkim_keys);
	q->dkim_keys = NULL;
	q->dkim_key_count = 0;
}

static bool qmgr_dkim_ours(const struct queue_envelope *env)
{
	return env->auth_user != NULL || env->trusted ||
		env->origin[0] != '\0' ||
		(env->client != NULL && strcmp(env->client, "local") == 0);
}

void qmgr_dkim_sign(struct qmgr *q, struct queue_file *qf)
{
	char chunk[65536], domain[DKIM_DOMAIN_SIZE];
	struct buf fields = BUF_INIT;
	struct dkim_sign *s;
	uint64_t off = 0;
	time_t now = time(NULL);
	size_t i, signed_count = 0;
	ssize_t n;

	if (q->dkim_key_count == 0 || !qmgr_dkim_ours(&qf->env))
		return;
	s = dkim_sign_new(QMGR_DKIM_HEADER_MAX);
	while ((n = queue_file_read_message(qf, off, chunk,
					    sizeof(chunk))) > 0) {
		dkim_sign_write(s, chunk, (size_t)n);
		off += (uint64_t)n;
	}
	if (n < 0 || dkim_sign_from_domain(s, domain, sizeof(domain)) < 0) {
		dkim_sign_free(&s);
		return;
	}
	for (i = 0; i < q->dkim_key_count; i++) {
		const struct dkim_sign_key *k = &q->dkim_keys[i];
		const char *error;

		if (strcmp(k->domain, domain) != 0)
			continue;
		if (dkim_sign_field(s, k, now, q->relay.dkim_signature_expire,
				    &fields, &error) < 0) {
			log_warn("dkim_sign_failed", "domain=%s selector=%s "
				 "reason=\"%s\"", k->domain, k->selector,
				 error);
			continue;
		}
		log_info("dkim_signed", "domain=%s selector=%s", k->domain,
			 k->selector);
		signed_count++;
	}
	if (signed_count > 0)
		queue_file_prepend(qf, fields.data, fields.len);
	buf_free(&fields);
	dkim_sign_free(&s);
}
