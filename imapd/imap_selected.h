#ifndef SEALPOST_IMAP_SELECTED_H
#define SEALPOST_IMAP_SELECTED_H

/*
 * The selected mailbox of a session, as the client knows it.
 *
 * The mailbox's view (mbox.h) follows the change log; this module keeps
 * the client's own picture beside it: message sequence numbers that only
 * change when the client has been told (RFC 9051 section 7.5.1: an
 * EXPUNGE may not be sent during FETCH, STORE or SEARCH, so an expunged
 * message keeps its number until a command that allows EXPUNGE ends), the
 * flag changes not yet reported, the keywords defined since the last
 * FLAGS response.  imap_selected_sync() reads the log; imap_selected_
 * announce() sends what the client may hear now.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mbox.h"
#include "store.h"

struct imap_client;
struct imap_notify_watch;
struct imap_seqset;

/* Per-message state bits. */
#define IMAP_MSG_EXPUNGED	0x01	/* gone; EXPUNGE not sent yet */
#define IMAP_MSG_FLAGS_CHANGED	0x02	/* FETCH FLAGS not sent yet */

/* What a session keeps of its mailbox's record: the fields of struct
 * store_mailbox it uses, without the access control list (2.5 KB, read
 * at SELECT into `rights`), since every idle session holds one. */
struct imap_selected_mailbox {
	char owner[STORE_USER_NAME_MAX + 1];
	char name[STORE_MAILBOX_NAME_MAX + 1];
	char id[STORE_ID_SIZE];
	unsigned int special_use;
};

struct imap_selected {
	struct mbox *mbox;
	struct imap_selected_mailbox info;
	bool readonly;			/* EXAMINE, or no right to change */
	unsigned int rights;		/* ACL_* at SELECT (RFC 4314 5.1.1) */
	/* A shared mailbox: \Seen is the user's own (store_seen_get()),
	 * these UIDs, ascending; the MBOX_SEEN of its records is ignored.
	 * Read at SELECT and changed by this session only: another session
	 * of the same user sees its changes at the next SELECT. */
	bool private_seen;
	uint32_t *seen;
	size_t seen_count;
	struct mbox_view view;		/* follows the log */
	/* The client's messages: msgs[i] is sequence number i + 1.  Until
	 * the log brings a change, they are the view's records (borrowed,
	 * not a copy: a large mailbox costs a SELECT one array, not two);
	 * imap_selected_sync() copies them before the view moves on. */
	struct mbox_record *msgs;
	bool msgs_borrowed;
	uint8_t *state;
	size_t count, alloc;
	size_t exists_sent;		/* the count the client knows */
	unsigned int keywords_sent;	/* keywords in the last FLAGS */
	bool expunges_pending;
	bool flags_pending;
	/* UIDs of the SEARCH result saved with RETURN (SAVE) (RFC 5182). */
	uint32_t *saved;
	size_t saved_count;
	struct imap_notify_watch *watch;
};

/* What became of the selected mailbox in the mailbox list. */
enum imap_selected_fate {
	IMAP_SELECTED_SAME,
	IMAP_SELECTED_RENAMED,	/* info.name now holds the new name */
	IMAP_SELECTED_DELETED,
};

/* Opens `info`'s mailbox for `c` and loads its view; -1 on errors. */
int imap_selected_open(struct imap_client *c, const struct store_mailbox *info,
		       bool readonly, struct imap_selected **sel_r,
		       const char **error_r);
void imap_selected_free(struct imap_selected **sel);

/* The selected mailbox as a store record (its access control list
 * empty), for the functions that take one. */
void imap_selected_record(const struct imap_selected *sel,
			  struct store_mailbox *mb_r);

/* Reads the log: new messages, flag changes and expunges of every process
 * become pending announcements.  -1 on errors. */
int imap_selected_sync(struct imap_selected *sel, const char **error_r);

/* Looks the selected mailbox up by name and, when the name is gone or
 * names another mailbox now, by its ID: another session (in any process)
 * may have deleted or renamed it.  A mailbox's ID never changes, so a
 * name that names the same ID means nothing happened.  On a rename
 * sel->info takes the new name and `old_name` the one it replaces.  Costs
 * one database lookup, and a walk of the user's mailbox list only when
 * something changed.  -1 on database errors. */
int imap_selected_check(struct imap_client *c, enum imap_selected_fate *fate_r,
			char old_name[STORE_MAILBOX_NAME_MAX + 1],
			const char **error_r);

/* Changes the user's own \Seen of `uids` (ascending) on a shared
 * mailbox; the messages' flags change and are reported as if another
 * session had changed them.  -1 on database errors. */
int imap_selected_seen_change(struct imap_client *c, const uint32_t *uids,
			      size_t count, bool add, const char **error_r);

/* Sends the pending untagged FLAGS, EXPUNGE, EXISTS and FETCH responses;
 * expunges only when `allow_expunge`. */
void imap_selected_announce(struct imap_client *c, bool allow_expunge);

/* Sends FLAGS and PERMANENTFLAGS when keywords were defined since they
 * were last sent (before any FETCH that shows a new keyword). */
void imap_selected_announce_keywords(struct imap_client *c);

/* Sequence number (1-based) of a UID, or 0. */
uint32_t imap_selected_seq(const struct imap_selected *sel, uint32_t uid);

/* The messages a sequence set (or UID set) names, as indexes into msgs
 * (ascending), expunged ones included.  A UID set may name UIDs that do
 * not exist; they are skipped.  For sequence numbers, one past the count
 * is an error (BAD).  `saved` sets ("$") use the saved search result.
 * Returns 0, or -1 with a fixed *error_r. */
int imap_selected_lookup(const struct imap_selected *sel,
			 const struct imap_seqset *set, bool uid,
			 size_t **idx_r, size_t *count_r, const char **error_r);

/* Flags of a record as an IMAP flag list "(\Seen $Junk)", appended. */
void imap_selected_flags(const struct imap_selected *sel,
			 const struct mbox_record *rec, struct buf *out);
/* "(\Answered \Flagged \Deleted \Seen \Draft kw...)" */
void imap_selected_flag_list(const struct imap_selected *sel, struct buf *out);

/* IMAP_FLAG_* bits to MBOX_* bits and back. */
uint32_t imap_flags_to_mbox(unsigned int imap_flags);

/* Copies the keyword names set in `mask` into a NULL-terminated array of
 * pointers into the view (valid until the next sync). */
void imap_selected_keywords(const struct imap_selected *sel, uint64_t mask,
			    const char **names, size_t max);

#endif
