/* The trace field smtpd puts on every message (RFC 5321 4.4), naming the
 * protocol with the RFC 3848 keywords and the authenticated user. */
#include "smtpd.h"
#include "buf.h"
#include "queue_message.h"

#include <string.h>
#include <time.h>

void smtpd_received(struct smtpd_session *sess, struct buf *out)
{
	const struct smtpd_txn *t = sess->txn;
	bool v6 = strchr(sess->peer_ip, ':') != NULL;

	buf_printf(out, "Received: from %s ([%s%s])\r\n",
		   sess->helo != NULL ? sess->helo : "unknown",
		   v6 ? "IPv6:" : "", sess->peer_ip);
	if (sess->user != NULL)
		buf_printf(out, "\t(Authenticated sender: %s)\r\n", sess->user);
	buf_printf(out, "\tby %s (sealpost) with %s id %s",
		   sess->smtpd->hostname, smtpd_session_protocol(sess), t->id);
	if (sess->tls && sess->tls_desc[0] != '\0')
		buf_printf(out, "\r\n\t(%s)", sess->tls_desc);
	/* Naming the recipient only when there is one keeps a Bcc
	 * recipient's address out of everybody else's copy. */
	if (t->env.rcpt_count == 1 && t->first_rcpt != NULL)
		buf_printf(out, "\r\n\tfor <%s>", t->first_rcpt);
	buf_append_str(out, "; ");
	queue_message_date(out, (long long)time(NULL));
	buf_append_str(out, "\r\n");
}
