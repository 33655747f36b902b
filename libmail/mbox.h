#ifndef SEALPOST_MBOX_H
#define SEALPOST_MBOX_H

/*
 * One mailbox on disk: a folder named by the mailbox's ID (never by its
 * name, so no name a client sends reaches the filesystem) holding
 *
 *   <uid>     one file per message, CRLF line endings, never changed
 *   index     a header and one fixed-size record per message, in UID order
 *   cache     the parsed structure of each message (ENVELOPE,
 *             BODYSTRUCTURE, part offsets), appended at delivery
 *   fields    the header fields SEARCH reads of each message, again,
 *             apart from the rest of the cache, so that a header search
 *             reads only them: a quarter of the cache's bytes or less
 *             (mbox_format.h); appended with the cache entry
 *   log       every change, with its modseq, appended and fdatasync'ed
 *   lock      the writers' lock (flock)
 *
 * The log is what makes a change durable: a change is acknowledged once its
 * log record is on disk.  The index is updated in place after that without
 * fsync, and replayed from the log at open from its last checkpoint, so a
 * crash at any moment loses nothing that was acknowledged.  Replay is
 * idempotent (records carry full values, keyed by UID).
 *
 * Writers (delivery, STORE, EXPUNGE, APPEND) serialise on the lock for the
 * short time a commit takes.  Readers take a snapshot of the index under a
 * shared lock at SELECT, then follow the log from the snapshot's position,
 * so they see every change of every process, in order, at the moments they
 * choose (IMAP must not send EXPUNGE during FETCH, STORE or SEARCH).
 *
 * Nothing here blocks for long, but everything may block on disk I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define MBOX_SEEN      0x01u
#define MBOX_ANSWERED  0x02u
#define MBOX_FLAGGED   0x04u
#define MBOX_DELETED   0x08u
#define MBOX_DRAFT     0x10u
#define MBOX_SYSTEM_FLAGS 0x1fu
/* Internal: the record is a tombstone kept for QRESYNC until compaction. */
#define MBOX_EXPUNGED  0x80000000u

#define MBOX_MAX_KEYWORDS 64
#define MBOX_KEYWORD_MAX_LEN 63

/* One message as the index holds it: 72 bytes on disk. */
struct mbox_record {
	uint32_t uid;
	uint32_t flags;
	uint64_t keywords;	/* bit i: keyword i of the mailbox */
	uint64_t modseq;
	int64_t internal_date;	/* seconds since the epoch */
	uint64_t size;		/* RFC822.SIZE: bytes of the file */
	/* Where the message's cache and fields entries are: read and set
	 * them with the functions below.  Bits 0-47 are the cache entry's
	 * offset, bits 48-63 the low half of the fields entry's offset in
	 * 8-byte units (0: none), of which fields_hi is the high half.
	 * Index version 1 had zero in both, so its records read as having
	 * no fields entry. */
	uint64_t cache_pos;
	uint32_t cache_size;
	int16_t tz_minutes;	/* INTERNALDATE's zone, minutes east of UTC */
	uint16_t fields_hi;
	int64_t save_date;	/* when it was stored here (SAVEDATE) */
	/* A hash of what identifies a delivery (its Message-ID, or its
	 * bytes), so a delivery repeated after a crash is recognised
	 * atomically with the append; 0 for messages not delivered. */
	uint64_t delivery_hash;
};

#define MBOX_CACHE_OFFSET_BITS 48
/* The fields file may grow to this; entries past it are not written. */
#define MBOX_FIELDS_MAX_OFFSET (UINT64_C(8) << 32)

static inline uint64_t mbox_record_cache_offset(const struct mbox_record *rec)
{
	return rec->cache_pos & ((UINT64_C(1) << MBOX_CACHE_OFFSET_BITS) - 1);
}

/* The offset of the fields entry in the fields file, or 0 for none. */
static inline uint64_t mbox_record_fields_offset(const struct mbox_record *rec)
{
	return ((rec->cache_pos >> MBOX_CACHE_OFFSET_BITS) |
		(uint64_t)rec->fields_hi << 16) * 8;
}

