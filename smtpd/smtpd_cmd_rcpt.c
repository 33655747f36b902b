/* RCPT TO (RFC 5321 4.1.1.3): relay control, recipient validation at
 * RCPT time (no backscatter), alias expansion into the envelope. */
#include "smtpd.h"
#include "aliases.h"
#include "buf.h"
#include "smtp_address.h"
#include "smtp_command.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool smtpd_is_local_cb(void *ctx, const char *domain)
{
	return smtpd_policy_domain_is_local(ctx, domain);
}

/* The user part of a local address: lowercased, without +detail. */
static char *smtpd_local_user(const struct smtpd *s, const char *local_part)
{
	size_t len, i;
	const char *detail;
	char *user;

	if (!smtp_address_split_detail(local_part, s->mail.recipient_delimiter,
				       &len, &detail))
		len = strlen(local_part);
	user = xstrndup(local_part, len);
	for (i = 0; user[i] != '\0'; i++)
		user[i] = (char)tolower((unsigned char)user[i]);
	return user;
}

/* Adds the recipients a local address stands for.  Returns 1 when it is
 * known, 0 when nobody of that name exists, -1 when the store failed. */
static int smtpd_rcpt_local(struct smtpd_session *sess,
			    const struct smtp_address *addr, const char *orig,
			    const struct smtp_rcpt_params *params)
{
	struct smtpd *s = sess->smtpd;
	struct smtpd_txn *t = sess->txn;
	struct aliases_result res;
	const char *domain = addr->domain != NULL ? addr->domain : s->hostname;
	char *user = smtpd_local_user(s, addr->local_part);
	size_t i;
	int ret;

	aliases_refresh(s->aliases, time(NULL));
	ret = aliases_expand(s->aliases, user, domain, smtpd_is_local_cb, s,
			     &res);
	if (ret == 1) {
		for (i = 0; i < res.count; i++)
			queue_envelope_add_rcpt(&t->env, res.addresses[i], orig,
						params->notify,
						params->orcpt_type,
						params->orcpt,
						res.loop ? QUEUE_RCPT_FLAG_LOOP
							 : 0);
		if (res.count == 0)
			queue_envelope_add_rcpt(&t->env, orig, orig,
						params->notify,
						params->orcpt_type,
						params->orcpt,
						QUEUE_RCPT_FLAG_LOOP);
		if (res.loop)
			log_warn("alias_loop", "to=%s", orig);
		aliases_result_deinit(&res);
		free(user);
		return 1;
	}
	ret = smtpd_user_exists(s, user);
	if (ret == 1)
		queue_envelope_add_rcpt(&t->env, orig, orig, params->notify,
					params->orcpt_type, params->orcpt, 0);
	free(user);
	return ret;
}

void smtpd_cmd_rcpt(struct smtpd_session *sess, struct smtp_command *cmd)
{
	struct smtpd *s = sess->smtpd;
	struct smtpd_txn *t = sess->txn;
	const struct smtp_address *addr = cmd->path;
	struct buf orig = BUF_INIT;
	bool local;
	int ret;

	if (t == NULL) {
		smtpd_reply(sess, 503, "5.5.1", "Need MAIL before RCPT");
		smtpd_session_error(sess);
		return;
	}
	if (t->rcpt_commands >= s->set.smtpd_recipient_limit) {
		smtpd_reply(sess, 452, "4.5.3", "Too many recipients");
		return;
	}
	if (addr->postmaster) {
		buf_printf(&orig, "postmaster@%s", s->hostname);
	} else {
		smtp_address_write(&orig, addr);
	}
	local = addr->postmaster ||
		(!addr->domain_literal &&
		 smtpd_policy_domain_is_local(s, addr->domain));
	/* The old routing forms (user%other@local, "user@other"@local,
	 * @local:user@other, other!user@local) would let a client aim a
	 * local-looking address elsewhere: refused outright. */
	if (smtp_address_routing(addr) != 0) {
		log_info("smtp_rcpt_refused", "to=%s reason=routing",
			 buf_cstr(&orig));
		smtpd_reply(sess, 550, "5.7.1",
			    "Source routing and relay tricks not allowed");
		smtpd_session_error(sess);
		buf_free(&orig);
		return;
	}
	if (!local) {
		if (sess->user == NULL && !sess->trusted) {
			log_info("smtp_rcpt_refused", "to=%s reason=relay",
				 buf_cstr(&orig));
			smtpd_reply(sess, 554, "5.7.1", "Relay access denied");
			smtpd_session_error(sess);
			buf_free(&orig);
			return;
		}
		queue_envelope_add_rcpt(&t->env, buf_cstr(&orig),
					buf_cstr(&orig), cmd->rcpt.notify,
					cmd->rcpt.orcpt_type, cmd->rcpt.orcpt,
					0);
		ret = 1;
	} else {
		ret = smtpd_rcpt_local(sess, addr, buf_cstr(&orig),
				       &cmd->rcpt);
	}
	if (ret < 0) {
		smtpd_reply(sess, 451, "4.3.0",
			    "Temporary failure, try again later [%s]",
			    sess->log.session);
	} else if (ret == 0) {
		log_info("smtp_rcpt_refused", "to=%s reason=unknown",
			 buf_cstr(&orig));
		smtpd_reply(sess, 550, "5.1.1", "User unknown");
		smtpd_session_error(sess);
	} else {
		t->rcpt_commands++;
		if (t->first_rcpt == NULL)
			t->first_rcpt = xstrdup(buf_cstr(&orig));
		log_info("smtp_rcpt", "to=%s", buf_cstr(&orig));
		smtpd_reply(sess, 250, "2.1.5", "Ok");
	}
	buf_free(&orig);
}
