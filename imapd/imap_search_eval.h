#ifndef SEALPOST_IMAP_SEARCH_EVAL_H
#define SEALPOST_IMAP_SEARCH_EVAL_H

/*
 * Evaluating a SEARCH key tree (imap_search_parse.h) against the messages
 * of the selected mailbox.  Flag, size, date, UID and sequence keys use
 * the index only; header keys read the message's header; BODY and TEXT
 * decode the text parts (transfer encoding and charset, to UTF-8).  Text
 * matching is a substring match ignoring ASCII case (RFC 9051 section
 * 6.4.4 leaves the collation to the server; i;ascii-casemap is its
 * default).
 */

#include <stdbool.h>
#include <stddef.h>

struct imap_search;
struct imap_selected;
struct mbox_cache_window;

/* Is message `i` (an index into sel->msgs) a match?  Messages whose file
 * is gone match only keys that need no file.  `window` reads the fields
 * and cache entries of a run of messages (mbox_cache_window.h); with
 * NULL, header keys read the files. */
bool imap_search_eval(const struct imap_selected *sel,
		      const struct imap_search *search, size_t i,
		      struct mbox_cache_window *window);
/* Where a search may find a message's bytes already read (a caller
 * reading the files of many messages at once): read(ctx, i) is asked only
 * when a key needs message i's file, and returns its bytes (NUL-
 * terminated, as long as the index says) or NULL: then the file is read
 * here. */
struct imap_search_files {
	const char *(*read)(void *ctx, size_t i);
	void *ctx;
};

/* imap_search_eval() asking `files` (or NULL) for the files' bytes. */
bool imap_search_eval_files(const struct imap_selected *sel,
			    const struct imap_search *search, size_t i,
			    struct mbox_cache_window *window,
			    const struct imap_search_files *files);

/* Does the search read message files whatever the cache holds (BODY,
 * TEXT, HEADER of a field the cache does not keep)? */
bool imap_search_reads_files(const struct imap_search *search);

/* Case-insensitive (ASCII) substring search; an empty needle matches. */
bool imap_search_contains(const char *hay, size_t hay_len, const char *needle);

/* The date of an RFC 5322 Date header value as days since 1970-01-01,
 * in the zone it was written in (RFC 9051 6.4.4, SENTBEFORE and
 * friends).  Returns false when it can't be read. */
bool imap_search_sent_days(const char *value, size_t len, long long *days_r);

#endif