/* Sets the cache entry's offset (below 2^48), keeping the fields'. */
static inline void mbox_record_set_cache_offset(struct mbox_record *rec,
						uint64_t offset)
{
	rec->cache_pos = (rec->cache_pos &
			  ~((UINT64_C(1) << MBOX_CACHE_OFFSET_BITS) - 1)) |
		offset;
}

/* Sets the fields entry's offset: a multiple of 8 below
 * MBOX_FIELDS_MAX_OFFSET, or 0 for none. */
static inline void mbox_record_set_fields_offset(struct mbox_record *rec,
						 uint64_t offset)
{
	uint64_t units = offset / 8;

	rec->cache_pos = mbox_record_cache_offset(rec) |
		(units & 0xffff) << MBOX_CACHE_OFFSET_BITS;
	rec->fields_hi = (uint16_t)(units >> 16);
}

struct mbox;

/* A consistent picture of the mailbox: what SELECT shows, kept up to date
 * by mbox_sync(). */
struct mbox_view {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	struct mbox_record *records;	/* live messages, by ascending UID */
	size_t count;
	size_t alloc;
	/* When not NULL, `records` is shared, read-only, with other views
	 * (a process's snapshot and the sessions that selected from it)
	 * and this counts its holders: selecting a large mailbox costs no
	 * copy of its list.  The first change a view makes copies it. */
	unsigned int *records_refs;
	/* records[0 .. seen_prefix) are all \Seen: where a look for the
	 * first unseen message (SELECT's UNSEEN) may start, kept by
	 * mbox_sync() so a large mailbox read mostly is not walked. */
	size_t seen_prefix;
	/* keyword_count names, allocated as they are defined: most
	 * mailboxes have none, and a view is held by every session that
	 * selects its mailbox. */
	char (*keywords)[MBOX_KEYWORD_MAX_LEN + 1];
	unsigned int keyword_count;
	/* where in the log this view stands */
	uint64_t log_offset;
	ino_t log_ino;
	/* When set, called once (and cleared) just before mbox_sync()
	 * first changes `records` in place or moves them: whoever shares
	 * the array instead of copying it takes a copy now. */
	void (*before_write)(void *ctx);
	void *before_write_ctx;
};

/* Creates an empty mailbox folder at `dir` (which must not exist). */
int mbox_create(const char *dir, uint32_t uidvalidity, const char **error_r);

/* Opens a mailbox, recovering it first if a writer died in the middle of a
 * commit (under the lock: uncommitted message files removed, a torn log
 * tail cut, the index brought up to the log). */
int mbox_open(const char *dir, struct mbox **mb_r, const char **error_r);
void mbox_close(struct mbox **mb);

/* Like mbox_open(), but a mailbox this process already holds open through
 * mbox_open_shared() is handed out again with one more reference, which
 * mbox_close() drops: every session of an IMAP worker that selects one
 * mailbox shares one set of descriptors and one header.  Safe because a
 * process holds the lock only inside one call (a commit, a snapshot),
 * never across a return to its event loop. */
int mbox_open_shared(const char *dir, struct mbox **mb_r,
		     const char **error_r);

/* How many shared mailboxes with no holder left this process keeps open
 * (1 unless it says otherwise; 0: none).  Each holds up to six
 * descriptors and its last snapshot. */
void mbox_shared_keep(unsigned int max);

/* Closes the kept mailboxes whose folder was deleted or replaced, so that
 * their files' space is not held until they would have been let go. */
void mbox_shared_sweep(void);

const char *mbox_dir(const struct mbox *mb);

/* The log's path: what IDLE watches (inotify) to hear of changes. */
const char *mbox_log_path(const struct mbox *mb);

/* Fills `view` (which must be zeroed or freed before) with a snapshot. */
int mbox_view_load(struct mbox *mb, struct mbox_view *view,
		   const char **error_r);
void mbox_view_free(struct mbox_view *view);

