#ifndef SEALPOST_LMTP_DELIVER_H
#define SEALPOST_LMTP_DELIVER_H

/*
 * Delivering one received message into the store, for each recipient of
 * an LMTP transaction: the mailbox (user+detail picks a folder), the quota,
 * the Return-Path and Delivered-To header lines of that recipient, the
 * parsed structure for the cache, and the append with its duplicate check,
 * durable before the recipient's reply is written.
 */

#include "buf.h"
#include "lmtpd_settings.h"
#include "store_settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log_ctx;
struct store;

struct lmtp_rcpt {
	char *address;		/* as given in RCPT TO, for Delivered-To */
	char *user;		/* the store user */
	char *detail;		/* the +detail, or NULL */
	/* Filled by lmtp_deliver_batch(): the reply for this recipient. */
	struct buf reply;
};

struct lmtp_delivery {
	struct store *st;
	const struct lmtpd_settings *set;
	const struct store_settings *store_set;
	const char *hostname;		/* for the quota warning's From */
	const char *sender;		/* reverse path without <>, "" for <> */
	/* The message as received, CRLF: in memory when spool_data is not
	 * NULL, else in the file spool_path. */
	const char *spool_data;
	const char *spool_path;
	uint64_t size;
	struct lmtp_rcpt *rcpts;
	size_t rcpt_count;
	bool enhanced_codes;
	/* The session's log context, for the lines of its recipients when
	 * it is delivered in a batch; NULL: the current one. */
	const struct log_ctx *log;
};

/* Stores the message of each transaction for every one of its recipients
 * and fills each recipient's reply, for the transactions of several
 * sessions at once (group commit): every recipient's copy is written,
 * then all are committed with mbox_append_commit_many(), so the batch
 * shares its syncs.  The replies are only filled once what they
 * acknowledge is durable.  Never fails as a whole: a recipient that
 * cannot be served gets its own 4xx or 5xx. */
void lmtp_deliver_batch(struct lmtp_delivery **ds, size_t n);

#endif
