#ifndef SEALPOST_IMAP_APPEND_H
#define SEALPOST_IMAP_APPEND_H

/*
 * Receiving APPEND (RFC 9051 section 6.3.12, MULTIAPPEND of RFC 3502):
 * each message literal is streamed into a file in the store's tmp folder
 * as it arrives (never held in memory), then cmd_append() parses the
 * messages, writes their cached structure and commits them to the mailbox
 * in one group.  The parser's literal events (imap_parser.h) come here
 * from imap_client.c.
 */

#include <stddef.h>

struct imap_client;

/* The messages are written to files named imap.PID.N in the store's tmp
 * folder: those a killed process left go when imapd starts
 * (store_clean_tmp()). */
extern const char *const imap_append_tmp_prefixes[];

/* IMAP_PARSER_LITERAL: decide on the literal announced. */
void imap_append_literal(struct imap_client *c);
/* IMAP_PARSER_LITERAL_DATA. */
void imap_append_data(struct imap_client *c, const void *data, size_t size);
/* IMAP_PARSER_LITERAL_END. */
void imap_append_literal_end(struct imap_client *c);
/* Drops what was received (an error ended the command).  Safe to call
 * when nothing is being received. */
void imap_append_abort(struct imap_client *c);

#endif