/* Index of the first message without \Seen in the view, or its count
 * when there is none. */
size_t mbox_view_first_unseen(struct mbox_view *view);

/* Index of `uid` in the view, or -1. */
ssize_t mbox_view_find(const struct mbox_view *view, uint32_t uid);

/*
 * The UIDs expunged since `since` (RFC 7162 VANISHED (EARLIER)), as
 * ascending ranges appended to `out`: pairs of uint32_t, first and last.
 * Exact while the index keeps an expunged message's tombstone, which
 * carries the modseq of its expunge; once compaction has dropped it, when
 * the message went is no longer known and its UID is always reported.  A
 * superset is what RFC 7162 section 3.2.6 asks of a server whose memory
 * is short; a missing UID would leave a client with a message that is not
 * there.
 */
int mbox_vanished(struct mbox *mb, const struct mbox_view *view,
		  uint64_t since, struct buf *out, const char **error_r);

enum mbox_change_type {
	MBOX_CHANGE_APPEND,
	MBOX_CHANGE_FLAGS,
	MBOX_CHANGE_EXPUNGE,
	MBOX_CHANGE_KEYWORD,	/* a new keyword name was defined */
};

struct mbox_change {
	enum mbox_change_type type;
	uint64_t modseq;
	const struct mbox_record *record;	/* APPEND, FLAGS: new state */
	uint32_t uid;				/* EXPUNGE */
	const char *keyword;			/* KEYWORD */
};

/* Called for each change as the view applies it; for EXPUNGE before the
 * record leaves the view, so the caller can find its sequence number. */
typedef void mbox_change_fn(void *ctx, const struct mbox_view *view,
			    const struct mbox_change *change);

/* Brings `view` up to date with the log, calling `fn` (may be NULL) for
 * each change.  Returns the number of changes applied, or -1. */
int mbox_sync(struct mbox *mb, struct mbox_view *view, mbox_change_fn *fn,
	      void *ctx, const char **error_r);

/* ---- appending ---- */

struct mbox_new_message {
	/* A file of the message, on the same filesystem; it is hard-linked
	 * into the mailbox, so one spooled copy can go to several.  It may
	 * be /proc/self/fd/N of a file made with O_TMPFILE. */
	const char *path;
	uint64_t size;
	int64_t internal_date;
	int16_t tz_minutes;
	uint32_t flags;
	const char *const *keywords;	/* NULL-terminated, may be NULL */
	const void *cache;		/* parsed structure, may be NULL */
	size_t cache_size;
	/* The first fields_size bytes of `cache` (at most cache_size) are
	 * what a header search reads: they are stored in the fields file as
	 * well.  0: nothing is (searches read the cache entry). */
	size_t fields_size;
	/* With delivery_hash set: when a message with the same hash was
	 * stored here at or after `dedup_since`, this one is not stored and
	 * its result names the existing message. */
	uint64_t delivery_hash;
	int64_t dedup_since;
	/* The caller made the file's data durable before the commit
	 * (fdatasync of a file with a name of its own, so its inode's link
	 * count on disk is not 0): only its new name is left to sync.
	 * Without it, and with a defer hook set, the commit syncs the file
	 * itself (or hands it to the hook with the log). */
	bool durable;
};

struct mbox_append_result {
	uint32_t uid;
	bool duplicate;	/* an earlier delivery of it was found */
};

struct mbox_append;

/* Collects messages to commit together: one lock, one directory fsync and
 * one log fdatasync for all of them (group commit). */
struct mbox_append *mbox_append_begin(struct mbox *mb);
/* The file at msg->path must already be fsync'ed by the caller, unless a
 * defer hook is set (mbox_set_defer_hook()) and msg->durable is not:
 * mbox_append_commit() syncs it then, with its new name, or hands both
 * to the hook. */
void mbox_append_add(struct mbox_append *a, const struct mbox_new_message *msg);
/* Makes them durable and visible; results[i] (an array with one entry per
 * message added, in order) gives each message's UID.  Frees `a` either
 * way.  On error nothing of the batch is visible. */
