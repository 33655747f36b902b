#include "lmtpd_settings.h"

#define F(field) offsetof(struct lmtpd_settings, field)

static const struct config_key lmtpd_keys[] = {
	{ "lmtp_socket", CONFIG_STRING, "lmtp.sock", 0, 0, F(lmtp_socket),
	  "The unix socket where lmtpd takes deliveries from the queue "
	  "manager (relative to state_dir).  Only mail_user can connect." },
	{ "lmtp_listen", CONFIG_STRING, "", 0, 0, F(lmtp_listen),
	  "Optional TCP addresses (host:port, space-separated) where lmtpd "
	  "also listens, for another MTA on a trusted network.  LMTP has no "
	  "authentication: never expose it beyond loopback or a private "
	  "network.  Empty: none." },
	{ "lmtp_workers", CONFIG_UINT, "2", 0, 64, F(lmtp_workers),
	  "How many lmtpd processes serve deliveries.  Each serves many "
	  "connections; more processes let deliveries to different "
	  "mailboxes wait on the disk in parallel." },
	{ "lmtp_max_message_size", CONFIG_SIZE, "50m", 1024, 1ULL << 40,
	  F(lmtp_max_message_size),
	  "The largest message lmtpd stores; larger ones get 552 5.3.4." },
	{ "lmtp_spool_memory", CONFIG_SIZE, "1m", 0, 1ULL << 30,
	  F(lmtp_spool_memory),
	  "A message up to this size is held in memory while it is "
	  "received and delivered; a larger one goes to a spool file in "
	  "the store's tmp folder.  Sparing the small ones that file spares "
	  "the folder an inode created and deleted per message.  The memory "
	  "is per transaction: the connections an lmtpd serves at once may "
	  "each hold this much.  0: always a spool file." },
	{ "lmtp_max_recipients", CONFIG_UINT, "1000", 1, 100000,
	  F(lmtp_max_recipients),
	  "Recipients per transaction; more get 452 4.5.3 (the client sends "
	  "them again in another transaction)." },
	{ "lmtp_timeout", CONFIG_TIME, "5m", 1, 3600, F(lmtp_timeout),
	  "How long lmtpd waits for the client before it gives up on the "
	  "connection." },
	{ "lmtp_dedup_window", CONFIG_TIME, "1d", 0, 365 * 86400,
	  F(lmtp_dedup_window),
	  "A message delivered again to the same mailbox within this time "
	  "(same Message-ID, or the same bytes when it has none) is not "
	  "stored twice, but still acknowledged: so a delivery repeated after "
	  "a crash lands exactly once.  The queue manager counts on it to "
	  "remove a locally delivered message's queue file without syncing "
	  "its outcomes first.  0 turns this off (and qmgr syncs them)." },
	{ "lmtp_commit_max", CONFIG_UINT, "64", 1, 10000, F(lmtp_commit_max),
	  "At most this many LMTP transactions are delivered together in "
	  "one group commit: the transactions an lmtpd process finishes in "
	  "the same loop round share their syncs (issued together, so the "
	  "file system's journal merges them), and each recipient's "
	  "250 is sent once the batch is durable.  More waiting "
	  "transactions go in the next round.  1: each transaction is "
	  "committed on its own." },
	{ "lmtp_mailboxes_kept", CONFIG_UINT, "32", 0, 1000,
	  F(lmtp_mailboxes_kept),
	  "How many mailboxes each lmtpd process keeps open between "
	  "deliveries, the last used first, so that mail for recent "
	  "recipients opens none of their mailbox's files again.  Each "
	  "holds up to six descriptors.  0: every delivery opens the "
	  "mailbox and closes it." },
	{ "lmtp_quota_temporary", CONFIG_BOOL, "no", 0, 0,
	  F(lmtp_quota_temporary),
	  "A delivery that would exceed the recipient's quota fails with "
	  "452 4.2.2 (the sender's server retries) when yes, or 552 5.2.2 "
	  "(it bounces at once) when no." },
	{ "recipient_delimiter", CONFIG_STRING, "+", 0, 0,
	  F(recipient_delimiter),
	  "Characters that split user+detail: mail to alice+lists goes to "
	  "alice's mailbox named lists when it exists, else to her INBOX.  "
	  "Empty: no detail addresses.  Mail reaches the named folder only "
	  "while its access control list gives anyone the p right, which "
	  "new folders have (see imapd(8))." },
	{ "bb_address_prefix", CONFIG_STRING, "", 0, 0, F(bb_address_prefix),
	  "The local part that posts to the shared bulletin boards: with "
	  "bb, mail to bb+news@ goes to the board Shared/news, when the "
	  "board's access control list gives anyone the p right (an admin "
	  "grants it with SETACL or sealpost acl); otherwise the recipient "
	  "is refused with 550 5.1.1, as for a board that does not exist.  "
	  "The prefix hides a user of the same name.  Empty: no posting by "
	  "mail." },
};

const struct config_table lmtpd_config_table = {
	"lmtpd", "Delivery into the store over LMTP (RFC 2033).",
	CONFIG_KEYS(lmtpd_keys)
};
