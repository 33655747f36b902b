#include "store_settings.h"
#include "acl.h"

#define F(field) offsetof(struct store_settings, field)

static const struct config_key store_keys[] = {
	{ "quota_default_storage", CONFIG_SIZE, "0", 0, 1ULL << 50,
	  F(quota_default_storage),
	  "The storage each user's whole hierarchy of mailboxes may use "
	  "(RFC 9208 STORAGE), counted in message bytes and shown to IMAP "
	  "clients in whole KiB, rounded down.  A user's own limit (IMAP "
	  "SETQUOTA, sealpost quota set) replaces it.  0: no limit." },
	{ "quota_default_messages", CONFIG_UINT, "0", 0, 4000000000U,
	  F(quota_default_messages),
	  "The number of messages each user's hierarchy may hold (RFC 9208 "
	  "MESSAGE).  A user's own limit replaces it.  0: no limit." },
	{ "quota_warn_percent", CONFIG_UINT, "90", 0, 100,
	  F(quota_warn_percent),
	  "When a delivery takes a user's usage of either resource to this "
	  "percentage of its limit or beyond, lmtpd delivers one short "
	  "warning message to their INBOX; the next warning comes only "
	  "after the usage has fallen below the level again.  0: no "
	  "warnings." },
	{ "acl_max_entries", CONFIG_UINT, "32", 1, ACL_MAX_ENTRIES,
	  F(acl_max_entries),
	  "The entries one mailbox's access control list may hold (IMAP "
	  "SETACL, sealpost acl set); a change that would add one more is "
	  "refused (IMAP: NO [LIMIT]).  A list already longer, after this "
	  "was lowered, keeps its entries and may still shrink or change.  "
	  "At most 32, the bound of the stored list." },
	{ "mailbox_checkpoint_log_bytes", CONFIG_SIZE, "1m", 0, 1ULL << 30,
	  F(mailbox_checkpoint_log_bytes),
	  "A mailbox's changes are made durable in its change log; its "
	  "index is brought up to date without fsync and made durable at a "
	  "checkpoint, which the writer makes once the log has grown this "
	  "much since the last.  A mailbox opened after a machine crash "
	  "replays its log from the last checkpoint (checking the message "
	  "file of every record after it), so this bounds that work; each "
	  "checkpoint costs a flush of the store's file system (syncfs) "
	  "and two syncs of the index.  At a checkpoint the "
	  "index is also rewritten without the records kept of expunged "
	  "messages (for QRESYNC) when they are 30% of its records or "
	  "more, and all of the mailbox's files are written again for its "
	  "live messages, with a new log, when the log has grown to 16 "
	  "times this or the cache holds more than this beyond twice what "
	  "the live messages use.  0: no checkpoints (the replay after a "
	  "crash grows with the log, and the index keeps every expunged "
	  "message's record)." },
	{ "database_stuck_timeout", CONFIG_TIME, "30s", 0, 3600,
	  F(database_stuck_timeout),
	  "A process killed while it held one of the store database's "
	  "internal locks leaves the database unusable until every process "
	  "has closed it and one recovers it, and a call waiting on such a "
	  "lock never returns.  A call into the database still waiting after "
	  "this long is taken for that: the daemon logs store_stuck and "
	  "exits, the master restarts every daemon that uses the store, and "
	  "the first to open it again recovers it (the sealpost command "
	  "exits with status 76).  Calls take milliseconds; recovery after a "
	  "crash, a few seconds.  0: wait for ever." },
};

const struct config_table store_config_table = {
	"store", "The mail store shared by lmtpd, imapd, pop3d and the "
	"sealpost command.", CONFIG_KEYS(store_keys)
};