int mbox_append_commit(struct mbox_append **a,
		       struct mbox_append_result *results,
		       const char **error_r);
void mbox_append_abort(struct mbox_append **a);
/*
 * Group commit across mailboxes: commits the n appends (each on a
 * different mailbox) together, with one round of syncs for all of them.
 * Unlike mbox_append_commit(), the files added need NOT be durable yet.
 * The log records are written first; then every new file's fdatasync,
 * every folder's fsync, every log's fdatasync and the usage hook's flush
 * run at once (sync_many(): the journal merges them), and only then is
 * anything acknowledged.  A machine that stops during the round may keep
 * a record and lose its file: the first open after the reboot checks
 * every record since the last checkpoint against its file and expunges a
 * message whose file is gone or not of its size (mbox_message_lost in the
 * log; it was never acknowledged), and a writer that died after writing
 * its records has them made durable by the next one to take the lock.
 * The locks are taken in the order of the folders' names and held until
 * the end.  results[i] is the results array of as[i]; rets[i] is 0 when
 * as[i] is durable and visible, -1 when nothing of it is
 * (mbox_over_quota() of its mailbox tells why).  Frees every append.
 * Returns -1 when any failed, with the reason of the last failure.
 */
int mbox_append_commit_many(struct mbox_append **as, size_t n,
			    struct mbox_append_result **results, int *rets,
			    const char **error_r);
/* The batch does not count against the quota (it is still counted): a
 * MOVE or INBOX rename within one user, a quota warning. */
void mbox_append_no_quota(struct mbox_append *a);
/* Whether the last mbox_append_commit() on `mb` failed because the usage
 * hook refused it (IMAP [OVERQUOTA], LMTP 552/452). */
bool mbox_over_quota(const struct mbox *mb);

/*
 * Usage accounting for quotas.  The store registers one hook per process;
 * the writers call it with the mailbox folder and a change in bytes and
 * messages:
 *   - mbox_append_commit(), holding the mailbox lock, once the duplicates
 *     are known and BEFORE the log commit, with the batch's totals and
 *     `enforce` (unless mbox_append_no_quota()).  The hook refuses with
 *     *over_r set (the append fails, nothing is stored) or -1 (the append
 *     fails).  If the log commit then fails, it is called again with the
 *     negated totals.
 *   - mbox_expunge(), AFTER the log commit, with the negated totals of the
 *     messages it really removed (not those already gone), so two
 *     sessions expunging one message count it once.
 * Counting up before and down after the durable step means a crash in
 * between can only leave the counters too high, never too low: a quota
 * cannot be got around by crashing, and reconstruct recounts.  Errors of
 * the calls after the commit are logged, not returned.
 */
typedef int mbox_usage_fn(void *ctx, const char *dir, int64_t bytes,
			  int64_t messages, bool enforce, bool deferred,
			  bool *over_r, const char **error_r);
/* With `deferred` (mbox_append_commit_many(): one call per mailbox of the
 * batch), the hook's change need not be durable on return; the writer
 * calls the flush hook once for the batch, in the same round of syncs as
 * the logs.  So a machine that stops during that round may keep the
 * batch's records and lose its counts (too low by at most that batch,
 * until reconstruct recounts); a process that dies cannot. */
typedef int mbox_usage_flush_fn(void *ctx, const char **error_r);
void mbox_set_usage_hook(mbox_usage_fn *fn, mbox_usage_flush_fn *flush,
			 void *ctx);
/* Makes the deferred changes of the usage hook durable (its flush hook;
 * nothing without one). */
int mbox_usage_flush(const char **error_r);

/* ---- deferred durability ---- */

