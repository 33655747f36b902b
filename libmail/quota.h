#ifndef SEALPOST_QUOTA_H
#define SEALPOST_QUOTA_H

/*
 * Quotas (RFC 9208): the arithmetic, kept apart from the database so it can
 * be tested alone.  Each user has one quota root covering their whole
 * hierarchy, with two resources: STORAGE (message bytes, shown in units of
 * 1024 octets, rounded up) and MESSAGE (messages).  A user's record in the
 * store holds the usage counters and, per resource, whether the limit is
 * the configured default, an explicit limit or explicitly none.
 *
 * Record (value of the "quota" database, key: the user name), version 1:
 *   bytes u64, messages u64, storage_kb u64, messages_limit u64,
 *   storage setting u8, messages setting u8, flags u8 (bit 0: warned)
 * in host byte order, like the store's other records.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum quota_setting {
	QUOTA_DEFAULT = 0,	/* the configured default applies */
	QUOTA_LIMIT = 1,	/* this user's own limit */
	QUOTA_NONE = 2,		/* explicitly no limit */
};

struct quota_record {
	uint64_t bytes, messages;		/* usage */
	enum quota_setting storage_set, messages_set;
	uint64_t storage_kb, messages_limit;	/* with QUOTA_LIMIT */
	bool warned;	/* the warning for this crossing was sent */
};

/* The limits in force, defaults applied.  has_*: there is a limit. */
struct quota_limits {
	bool has_storage, has_messages;
	uint64_t storage_kb, messages;
};

/* The configured defaults: bytes (0: none), messages (0: none), and the
 * warning percentage (0: no warnings). */
struct quota_defaults {
	uint64_t storage_bytes;
	uint64_t messages;
	unsigned int warn_percent;
};

#define QUOTA_RECORD_VERSION 1
#define QUOTA_RECORD_SIZE (4 * 8 + 3)

/* Kilobytes of usage as RFC 9208 counts them: 1024-octet units, rounded
 * up so any stored byte shows. */
uint64_t quota_kb(uint64_t bytes);

void quota_record_encode(const struct quota_record *q, struct buf *value);
/* Decodes the data after the version byte; -1 with a reason if damaged. */
int quota_record_decode(const unsigned char *data, size_t len,
			struct quota_record *q, const char **error_r);

void quota_limits_get(const struct quota_record *q,
		      const struct quota_defaults *def,
		      struct quota_limits *lim);

/* Whether usage `bytes`/`messages` is within the limits. */
bool quota_within(const struct quota_limits *lim, uint64_t bytes,
		  uint64_t messages);

/* The highest usage in percent of any limited resource (0 when none is
 * limited); a limit of 0 counts as 100% full. */
unsigned int quota_percent(const struct quota_limits *lim, uint64_t bytes,
			   uint64_t messages);

/*
 * Applies a change of usage to `q` (counters never go below 0).  With
 * `enforce` and a growing usage that would pass a limit, changes nothing
 * and returns false.  Sets *warn_r when this change takes the usage to or
 * past `warn_percent` for the first time since it was last below (the
 * record remembers it in `warned`); usage falling below re-arms it.
 */
bool quota_apply(struct quota_record *q, const struct quota_limits *lim,
		 unsigned int warn_percent, int64_t bytes, int64_t messages,
		 bool enforce, bool *warn_r);

/* Parses one "resource=value" of `sealpost quota set` into `q`'s limits:
 * storage (in KiB, as IMAP counts) or messages, and a value "none" (no
 * limit), "default" (the configured one) or a decimal number.  0, or -1
 * with a reason. */
int quota_parse_setting(const char *arg, struct quota_record *q,
			const char **error_r);

#endif
