#ifndef SEALPOST_POP3_MAILDROP_H
#define SEALPOST_POP3_MAILDROP_H

/*
 * One POP3 session's maildrop (RFC 1939 section 3): the user's INBOX,
 * locked against other POP3 sessions, as a numbered snapshot.
 *
 * Lock.  RFC 1939 section 8 lets only one session at a time hold a
 * maildrop.  The lock is an flock on `pop3.lock` in the mailbox's folder,
 * taken without waiting and held until the session ends, so it works
 * across every pop3d process and is released by the kernel however the
 * session ends.  It excludes only POP3: delivery and IMAP use the
 * mailbox's own lock and go on while a POP3 session is open.
 *
 * Snapshot.  Message numbers are fixed for the session, so the view is
 * loaded once at login and never synced: mail that arrives later is seen
 * by the next session, and a message an IMAP client expunges meanwhile
 * stays listed (RETR then fails for it).
 *
 * Deletion.  DELE only marks; the marks are applied by
 * pop3_maildrop_commit() (QUIT, the UPDATE state) through mbox_expunge(),
 * so IMAP sessions on the same mailbox see ordinary expunges.  A session
 * that ends any other way frees the maildrop without committing, and
 * nothing is deleted.
 *
 * May block on disk I/O.
 */

#include "mbox.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum pop3_maildrop_result {
	POP3_MAILDROP_OK,
	POP3_MAILDROP_IN_USE,		/* another POP3 session holds it */
	POP3_MAILDROP_NO_MAILBOX,	/* the user has no INBOX */
	POP3_MAILDROP_ERROR,		/* see error_r */
};

struct pop3_maildrop {
	struct mbox *mbox;
	struct mbox_view view;		/* the snapshot: message n is
					   view.records[n - 1] */
	uint8_t *marks;			/* per message: POP3_MARK_* */
	size_t deleted_count;
	uint64_t deleted_size;
	int lock_fd;
};

#define POP3_MARK_DELETED	0x1u
#define POP3_MARK_RETRIEVED	0x2u

/* Opens, locks and snapshots the INBOX of `user`.  On anything but
 * POP3_MAILDROP_OK nothing is held and *md_r is NULL; *error_r is set for
 * POP3_MAILDROP_ERROR (for the log, never for the client). */
enum pop3_maildrop_result
pop3_maildrop_open(struct store *st, const char *user,
		   struct pop3_maildrop **md_r, const char **error_r);

/* Releases the lock and frees, deleting nothing. */
void pop3_maildrop_free(struct pop3_maildrop **md);

/* Messages in the snapshot (deleted ones included: numbers never move). */
static inline size_t pop3_maildrop_count(const struct pop3_maildrop *md)
{
	return md->view.count;
}

/* Message `n` (1-based), or NULL when it does not exist or is marked
 * deleted: RFC 1939 forbids referring to a deleted message. */
const struct mbox_record *pop3_maildrop_get(const struct pop3_maildrop *md,
					    size_t n);

/* Messages and octets not marked deleted (STAT, RSET). */
size_t pop3_maildrop_live_count(const struct pop3_maildrop *md);
uint64_t pop3_maildrop_live_size(const struct pop3_maildrop *md);

/* Marks message `n` deleted; -1 if it does not exist or already is. */
int pop3_maildrop_delete(struct pop3_maildrop *md, size_t n);
/* Notes that message `n` was retrieved (for EXPIRE 0). */
void pop3_maildrop_retrieved(struct pop3_maildrop *md, size_t n);
/* RSET: unmarks every message. */
void pop3_maildrop_reset(struct pop3_maildrop *md);

/* The UPDATE state: expunges the messages marked deleted, and those
 * retrieved too when `expunge_retrieved` (EXPIRE 0).  Returns the number
 * removed, or -1 (nothing removed) with *error_r. */
int pop3_maildrop_commit(struct pop3_maildrop *md, bool expunge_retrieved,
			 const char **error_r);

#endif
