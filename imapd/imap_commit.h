#ifndef SEALPOST_IMAP_COMMIT_H
#define SEALPOST_IMAP_COMMIT_H

/*
 * Group commit of an imapd process: the durable step of writing commands
 * (STORE, EXPUNGE, APPEND, COPY, MOVE, CLOSE...) taken out of the event
 * loop, so one session's flush no longer stalls every other session of
 * the process.
 *
 * A writing command applies its change as before, but the syncs of its
 * logs are taken over (mbox_set_defer_hook()): the log records are
 * written, the index updated, the lock released, and the logs to sync are
 * remembered for the session.  When the command ends (imap_client_done()),
 * its tagged answer is held and the session reads nothing more.  Its logs
 * go to a thread (sync_batch.h, each touched log once) while the loop goes
 * on serving reads.
 *
 * New messages (APPEND, COPY, MOVE) are handed over too: their files
 * (an APPEND's, written under names of their own in the store's tmp
 * folder; the files a COPY or MOVE links under new names) and the
 * folder holding their new names go to the same commit as the log that
 * names them, all synced at once (mbox_set_defer_hook(): MBOX_DEFER_FILE,
 * MBOX_DEFER_DIR).  The records are written before their files are
 * durable; a machine that stops before the commit ends may keep a record
 * and lose its file, and the first open of the mailbox after the reboot
 * expunges that message, whose command was never answered.  The lock is
 * held only for the links and the records, and nothing is synced on the
 * loop.  When the thread
 * is done, each held answer is sent (NO [UNAVAILABLE] instead of OK when a
 * sync of its command failed), and the sessions resume in order.  One
 * commit runs at a time: a command that finds none running starts one at
 * once; the commands that end while it runs wait and go together in the
 * next, which starts as soon as it is done, so the longer the disk takes,
 * the more each commit carries.
 *
 * Only the tagged answer waits: untagged responses the command wrote
 * itself (a STORE's FETCH) may reach the client before, which tells it
 * nothing until the tagged answer says OK; the untagged updates of
 * imap_client_done() are sent with the answer.
 *
 * What other sessions see: a change is in the log, so visible to every
 * session (in this process and others) that looks, before it is durable,
 * for the time of one commit.  A crash of a process cannot lose it (the
 * kernel has the writes); only a crash of the machine within that window
 * can, and then the command that made it was never acknowledged.  Holding
 * back what others see would mean a durable mark readers stop at, in every
 * process reading the log; the window is the one the log write and its
 * sync already had, made a commit long.
 */

#include <stdbool.h>
#include <stddef.h>

struct imap_client;
struct imap_commit;
struct imapd;

/* Sets up the process's group commit (installs the mbox hook) or, with
 * imap_group_commit off, nothing; returns NULL then. */
struct imap_commit *imap_commit_new(struct imapd *d);
/* Waits for the running commits and those queued (nobody is answered:
 * the sessions are gone); frees. */
void imap_commit_free(struct imap_commit **cm);

/* The session whose command runs now: the syncs the mailbox writers hand
 * over are remembered for it.  NULL: nobody (the writers sync at once). */
void imap_commit_set_current(struct imap_commit *cm, struct imap_client *c);
struct imap_client *imap_commit_current(const struct imap_commit *cm);

/* At the end of a command: whether it left syncs to run.  If so, the
 * tagged answer `text` (without the tag) is held, with `announce` for the
 * untagged updates to send before it, and the session waits; else
 * whatever it handed over (files to remove only) is done now, and the
 * caller answers. */
bool imap_commit_hold(struct imap_client *c, bool announce, const char *text);

/* The session is going away: its changes are still made durable (and its
 * expunged files removed), nobody is answered. */
void imap_commit_forget(struct imap_client *c);

#endif
