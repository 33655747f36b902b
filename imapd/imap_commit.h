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
 * New message names (APPEND, COPY, MOVE) are not handed over: the log
 * record naming a file must not be written before the file and its name
 * in the folder are durable, since the kernel may write a log back at any
 * time, and a machine crash would then leave a record naming a missing or
 * truncated file.  mbox_append_commit() syncs the folder on the loop,
 * holding the mailbox lock, before it writes the records.  The names
 * cannot go to a commit of their own (synced by the thread, the records
 * written back on the loop after): a message's name in the folder is its
 * UID, given under the lock, and the record must follow under the same
 * lock, else another writer takes the UID (and removes the name as the
 * remains of a failed commit); holding the lock across a commit would
 * stall every reader of the mailbox, this process's own loop included
 * (mbox_view takes the lock too).  The data of an APPEND's messages can,
 * and does (imap_commit_presync()): nothing names their temporary files,
 * so a commit syncs them before the APPEND takes the lock, and the lock
 * is held only for the links, the folder's sync and the records; a COPY
 * or MOVE links files that are durable already.  Those commits of files
 * form a line of their own, on a second sync thread, so that an APPEND's
 * file is synced at once rather than after the commit of logs running
 * when it came.  When the thread
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

/*
 * Files to make durable before the running command goes on: an APPEND's
 * messages, written under names of their own in the store's tmp folder,
 * synced by the next commit of files (off the loop, on a thread apart
 * from the logs' commits: nothing names them yet, so no order binds
 * them) before the APPEND takes the mailbox lock, which is then held only for the links, the folder's sync
 * and the records.  The command stays running; `fn` is called from the
 * loop when the commit is done, with 0 or the errno of a failed sync,
 * unless the session went away meanwhile.  The session's own changes
 * are not in this entry (it must have handed over none yet).  Returns
 * false (nothing queued, the caller syncs) without group commit.
 */
typedef void imap_commit_resume_fn(struct imap_client *c, int error);
bool imap_commit_presync(struct imap_client *c, const int *fds, size_t n,
			 imap_commit_resume_fn *fn);

#endif
