#ifndef SEALPOST_POP3_SEND_H
#define SEALPOST_POP3_SEND_H

/*
 * The long multi-line responses (RFC 1939 section 3): RETR and TOP send a
 * message file, LIST and UIDL list the maildrop.  Each is produced in
 * pieces as the socket drains, so neither a large message nor a large
 * maildrop is ever whole in memory, and a slow reader only ever costs its
 * stream's output limit.  The session is busy while one runs; at the end
 * the producer calls pop3_session_done().
 */

#include <stddef.h>

struct pop3_session;
struct pop3_send;

/* Sends message `n` of the maildrop (which must exist) after its +OK
 * line: the whole of it (RETR) when `top_lines` is negative, else its
 * header and that many lines of its body (TOP).  Answers -ERR itself when
 * the file is gone. */
void pop3_send_message(struct pop3_session *s, size_t n, long top_lines);

/* Sends the LIST (sizes) or UIDL (unique IDs) listing of every message
 * not marked deleted, after the +OK line. */
void pop3_send_listing(struct pop3_session *s, int uidl);

/* The stream drained: produce more.  Called by the session. */
void pop3_send_continue(struct pop3_session *s);

void pop3_send_free(struct pop3_send **send);

/* The unique-id of a message for UIDL: UIDVALIDITY and UID, so it stays
 * the same across sessions and whatever IMAP clients do (RFC 1939
 * section 7 wants it to persist).  `out` holds at least
 * POP3_UIDL_SIZE bytes. */
#define POP3_UIDL_SIZE 24
void pop3_send_uidl(char *out, unsigned int uidvalidity, unsigned int uid);

#endif
