/* DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030): the message into a queue
 * file.  Both refuse a bare CR or LF anywhere, so no sequence but
 * CRLF.CRLF ends a message and no second message can be smuggled past us
 * (the 2023 SMTP smuggling attacks). */
#include "smtpd.h"
#include "buf.h"
#include "queue_message.h"
#include "smtp_command.h"
#include "stream.h"
#include "stream_data.h"

#include <stdlib.h>
#include <string.h>

static bool smtpd_txn_ready(struct smtpd_session *sess)
{
	if (sess->txn == NULL) {
		smtpd_reply(sess, 503, "5.5.1", "Need MAIL command");
	} else if (sess->txn->env.rcpt_count == 0) {
		smtpd_reply(sess, 554, "5.5.1", "No valid recipients");
	} else {
		return true;
	}
	smtpd_session_error(sess);
	return false;
}

/* Opens the queue file; the envelope is complete once data starts. */
static int smtpd_message_begin(struct smtpd_session *sess)
{
	struct smtpd *s = sess->smtpd;
	struct smtpd_txn *t = sess->txn;
	struct queue_message_opts opts;
	struct buf received = BUF_INIT;
	const char *error;

	if (queue_writer_begin(s->queue_dir, &t->env, &t->writer,
			       &error) < 0) {
		log_error("queue_error", "reason=%s", error);
		return -1;
	}
	smtpd_received(sess, &received);
	memset(&opts, 0, sizeof(opts));
	opts.prepend = buf_cstr(&received);
	/* RFC 6409 8: a submission server may complete a message. */
	opts.add_missing = sess->role != SMTPD_ROLE_MX;
	opts.hostname = s->hostname;
	opts.queue_id = t->id;
	opts.header_max = s->set.smtpd_header_size_limit;
	opts.drop_authres_id = s->authserv_id;
	t->message = queue_message_new(t->writer, &opts);
	buf_free(&received);
	smtpd_dkim_begin(sess);
	return 0;
}

/* Counts line lengths across pieces, then passes the octets on. */
static void smtpd_message_piece(struct smtpd_session *sess, const char *data,
				size_t size)
{
	struct smtpd_txn *t = sess->txn;
	size_t max = sess->smtpd->set.smtpd_max_line_length + 2;
	const char *p = data, *end = data + size;

	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));

		if (lf == NULL) {
			t->line_len += (size_t)(end - p);
			break;
		}
		t->line_len += (size_t)(lf - p) + 1;
		if (t->line_len > max)
			t->line_too_long = true;
		t->line_len = 0;
		p = lf + 1;
	}
	if (t->line_len > max)
		t->line_too_long = true;
	if (!t->failed && !t->line_too_long && !t->too_big && !t->bare_eol) {
		queue_message_write(t->message, data, size);
		smtpd_dkim_write(sess, data, size);
		smtpd_mailauth_write(sess, data, size);
	}
}

/* The message is complete: refuse it, or commit it. */
static void smtpd_message_end(struct smtpd_session *sess)
{
	struct smtpd_txn *t = sess->txn;
	unsigned int hops;

	sess->state = SMTPD_STATE_COMMAND;
	if (t->failed) {
		smtpd_txn_free(sess);
		return;
	}
	queue_message_finish(t->message);
	hops = queue_message_hops(t->message);
	if (t->bare_eol) {
		log_info("smtp_message_refused", "reason=\"bare CR or LF\"");
		smtpd_reply(sess, 550, "5.6.0",
			    "Bare CR or LF in message not allowed");
	} else if (t->too_big) {
		log_info("smtp_message_refused", "reason=size size=%llu",
			 (unsigned long long)t->size);
		smtpd_reply(sess, 552, "5.3.4",
			    "Message size exceeds fixed limit");
	} else if (t->line_too_long) {
		log_info("smtp_message_refused", "reason=\"line too long\"");
		smtpd_reply(sess, 554, "5.6.0", "Message line too long");
	} else if (hops > sess->smtpd->set.smtpd_hop_count_limit) {
		log_info("smtp_message_refused", "reason=loop count=%u", hops);
		smtpd_reply(sess, 554, "5.4.6",
			    "Too many hops, mail loop detected");
	} else {
		if (queue_message_authres_dropped(t->message) > 0)
			log_info("smtp_authres_removed", "count=%u",
				 queue_message_authres_dropped(t->message));
		smtpd_dkim_commit(sess);
		return;
	}
	smtpd_session_error(sess);
	smtpd_txn_free(sess);
}