/*
 * A process that must not wait on the disk in the middle of its work (an
 * IMAP worker serving many sessions from one event loop) may take over the
 * syncs of the writers below and run them later, together and off its
 * loop: group commit across commands.  While a hook is set, a writer that
 * would sync a log (records written) asks the hook first; when the hook
 * returns 0 it has taken a duplicate of the descriptor and promises to
 * sync it before the change is acknowledged, and the writer goes on
 * without syncing.  When it returns -1 the writer
 * syncs as usual.  A file an expunge removes is handed over the same way
 * (MBOX_DEFER_UNLINK, with its name in the folder `fd`): it must go only
 * once the log saying it is expunged is durable.
 *
 * The new message files of an append and their names in the folder are
 * offered too (MBOX_DEFER_FILE for each file the caller did not make
 * durable, then MBOX_DEFER_DIR), before the records are written: a hook
 * that takes them all syncs them with the log, in one round, as
 * mbox_append_commit_many() does (a record whose file a machine crash
 * lost before the round ended costs its message, never acknowledged:
 * the recovery after the reboot expunges it; a checkpoint, which the
 * recovery does not look behind, flushes the file system first, whichever
 * process's commit still holds them).  When the hook refuses one,
 * mbox_append_commit() syncs them itself (at once, sync_many()) before it
 * writes the records, holding the lock that gave out their UIDs; a file
 * the caller synced before (mbox_new_message.durable) is not synced
 * again, only the folder.
 *
 * What the writer has done stays done: the records are in the log and the
 * index, visible to every reader, before they are durable.  A crash of
 * the process loses nothing (the kernel holds the writes); a crash of the
 * machine before the hook's sync can lose the change, which is why it must
 * not be acknowledged before.  A log holds a mailbox's changes in order,
 * so its sync makes durable everything written to it before, whoever
 * wrote it.  The usage counters are handed over too (MBOX_DEFER_USAGE):
 * an append's count goes up without a flush, and the hook flushes once
 * for all the appends it syncs, before their logs, so the order of
 * mbox_set_usage_hook() holds.
 */
enum mbox_defer_kind {
	MBOX_DEFER_LOG,		/* fdatasync: log records written */
	/* A new message file of an append (fdatasync), and the folder
	 * that has its new name (fsync), offered before the records are
	 * written; see mbox_append_commit(). */
	MBOX_DEFER_FILE,
	MBOX_DEFER_DIR,
	MBOX_DEFER_UNLINK,	/* after the log's sync: remove `name` */
	/* No descriptor: the usage hook's change (mbox_set_usage_hook()) is
	 * written without its flush; the hook runs mbox_usage_flush() before
	 * it syncs any log. */
	MBOX_DEFER_USAGE,
};
typedef int mbox_defer_fn(void *ctx, enum mbox_defer_kind kind, int fd,
			  const char *name);
/* One hook per process; NULL turns deferring off. */
void mbox_set_defer_hook(mbox_defer_fn *fn, void *ctx);
/* Whether a hook is set: mbox_append_commit() then syncs the new files
 * itself (the caller need not). */
bool mbox_defer_hook_set(void);

/* ---- changing flags, expunging ---- */

enum mbox_flag_op {
	MBOX_FLAGS_ADD,
	MBOX_FLAGS_REMOVE,
	MBOX_FLAGS_REPLACE,
};

/* Changes the flags of `uids` (ascending).  Keywords are named; unknown
 * names are defined (up to MBOX_MAX_KEYWORDS, else -1 with a reason).
 * With `unchangedsince` non-zero, messages whose modseq is higher are left
 * alone and their UIDs appended to `modified` (CONDSTORE).  A message
 * whose flags would not change gets no new modseq. */
int mbox_store(struct mbox *mb, const uint32_t *uids, size_t count,
	       enum mbox_flag_op op, uint32_t flags,
	       const char *const *keywords, uint64_t unchangedsince,
	       struct buf *modified, const char **error_r);

/* Removes `uids` (ascending; unknown ones ignored): log record first, then
 * the files. */
int mbox_expunge(struct mbox *mb, const uint32_t *uids, size_t count,
		 const char **error_r);

/* ---- reading ---- */

/* Opens the message file read-only; -1 if it is gone (expunged). */
int mbox_message_open(struct mbox *mb, uint32_t uid);
/* The name of a message's file in the mailbox's folder, and that folder
 * open (for openat() and the like: valid while the mailbox is open). */
