#include "store_settings.h"

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
};

const struct config_table store_config_table = {
	"store", "The mail store shared by lmtpd, imapd, pop3d and the "
	"sealpost command.", CONFIG_KEYS(store_keys)
};