void smtpd_cmd_data(struct smtpd_session *sess)
{
	struct smtpd_txn *t = sess->txn;

	if (t != NULL && t->bdat) {
		smtpd_reply(sess, 503, "5.5.1", "DATA after BDAT");
		smtpd_session_error(sess);
		return;
	}
	if (!smtpd_txn_ready(sess))
		return;
	t = sess->txn;
	if (smtpd_message_begin(sess) < 0) {
		smtpd_reply(sess, 451, "4.3.0",
			    "Temporary failure, try again later [%s]",
			    sess->log.session);
		smtpd_txn_free(sess);
		return;
	}
	smtpd_reply(sess, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	t->data = stream_data_new(sess->stream,
				  sess->smtpd->set.message_size_limit);
	sess->state = SMTPD_STATE_DATA;
}

bool smtpd_data_input(struct smtpd_session *sess)
{
	struct smtpd_txn *t = sess->txn;
	const char *data;
	size_t size;

	for (;;) {
		enum stream_result r = stream_data_read(t->data, &data, &size);

		switch (r) {
		case STREAM_OK:
			smtpd_message_piece(sess, data, size);
			continue;
		case STREAM_WAIT:
			return false;
		case STREAM_DONE:
		case STREAM_TOO_LONG:
		case STREAM_INVALID:
			t->too_big = r == STREAM_TOO_LONG;
			t->bare_eol = r == STREAM_INVALID;
			t->size = stream_data_size(t->data);
			stream_data_free(&t->data);
			smtpd_message_end(sess);
			return true;
		default:
			log_info("smtp_disconnect", "reason=\"%s in DATA\"",
				 r == STREAM_EOF ? "eof" : "error");
			smtpd_session_close(sess, 0, NULL, NULL);
			return false;
		}
	}
}

void smtpd_cmd_bdat(struct smtpd_session *sess, struct smtp_command *cmd)
{
	struct smtpd_txn *t = sess->txn;
	uint64_t limit = sess->smtpd->set.message_size_limit;
	uint64_t have = t != NULL && t->bdat ? t->size : 0;

	/* A chunk that cannot fit is refused before a byte of it is read:
	 * staying in step would mean reading (say) a gigabyte the client
	 * announced only to throw it away, so the session ends instead. */
	if (cmd->bdat_size > (have < limit ? limit - have : 0)) {
		log_info("smtp_message_refused", "reason=size size=%llu",
			 (unsigned long long)(have + cmd->bdat_size));
		smtpd_session_close(sess, 552, "5.3.4",
				    "Message size exceeds fixed limit");
		return;
	}
	if (t == NULL || t->env.rcpt_count == 0 || t->data != NULL) {
		/* The chunk is on the wire anyway: skip it, then refuse. */
		sess->bdat_discard = cmd->bdat_size;
		sess->state = SMTPD_STATE_BDAT;
		return;
	}
	if (!t->bdat) {
		t->bdat = true;
		if (smtpd_message_begin(sess) < 0)
			t->failed = true;
	}
	t->bdat_left = cmd->bdat_size;
	t->bdat_last = cmd->bdat_last;
	sess->state = SMTPD_STATE_BDAT;
}

/* Bare CR and LF checks across chunk boundaries. */
static void smtpd_bdat_scan(struct smtpd_txn *t, const char *data,
			    size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		char c = data[i];

		if (t->last_cr && c != '\n')
			t->bare_eol = true;
		else if (!t->last_cr && c == '\n')
			t->bare_eol = true;
		t->last_cr = c == '\r';
	}
}

static bool smtpd_bdat_skip(struct smtpd_session *sess)
{
	const char *data;
	size_t size;

	while (sess->bdat_discard > 0) {
		enum stream_result r = stream_read_bytes(
			sess->stream,
			sess->bdat_discard > 65536 ? 65536 :
			(size_t)sess->bdat_discard, &data, &size);

		if (r == STREAM_WAIT)
			return false;
		if (r != STREAM_OK) {
			smtpd_session_close(sess, 0, NULL, NULL);
			return false;
		}
		sess->bdat_discard -= size;
		stream_read_progress(sess->stream);
	}
	sess->state = SMTPD_STATE_COMMAND;
	if (sess->txn != NULL && sess->txn->env.rcpt_count == 0)
		smtpd_reply(sess, 554, "5.5.1", "No valid recipients");
	else
		smtpd_reply(sess, 503, "5.5.1", "Need MAIL command");
	smtpd_session_error(sess);
	return true;
}

bool smtpd_bdat_input(struct smtpd_session *sess)
{
	struct smtpd_txn *t = sess->txn;
	uint64_t limit = sess->smtpd->set.message_size_limit;
	const char *data;
	size_t size;

	if (sess->bdat_discard > 0 || t == NULL || !t->bdat)
		return smtpd_bdat_skip(sess);
	while (t->bdat_left > 0) {
		enum stream_result r = stream_read_bytes(
			sess->stream,
			t->bdat_left > 65536 ? 65536 : (size_t)t->bdat_left,
			&data, &size);

		if (r == STREAM_WAIT)
			return false;
		if (r != STREAM_OK) {
			log_info("smtp_disconnect", "reason=\"eof in BDAT\"");
			smtpd_session_close(sess, 0, NULL, NULL);
			return false;
		}
		t->bdat_left -= size;
		t->size += size;
		stream_read_progress(sess->stream);
		if (t->size > limit)
			t->too_big = true;
		smtpd_bdat_scan(t, data, size);
		smtpd_message_piece(sess, data, size);
	}
	if (t->failed) {
		sess->state = SMTPD_STATE_COMMAND;
		smtpd_reply(sess, 451, "4.3.0",
			    "Temporary failure, try again later [%s]",
			    sess->log.session);
		smtpd_txn_free(sess);
		return true;
	}
	if (!t->bdat_last) {
		sess->state = SMTPD_STATE_COMMAND;
		smtpd_reply(sess, 250, "2.0.0", "%llu octets received",
			    (unsigned long long)t->size);
		return true;
	}
	if (t->last_cr)
		t->bare_eol = true;
	smtpd_message_end(sess);
	return true;
}
