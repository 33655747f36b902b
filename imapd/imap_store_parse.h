#ifndef SEALPOST_IMAP_STORE_PARSE_H
#define SEALPOST_IMAP_STORE_PARSE_H

/*
 * The arguments of STORE after the sequence set (RFC 9051 section 6.4.6,
 * with the store-modifiers of RFC 4466 section 2.5 and UNCHANGEDSINCE of
 * RFC 7162 section 3.1.3):
 *
 *     [(UNCHANGEDSINCE n)] (+|-)FLAGS[.SILENT] (flag-list | flag *(SP flag))
 */

#include <stdbool.h>
#include <stdint.h>

#include "imapd/imap_arg.h"
#include "imapd/imap_flags.h"

enum imap_store_mode {
	IMAP_STORE_REPLACE,	/* FLAGS */
	IMAP_STORE_ADD,		/* +FLAGS */
	IMAP_STORE_REMOVE,	/* -FLAGS */
};

struct imap_store {
	enum imap_store_mode mode;
	bool silent;
	struct imap_flags flags;
	bool has_unchangedsince;
	uint64_t unchangedsince;	/* 0 is allowed: mod-sequence-valzer */
};

/* Parses `args` (the command's arguments after the sequence set).  Returns
 * 0 with a new *store_r, or -1 with a fixed *error_r (answer BAD). */
int imap_store_parse(const struct imap_arg *args, size_t max_keywords,
		     struct imap_store **store_r, const char **error_r);

void imap_store_free(struct imap_store **store);

#endif
