#include "pop3_send.h"
#include "buf.h"
#include "dot_stuff.h"
#include "event.h"
#include "log.h"
#include "mbox.h"
#include "pop3_maildrop.h"
#include "pop3_server.h"
#include "pop3_session.h"
#include "stream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes read from a message file at a time. */
#define POP3_SEND_CHUNK (32 * 1024)
/* Queued output after which we wait for the socket (the stream stops
 * reading from the client above its own, larger, output limit). */
#define POP3_SEND_HIGH_WATER (64 * 1024)
/* Bytes produced in one turn of the loop before others get theirs. */
#define POP3_SEND_TURN (1024 * 1024)

enum pop3_send_kind {
	POP3_SEND_MESSAGE,
	POP3_SEND_LIST,
	POP3_SEND_UIDL,
};

struct pop3_send {
	enum pop3_send_kind kind;
	struct pop3_session *session;
	struct event_timer *turn_timer;
	struct buf out;
	/* listings */
	size_t next;			/* index of the next message */
	/* messages */
	int fd;
	uint32_t uid;
	struct dot_stuff dot;
	bool top;			/* TOP: cut after `lines_left` */
	unsigned long lines_left;
	bool in_body, line_start, line_empty;
};

/* Writes `v` in decimal so that it ends just before *end, and moves *end
 * to its first digit.  Listings build thousands of lines, and printf was
 * most of their cost. */