#define MBOX_MESSAGE_NAME_SIZE 16
void mbox_message_name(uint32_t uid, char name[MBOX_MESSAGE_NAME_SIZE]);
int mbox_dir_fd(const struct mbox *mb);

/* Reads the cached parsed structure of a record into `out`. */
int mbox_cache_read(struct mbox *mb, const struct mbox_record *rec,
		    struct buf *out, const char **error_r);
/* Reads the record's fields entry (the prefix of its cache entry stored
 * apart, see mbox_new_message) into `out`: empty when it has none, -1
 * with a reason when the entry is bad.  To read many, use
 * mbox_cache_window.h. */
int mbox_fields_read(struct mbox *mb, const struct mbox_record *rec,
		     struct buf *out, const char **error_r);

/* Totals for STATUS and quota: messages, bytes, unseen, next UID. */
struct mbox_status {
	uint32_t messages;
	uint32_t unseen;
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint64_t size;
	uint64_t highestmodseq;
	uint32_t deleted;
	uint64_t deleted_size;	/* bytes of the \Deleted messages */
};
int mbox_status(struct mbox *mb, struct mbox_status *st, const char **error_r);

/* Writes a checkpoint: the log is synced, the index fsync'ed and marked
 * as reflecting the whole log, so an open after a machine crash replays
 * the log only from here; and the index is rewritten without the records
 * of expunged messages when they are many (30% of its records), or every
 * file is written again for the live messages, with a new log, when the
 * cache or the log has grown large (mbox_files_rewrite_locked()).  Every
 * writer makes one before it unlocks once the log has grown by the bytes
 * of mbox_set_checkpoint_bytes() since the last. */
int mbox_checkpoint(struct mbox *mb, const char **error_r);
#define MBOX_CHECKPOINT_BYTES_DEFAULT (1024 * 1024)
/* The log growth between two checkpoints of the writers of this process
 * (store key mailbox_checkpoint_log_bytes); 0 turns them off. */
void mbox_set_checkpoint_bytes(uint64_t bytes);

/* ---- reconstruct ---- */

/* Builds the cache record of a message (its parsed structure) into `out`;
 * given by the caller, since mbox knows nothing of MIME. */
typedef void mbox_cache_build_fn(const char *data, size_t size,
				 struct buf *out);
/* Whether a cache record is good for a message of `size` bytes; when it
 * is, *fields_size_r is what mbox_new_message's fields_size would be. */
typedef bool mbox_cache_check_fn(const void *data, size_t len, uint64_t size,
				 size_t *fields_size_r);

struct mbox_reconstruct_report {
	unsigned int added;	/* files no record named: back in the index */
	unsigned int removed;	/* records whose file is gone */
	unsigned int leftovers;	/* files of expunged messages, deleted */
	unsigned int resized;	/* records whose size was wrong */
	unsigned int recached;	/* cache entries rebuilt */
	/* fields entries written for good cache entries (a mailbox from
	 * before the fields file, or a bad entry) */
	unsigned int refielded;
	bool header_fixed;	/* UIDNEXT or the log/index pairing was wrong */
};

/*
 * Rebuilds a mailbox's index, cache, fields file and log from its message
 * files, which are the truth.  What the log says of each message (flags,
 * keywords, dates, expunges) is kept; a file no record names comes back
 * with no flags and its file's date; a record whose file is gone is
 * dropped; a good cache entry whose fields entry is missing or bad gets
 * one (report->refielded: the upgrade of a mailbox from before).  With
 * `check_only` nothing is changed.  Fills `report`; returns 0, or -1 with
 * a reason.  Takes the mailbox's lock: sessions reading it continue, and
 * see the rebuilt mailbox as a new log.
 */
int mbox_reconstruct(const char *dir, uint32_t uidvalidity,
		     mbox_cache_build_fn *build, mbox_cache_check_fn *check,
		     bool check_only, struct mbox_reconstruct_report *report,
		     const char **error_r);

#endif
