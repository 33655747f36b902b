/* STARTTLS (RFC 3207) and the implicit TLS of submissions (RFC 8314). */
#include "smtpd.h"
#include "stream.h"
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>

void smtpd_cmd_starttls(struct smtpd_session *sess)
{
	const char *error;

	if (sess->tls || sess->smtpd->tls == NULL || !sess->esmtp) {
		smtpd_reply(sess, 503, "5.5.1", sess->tls ?
			    "TLS already active" : "STARTTLS not available");
		smtpd_session_error(sess);
		return;
	}
	if (sess->txn != NULL) {
		smtpd_reply(sess, 503, "5.5.1", "STARTTLS inside a transaction");
		smtpd_session_error(sess);
		return;
	}
	smtpd_reply(sess, 220, "2.0.0", "Ready to start TLS");
	/* Pushing TLS drops whatever the client sent after STARTTLS in the
	 * same packet: those bytes came before the handshake and must never
	 * run as commands inside it (CVE-2011-0411). */
	if (tls_stream_start(sess->stream, sess->smtpd->tls, NULL,
			     &error) < 0) {
		log_error("tls_error", "error=%s", error);
		smtpd_session_close(sess, 0, NULL, NULL);
		return;
	}
	stream_discard_input(sess->stream);
	sess->state = SMTPD_STATE_TLS;
	stream_flush(sess->stream);
}

void smtpd_tls_ready(struct smtpd_session *sess)
{
	struct tls_info info;
	bool implicit = sess->helo == NULL &&
		sess->role == SMTPD_ROLE_SUBMISSIONS;

	sess->tls = true;
	if (tls_stream_info(sess->stream, &info) == 0) {
		snprintf(sess->tls_desc, sizeof(sess->tls_desc),
			 "using %s with cipher %s (%d bits)", info.protocol,
			 info.cipher, info.cipher_bits);
		log_info("tls_ok", "tls=\"%s %s\"", info.protocol,
			 info.cipher);
	}
	/* RFC 3207 4.2: forget everything learned before TLS. */
	free(sess->helo);
	sess->helo = NULL;
	sess->esmtp = false;
	smtpd_txn_free(sess);
	sess->state = SMTPD_STATE_COMMAND;
	if (implicit)
		smtpd_greet(sess);
	stream_resume(sess->stream);
}