static void pop3_send_digits(char **end, unsigned long long v)
{
	do {
		*--*end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
}

/* The unique-id "UIDVALIDITY.UID" ending just before *end (at most 21
 * bytes). */
static void pop3_send_uidl_digits(char **end, unsigned int uidvalidity,
				  unsigned int uid)
{
	pop3_send_digits(end, uid);
	*--*end = '.';
	pop3_send_digits(end, uidvalidity);
}

void pop3_send_uidl(char *out, unsigned int uidvalidity, unsigned int uid)
{
	char tmp[POP3_UIDL_SIZE], *p = tmp + sizeof(tmp);

	*--p = '\0';
	pop3_send_uidl_digits(&p, uidvalidity, uid);
	memcpy(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

void pop3_send_free(struct pop3_send **sendp)
{
	struct pop3_send *send = *sendp;

	if (send == NULL)
		return;
	event_timer_remove(&send->turn_timer);
	if (send->fd >= 0)
		close(send->fd);
	buf_free(&send->out);
	free(send);
	*sendp = NULL;
}

static struct pop3_send *pop3_send_new(struct pop3_session *s,
				       enum pop3_send_kind kind)
{
	struct pop3_send *send = xcalloc(1, sizeof(*send));

	send->kind = kind;
	send->session = s;
	send->fd = -1;
	return send;
}

/* TOP: how much of `len` bytes goes out before the cut, following the
 * header/body boundary (the first empty line) across pieces. */
static size_t pop3_send_top_cut(struct pop3_send *send, const char *p,
				size_t len, bool *cut_r)
{
	size_t i;

	*cut_r = false;
	for (i = 0; i < len; i++) {
		if (send->in_body && send->line_start && send->lines_left == 0) {
			*cut_r = true;
			return i;
		}
		if (p[i] == '\n') {
			if (!send->in_body && send->line_empty)
				send->in_body = true;
			else if (send->in_body)
				send->lines_left--;
			send->line_start = true;
			send->line_empty = true;
		} else {
			if (p[i] != '\r')
				send->line_empty = false;
			send->line_start = false;
		}
	}
	return len;
}

/* Produces the next piece of a message; true at its end. */
static bool pop3_send_message_piece(struct pop3_send *send, bool *failed_r)
{
	char chunk[POP3_SEND_CHUNK];
	size_t keep;
	ssize_t n;
	bool cut = false;

	n = read(send->fd, chunk, sizeof(chunk));
	if (n < 0) {
		if (errno == EINTR)
			return false;
		log_error("pop3_read_error", "uid=%u error=%s",
			  (unsigned int)send->uid, strerror(errno));
		*failed_r = true;
		return true;
	}
	keep = (size_t)n;
	if (send->top)
		keep = pop3_send_top_cut(send, chunk, keep, &cut);
	dot_stuff_append(&send->dot, &send->out, chunk, keep);
	if (n == 0 || cut) {
		dot_stuff_finish(&send->dot, &send->out);
		return true;
	}
	return false;
}

/* Produces the next lines of a listing; true at its end.  Each line is
 * built backwards in a small array and appended whole. */
static bool pop3_send_listing_piece(struct pop3_send *send)
{
	struct pop3_maildrop *md = send->session->maildrop;
	size_t count = pop3_maildrop_count(md), stop = send->next + 256;
	/* "N SIZE\r\n" or "N UIDVALIDITY.UID\r\n": 20 + 1 + 21 + 2 */
	char line[48], *p;

	for (; send->next < count && send->next < stop; send->next++) {
		const struct mbox_record *rec =
			pop3_maildrop_get(md, send->next + 1);

		if (rec == NULL)
			continue;
		p = line + sizeof(line);
		*--p = '\n';
		*--p = '\r';
		if (send->kind == POP3_SEND_LIST)
			pop3_send_digits(&p, rec->size);
		else
			pop3_send_uidl_digits(&p, md->view.uidvalidity,
					      rec->uid);
		*--p = ' ';
		pop3_send_digits(&p, send->next + 1);
		buf_append(&send->out, p, (size_t)(line + sizeof(line) - p));
	}
	if (send->next < count)
		return false;
	buf_append_str(&send->out, ".\r\n");
	return true;
}

static void pop3_send_turn(void *ctx)
{
	struct pop3_session *s = ctx;

	log_set_ctx(&s->log);
	event_timer_stop(s->send->turn_timer);
	pop3_send_continue(s);
	log_set_ctx(NULL);
}

void pop3_send_continue(struct pop3_session *s)
{
	struct pop3_send *send = s->send;
	size_t produced = 0;
	bool done = false, failed = false;
	int r;

	while (!done) {
		while (!done && stream_output_queued(s->stream) <
		       POP3_SEND_HIGH_WATER) {
			done = send->kind == POP3_SEND_MESSAGE ?
				pop3_send_message_piece(send, &failed) :
				pop3_send_listing_piece(send);
			produced += send->out.len;
			(void)stream_write(s->stream, send->out.data,
					   send->out.len);
			buf_clear(&send->out);
		}
		if (failed) {
			/* The +OK and part of the message are out: the
			 * only honest end is to hang up. */
			pop3_send_free(&s->send);
			pop3_session_close(s);
			return;
		}
		r = stream_flush(s->stream);
		if (r < 0) {
			pop3_send_free(&s->send);
			pop3_session_close(s);
			return;
		}
		if (done)
			break;
		if (r == 0)
			return;		/* on_drained calls us again */
		if (produced >= POP3_SEND_TURN) {
			if (send->turn_timer == NULL)
				send->turn_timer = event_timer_add(
					s->server->loop, 0, 0, pop3_send_turn,
					s);
			else
				event_timer_reset(send->turn_timer);
			return;
		}
	}
	pop3_send_free(&s->send);
	pop3_session_done(s);
}

void pop3_send_message(struct pop3_session *s, size_t n, long top_lines)
{
	struct pop3_maildrop *md = s->maildrop;
	const struct mbox_record *rec = pop3_maildrop_get(md, n);
	struct pop3_send *send;
	int fd;

	fd = mbox_message_open(md->mbox, rec->uid);
	if (fd < 0) {
		/* An IMAP client expunged it after our snapshot. */
		log_info("pop3_message_gone", "uid=%u", (unsigned int)rec->uid);
		pop3_session_reply(s, "-ERR [SYS/PERM] Message %zu was removed "
				   "by another session", n);
		return;
	}
	send = pop3_send_new(s, POP3_SEND_MESSAGE);
	send->fd = fd;
	send->uid = rec->uid;
	dot_stuff_init(&send->dot);
	if (top_lines >= 0) {
		send->top = true;
		send->lines_left = (unsigned long)top_lines;
		send->line_start = send->line_empty = true;
		pop3_session_reply(s, "+OK");
	} else {
		pop3_session_reply(s, "+OK %llu octets",
				   (unsigned long long)rec->size);
	}
	s->send = send;
	pop3_session_busy(s);
	pop3_send_continue(s);
}

void pop3_send_listing(struct pop3_session *s, int uidl)
{
	struct pop3_maildrop *md = s->maildrop;

	s->send = pop3_send_new(s, uidl ? POP3_SEND_UIDL : POP3_SEND_LIST);
	if (uidl)
		pop3_session_reply(s, "+OK");
	else
		pop3_session_reply(s, "+OK %zu messages (%llu octets)",
				   pop3_maildrop_live_count(md),
				   (unsigned long long)
				   pop3_maildrop_live_size(md));
	pop3_session_busy(s);
	pop3_send_continue(s);
}
