#ifndef SEALPOST_QUEUE_MESSAGE_H
#define SEALPOST_QUEUE_MESSAGE_H

/*
 * The message on its way into a queue file.  The header section is held
 * back (up to a bound) so that the trace header can go first, the hops
 * can be counted before the message is accepted, and a submitted message
 * gets the Message-ID and Date it lacks (RFC 6409 8.2, 8.3).  Past the
 * bound the header goes out unchanged (a message with a header that big
 * gets no additions, as in Postfix).  The body is passed through.
 */

#include <stdbool.h>
#include <stddef.h>

struct queue_writer;

struct queue_message_opts {
	/* Put first: the Received header, complete with its CRLF. */
	const char *prepend;
	/* Add Message-ID and Date when missing (submission). */
	bool add_missing;
	/* The right side of a generated Message-ID, and its left part. */
	const char *hostname;
	const char *queue_id;
	/* The header section held back at most. */
	size_t header_max;
	/* Drop Authentication-Results fields claiming this authserv-id
	 * (RFC 8601 5); NULL keeps them all. */
	const char *drop_authres_id;
};

struct queue_message;

struct queue_message *queue_message_new(struct queue_writer *w,
					const struct queue_message_opts *opts);
void queue_message_write(struct queue_message *m, const void *data,
			 size_t len);
/* Flushes the header when the message ended inside it. */
void queue_message_finish(struct queue_message *m);
/* Received fields seen so far in the held header (loop detection,
 * RFC 5321 6.3). */
unsigned int queue_message_hops(const struct queue_message *m);
/* Authentication-Results fields dropped (drop_authres_id). */
unsigned int queue_message_authres_dropped(const struct queue_message *m);
void queue_message_free(struct queue_message **m);
/* The Message-ID of the message, as found in its header or added here,
 * without the angle brackets; NULL until the header is complete or when
 * it has none. */
const char *queue_message_id(const struct queue_message *m);

/* Appends an RFC 5322 date-time for `t` in local time. */
struct buf;
void queue_message_date(struct buf *out, long long t);

#endif
